import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createJanitorActivities } from '../../activities/janitor/activities';
import type { ClusterRef, FlinkRuntime } from '../../activities/runtime/types';
import type { OrphanCluster } from '../../workflows/janitor/types';
import { pipelineWorkflowId } from '../../workflows/pipeline/spec';
import { temporalTestBed } from '../harness/global';

/** Only deleteCluster is reached by the activity under test; it records what it was asked to delete. */
function recordingRuntime(deleted: ClusterRef[]): FlinkRuntime {
  return { deleteCluster: (cluster: ClusterRef) => { deleted.push(cluster); return Promise.resolve(); } } as unknown as FlinkRuntime;
}

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
