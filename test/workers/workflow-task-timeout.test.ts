import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import { poolWorkflowId } from '../../workflows/pool/api';
import { fleetTestBed, type FleetTestBed } from '../harness/fleet';
import { workflowTaskTimeoutSeconds } from '../harness/history';
import { sqlPipeline } from '../pipeline/fixtures';

/**
 * Started with no worker on the queue: the timeout is what the client asked for, and nothing runs.
 * That continue-as-new keeps it is checked by test/pool/pool-continue-as-new.test.ts.
 */
describe('every workflow the client starts', () => {
  let bed: FleetTestBed;
  const started: WorkflowHandle[] = [];
  before(() => {
    bed = fleetTestBed('task-timeout');
  });
  after(async () => {
    await Promise.all(started.map((handle) => handle.terminate('test over').catch(() => undefined)));
  });

  it('gives its workflow tasks 30 s, not Temporal\'s 10 s, so a worker starved for CPU still completes them: pipeline, preview, pool', async () => {
    const temporal = bed.client.temporal.workflow;
    const name = `tt-${randomUUID().slice(0, 8)}`;
    const { workflowId } = await bed.client.startPipeline(sqlPipeline('acme', name));
    const preview = await bed.client.preview('acme', 'SELECT 1');
    await bed.client.startPool({ sessionCluster: name, target: 0 });
    started.push(temporal.getHandle(workflowId), temporal.getHandle(preview.workflowId), temporal.getHandle(poolWorkflowId(name)));
    assert.deepEqual(await Promise.all(started.map(workflowTaskTimeoutSeconds)), [30, 30, 30]);
  });
});
