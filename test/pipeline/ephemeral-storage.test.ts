import assert from 'node:assert/strict';
import { parsePipelineSpec } from '../../workflows/pipeline/spec';
import { problemsOf } from './fixtures';

function withDisk(taskManager: Record<string, unknown>): unknown {
  return { tenant: 'acme', name: 'orders', job: { kind: 'sql', script: 'SELECT 1' }, taskManager: { cpu: 1, memoryMb: 1024, ...taskManager } };
}

describe('spec.*.ephemeralStorageMb', () => {
  it('is optional (the runtime then picks a per-role default) and kept when given', () => {
    assert.equal(parsePipelineSpec(withDisk({})).taskManager.ephemeralStorageMb, undefined);
    assert.equal(parsePipelineSpec(withDisk({ ephemeralStorageMb: 8192 })).taskManager.ephemeralStorageMb, 8192);
  });

  for (const [value, message] of [
    [100, 'must be at least 512 MB (logs and the blob cache need it)'], [1024.5, 'must be a whole number of MB'],
    [100_000, 'must be at most 65536 MB'], ['4Gi', 'Invalid input: expected number, received string'],
  ] as const) {
    it(`refuses ${JSON.stringify(value)}, naming the field`, () => {
      assert.deepEqual(problemsOf(withDisk({ ephemeralStorageMb: value })), [`spec.taskManager.ephemeralStorageMb: ${message}`]);
    });
  }
});
