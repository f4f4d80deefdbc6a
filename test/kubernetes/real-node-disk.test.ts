import assert from 'node:assert/strict';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { CoreV1Api } from '@kubernetes/client-node';
import { clusterName } from '../../activities/names';
import type { KubernetesRuntime } from '../../activities/runtime/kubernetes/kubernetes-runtime';
import { CLUSTER } from '../../activities/runtime/kubernetes/manifests/labels';
import { waitUntil } from '../../activities/runtime/local/wait';
import type { KubernetesWithRealNode } from '../../client/dev/kubernetes-node';
import type { S3Gateway } from '../../client/dev/s3-gateway';
import { pipelineWorkflowId } from '../../workflows/pipeline/spec';
import { fleetTestBed, type FleetTestBed } from '../harness/fleet';
import { temporalTestBed } from '../harness/global';
import { phasesOf } from '../harness/history';
import { realNodeRuntime, startRealNodeFlink } from '../harness/real-node-flink';
import { sqlPipeline } from '../pipeline/fixtures';

/**
 * Keyed state that only grows: every row a new key of 2 000 random hex characters, counted. RocksDB
 * keeps it in the TaskManager's working directory (under /tmp, the container's writable layer, on
 * the node's disk and counted against the pod's ephemeral storage), and uploads each checkpoint's new
 * files to S3 through S3A's disk buffers beside it.
 */
const EVER_NEW_KEYS = [
  "CREATE TABLE events (s STRING) WITH ('connector' = 'datagen', 'rows-per-second' = '5000', 'fields.s.length' = '2000');",
  "CREATE TABLE counts (s STRING, n BIGINT) WITH ('connector' = 'blackhole');",
  'INSERT INTO counts SELECT s, COUNT(*) FROM events GROUP BY s;',
].join('\n');

const LARGE_STATE = { 'state.backend.type': 'rocksdb', 'execution.checkpointing.incremental': 'true', 'execution.state-recovery.from-local': 'true' };

describe('large state on the real node: a job that outgrows its disk', function () {
  this.timeout(600_000);
  let k8s: KubernetesWithRealNode;
  let s3: S3Gateway;
  let bed: FleetTestBed;
  let runtime: KubernetesRuntime;
  const tenant = `dk${Date.now().toString(36)}`;

  before(async () => {
    ({ k8s, s3 } = await startRealNodeFlink());
    bed = fleetTestBed('real-node-disk', () => {
      runtime = realNodeRuntime({ k8s, s3 });
      return runtime;
    });
  });

  after(async () => {
    await bed?.cleanUp();
    await s3?.stop();
  });

  it('ends with DiskExceeded naming the limit when the kubelet evicts its TaskManager, with no restart, and leaves no object', async () => {
    const name = 'hoarder';
    const namespace = runtime.namespaceOf(tenant);
    const spec = sqlPipeline(tenant, name, {
      job: { kind: 'sql', script: EVER_NEW_KEYS },
      flinkOptions: { ...LARGE_STATE, 'execution.checkpointing.interval': '5 s' },
      jobManager: { cpu: 0.5, memoryMb: 1024 },
      taskManager: { cpu: 1, memoryMb: 1024, ephemeralStorageMb: 512 },
    });
    const { status, failure } = await bed.withWorker(async () => {
      await bed.client.startPipeline(spec);
      // Pods start in about a minute on a loaded node; the state then fills 512 MB in about another.
      const ended = await waitUntil('the pipeline to end', async () => {
        const now = await bed.client.getPipeline(tenant, name);
        return ['Failed', 'Stopped'].includes(now.phase) ? now : undefined;
      }, { timeoutMs: 420_000, intervalMs: 1_000 });
      return { status: ended, failure: await bed.client.waitForPipeline(tenant, name).then(() => assert.fail('the pipeline ended well'), (error: unknown) => error) };
    });

    assert.ok(failure instanceof WorkflowFailedError && failure.cause instanceof ApplicationFailure, String(failure));
    assert.equal(failure.cause.type, 'DiskExceeded');
    assert.equal(failure.cause.nonRetryable, true);
    assert.match(failure.cause.message, new RegExp(`^pipeline ${tenant}/${name} outgrew its local disk: taskmanager pod \\S+ was evicted: .*(ephemeral local|local ephemeral) storage .*"?512Mi"?\\.$`));
    // Straight from Running to its cleanup: Flink's restart onto the Deployment's new pod was not waited for, nor redeployed.
    assert.deepEqual(await phasesOf(temporalTestBed().env.client.workflow.getHandle(pipelineWorkflowId(tenant, name))), [
      'Validating', 'EnsuringTenant', 'Deploying', 'Starting', 'Running', 'CleaningUp', 'Failed',
    ]);
    assert.deepEqual([status.phase, status.restarts], ['Failed', 0]);
    assert.deepEqual(await runtime.listClusters(), []);
    const core = k8s.kubeConfig.makeApiClient(CoreV1Api);
    await waitUntil('the evicted pods gone', async () => {
      const pods = (await core.listNamespacedPod({ namespace, labelSelector: `${CLUSTER}=${clusterName(tenant, name)}` })).items;
      return pods.length === 0 ? true : undefined;
    }, { timeoutMs: 120_000, intervalMs: 1_000 });
    await k8s.assertNoManagedObjectsLeft([namespace], { selector: CLUSTER, graceMs: 60_000 });
  });
});
