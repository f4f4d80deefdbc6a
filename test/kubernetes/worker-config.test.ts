import assert from 'node:assert/strict';
import { InvalidWorkerConfig, parseWorkerConfig } from '../../worker/config';
import { createRuntime } from '../../worker/runtime';
import { kubernetesTestBed } from '../harness/global';

describe('a worker configured for the kubernetes runtime', () => {
  it('names what is missing: the storage and, outside a pod, the kubeconfig', () => {
    assert.throws(() => parseWorkerConfig({ FLEET_RUNTIME: 'kubernetes' }), (error: unknown) => {
      assert.ok(error instanceof InvalidWorkerConfig);
      assert.match(error.message, /FLEET_STORAGE_URI: is required with FLEET_RUNTIME=kubernetes/);
      assert.match(error.message, /FLEET_KUBECONFIG: is required with FLEET_RUNTIME=kubernetes outside a Kubernetes pod/);
      return true;
    });
    assert.throws(() => parseWorkerConfig({ FLEET_RUNTIME: 'kubernetes', FLEET_STORAGE_URI: 's3://b/p', FLEET_KUBECONFIG: '/nonexistent/kubeconfig' }),
      /FLEET_KUBECONFIG: must name an existing kubeconfig file/);
  });

  it('uses the pod\'s own credentials inside a cluster', () => {
    const config = parseWorkerConfig({ FLEET_RUNTIME: 'kubernetes', FLEET_STORAGE_URI: 's3://b/p', KUBERNETES_SERVICE_HOST: '10.96.0.1' });
    assert.equal(config.FLEET_WORKER_NAMESPACE, 'flink-fleet');
  });

  it('talks to the API server of its kubeconfig', async () => {
    const k8s = await kubernetesTestBed();
    const runtime = createRuntime(parseWorkerConfig({ FLEET_RUNTIME: 'kubernetes', FLEET_STORAGE_URI: 's3://b/p', FLEET_KUBECONFIG: k8s.kubeconfigPath }));
    assert.equal(runtime.kind, 'kubernetes');
    assert.ok(Array.isArray(await runtime.listClusters()));
    assert.equal(runtime.storageUri({ tenant: 'acme', name: 'orders' }), 's3://b/p/acme/acme--orders');
  });
});
