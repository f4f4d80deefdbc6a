import assert from 'node:assert/strict';
import { InvalidSqlError, pipelineScriptFrom } from '../../workflows/pipeline/sql-policy';
import type { InspectedStatement, SqlInspection, TableUse } from '../../workflows/sql/inspection';

const STORAGE = 'file:///state/storage/acme-orders';

let next = 1;
function statement(operation: string, fields: Partial<InspectedStatement> = {}): InspectedStatement {
  const index = next++;
  return { index, line: index, column: 1, text: `${operation} ${index};`, operation, tables: [], ...fields };
}
const files = (role: TableUse['role'], path: string, connector = 'filesystem'): TableUse => ({
  role, table: 'default_catalog.default_database.f', connector, options: { connector, path, format: 'csv' },
});
const refusal = (...statements: InspectedStatement[]): string => {
  next = 1;
  try {
    pipelineScriptFrom({ ok: true, statements, tokensOnly: '' } satisfies SqlInspection, STORAGE);
  } catch (error) {
    assert.ok(error instanceof InvalidSqlError);
    return error.message;
  }
  return assert.fail('the script was allowed');
};

describe('the pipeline SQL policy (on hand-made inspector answers)', () => {
  beforeEach(() => {
    next = 1;
  });

  it('allows tables, views, INSERTs, statement sets, allowed SETs and Java functions from the classpath, running the script of tokens', () => {
    assert.equal(pipelineScriptFrom({
      ok: true, tokensOnly: 'the script without comments', statements: [
        statement('SetOperation', { key: 'execution.checkpointing.interval', value: '5 s' }),
        statement('CreateTableOperation', { temporary: false, tables: [{ role: 'created', table: 't', connector: 'datagen', options: { connector: 'datagen' } }] }),
        statement('CreateTableOperation', { tables: [files('created', `${STORAGE}/out`)] }),
        statement('CreateCatalogFunctionOperation', { functionLanguage: 'JAVA', functionResources: [] }),
        statement('SinkModifyOperation', { tables: [files('sink', `${STORAGE}/out`)] }),
        statement('StatementSetOperation', { tables: [files('sink', `${STORAGE}/out/2`)] }),
      ],
    }, STORAGE), 'the script without comments');
  });

  it('refuses jars, functions from jars or in Python, catalogs and modules, naming the statement', () => {
    assert.match(refusal(statement('AddJarOperation')), /^statement 1 \(line 1: AddJarOperation 1;\) is not allowed: jars bring code from outside the fleet/);
    assert.match(refusal(statement('RemoveJarOperation')), /jars bring code/);
    assert.match(refusal(statement('CreateCatalogFunctionOperation', { functionLanguage: 'JAVA', functionResources: ['JAR /tmp/x.jar'] })), /functions may not load jars \(JAR \/tmp\/x\.jar\)/);
    assert.match(refusal(statement('CreateTempSystemFunctionOperation', { functionLanguage: 'PYTHON' })), /functions must be JAVA or SCALA, not PYTHON/);
    assert.match(refusal(statement('CreateCatalogOperation')), /catalogs reach other systems/);
    assert.match(refusal(statement('LoadModuleOperation')), /a pipeline may create tables and views, SET allowed options and INSERT \(Flink reads it as LoadModuleOperation\)/);
  });

  it('refuses SET and RESET of the fleet\'s options, and a bare RESET', () => {
    assert.match(refusal(statement('SetOperation', { key: 'pipeline.name', value: 'x' })), /option 'pipeline\.name' is the fleet's/);
    assert.match(refusal(statement('SetOperation', { key: 'execution.checkpointing.dir', value: 'file:///etc' })), /option 'execution\.checkpointing\.dir' is the fleet's/);
    assert.match(refusal(statement('ResetOperation', { key: 'high-availability.type' })), /option 'high-availability\.type' is the fleet's/);
    assert.match(refusal(statement('ResetOperation')), /RESET must name one option/);
  });

  it('refuses a filesystem source or sink outside the pipeline\'s storage, whatever the connector\'s case', () => {
    assert.match(refusal(statement('PlannerQueryOperation', { tables: [files('source', 'file:///etc/passwd')] })),
      /table default_catalog\.default_database\.f uses filesystem path 'file:\/\/\/etc\/passwd' outside the pipeline's own storage file:\/\/\/state\/storage\/acme-orders/);
    assert.match(refusal(statement('SinkModifyOperation', { tables: [files('sink', '/state/storage/acme-other/x')] })), /outside the pipeline's own storage/);
    assert.match(refusal(statement('CreateTableOperation', { tables: [files('created', '/etc', 'FileSystem')] })), /uses filesystem path '\/etc'/);
  });

  it('reads a path without a scheme as a local file, as Flink does, and refuses the storage folder itself', () => {
    assert.equal(pipelineScriptFrom({ ok: true, tokensOnly: 'ok', statements: [statement('SinkModifyOperation', { tables: [files('sink', '/state/storage/acme-orders/out')] })] }, STORAGE), 'ok');
    assert.match(refusal(statement('SinkModifyOperation', { tables: [files('sink', 'file:///state/storage/acme-orders/')] })),
      /uses filesystem path 'file:\/\/\/state\/storage\/acme-orders\/' outside the pipeline's own storage/);
    assert.match(refusal(statement('SinkModifyOperation', { tables: [files('sink', '/state/storage/acme-orders')] })), /outside the pipeline's own storage/);
  });

  it('refuses a source it could not see into', () => {
    assert.match(refusal(statement('SinkModifyOperation', { tables: [{ role: 'source', table: 'q', connector: null, options: {} }] })), /reads q in a way the fleet cannot check/);
  });

  it('passes on Flink\'s own message for a script Flink refuses', () => {
    assert.throws(() => pipelineScriptFrom({ ok: false, error: { message: 'SQL parse failed.', line: 1 }, statements: [] }, STORAGE),
      (error: unknown) => error instanceof InvalidSqlError && error.message === 'Flink cannot run the script (line 1): SQL parse failed.');
  });
});
