import assert from 'node:assert/strict';
import { BASE_OPTIONS, JAVA_17_OPENS, renderFlinkConfig } from '../../activities/flink/config';
import { applicationFlinkOptions, sessionFlinkOptions } from '../../activities/runtime/kubernetes/manifests/flink-config';
import { localClusterOptions } from '../../activities/runtime/local/cluster-config';
import { clusterLayout, clusterStorageDir, type ClusterRecord } from '../../activities/runtime/local/layout';
import { jarConnection, sessionCluster } from '../kubernetes/fixtures';

describe('renderFlinkConfig', () => {
  it('writes one flattened key per line, sorted, so the same options give the same text', () => {
    const text = renderFlinkConfig({ 'rest.port': 8081, 'jobmanager.rpc.address': '127.0.0.1', 'state.backend.incremental': true });
    assert.equal(text, 'jobmanager.rpc.address: "127.0.0.1"\nrest.port: 8081\nstate.backend.incremental: true\n');
  });

  it('quotes strings so YAML cannot read them as another type or as syntax', () => {
    const text = renderFlinkConfig({ 'pipeline.name': 'a: b # c', 'x.flag': 'true' });
    assert.equal(text, 'pipeline.name: "a: b # c"\nx.flag: "true"\n');
  });

  it('carries the JVM flags Flink needs on Java 17 and memory sizes for every process', () => {
    assert.equal(BASE_OPTIONS['env.java.opts.all'], JAVA_17_OPENS);
    assert.match(JAVA_17_OPENS, /--add-opens=java.base\/java.util=ALL-UNNAMED/);
    assert.equal(BASE_OPTIONS['jobmanager.memory.process.size'], '1024m');
    assert.equal(BASE_OPTIONS['taskmanager.memory.process.size'], '1024m');
    assert.equal(BASE_OPTIONS['taskmanager.numberOfTaskSlots'], 1);
  });
});

describe('session cluster options', () => {
  const resources = { jobManager: { cpu: 1, memoryMb: 1024 }, taskManager: { cpu: 1, memoryMb: 1024 } };
  const record = (kind: ClusterRecord['kind']): ClusterRecord => ({
    tenant: 'acme', name: 'previews', cluster: 'acme--previews', kind, createdAt: '2026-01-01T00:00:00Z', ports: { rest: 1, rpc: 2, ...(kind === 'session' ? { gateway: 3 } : {}) },
  });
  const id = { tenant: 'acme', name: 'previews', cluster: 'acme--previews', namespace: 'flink-fleet-acme' };
  const DYNAMIC = 'table.dynamic-table-options.enabled';

  it('turn OPTIONS hints off on every runtime, whatever the spec asks, so a query cannot swap a connector', () => {
    assert.equal(localClusterOptions(record('session'), { ...clusterLayout('/state', 'acme--previews'), storage: clusterStorageDir('/state', 'acme', 'acme--previews') }, resources)[DYNAMIC], false);
    const asked = { ...sessionCluster('acme', 'previews'), flinkOptions: { [DYNAMIC]: 'true' } };
    assert.equal(sessionFlinkOptions(id, asked, 's3://b/f')[DYNAMIC], false);
  });

  it('leave application clusters to Flink\'s default (their SQL is inspected, not shared)', () => {
    assert.equal(localClusterOptions(record('application'), { ...clusterLayout('/state', 'acme--previews'), storage: clusterStorageDir('/state', 'acme', 'acme--previews') }, resources)[DYNAMIC], undefined);
    assert.equal(applicationFlinkOptions(id, jarConnection('acme', 'previews'), 's3://b/f')[DYNAMIC], undefined);
  });
});
