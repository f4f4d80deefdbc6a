import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { waitUntil } from '../../activities/runtime/local/wait';
import type { PipelineSummary } from '../../client/fleet-client';
import type { Phase } from '../../workflows/pipeline/phases';
import { pipelineWorkflowId } from '../../workflows/pipeline/spec';
import { fleetTestBed, localTestRuntime, type FleetTestBed } from '../harness/fleet';
import { phasesOf } from '../harness/history';
import { productionTemporal, type ProductionTemporal } from '../harness/production-temporal';
import { sqlPipeline } from '../pipeline/fixtures';
import { NUMBERS, poolFixture } from '../preview/pool-fixture';

async function phaseReached(bed: FleetTestBed, tenant: string, name: string, phase: Phase): Promise<void> {
  await waitUntil(`pipeline ${tenant}/${name} to reach ${phase}`, async () => {
    const { phase: now } = await bed.client.getPipeline(tenant, name);
    return now === phase ? true : undefined;
  }, { timeoutMs: 150_000, intervalMs: 500 });
}

/** Visibility is written after the history, so a listing is awaited until it holds `count` rows. */
async function listedWhen(bed: FleetTestBed, filter: { tenant?: string; state?: string }, count: number): Promise<PipelineSummary[]> {
  return waitUntil(`${count} pipelines listed for ${JSON.stringify(filter)}`, async () => {
    const listed = await bed.client.listPipelines(filter);
    return listed.length === count ? listed : undefined;
  }, { timeoutMs: 60_000, intervalMs: 500 });
}

describe('the fleet on a production Temporal server (temporal-server on PostgreSQL)', function () {
  let temporal: ProductionTemporal;
  let bed: FleetTestBed;
  before(async function () {
    // Built schemas, four services and a namespace: tens of seconds on a loaded machine.
    this.timeout(300_000);
    temporal = await productionTemporal();
  });
  beforeEach(() => {
    bed = fleetTestBed('production-temporal', localTestRuntime, temporal);
  });
  afterEach(async () => {
    await bed.cleanUp();
  });

  it('runs a pipeline\'s whole life: Running and listed as such, stopped with a savepoint that exists, nothing left', async () => {
    const result = await bed.withWorker(async () => {
      await bed.client.startPipeline(sqlPipeline('acme', 'orders'));
      await phaseReached(bed, 'acme', 'orders', 'Running');
      const [running] = await listedWhen(bed, { tenant: 'acme', state: 'Running' }, 1);
      assert.deepEqual(running, { workflowId: 'pipeline/acme/orders', tenant: 'acme', kind: 'pipeline', state: 'Running', execution: 'RUNNING' });
      return bed.client.stopPipeline('acme', 'orders', { savepoint: true, drain: false, wait: true });
    });
    assert.equal(result?.finalState, 'Stopped');
    const savepointPath = result?.savepointPath ?? '';
    assert.match(savepointPath, /\/acme\/acme--orders\/savepoints\/savepoint-[0-9a-f]{6}-[0-9a-f]{12}$/);
    assert.ok(existsSync(new URL(savepointPath.replace(/^file:(?!\/\/)/, 'file://')).pathname), `${savepointPath} exists`);
    assert.deepEqual(await phasesOf(temporal.client.workflow.getHandle(pipelineWorkflowId('acme', 'orders'))), [
      'Validating', 'EnsuringTenant', 'Deploying', 'Starting', 'Running', 'Savepointing', 'Stopping', 'CleaningUp', 'Stopped',
    ]);
    assert.deepEqual(await bed.runtime.listClusters(), []);
  });

  it('finds a tenant\'s pipelines by FleetTenant in PostgreSQL visibility, and no other tenant\'s', async () => {
    // Refused SQL ends a pipeline in Validating, before any cluster: a cheap run of the workflow per tenant.
    const refused = { job: { kind: 'sql' as const, script: 'SELEC 1 FORM nothing;' } };
    await bed.withWorker(async () => {
      for (const [tenant, name] of [['initech', 'a'], ['initech', 'b'], ['globex', 'a']] as const) {
        await bed.client.startPipeline(sqlPipeline(tenant, name, refused));
        await bed.client.waitForPipeline(tenant, name).catch(() => undefined);
      }
    });
    const initech = await listedWhen(bed, { tenant: 'initech', state: 'Failed' }, 2);
    assert.deepEqual(initech.map((p) => p.workflowId).sort(), ['pipeline/initech/a', 'pipeline/initech/b']);
    assert.deepEqual(initech.map((p) => [p.tenant, p.state, p.execution]), [['initech', 'Failed', 'FAILED'], ['initech', 'Failed', 'FAILED']]);
    const globex = await listedWhen(bed, { tenant: 'globex' }, 1);
    assert.deepEqual(globex.map((p) => p.workflowId), ['pipeline/globex/a']);
    assert.deepEqual(await bed.runtime.listClusters(), []);
  });

  it('streams a preview\'s rows from a warm pool\'s TaskManager, which is then replaced', async () => {
    const pool = 'production-temporal-pool';
    const fixture = poolFixture(bed, pool);
    const result = await bed.withWorker(async () => {
      await bed.client.startPool({ sessionCluster: pool, target: 1, reconcileSeconds: 3 });
      try {
        await fixture.settled(1, 150_000);
        const stream = await bed.client.preview('acme', `${NUMBERS};\nSELECT n FROM numbers`, { pool, maxRows: 10 });
        const streamed: number[] = [];
        for await (const row of stream) streamed.push(row.fields[0] as number);
        const previewed = await stream.result();
        assert.deepEqual(streamed, Array.from({ length: 10 }, (_, i) => i + 1));
        await fixture.settled(1, 90_000);
        return previewed;
      } finally {
        await bed.client.stopPool(pool);
      }
    });
    assert.equal(result.stoppedBecause, 'row-limit', result.error);
    assert.equal(result.taskManagerIds.length, 1);
    assert.deepEqual(await bed.runtime.listClusters(), []);
  });
});
