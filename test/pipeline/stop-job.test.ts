import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { FlinkRestClient } from '../../activities/flink/rest-client';
import { createPipelineActivities } from '../../activities/pipeline/activities';
import { waitUntil } from '../../activities/runtime/local/wait';
import { toolchain } from '../../scripts/toolchain';
import { localTestRuntime } from '../harness/fleet';
import { TEST_RESOURCES } from '../harness/flink';
import { newStateDir } from '../harness/state';
import { tenantJar } from './fixtures';

describe('stopJob on a job that has already ended (local runtime, real Flink)', () => {
  const runtime = localTestRuntime(newStateDir('stop-job'));
  const ref = { tenant: 'acme', name: 'ended' };
  const jobId = randomUUID().replace(/-/g, '');
  before(async () => {
    const { restUrl } = await runtime.deployApplicationCluster({
      ...ref, jobId, parallelism: 1, slotsPerTaskManager: 1, jobManager: TEST_RESOURCES, taskManager: TEST_RESOURCES,
      job: { kind: 'jar', digest: await tenantJar(runtime, ref.tenant, toolchain().flinkExamplesJar), entryClass: 'org.apache.flink.streaming.examples.wordcount.WordCount', args: [] },
    });
    await waitUntil('WordCount to finish', async () => ((await new FlinkRestClient(restUrl).job(jobId)).state === 'FINISHED' ? true : undefined), { timeoutMs: 120_000, intervalMs: 500 });
  });
  after(async () => {
    await runtime.deleteCluster(ref);
  });

  it('fails for good, naming the state, when a savepoint was asked for and the job ended without one', async () => {
    const { stopJob } = createPipelineActivities(runtime);
    await assert.rejects(new MockActivityEnvironment().run(stopJob, { ...ref, jobId, savepoint: true, drain: false }), (error: unknown) => {
      assert.ok(error instanceof ApplicationFailure);
      assert.equal(error.type, 'SavepointFailed');
      assert.equal(error.nonRetryable, true);
      assert.match(error.message, /the job ended FINISHED without the savepoint the stop asked for/);
      return true;
    });
  });

  it('succeeds without a savepoint when none was asked for', async () => {
    const { stopJob } = createPipelineActivities(runtime);
    assert.deepEqual(await new MockActivityEnvironment().run(stopJob, { ...ref, jobId, savepoint: false, drain: false }), {});
  });
});
