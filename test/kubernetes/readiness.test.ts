import assert from 'node:assert/strict';
import type { CoreV1Event, V1Deployment, V1Pod } from '@kubernetes/client-node';
import { clusterEndpoints } from '../../activities/runtime/kubernetes/endpoints';
import { diagnose, type ClusterState } from '../../activities/runtime/kubernetes/readiness';

const NOW = Date.parse('2026-01-01T00:10:00Z');
const GRACE = 60_000;

function deployment(name: string, available: number, extra: NonNullable<V1Deployment['status']> = {}): V1Deployment {
  return { metadata: { name, generation: 1 }, spec: { replicas: 1, selector: {}, template: {} },
    status: { observedGeneration: 1, updatedReplicas: available, availableReplicas: available, ...extra } };
}

function pod(name: string, status: NonNullable<V1Pod['status']>): V1Pod {
  return { metadata: { name }, status };
}

function state(partial: Partial<ClusterState>): ClusterState {
  return { deployments: [deployment('c-jobmanager', 0)], pods: [], events: [], ...partial };
}

function verdictOf(partial: Partial<ClusterState>): string {
  const verdict = diagnose(state(partial), NOW, GRACE);
  if (verdict.ready) return 'ready';
  return 'failure' in verdict ? verdict.failure.type : 'waiting';
}

