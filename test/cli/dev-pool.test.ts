import assert from 'node:assert/strict';
import { devPoolConfig } from '../../client/dev/dev-pool';
import { parsePoolConfig } from '../../workflows/pool/config';
import { pipelineSpecSchema } from '../../workflows/pipeline/spec';

/** The cores `pipeline start --cpu 0.5` asks for: its JobManager and its one TaskManager. */
function pipelineCores(cpu: number): number {
  const spec = pipelineSpecSchema.parse({ tenant: 'acme', name: 'orders', job: { kind: 'sql', script: 'INSERT INTO s SELECT 1' },
    jobManager: { cpu, memoryMb: 1024 }, taskManager: { cpu, memoryMb: 1024 } });
  return spec.jobManager.cpu + spec.taskManager.cpu;
}

describe('the preview pool dev up starts', () => {
  it('on Kubernetes, at its most TaskManagers, leaves room on a two-core node for a pipeline started with --cpu 0.5', () => {
    const pool = parsePoolConfig(devPoolConfig('kubernetes', 1, 2));
    // The JobManager, the gateway (sized like it) and every TaskManager the pool may run at once.
    const poolCores = 2 * pool.jobManager.cpu + pool.maxTaskManagers * pool.taskManager.cpu;
    assert.ok(poolCores + pipelineCores(0.5) <= 2, `the pool takes ${poolCores} cores`);
    assert.equal(pool.target, 1);
  });

  it('on Kubernetes, keeps the target it is given, none included, and may still start a TaskManager for a preview', () => {
    for (const target of [0, 2]) {
      const pool = parsePoolConfig(devPoolConfig('kubernetes', target, 2));
      assert.deepEqual([pool.target, pool.maxTaskManagers], [target, Math.max(target, 1)]);
    }
  });

  it('on the local runtime, sizes itself from the target up to one idle TaskManager per core of the machine', () => {
    const pool = parsePoolConfig(devPoolConfig('local', 1, 2));
    assert.deepEqual([pool.target, pool.autoSize?.minTarget, pool.maxTarget, pool.jobManager.cpu, pool.maxTaskManagers], [1, 1, 2, 1, 16]);
    assert.equal(parsePoolConfig(devPoolConfig('local', 1, 8)).maxTarget, 8);
    assert.deepEqual([parsePoolConfig(devPoolConfig('local', 6, 2)).maxTarget, parsePoolConfig(devPoolConfig('local', 6, 2)).autoSize?.minTarget], [6, 6]);
  });
});
