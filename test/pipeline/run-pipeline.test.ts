import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { tenantArtifactUri } from '../../activities/names';
import { tenantStoragePrefixOf } from '../../activities/pipeline/tenant-storage';
import { waitUntil } from '../../activities/runtime/local/wait';
import { FleetError } from '../../client/errors';
import type { Phase } from '../../workflows/pipeline/phases';
import { pipelineWorkflowId } from '../../workflows/pipeline/spec';
import { fleetTestBed, type FleetTestBed } from '../harness/fleet';
import { roleLogs } from '../harness/flink-logs';
import { temporalTestBed } from '../harness/global';
import { phasesOf } from '../harness/history';
import { toolchain } from '../../scripts/toolchain';
import { DATAGEN_TO_BLACKHOLE, sqlPipeline, storageRootOf, tenantJar, wordCountConnection } from './fixtures';

async function phaseReached(bed: FleetTestBed, tenant: string, name: string, phase: Phase): Promise<void> {
  await waitUntil(`pipeline ${tenant}/${name} to reach ${phase}`, async () => {
    const { phase: now } = await bed.client.getPipeline(tenant, name);
    return now === phase ? true : undefined;
  }, { timeoutMs: 120_000, intervalMs: 250 });
}

function pipelineHandle(tenant: string, name: string): WorkflowHandle {
  return temporalTestBed().env.client.workflow.getHandle(pipelineWorkflowId(tenant, name));
}

function failureType(error: unknown): string | undefined {
  return error instanceof WorkflowFailedError && error.cause instanceof ApplicationFailure ? error.cause.type ?? undefined : undefined;
}

