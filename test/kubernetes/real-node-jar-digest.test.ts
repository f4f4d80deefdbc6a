import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { CoreV1Api } from '@kubernetes/client-node';
import { clusterName, tenantArtifactUri } from '../../activities/names';
import type { KubernetesRuntime } from '../../activities/runtime/kubernetes/kubernetes-runtime';
import { CLUSTER } from '../../activities/runtime/kubernetes/manifests/labels';
import { waitUntil } from '../../activities/runtime/local/wait';
import type { KubernetesWithRealNode } from '../../client/dev/kubernetes-node';
import type { S3Gateway } from '../../client/dev/s3-gateway';
import { toolchain } from '../../scripts/toolchain';
import { pipelineWorkflowId } from '../../workflows/pipeline/spec';
import { fleetTestBed, type FleetTestBed } from '../harness/fleet';
import { temporalTestBed } from '../harness/global';
import { phasesOf } from '../harness/history';
import { realNodeRuntime, startRealNodeFlink } from '../harness/real-node-flink';
import { newStateDir } from '../harness/state';
import { s3 as s3curl } from '../storage/s3-curl';

const SMALL = { jobManager: { cpu: 0.5, memoryMb: 1024 }, taskManager: { cpu: 0.5, memoryMb: 1024 } };
const ENTRY_CLASS = 'org.apache.flink.streaming.examples.windowing.TopSpeedWindowing';

const sha256 = (bytes: Buffer): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

/**
 * A jar connection's jar checked where Flink reads it, on a node that runs containers: the JobManager
 * pod's init container fetches the jar from the tenant's artifact area on S3 with the pod's own
 * credentials, and Flink runs the checked copy; once the bytes under the digest's name are replaced
 * (anyone who can write that prefix could), the same connection is refused before Flink starts.
 */
describe('a jar connection\'s digest, checked in its JobManager\'s pod on the real node', function () {
  this.timeout(900_000);
  let k8s: KubernetesWithRealNode;
  let s3: S3Gateway;
  let bed: FleetTestBed;
  let runtime: KubernetesRuntime;
  const tenant = `jd${Date.now().toString(36)}`;
  const name = 'topspeed';

  before(async () => {
    ({ k8s, s3 } = await startRealNodeFlink());
    bed = fleetTestBed('real-node-jar-digest', () => {
      runtime = realNodeRuntime({ k8s, s3 }, { tenantAccounts: 'versity' });
      return runtime;
    });
  });

  after(async () => {
    await bed?.cleanUp();
    if (runtime) await k8s.assertNoManagedObjectsLeft([runtime.namespaceOf(tenant)], { selector: CLUSTER, graceMs: 120_000 });
    await s3?.stop();
  });

  /** Through S3, as a tenant's put would be: S3A reads only objects that carry an ETag. */
  function putIntoArtifactArea(digest: string, file: string): void {
    const put = s3curl(s3, s3.root, 'PUT', tenantArtifactUri('s3://fleet/state', tenant, digest).replace(/^s3:\//, ''), file);
    assert.equal(put.status, 200, put.body);
  }

  it('runs a connection whose jar is its digest\'s from the checked copy, then refuses it once the jar\'s bytes were replaced: JarDigestMismatch naming both digests, nothing left', async () => {
    const jar = readFileSync(toolchain().flinkExamplesJar);
    const digest = sha256(jar);
    putIntoArtifactArea(digest, toolchain().flinkExamplesJar);
    const core = k8s.kubeConfig.makeApiClient(CoreV1Api);
    const namespace = runtime.namespaceOf(tenant);
    const spec = { tenant, name, ...SMALL, job: { kind: 'jar' as const, jar: digest, entryClass: ENTRY_CLASS } };

    const { fetcher, stopped } = await bed.withWorker(async () => {
      await bed.client.startPipeline(spec);
      let ended: string | undefined;
      await waitUntil('the connection to run', async () => {
        const now = await bed.client.getPipeline(tenant, name);
        if (now.phase === 'Failed' || now.phase === 'Stopped') ended = `it ended ${now.phase}: ${now.failure ?? ''}`;
        return now.phase === 'Running' ? now : undefined;
      }, { timeoutMs: 600_000, intervalMs: 1_000, hopeless: () => ended });
      const [jobManager] = (await core.listNamespacedPod({ namespace, labelSelector: `${CLUSTER}=${clusterName(tenant, name)},flink-fleet/component=jobmanager` })).items;
      return { fetcher: jobManager?.status?.initContainerStatuses, stopped: await bed.client.stopPipeline(tenant, name, { savepoint: false, drain: false, wait: true }) };
    });
    assert.deepEqual(fetcher?.map((status) => [status.name, status.state?.terminated?.exitCode]), [['jar-fetcher', 0]], 'the JobManager started after the fetcher checked the jar');
    assert.equal(stopped?.finalState, 'Stopped');

    // Other bytes under the same name: the examples jar with one more byte, still a jar to anyone who does not hash it.
    const swapped = join(newStateDir('swapped-jar'), 'swapped.jar');
    writeFileSync(swapped, Buffer.concat([jar, Buffer.from('\n')]));
    const found = sha256(readFileSync(swapped));
    putIntoArtifactArea(digest, swapped);

    const failure = await bed.withWorker(async () => {
      await bed.client.startPipeline(spec);
      return bed.client.waitForPipeline(tenant, name).then(() => assert.fail('the swapped jar ran'), (error: unknown) => error);
    });
    assert.ok(failure instanceof WorkflowFailedError && failure.cause instanceof ApplicationFailure, String(failure));
    assert.equal(failure.cause.type, 'JarDigestMismatch');
    assert.equal(failure.cause.nonRetryable, true);
    const source = tenantArtifactUri('s3://fleet/state', tenant, digest);
    assert.match(failure.cause.message, new RegExp(`^pod \\S+: spec\\.job\\.jar: the artifact area holds a jar of ${found} under ${digest} \\(${source.replace(/\./g, '\\.')}\\); refused, Flink was not started$`));
    assert.deepEqual(await phasesOf(temporalTestBed().env.client.workflow.getHandle(pipelineWorkflowId(tenant, name))),
      ['Validating', 'EnsuringTenant', 'Deploying', 'CleaningUp', 'Failed']);
    assert.deepEqual(await runtime.listClusters(), []);
    await k8s.assertNoManagedObjectsLeft([namespace], { selector: CLUSTER, graceMs: 60_000 });
  });
});
