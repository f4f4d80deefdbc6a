import assert from 'node:assert/strict';
import type { V1ConfigMap, V1Deployment, V1Pod } from '@kubernetes/client-node';
import { observeCluster, type ClusterObjects } from '../../activities/runtime/kubernetes/observe';

const ENDPOINTS = { restUrl: 'http://c.ns.svc.cluster.local:8081' };

function root(kind: 'application' | 'session'): V1ConfigMap {
  return { metadata: { name: 'c-config', labels: { 'flink-fleet/kind': kind } } };
}

function deployment(component: string): V1Deployment {
  return { metadata: { name: `c-${component}`, labels: { 'flink-fleet/component': component } } };
}

function pod(name: string, component: string, status: NonNullable<V1Pod['status']> = { phase: 'Running' }): V1Pod {
  return { metadata: { name, labels: { 'flink-fleet/component': component } }, status };
}

const crashLooping = { phase: 'Running', containerStatuses: [{ name: 'main', image: 'flink', imageID: '', ready: false, restartCount: 3,
  state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 40s' } } }] };

function observe(objects: ClusterObjects) {
  return observeCluster('c', objects, ENDPOINTS);
}

describe('observing a cluster from its objects', () => {
  const application = { root: root('application'), deployments: [deployment('jobmanager'), deployment('taskmanager')] };

  it('is missing when nothing of it exists', () => {
    assert.deepEqual(observe({ deployments: [], pods: [] }), { cluster: 'c', health: 'missing', processes: [] });
  });

  it('is running while every pod lives, starting pods included', () => {
    const observed = observe({ ...application, pods: [pod('jm', 'jobmanager', { phase: 'Pending' }), pod('tm', 'taskmanager')] });
    assert.equal(observed.health, 'running');
    assert.deepEqual(observed.processes, [{ name: 'jm', role: 'jobmanager', alive: true }, { name: 'tm', role: 'taskmanager', alive: true }]);
    assert.equal(observed.endpoints, ENDPOINTS);
  });

  it('has failed when its JobManager crash-loops, and says so', () => {
    const observed = observe({ ...application, pods: [pod('jm', 'jobmanager', crashLooping), pod('tm', 'taskmanager')] });
    assert.equal(observed.health, 'failed');
    assert.match(observed.reason ?? '', /the jobmanager pod jm is CrashLoopBackOff: back-off 40s/);
  });

  it('is running while a deleted or evicted JobManager pod is being replaced by its Deployment, and shows it dead', () => {
    const deleting: V1Pod = { ...pod('jm-old', 'jobmanager'), metadata: { ...pod('jm-old', 'jobmanager').metadata, deletionTimestamp: new Date() } };
    const evicted = pod('jm-evicted', 'jobmanager', { phase: 'Failed', reason: 'Evicted' });
    const tm = pod('tm', 'taskmanager');
    for (const pods of [[deleting, tm], [deleting, pod('jm-new', 'jobmanager', { phase: 'Pending' }), tm], [evicted, tm]]) {
      const observed = observe({ ...application, pods });
      assert.equal(observed.health, 'running', pods.map((p) => p.metadata?.name).join(', '));
      assert.equal(observed.processes.find((p) => p.role === 'jobmanager')?.alive, false);
    }
  });

  it('has failed when its JobManager\'s replacement crash-loops while the old pod is still being deleted', () => {
    const deleting: V1Pod = { ...pod('jm-old', 'jobmanager'), metadata: { ...pod('jm-old', 'jobmanager').metadata, deletionTimestamp: new Date() } };
    const observed = observe({ ...application, pods: [deleting, pod('jm-new', 'jobmanager', crashLooping), pod('tm', 'taskmanager')] });
    assert.equal(observed.health, 'failed');
    assert.match(observed.reason ?? '', /the jobmanager pod jm-new is CrashLoopBackOff/);
  });

  it('has failed when its JobManager Deployment is being deleted', () => {
    const leaving: V1Deployment = { metadata: { ...deployment('jobmanager').metadata, deletionTimestamp: new Date() } };
    const observed = observe({ root: root('application'), deployments: [leaving, deployment('taskmanager')], pods: [pod('tm', 'taskmanager')] });
    assert.equal(observed.health, 'failed');
    assert.equal(observed.reason, 'the jobmanager Deployment is being deleted');
  });

  it('has failed when a session cluster lost its gateway Deployment', () => {
    const observed = observe({ root: root('session'), deployments: [deployment('jobmanager')], pods: [pod('jm', 'jobmanager')] });
    assert.equal(observed.health, 'failed');
    assert.equal(observed.reason, 'the gateway Deployment is missing');
  });

  it('is degraded when a TaskManager died but the JobManager lives', () => {
    const observed = observe({ ...application, pods: [pod('jm', 'jobmanager'), pod('tm-1', 'taskmanager', { phase: 'Failed' })] });
    assert.equal(observed.health, 'degraded');
    assert.equal(observed.reason, 'TaskManager tm-1 is Failed');
  });

  it('has failed when objects are left but its root ConfigMap is gone', () => {
    assert.equal(observe({ deployments: [deployment('taskmanager')], pods: [] }).health, 'failed');
  });

  it('names the disk limit a pod was evicted for, in the kubelet\'s words, and only for disk', () => {
    const messages = ['Container taskmanager exceeded its local ephemeral storage limit "512Mi". ',
      'Pod ephemeral local storage usage exceeds the total limit of containers 512Mi. ', 'Usage of EmptyDir volume "artifacts" exceeds the limit "1Gi". '];
    for (const message of messages) {
      const observed = observe({ ...application, pods: [pod('jm', 'jobmanager'), pod('tm-1', 'taskmanager', { phase: 'Failed', reason: 'Evicted', message }),
        pod('tm-2', 'taskmanager', { phase: 'Pending' })] });
      assert.equal(observed.diskExceeded, `taskmanager pod tm-1 was evicted: ${message.trim()}`);
    }
    const forMemory = { phase: 'Failed', reason: 'Evicted', message: 'The node was low on resource: memory. ' };
    assert.equal(observe({ ...application, pods: [pod('jm', 'jobmanager'), pod('tm-1', 'taskmanager', forMemory)] }).diskExceeded, undefined);
    assert.equal(observe({ ...application, pods: [pod('jm', 'jobmanager'), pod('tm-1', 'taskmanager')] }).diskExceeded, undefined);
  });
});
