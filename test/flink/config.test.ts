import assert from 'node:assert/strict';
import { BASE_OPTIONS, JAVA_17_OPENS, renderFlinkConfig } from '../../activities/flink/config';
import { applicationFlinkOptions, sessionFlinkOptions } from '../../activities/runtime/kubernetes/manifests/flink-config';
import { applicationClusterOptions, LOCAL_JIT, localClusterOptions, sqlJobArguments } from '../../activities/runtime/local/cluster-config';
import { clusterLayout, clusterStorageDir, type ClusterRecord } from '../../activities/runtime/local/layout';
import { jarConnection, sessionCluster, sqlPipeline } from '../kubernetes/fixtures';

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

describe('a local application cluster\'s options', () => {
  const record: ClusterRecord = { tenant: 'acme', name: 'orders', cluster: 'acme--orders', kind: 'application', createdAt: '2026-01-01T00:00:00Z', ports: { rest: 1, rpc: 2 } };
  const layout = { ...clusterLayout('/state', 'acme--orders'), storage: clusterStorageDir('/state', 'acme', 'acme--orders') };

  it('let the spec\'s own numbers and restore path win over the tenant\'s options, and the tenant\'s over the defaults', () => {
    const spec = sqlPipeline('acme', 'orders', {
      parallelism: 3, slotsPerTaskManager: 2, restoreFrom: 'file:///sp-1',
      flinkOptions: { 'parallelism.default': 9, 'execution.checkpointing.interval': '2 s' },
    });
    const options = applicationClusterOptions(record, layout, spec, { 'env.java.opts.jobmanager': '-Xshare:auto' });
    assert.equal(options['parallelism.default'], 3);
    assert.equal(options['taskmanager.numberOfTaskSlots'], 2);
    assert.equal(options['execution.state-recovery.path'], 'file:///sp-1');
    assert.equal(options['execution.checkpointing.interval'], '2 s');
    assert.equal(options['env.java.opts.jobmanager'], '-Xshare:auto');
    assert.equal(options['rest.port'], 1);
  });

  it('keep every JVM\'s temporary files in the cluster\'s own folder, beside Flink\'s opens for Java 17 and the C1-only JIT', () => {
    const options = applicationClusterOptions(record, layout, sqlPipeline('acme', 'orders'), {});
    assert.equal(options['env.java.opts.all'], `${BASE_OPTIONS['env.java.opts.all']} -Djava.io.tmpdir=/state/clusters/acme--orders/tmp ${LOCAL_JIT}`);
    assert.equal(options['io.tmp.dirs'], '/state/clusters/acme--orders/tmp');
  });

  it('name no restore path when the spec has none', () => {
    assert.equal(applicationClusterOptions(record, layout, sqlPipeline('acme', 'orders'), {})['execution.state-recovery.path'], undefined);
  });

  it('run a SQL script by Flink\'s own SqlDriver, under the job id chosen beforehand', () => {
    assert.deepEqual(sqlJobArguments('ab'.repeat(16), '/state/job/pipeline.sql'),
      ['--job-id', 'ab'.repeat(16), '--job-classname', 'org.apache.flink.table.runtime.application.SqlDriver', '--scriptUri', 'file:///state/job/pipeline.sql']);
  });
});
