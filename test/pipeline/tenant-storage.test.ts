import assert from 'node:assert/strict';
import { KubeConfig } from '@kubernetes/client-node';
import { clusterName } from '../../activities/names';
import { restoreFromProblems, tenantStoragePrefixOf } from '../../activities/pipeline/tenant-storage';
import { isStrictlyInside } from '../../workflows/storage-prefix';
import { KubernetesRuntime } from '../../activities/runtime/kubernetes/kubernetes-runtime';
import { applicationFlinkOptions } from '../../activities/runtime/kubernetes/manifests/flink-config';
import { localClusterOptions } from '../../activities/runtime/local/cluster-config';
import { clusterLayout, clusterStorageDir } from '../../activities/runtime/local/layout';
import { LocalRuntime } from '../../activities/runtime/local/local-runtime';
import { sqlPipeline } from '../kubernetes/fixtures';

const S3 = 's3://bucket/fleet/acme/';
const LOCAL = 'file:///var/fleet/storage/acme/';

describe('a URI within a tenant\'s storage', () => {
  it('is accepted when it lies under the tenant\'s prefix', () => {
    assert.equal(isStrictlyInside('s3://bucket/fleet/acme/acme--orders/savepoints/savepoint-1', S3), true);
    assert.equal(isStrictlyInside('file:///var/fleet/storage/acme/acme--orders/checkpoints/j/chk-3', LOCAL), true);
    // Flink reports local savepoints as file:/path, with one slash.
    assert.equal(isStrictlyInside('file:/var/fleet/storage/acme/acme--orders/savepoints/savepoint-1', LOCAL), true);
    assert.equal(isStrictlyInside('S3://bucket/fleet/acme/x', S3), true);
  });

  for (const [what, uri, prefix] of [
    ['another tenant\'s savepoint', 's3://bucket/fleet/other/other--orders/savepoints/s', S3],
    ['a tenant whose name extends this one\'s', 's3://bucket/fleet/acme-corp/acme-corp--x/savepoints/s', 's3://bucket/fleet/acme'],
    ['the prefix itself', 's3://bucket/fleet/acme/', S3],
    ['a climb out with ..', 's3://bucket/fleet/acme/../other/other--orders/s', S3],
    ['a climb out with an encoded ..', 's3://bucket/fleet/acme/%2e%2e/other/s', S3],
    ['an encoded slash', 's3://bucket/fleet/acme%2f..%2fother/s', S3],
    ['a . segment', 's3://bucket/fleet/./acme/x', S3],
    ['an empty segment', 's3://bucket/fleet//acme/x', S3],
    ['another scheme', 'gs://bucket/fleet/acme/x', S3],
    ['another bucket', 's3://bucket2/fleet/acme/x', S3],
    ['a backslash', 'file:///var/fleet/storage/acme\\..\\other/x', LOCAL],
    ['a query', 's3://bucket/fleet/acme/x?y=/other', S3],
    ['a local file elsewhere', 'file:///etc/passwd.jar', LOCAL],
    ['a file URI with a host', 'file://evil/var/fleet/storage/acme/x', LOCAL],
    ['no scheme', '/var/fleet/storage/acme/x', LOCAL],
  ] as const) {
    it(`is refused for ${what}`, () => {
      assert.equal(isStrictlyInside(uri, prefix), false);
    });
  }

  it('names spec.restoreFrom when it lies outside', () => {
    assert.deepEqual(restoreFromProblems('s3://bucket/fleet/other/s', S3), [
      "spec.restoreFrom: must lie inside the tenant's own storage (s3://bucket/fleet/acme/), written plainly (no '..', '//', '%', '\\', '?' or '#')",
    ]);
    assert.deepEqual(restoreFromProblems(undefined, S3), []);
  });
});

describe('the storage the fleet itself writes a tenant\'s state to', () => {
  const spec = sqlPipeline('acme', 'orders');
  const cluster = clusterName('acme', 'orders');
  const DIRS = ['execution.checkpointing.dir', 'execution.checkpointing.savepoint-dir', 'high-availability.storageDir'];

  it('lies inside the tenant\'s prefix on Kubernetes: checkpoints, savepoints and HA data', () => {
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromOptions({ clusters: [{ name: 'c', server: 'https://127.0.0.1:1' }], users: [{ name: 'u' }], contexts: [{ name: 'x', cluster: 'c', user: 'u' }], currentContext: 'x' });
    const runtime = new KubernetesRuntime({ kubeConfig, storageUri: 's3://bucket/fleet/', restAccess: { mode: 'service-dns' } });
    const prefix = tenantStoragePrefixOf(runtime, 'acme');
    assert.equal(prefix, 's3://bucket/fleet/acme/');
    const options = applicationFlinkOptions({ tenant: 'acme', name: 'orders', cluster, namespace: 'flink-fleet-acme' }, spec, runtime.storageUri(spec));
    for (const key of DIRS) assert.ok(isStrictlyInside(String(options[key]), prefix), `${key}: ${String(options[key])}`);
  });

  it('lies inside the tenant\'s prefix on the local runtime: checkpoints and savepoints', () => {
    const runtime = new LocalRuntime({ flinkHome: '/nonexistent', stateDir: '/var/fleet' });
    const prefix = tenantStoragePrefixOf(runtime, 'acme');
    assert.equal(prefix, 'file:///var/fleet/storage/acme/');
    const record = { tenant: 'acme', name: 'orders', cluster, kind: 'application' as const, createdAt: '', ports: { rest: 1, rpc: 2 } };
    const options = localClusterOptions(record, { ...clusterLayout('/var/fleet', cluster), storage: clusterStorageDir('/var/fleet', 'acme', cluster) }, spec);
    for (const key of DIRS.slice(0, 2)) assert.ok(isStrictlyInside(String(options[key]), prefix), `${key}: ${String(options[key])}`);
    assert.ok(isStrictlyInside(runtime.storageUri(spec), prefix));
  });
});