describe('why a cluster is not ready', () => {
  it('is ready when every Deployment has its replicas available', () => {
    assert.equal(verdictOf({ deployments: [deployment('c-jobmanager', 1), deployment('c-taskmanager', 1)] }), 'ready');
  });

  it('waits while a pod is being created', () => {
    assert.equal(verdictOf({ pods: [pod('jm', { phase: 'Pending' })] }), 'waiting');
  });

  it('fails with QuotaExceeded from the ReplicaFailure condition or a FailedCreate event', () => {
    const condition = { type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', message: 'pods "c-taskmanager-x" is forbidden: exceeded quota: flink-fleet-quota' };
    assert.equal(verdictOf({ deployments: [deployment('c-taskmanager', 0, { conditions: [condition] })] }), 'QuotaExceeded');
    const event: CoreV1Event = { metadata: {}, involvedObject: { name: 'c-taskmanager-5d4' }, reason: 'FailedCreate', message: condition.message };
    assert.equal(verdictOf({ events: [event] }), 'QuotaExceeded');
  });

  it('fails with ImagePullFailed once the kubelet backs off pulling, not on the first error', () => {
    const waiting = (reason: string) => pod('jm', { phase: 'Pending', containerStatuses: [{ name: 'jobmanager', image: 'flink:nope', imageID: '', ready: false,
      restartCount: 0, state: { waiting: { reason, message: 'manifest unknown' } } }] });
    assert.equal(verdictOf({ pods: [waiting('ErrImagePull')] }), 'waiting');
    assert.equal(verdictOf({ pods: [waiting('ImagePullBackOff')] }), 'ImagePullFailed');
  });

  it('fails with CrashLooping, naming the last exit', () => {
    const crashing = pod('jm', { phase: 'Running', containerStatuses: [{ name: 'jobmanager', image: 'flink', imageID: '', ready: false, restartCount: 4,
      state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 1, reason: 'Error' } } }] });
    const verdict = diagnose(state({ pods: [crashing] }), NOW, GRACE);
    assert.ok(!verdict.ready && 'failure' in verdict);
    assert.equal(verdict.failure.type, 'CrashLooping');
    assert.match(verdict.failure.reason, /4 restarts, last exit code 1 \(Error\)/);
  });

  describe('a jar connection\'s jar fetcher (the JobManager pod\'s init container)', () => {
    const mismatch = 'spec.job.jar: the artifact area holds a jar of sha256:' + 'cd'.repeat(32) + ' under sha256:' + 'ab'.repeat(32) + '; refused, Flink was not started';
    const fetcherExit = (exitCode: number, message: string | undefined, where: 'state' | 'lastState') => pod('jm', { phase: 'Pending', initContainerStatuses: [{
      name: 'jar-fetcher', image: 'flink', imageID: '', ready: false, restartCount: where === 'state' ? 0 : 1,
      state: where === 'state' ? { terminated: { exitCode, reason: 'Error', message } } : { waiting: { reason: 'PodInitializing' } },
      ...(where === 'lastState' ? { lastState: { terminated: { exitCode, reason: 'Error', message } } } : {}) }] });

    it('fails with JarDigestMismatch at its first exit, with its reason naming both digests, whether it is still down or already restarting', () => {
      for (const where of ['state', 'lastState'] as const) {
        const verdict = diagnose(state({ pods: [fetcherExit(3, `${mismatch}\n`, where)] }), NOW, GRACE);
        assert.deepEqual(verdict, { ready: false, failure: { type: 'JarDigestMismatch', reason: `pod jm: ${mismatch}` } }, where);
      }
    });

    it('fails with InvalidJar when the digest is not in the artifact area, and names the exit code when the message is lost', () => {
      assert.equal(verdictOf({ pods: [fetcherExit(4, 'spec.job.jar: sha256:ab… is not in the tenant\'s artifact area', 'state')] }), 'InvalidJar');
      const verdict = diagnose(state({ pods: [fetcherExit(3, undefined, 'state')] }), NOW, GRACE);
      assert.deepEqual(verdict, { ready: false, failure: { type: 'JarDigestMismatch', reason: 'pod jm: jar-fetcher exit code 3' } });
    });

    it('waits through any other first exit (storage not answering yet), and fails with CrashLooping once it keeps crashing', () => {
      assert.equal(verdictOf({ pods: [fetcherExit(1, 'java.net.ConnectException', 'state')] }), 'waiting');
      const crashing = pod('jm', { phase: 'Pending', initContainerStatuses: [{ name: 'jar-fetcher', image: 'flink', imageID: '', ready: false, restartCount: 3,
        state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 1, reason: 'Error', message: 'java.net.ConnectException' } } }] });
      assert.equal(verdictOf({ pods: [crashing] }), 'CrashLooping');
    });
  });

  it('fails with ContainerConfigError when a Secret the pod reads does not exist', () => {
    const missing = pod('jm', { phase: 'Pending', containerStatuses: [{ name: 'jobmanager', image: 'flink', imageID: '', ready: false, restartCount: 0,
      state: { waiting: { reason: 'CreateContainerConfigError', message: 'secret "kafka" not found' } } }] });
    const verdict = diagnose(state({ pods: [missing] }), NOW, GRACE);
    assert.ok(!verdict.ready && 'failure' in verdict);
    assert.deepEqual(verdict.failure, { type: 'ContainerConfigError', reason: 'pod jm, container jobmanager: secret "kafka" not found' });
  });

  it('fails with Unschedulable only after the grace period', () => {
    const unschedulable = (since: string) => pod('tm', { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable',
      message: '0/4 nodes are available: 4 Insufficient cpu.', lastTransitionTime: new Date(since) }] });
    assert.equal(verdictOf({ pods: [unschedulable('2026-01-01T00:09:30Z')] }), 'waiting');
    assert.equal(verdictOf({ pods: [unschedulable('2026-01-01T00:08:00Z')] }), 'Unschedulable');
  });
});

describe('cluster endpoints', () => {
  it('uses Service DNS inside the cluster and the API server proxy outside it', () => {
    assert.deepEqual(clusterEndpoints({ mode: 'service-dns' }, 'flink-fleet-acme', 'acme--previews', true), {
      restUrl: 'http://acme--previews.flink-fleet-acme.svc.cluster.local:8081',
      gatewayUrl: 'http://acme--previews--gateway.flink-fleet-acme.svc.cluster.local:8083' });
    assert.deepEqual(clusterEndpoints({ mode: 'api-proxy', server: 'https://127.0.0.1:6443/' }, 'flink-fleet-acme', 'acme--orders', false), {
      restUrl: 'https://127.0.0.1:6443/api/v1/namespaces/flink-fleet-acme/services/acme--orders:rest/proxy' });
  });
});
