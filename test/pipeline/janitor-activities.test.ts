import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createJanitorActivities, ownerWorkflowId } from '../../activities/janitor/activities';
import type { ClusterRef, ClusterSummary, FlinkRuntime } from '../../activities/runtime/types';
import { waitUntil } from '../../activities/runtime/local/wait';
import { maintainIdlePool, runPipeline } from '../../workflows';
import type { OrphanCluster } from '../../workflows/janitor/types';
import { pipelineWorkflowId } from '../../workflows/pipeline/spec';
import { temporalTestBed } from '../harness/global';

/** Only deleteCluster is reached by the activity under test; it records what it was asked to delete. */
function recordingRuntime(deleted: ClusterRef[]): FlinkRuntime {
  return { deleteCluster: (cluster: ClusterRef) => { deleted.push(cluster); return Promise.resolve(); } } as unknown as FlinkRuntime;
}

/** Only listClusters is reached by the scan. */
function listingRuntime(clusters: ClusterSummary[]): FlinkRuntime {
  return { listClusters: () => Promise.resolve(clusters) } as unknown as FlinkRuntime;
}

describe('the janitor\'s scan (real Temporal, a runtime that lists)', () => {
  it('finds the settled clusters whose owner is not running, from one listing of the running owners', async () => {
    const { client } = temporalTestBed().env;
    const tenant = `j${randomUUID().slice(0, 8)}`;
    const old = new Date(Date.now() - 600_000).toISOString();
    const summary = (name: string, kind: ClusterSummary['kind'], createdAt = old): ClusterSummary => ({ tenant: kind === 'session' ? 'fleet' : tenant, name, cluster: `${tenant}--${name}`, kind, createdAt });
    const [pipeline, pool, orphan, young] = [summary(`${tenant}-live`, 'application'), summary(`${tenant}-session`, 'session'), summary(`${tenant}-gone`, 'application'),
      summary(`${tenant}-new`, 'application', new Date().toISOString())];
    // Nobody polls this queue: the owners stay Running until terminated. Started by the workflow
    // functions themselves, so the listing's workflow types are the ones the worker registers.
    const taskQueue = `nobody-${randomUUID()}`;
    const owners = [await client.workflow.start(runPipeline, { taskQueue, workflowId: ownerWorkflowId(pipeline), args: [] as never }),
      await client.workflow.start(maintainIdlePool, { taskQueue, workflowId: ownerWorkflowId(pool), args: [] as never })];
    try {
      await waitUntil('the owners to be listed', async () => {
        const listed = [];
        for await (const execution of client.workflow.list({ query: `TaskQueue = '${taskQueue}'` })) listed.push(execution);
        return listed.length === 2 ? true : undefined;
      }, { timeoutMs: 30_000, intervalMs: 200 });
      const env = new MockActivityEnvironment({}, { client });
      const found = await env.run(createJanitorActivities(listingRuntime([pipeline, pool, orphan, young])).findOrphanClusters, { graceSeconds: 120 });
      assert.deepEqual(found, [{ tenant, name: orphan.name, cluster: orphan.cluster, owner: ownerWorkflowId(orphan) }]);
    } finally {
      await Promise.all(owners.map((owner) => owner.terminate('test over')));
    }
  });
});

describe('the janitor\'s deletion (real Temporal, a runtime that records)', () => {
  const tenant = `j${randomUUID().slice(0, 8)}`;
  const orphan: OrphanCluster = { tenant, name: 'orders', cluster: `${tenant}--orders`, owner: pipelineWorkflowId(tenant, 'orders') };

  it('deletes the cluster of an owner that is gone, and says so', async () => {
    const deleted: ClusterRef[] = [];
    const env = new MockActivityEnvironment({}, { client: temporalTestBed().env.client });
    assert.equal(await env.run(createJanitorActivities(recordingRuntime(deleted)).deleteOrphanCluster, orphan), true);
    assert.deepEqual(deleted, [orphan]);
  });

  it('spares the cluster of an owner started again since the scan, and does not count it deleted', async () => {
    const { client } = temporalTestBed().env;
    // Nobody polls this queue, so the owner stays Running until terminated.
    const owner = await client.workflow.start('runPipeline', { taskQueue: `nobody-${randomUUID()}`, workflowId: orphan.owner, args: [] });
    try {
      const deleted: ClusterRef[] = [];
      const env = new MockActivityEnvironment({}, { client });
      assert.equal(await env.run(createJanitorActivities(recordingRuntime(deleted)).deleteOrphanCluster, orphan), false);
      assert.deepEqual(deleted, []);
    } finally {
      await owner.terminate('test over');
    }
  });
});
