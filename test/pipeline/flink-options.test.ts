import assert from 'node:assert/strict';
import { parsePipelineSpec } from '../../workflows/pipeline/spec';
import { InvalidSqlError, pipelineScriptFrom } from '../../workflows/pipeline/sql-policy';
import type { InspectedStatement } from '../../workflows/sql/inspection';
import { problemsOf, sqlPipeline } from './fixtures';

const LARGE_STATE = { 'state.backend.type': 'rocksdb', 'execution.checkpointing.incremental': 'true', 'execution.state-recovery.from-local': 'true' };

function setStatement(key: string, value: string): InspectedStatement {
  return { index: 1, line: 1, column: 1, text: `SET '${key}' = '${value}';`, operation: 'SetOperation', key, value, tables: [] };
}

function sqlRefusal(key: string, value: string): string | undefined {
  try {
    pipelineScriptFrom({ ok: true, statements: [setStatement(key, value)], tokensOnly: '' }, 'file:///state/storage/acme/acme--orders');
    return undefined;
  } catch (error) {
    assert.ok(error instanceof InvalidSqlError);
    return error.message;
  }
}

describe('the Flink options a pipeline may set, and their values', () => {
  it('lets a pipeline choose RocksDB with incremental checkpoints and local recovery, in its spec and in its script', () => {
    assert.deepEqual(parsePipelineSpec(sqlPipeline('acme', 'big', { flinkOptions: LARGE_STATE })).flinkOptions, LARGE_STATE);
    for (const [key, value] of Object.entries(LARGE_STATE)) assert.equal(sqlRefusal(key, value), undefined, key);
    assert.deepEqual(problemsOf(sqlPipeline('acme', 'big', { flinkOptions: { 'state.backend.type': 'HashMap', 'execution.checkpointing.incremental': 'FALSE' } })), []);
  });

  it('refuses a state backend outside the fixed set, naming the key: Flink would load a factory class by that name', () => {
    assert.deepEqual(problemsOf(sqlPipeline('acme', 'big', { flinkOptions: { 'state.backend.type': 'org.example.EvilStateBackendFactory' } })),
      ['spec.flinkOptions["state.backend.type"]: must be one of hashmap, rocksdb, not \'org.example.EvilStateBackendFactory\'']);
    assert.equal(sqlRefusal('state.backend.type', 'forst'),
      'statement 1 (line 1: SET \'state.backend.type\' = \'forst\';) is not allowed: option \'state.backend.type\' must be one of hashmap, rocksdb, not \'forst\'');
  });

  it('refuses a switch that is not a boolean', () => {
    assert.deepEqual(problemsOf(sqlPipeline('acme', 'big', { flinkOptions: { 'execution.checkpointing.incremental': 'yes', 'execution.state-recovery.from-local': '1' } })), [
      'spec.flinkOptions["execution.checkpointing.incremental"]: must be one of true, false, not \'yes\'',
      'spec.flinkOptions["execution.state-recovery.from-local"]: must be one of true, false, not \'1\'',
    ]);
  });

  it('keeps the directories of local recovery and RocksDB the runtime\'s', () => {
    for (const key of ['process.taskmanager.working-dir', 'process.working-dir', 'execution.checkpointing.local-backup.dirs', 'taskmanager.state.local.root-dirs', 'state.backend.rocksdb.localdir', 'io.tmp.dirs']) {
      assert.match(problemsOf(sqlPipeline('acme', 'big', { flinkOptions: { [key]: '/tmp/mine' } })).join(), /is not an option a pipeline may set/, key);
      assert.match(sqlRefusal(key, '/tmp/mine') ?? '', /is the fleet's/, key);
    }
  });
});