describe('runPipeline on the local runtime', () => {
  let bed: FleetTestBed;
  beforeEach(() => {
    bed = fleetTestBed('pipeline');
  });
  afterEach(async () => {
    await bed.cleanUp();
  });

  it('runs a SQL pipeline through every phase, stops it with a savepoint that exists, and deletes its cluster', async () => {
    const result = await bed.withWorker(async () => {
      await bed.client.startPipeline(sqlPipeline('acme', 'orders'));
      await phaseReached(bed, 'acme', 'orders', 'Running');
      assert.equal((await bed.runtime.observe({ tenant: 'acme', name: 'orders' })).health, 'running');
      // The start is polled until the job runs: asking for the job before the JobManager has it is an error there, logged each time.
      const notFound = roleLogs(bed.stateDir, 'acme', 'orders', 'jobmanager').text.match(/.*Job [0-9a-f]{32} not found.*/g) ?? [];
      assert.equal(notFound.length, 0, `the JobManager logged ${notFound.length} requests for a job it did not have, the first: ${notFound[0]}`);
      const stopped = await bed.client.stopPipeline('acme', 'orders', { savepoint: true, drain: false, wait: true });
      // A query of a closed workflow is answered by a worker replaying it, so ask while one runs.
      assert.equal((await bed.client.getPipeline('acme', 'orders')).phase, 'Stopped');
      return stopped;
    });
    assert.ok(result, 'stop --wait returns the result');
    assert.equal(result.finalState, 'Stopped');
    const savepointPath = result.savepointPath ?? '';
    assert.match(savepointPath, /\/savepoints\/savepoint-[0-9a-f]{6}-[0-9a-f]{12}$/);
    assert.ok(existsSync(new URL(savepointPath.replace(/^file:(?!\/\/)/, 'file://')).pathname), `${savepointPath} exists`);
    assert.deepEqual(await phasesOf(pipelineHandle('acme', 'orders')), [
      'Validating', 'EnsuringTenant', 'Deploying', 'Starting', 'Running', 'Savepointing', 'Stopping', 'CleaningUp', 'Stopped',
    ]);
    assert.deepEqual(await bed.runtime.listClusters(), []);
  });

  it('finishes a bounded connection (WordCount) on its own and cleans up', async () => {
    const result = await bed.withWorker(async () => {
      await bed.client.startPipeline(await wordCountConnection(bed.runtime, 'acme', 'wordcount'));
      return bed.client.waitForPipeline('acme', 'wordcount');
    });
    assert.equal(result.finalState, 'Finished');
    assert.equal(result.savepointPath, undefined);
    assert.deepEqual(await bed.runtime.listClusters(), []);
  });

  it('is found by a visibility query on its tenant and phase', async () => {
    await bed.withWorker(async () => {
      await bed.client.startPipeline(sqlPipeline('visible', 'listed'));
      await phaseReached(bed, 'visible', 'listed', 'Running');
      await waitUntil('the pipeline to be listed as Running', async () => {
        const listed = await bed.client.listPipelines({ tenant: 'visible', state: 'Running' });
        return listed.length === 1 ? listed : undefined;
      }, { timeoutMs: 30_000, intervalMs: 500 });
      const [summary] = await bed.client.listPipelines({ tenant: 'visible', state: 'Running' });
      assert.deepEqual(summary, { workflowId: 'pipeline/visible/listed', tenant: 'visible', kind: 'pipeline', state: 'Running', execution: 'RUNNING' });
      await bed.client.stopPipeline('visible', 'listed', { savepoint: false, drain: false, wait: true });
    });
  });

  it('refuses a second start of a running pipeline without creating a second cluster', async () => {
    await bed.withWorker(async () => {
      await bed.client.startPipeline(sqlPipeline('acme', 'twice'));
      await assert.rejects(bed.client.startPipeline(sqlPipeline('acme', 'twice')), (error: unknown) => {
        assert.ok(error instanceof FleetError);
        assert.equal(error.type, 'AlreadyRunning');
        assert.match(error.message, /acme\/twice/);
        return true;
      });
      await phaseReached(bed, 'acme', 'twice', 'Running');
      assert.equal((await bed.runtime.listClusters()).length, 1);
      await bed.client.stopPipeline('acme', 'twice', { savepoint: false, drain: false, wait: true });
    });
  });

  it('rejects an invalid spec at the client, naming the field and the rule, and starts nothing', async () => {
    await assert.rejects(bed.client.startPipeline({ ...sqlPipeline('Acme', 'x'), parallelism: 0 }), (error: unknown) => {
      assert.ok(error instanceof FleetError);
      assert.equal(error.type, 'InvalidSpec');
      assert.match(error.message, /spec\.tenant: must be a DNS-1123 label/);
      assert.match(error.message, /spec\.parallelism: must be at least 1/);
      return true;
    });
    await assert.rejects(bed.client.getPipeline('Acme', 'x'), (error: unknown) => error instanceof FleetError && error.type === 'NotFound');
  });

  it('fails at once, without retrying or creating anything, when started with an invalid spec directly', async () => {
    const { env } = temporalTestBed();
    const error = await bed.withWorker(() => env.client.workflow.execute('runPipeline', {
      taskQueue: bed.taskQueue, workflowId: `pipeline/acme/bad-${Date.now()}`,
      args: [{ spec: { ...sqlPipeline('acme', 'bad'), flinkOptions: { 'rest.port': '1' } } }],
    }).then(() => undefined, (e: unknown) => e));
    assert.equal(failureType(error), 'InvalidSpec');
    assert.match(String((error as WorkflowFailedError).cause?.message), /spec\.flinkOptions\["rest\.port"\]: is not an option a pipeline may set/);
    assert.deepEqual(await bed.runtime.listClusters(), []);
  });

  it('fails with InvalidSql naming the problem for a script Flink cannot parse', async () => {
    const error = await bed.withWorker(async () => {
      await bed.client.startPipeline(sqlPipeline('acme', 'unparsable', { job: { kind: 'sql', script: 'SELEC 1 FORM nothing;' } }));
      return bed.client.waitForPipeline('acme', 'unparsable').then(() => undefined, (e: unknown) => e);
    });
    assert.equal(failureType(error), 'InvalidSql');
    assert.match(String((error as WorkflowFailedError).cause?.message), /SQL parse failed/);
    assert.deepEqual(await bed.runtime.listClusters(), []);
  });

  it('fails with FlinkJobFailed and Flink\'s root cause for a job that fails once running, with no restarts left', async () => {
    // A path inside the pipeline's own storage (the only place its SQL may write), made unwritable:
    // a plain file stands where the sink needs a directory.
    const storage = new URL(bed.runtime.storageUri({ tenant: 'acme', name: 'doomed' })).pathname;
    mkdirSync(storage, { recursive: true });
    writeFileSync(join(storage, 'blocked'), 'not a directory');
    const script = [
      "CREATE TABLE numbers (n BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '10');",
      `CREATE TABLE out_files (n BIGINT) WITH ('connector' = 'filesystem', 'path' = 'file://${join(storage, 'blocked', 'out')}', 'format' = 'csv');`,
      'INSERT INTO out_files SELECT n FROM numbers;',
    ].join('\n');
    const error = await bed.withWorker(async () => {
      await bed.client.startPipeline(sqlPipeline('acme', 'doomed', { job: { kind: 'sql', script }, restartBudget: { maxRestarts: 0, windowMinutes: 10 } }));
      return bed.client.waitForPipeline('acme', 'doomed').then(() => undefined, (e: unknown) => e);
    });
    assert.equal(failureType(error), 'FlinkJobFailed');
    // Flink's root cause, whether the job failed while starting or once running.
    assert.ok(String((error as WorkflowFailedError).cause?.message).endsWith(`: IOException: Failed to create the parent directory: ${join(storage, 'blocked', 'out')}`),
      String((error as WorkflowFailedError).cause?.message));
    assert.deepEqual(await bed.runtime.listClusters(), []);
  });

  for (const [what, statement, refused] of [
    ["reads the machine's files", "CREATE TABLE secrets (line STRING) WITH ('connector' = 'filesystem', 'path' = '/etc/passwd', 'format' = 'raw');",
      /statement 1 \(line 1: CREATE TABLE secrets .*\) is not allowed: table default_catalog\.default_database\.secrets uses filesystem path '\/etc\/passwd' outside the pipeline's own storage file:\/\//],
    ['adds a jar', "ADD JAR '/tmp/evil.jar';", /statement 1 \(line 1: ADD JAR '\/tmp\/evil\.jar';\) is not allowed: jars bring code from outside the fleet/],
    ["sets the fleet's options", "SET 'execution.checkpointing.dir' = 'file:///etc';", /statement 1 .* is not allowed: option 'execution\.checkpointing\.dir' is the fleet's/],
  ] as const) {
    it(`fails with InvalidSql before anything exists when its SQL ${what}`, async () => {
      const seen: Phase[] = [];
      const error = await bed.withWorker(async () => {
        await bed.client.startPipeline(sqlPipeline('acme', 'hostile', { job: { kind: 'sql', script: `${statement}\n${DATAGEN_TO_BLACKHOLE}` } }));
        const failed = await bed.client.waitForPipeline('acme', 'hostile').then(() => undefined, (e: unknown) => e);
        seen.push((await bed.client.getPipeline('acme', 'hostile')).phase);
        return failed;
      });
      assert.equal(failureType(error), 'InvalidSql');
      assert.equal((error as WorkflowFailedError).cause instanceof ApplicationFailure && ((error as WorkflowFailedError).cause as ApplicationFailure).nonRetryable, true);
      assert.match(String((error as WorkflowFailedError).cause?.message), refused);
      assert.deepEqual(seen, ['Failed']);
      assert.deepEqual(await bed.runtime.listClusters(), []);
    });
  }

  it('fails with InvalidSql and Flink\'s message when Flink rejects the script, after cleaning up', async () => {
    const spec = sqlPipeline('acme', 'badsql', { job: { kind: 'sql', script: "CREATE TABLE s (n INT) WITH ('connector' = 'nope');\nCREATE TABLE k (n INT) WITH ('connector' = 'blackhole');\nINSERT INTO k SELECT n FROM s;" } });
    const error = await bed.withWorker(async () => {
      await bed.client.startPipeline(spec);
      const failed = await bed.client.waitForPipeline('acme', 'badsql').then(() => undefined, (e: unknown) => e);
      assert.equal((await bed.client.getPipeline('acme', 'badsql')).phase, 'Failed');
      return failed;
    });
    assert.equal(failureType(error), 'InvalidSql');
    assert.match(String((error as WorkflowFailedError).cause?.message), /connector/);
    assert.deepEqual(await bed.runtime.listClusters(), []);
  });
});

/** The attempts at which `activity` failed for good: [1] for one that was never retried. */
async function failedAttempts(handle: WorkflowHandle, activity: string): Promise<number[]> {
  const { events } = await handle.fetchHistory();
  const byId = new Map((events ?? []).map((event) => [String(event.eventId), event]));
  return (events ?? []).flatMap((event) => {
    const failed = event.activityTaskFailedEventAttributes;
    if (!failed || byId.get(String(failed.scheduledEventId))?.activityTaskScheduledEventAttributes?.activityType?.name !== activity) return [];
    return [byId.get(String(failed.startedEventId))?.activityTaskStartedEventAttributes?.attempt ?? 0];
  });
}

describe('runPipeline with a jar Flink cannot run', () => {
  let bed: FleetTestBed;
  beforeEach(() => {
    bed = fleetTestBed('badjar');
  });
  afterEach(async () => {
    await bed.cleanUp();
  });

  const NEVER_PUT = `sha256:${createHash('sha256').update('a jar nobody put').digest('hex')}`;
  for (const [what, job, message] of [
    ['a digest not in the tenant\'s artifact area', async () => ({ jar: NEVER_PUT, entryClass: 'org.example.Job' }),
      new RegExp(`spec\\.job\\.jar: ${NEVER_PUT} is not in tenant acme's artifact area`)],
    ['a jar put into another tenant\'s artifact area only', async (b: FleetTestBed) => ({ jar: await tenantJar(b.runtime, 'other', toolchain().flinkExamplesJar), entryClass: 'org.example.Job' }),
      /is not in tenant acme's artifact area/],
    ['a class the jar lacks', async (b: FleetTestBed) => ({ jar: await tenantJar(b.runtime, 'acme', toolchain().flinkExamplesJar), entryClass: 'org.example.Missing' }),
      /entry point class 'org\.example\.Missing' was not found/],
  ] as const) {
    it(`fails with InvalidJar for ${what}, and leaves no process or folder behind`, async () => {
      const spec = { tenant: 'acme', name: 'badjar', job: { kind: 'jar' as const, args: [], ...(await job(bed)) } };
      const error = await bed.withWorker(async () => {
        await bed.client.startPipeline(spec);
        return bed.client.waitForPipeline('acme', 'badjar').then(() => undefined, (e: unknown) => e);
      });
      assert.equal(failureType(error), 'InvalidJar');
      assert.match(String((error as WorkflowFailedError).cause?.message), message);
      assert.deepEqual(await bed.runtime.listClusters(), []);
      assert.deepEqual(readdirSync(join(bed.stateDir, 'clusters')), []);
    });
  }

  it('refuses a jar whose bytes are not the ones its digest names (JarDigestMismatch): never retried, no JobManager, nothing left', async () => {
    const digest = await tenantJar(bed.runtime, 'acme', toolchain().flinkExamplesJar);
    // The tenant's own jobs may write its storage: what lies under the digest's name now is other bytes.
    const stored = fileURLToPath(tenantArtifactUri(storageRootOf(bed.runtime), 'acme', digest));
    writeFileSync(stored, 'not the jar that was put');
    const found = `sha256:${createHash('sha256').update('not the jar that was put').digest('hex')}`;
    const error = await bed.withWorker(async () => {
      await bed.client.startPipeline({ tenant: 'acme', name: 'swapped', job: { kind: 'jar', jar: digest, entryClass: 'org.apache.flink.streaming.examples.wordcount.WordCount' } });
      return bed.client.waitForPipeline('acme', 'swapped').then(() => undefined, (e: unknown) => e);
    });
    assert.equal(failureType(error), 'JarDigestMismatch');
    assert.equal(String((error as WorkflowFailedError).cause?.message),
      `spec.job.jar: the artifact area holds a jar of ${found} under ${digest}; refused, Flink was not started`);
    const handle = pipelineHandle('acme', 'swapped');
    assert.deepEqual(await failedAttempts(handle, 'deployPipelineCluster'), [1]);
    assert.deepEqual(await phasesOf(handle), ['Validating', 'EnsuringTenant', 'Deploying', 'CleaningUp', 'Failed']);
    assert.deepEqual(await bed.runtime.listClusters(), []);
    assert.deepEqual(readdirSync(join(bed.stateDir, 'clusters')), []);
  });
});

describe('runPipeline given another tenant\'s storage', () => {
  let bed: FleetTestBed;
  beforeEach(() => {
    bed = fleetTestBed('tenant-storage');
  });
  afterEach(async () => {
    await bed.cleanUp();
  });

  for (const [what, spec, field] of [
    ['restoreFrom naming another tenant\'s savepoint', (b: FleetTestBed) => sqlPipeline('acme', 'thief', {
      restoreFrom: `${b.runtime.storageUri({ tenant: 'other', name: 'orders' })}/savepoints/savepoint-0a1b2c-0123456789ab` }), 'spec.restoreFrom'],
    ['restoreFrom climbing out of its own storage', (b: FleetTestBed) => sqlPipeline('acme', 'thief', {
      restoreFrom: `${tenantStoragePrefixOf(b.runtime, 'acme')}../other/other--orders/savepoints/savepoint-0a1b2c-0123456789ab` }), 'spec.restoreFrom'],
  ] as const) {
    it(`fails with InvalidSpec naming ${field} for ${what}, before it starts anything`, async () => {
      const error = await bed.withWorker(async () => {
        await bed.client.startPipeline(spec(bed));
        return bed.client.waitForPipeline('acme', 'thief').then(() => undefined, (e: unknown) => e);
      });
      assert.equal(failureType(error), 'InvalidSpec');
      assert.match(String((error as WorkflowFailedError).cause?.message), new RegExp(`${field.replaceAll('.', '\\.')}: .*inside the tenant's own storage`));
      assert.deepEqual(await bed.runtime.listClusters(), []);
      assert.equal(existsSync(join(bed.stateDir, 'clusters')) ? readdirSync(join(bed.stateDir, 'clusters')).length : 0, 0);
    });
  }
});
