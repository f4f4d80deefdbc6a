import assert from 'node:assert/strict';
import { KubeConfig } from '@kubernetes/client-node';
import { InvalidClusterSpec } from '../../activities/runtime/kubernetes/errors';
import { KubernetesRuntime } from '../../activities/runtime/kubernetes/kubernetes-runtime';
import { FLEET_TENANT, sessionClusterRef } from '../../workflows/pool/api';
import { InvalidSpecError, parsePipelineSpec } from '../../workflows/pipeline/spec';
import { InvalidPreviewError } from '../../workflows/preview/policy';
import { parsePreviewRequest } from '../../workflows/preview/request';

const RESERVED = ['fleet', 'default', 'system', 'worker', 'kube-system', 'kube-public', 'flink-fleet', 'flink-fleet-x'];

function pipeline(tenant: string): unknown {
  return { tenant, name: 'previews', job: { kind: 'sql', script: 'SELECT 1' } };
}

describe('tenant names the fleet keeps for itself', () => {
  for (const tenant of RESERVED) {
    it(`refuses tenant ${tenant} in a pipeline spec, naming spec.tenant`, () => {
      assert.throws(() => parsePipelineSpec(pipeline(tenant)), (error: unknown) => {
        assert.ok(error instanceof InvalidSpecError);
        assert.deepEqual(error.problems.length, 1);
        assert.match(error.problems[0] ?? '', new RegExp(`^spec\\.tenant: "${tenant}" is reserved`));
        return true;
      });
    });

    it(`refuses tenant ${tenant} in a preview request, naming request.tenant`, () => {
      assert.throws(() => parsePreviewRequest({ tenant, sql: 'SELECT 1' }), (error: unknown) => {
        assert.ok(error instanceof InvalidPreviewError);
        assert.match(error.message, new RegExp(`request\\.tenant: "${tenant}" is reserved`));
        return true;
      });
    });
  }

  it('still accepts ordinary tenants that merely contain a reserved word', () => {
    for (const tenant of ['fleets', 'my-fleet', 'defaults', 'kube', 'acme-system']) assert.equal(parsePipelineSpec(pipeline(tenant)).tenant, tenant);
  });

  it('leaves the fleet itself its tenant: the pool\'s session cluster is not validated as a tenant spec', () => {
    assert.deepEqual(sessionClusterRef('previews'), { tenant: FLEET_TENANT, name: 'previews' });
  });

  it('refuses, on Kubernetes, a tenant whose namespace would be the worker\'s own', async () => {
    // An API server nobody listens on: the refusal must come before any call.
    const nowhere = new KubeConfig();
    nowhere.loadFromOptions({ clusters: [{ name: 'c', server: 'https://127.0.0.1:1' }], users: [{ name: 'u' }], contexts: [{ name: 'x', cluster: 'c', user: 'u' }], currentContext: 'x' });
    const runtime = new KubernetesRuntime({ kubeConfig: nowhere, storageUri: 's3://x', restAccess: { mode: 'service-dns' },
      workerNamespace: 'flink-fleet-ops' });
    await assert.rejects(runtime.ensureTenant('ops'), (error: unknown) => {
      assert.ok(error instanceof InvalidClusterSpec);
      assert.match(error.message, /tenant: its namespace flink-fleet-ops is the worker's own/);
      return true;
    });
  });
});
