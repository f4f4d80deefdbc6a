import assert from 'node:assert/strict';
import { FlinkRestClient } from '../../activities/flink/rest-client';
import { waitUntil } from '../../activities/runtime/local/wait';
import { toolchain } from '../../scripts/toolchain';
import type { PipelineSpecInput } from '../../workflows/pipeline/spec';
import { fleetTestBed, type FleetTestBed } from '../harness/fleet';
import { tenantJar } from './fixtures';

/** Flink's own unbounded, stateful example job: windows over generated car speeds (its StateMachineExample fails a stop-with-savepoint in its print sink). */
async function topSpeedConnection(bed: FleetTestBed, restoreFrom?: string): Promise<PipelineSpecInput> {
  return {
    tenant: 'acme', name: 'topspeed',
    job: { kind: 'jar', jar: await tenantJar(bed.runtime, 'acme', toolchain().flinkExamplesJar), entryClass: 'org.apache.flink.streaming.examples.windowing.TopSpeedWindowing', args: [] },
    flinkOptions: { 'execution.checkpointing.interval': '1 s' },
    ...(restoreFrom ? { restoreFrom } : {}),
  };
}

async function running(bed: FleetTestBed): Promise<{ rest: FlinkRestClient; jobId: string }> {
  const status = await waitUntil('the connection to run', async () => {
    const now = await bed.client.getPipeline('acme', 'topspeed');
    if (now.phase === 'Failed') throw new Error(`the connection failed: ${now.failure}`);
    return now.phase === 'Running' ? now : undefined;
  }, { timeoutMs: 180_000, intervalMs: 500 });
  const { endpoints } = await bed.runtime.observe({ tenant: 'acme', name: 'topspeed' });
  assert.ok(endpoints && status.jobId);
  return { rest: new FlinkRestClient(endpoints.restUrl), jobId: status.jobId };
}

describe('a long-running jar connection, its whole life (local runtime, real Flink)', () => {
  let bed: FleetTestBed;
  beforeEach(() => {
    bed = fleetTestBed('connection');
  });
  afterEach(async () => {
    await bed.cleanUp();
  });

  it('checkpoints, stops with a savepoint, and starts again from that savepoint with its state', async function () {
    this.timeout(600_000);
    await bed.withWorker(async () => {
      await bed.client.startPipeline(await topSpeedConnection(bed));
      const first = await running(bed);
      assert.equal((await bed.client.getPipeline('acme', 'topspeed')).kind, 'connection');
      await waitUntil('a completed checkpoint', async () => ((await first.rest.checkpoints(first.jobId)).latestCheckpoint ? true : undefined), { timeoutMs: 60_000, intervalMs: 500 });
      const stopped = await bed.client.stopPipeline('acme', 'topspeed', { savepoint: true, drain: false, wait: true });
      assert.equal(stopped?.finalState, 'Stopped');
      const savepoint = stopped?.savepointPath;
      assert.ok(savepoint, 'a savepoint path');
      assert.deepEqual(await bed.runtime.listClusters(), []);

      await bed.client.startPipeline(await topSpeedConnection(bed, savepoint));
      const second = await running(bed);
      assert.notEqual(second.jobId, first.jobId);
      const { restored } = await second.rest.checkpoints(second.jobId);
      assert.equal(restored?.isSavepoint, true);
      assert.equal(restored?.externalPath, savepoint);
      const ended = await bed.client.stopPipeline('acme', 'topspeed', { savepoint: false, drain: false, wait: true });
      assert.equal(ended?.finalState, 'Stopped');
    });
    assert.deepEqual(await bed.runtime.listClusters(), []);
  });
});
