import assert from 'node:assert/strict';
import { healPlan, type DevStackHealth } from '../../client/dev/stack-file';

const allUp: DevStackHealth = { runtime: 'local', temporal: true, worker: true, codecServer: true };
const onKubernetes = (dead: string[]): DevStackHealth => ({ ...allUp, runtime: 'kubernetes', kubernetes: { daemons: 11, dead } });

describe('what dev up does with the stack it finds', () => {
  it('restarts nothing when all runs', () => {
    assert.deepEqual(healPlan(allUp, 'local'), { rebuild: false, daemons: [], restart: [] });
    assert.deepEqual(healPlan(onKubernetes([]), 'kubernetes'), { rebuild: false, daemons: [], restart: [] });
  });

  it('restarts only what died, the codec server before the server and the server before the worker', () => {
    assert.deepEqual(healPlan({ ...allUp, worker: false }, 'local'), { rebuild: false, daemons: [], restart: ['worker'] });
    assert.deepEqual(healPlan({ ...allUp, temporal: false }, 'local'), { rebuild: false, daemons: [], restart: ['temporal'] });
    assert.deepEqual(healPlan({ ...allUp, worker: false, temporal: false, codecServer: false }, 'local'), { rebuild: false, daemons: [], restart: ['codecServer', 'temporal', 'worker'] });
  });

  it('restarts only the Kubernetes daemons that died, and the worker if it died too', () => {
    assert.deepEqual(healPlan(onKubernetes(['kube-apiserver', 'kubelet']), 'kubernetes'), { rebuild: false, daemons: ['kube-apiserver', 'kubelet'], restart: [] });
    assert.deepEqual(healPlan({ ...onKubernetes(['s3-gateway']), worker: false }, 'kubernetes'), { rebuild: false, daemons: ['s3-gateway'], restart: ['worker'] });
  });

  it('starts anew for another runtime, or a Kubernetes part dead as a whole (a reboot took the node\'s interfaces and mounts)', () => {
    assert.deepEqual(healPlan(allUp, 'kubernetes'), { rebuild: true });
    assert.deepEqual(healPlan(onKubernetes([]), 'local'), { rebuild: true });
    const all = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kwok', 'containerd', 'kubelet', 'kube-proxy', 'coredns', 'kube-router', 's3-gateway'];
    assert.deepEqual(healPlan(onKubernetes(all), 'kubernetes'), { rebuild: true });
  });
});
