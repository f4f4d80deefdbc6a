import assert from 'node:assert/strict';
import { InvalidPreviewError, previewScriptFrom } from '../../workflows/preview/policy';
import type { InspectedStatement, SqlInspection, TableUse } from '../../workflows/sql/inspection';

/** Hand-made inspector answers: the policy alone, in milliseconds. */
let next = 1;
function statement(operation: string, fields: Partial<InspectedStatement> = {}): InspectedStatement {
  const index = next++;
  return { index, line: index, column: 1, text: `${operation} text ${index};`, operation, tables: [], ...fields };
}
const datagen = (role: TableUse['role'], connector: string | null = 'datagen'): TableUse => ({
  role, table: 'default_catalog.default_database.t', connector, options: connector ? { connector } : {},
});
const ok = (...statements: InspectedStatement[]): SqlInspection => ({ ok: true, statements, tokensOnly: '' });
const refusal = (inspection: SqlInspection): string => {
  try {
    previewScriptFrom(inspection);
  } catch (error) {
    assert.ok(error instanceof InvalidPreviewError);
    return error.message;
  }
  return assert.fail('the preview was allowed');
};

describe('the preview policy (on hand-made inspector answers)', () => {
  beforeEach(() => {
    next = 1;
  });

  it('runs temporary tables and views, allowed SETs and one SELECT last, as the texts Flink delimited', () => {
    const script = previewScriptFrom(ok(
      statement('SetOperation', { key: 'table.local-time-zone', value: 'UTC' }),
      statement('CreateTableOperation', { temporary: true, tables: [datagen('created')] }),
      statement('CreateViewOperation', { temporary: true, tables: [datagen('source')] }),
      statement('PlannerQueryOperation', { tables: [datagen('source')] }),
    ));
    assert.deepEqual(script, { setup: ['SetOperation text 1;', 'CreateTableOperation text 2;', 'CreateViewOperation text 3;'], query: 'PlannerQueryOperation text 4;' });
  });

  it('names the statement and the connector when a query reads one outside the allow-list', () => {
    const message = refusal(ok(statement('PlannerQueryOperation', { text: 'SELECT * FROM t', tables: [datagen('source'), datagen('source', 'filesystem')] })));
    assert.equal(message, "statement 1 (line 1: SELECT * FROM t) is not allowed: it reads default_catalog.default_database.t through connector 'filesystem' "
      + "(Flink's options after hints, LIKE and views; allowed: datagen, kafka, upsert-kafka, kinesis, pulsar)");
  });

  it('matches connectors exactly, as Flink matches factory identifiers', () => {
    assert.match(refusal(ok(statement('CreateTableOperation', { temporary: true, tables: [datagen('created', 'DataGen')] }))), /through connector 'DataGen'/);
  });

  it('refuses a relation the inspector could not see into', () => {
    assert.match(refusal(ok(statement('PlannerQueryOperation', { tables: [datagen('source', null)] }))), /without a connector the fleet can check/);
  });

  it('refuses permanent tables and views, naming Flink\'s operation', () => {
    assert.match(refusal(ok(statement('CreateTableOperation', { temporary: false, tables: [datagen('created')] }))),
      /statement 1 .* is not allowed: only TEMPORARY tables and views, which vanish with the preview, may be created \(Flink reads it as CreateTableOperation\)/);
    assert.match(refusal(ok(statement('CreateViewOperation', { temporary: false }))), /only TEMPORARY tables and views/);
  });

  it('refuses SET of an option outside the allow-list, and a SET without one', () => {
    assert.match(refusal(ok(statement('SetOperation', { key: 'pipeline.name', value: 'x' }))), /option 'pipeline\.name' may not be set in a preview \(allowed: table\.local-time-zone,/);
    assert.match(refusal(ok(statement('SetOperation'))), /SET must name one option and its value/);
  });

  it('refuses every operation it does not know, by an allow-list', () => {
    assert.match(refusal(ok(statement('SomeFutureOperation'))),
      /is not allowed: a preview may only CREATE TEMPORARY TABLE\/VIEW, SET allowed options and run one SELECT \(Flink reads it as SomeFutureOperation\)/);
  });

  it('gives each refused kind its reason', () => {
    const reasons: [string, RegExp][] = [
      ['AddJarOperation', /jars bring code/], ['CreateCatalogFunctionOperation', /functions bring code/], ['LoadModuleOperation', /modules bring functions/],
      ['SinkModifyOperation', /never writes to a sink/], ['StatementSetOperation', /never writes to a sink/], ['CreateTableASOperation', /never writes to a sink/],
      ['UseCatalogOperation', /catalogs and databases/], ['ResetOperation', /sets options only with SET/], ['ExplainOperation', /not statements about the session/],
    ];
    for (const [operation, why] of reasons) {
      next = 1;
      assert.match(refusal(ok(statement(operation))), why, operation);
    }
  });

  it('wants exactly one SELECT, and it last', () => {
    assert.match(refusal(ok(statement('PlannerQueryOperation'), statement('PlannerQueryOperation'))), /statement 2 .* is a second SELECT/);
    next = 1;
    assert.match(refusal(ok(statement('PlannerQueryOperation'), statement('CreateTableOperation', { temporary: true, tables: [datagen('created')] }))),
      /statement 2 .* comes after the SELECT; the SELECT must be last/);
    next = 1;
    assert.equal(refusal(ok(statement('CreateTableOperation', { temporary: true, tables: [datagen('created')] }))), 'the script has no SELECT; a preview runs exactly one');
  });

  it('names an earlier offending statement before Flink\'s own error about a later one', () => {
    const inspection: SqlInspection = {
      ok: false, error: { message: "Could not find any factory for identifier 'FileSystem'", statement: 2, line: 2 },
      statements: [statement('CreateTableOperation', { temporary: true, tables: [datagen('created', 'FileSystem')] })],
    };
    assert.match(refusal(inspection), /^statement 1 .*through connector 'FileSystem'/);
  });

  it('passes on Flink\'s own message, with where Flink located it', () => {
    const inspection: SqlInspection = { ok: false, error: { message: 'SQL parse failed. Encountered "FORM" at line 1, column 10.', statement: 1, line: 3 }, statements: [] };
    assert.equal(refusal(inspection), 'Flink cannot run the script (statement 1, line 3): SQL parse failed. Encountered "FORM" at line 1, column 10.');
  });
});
