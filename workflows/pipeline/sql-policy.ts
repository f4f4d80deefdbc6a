import { describeInspectionError, describeStatement, type InspectedStatement, type SqlInspection, type TableUse } from '../sql/inspection';
import { isStrictlyInside } from '../storage-prefix';
import { ALLOWED_FLINK_OPTIONS, flinkOptionProblem } from './flink-options';

/**
 * What a pipeline's SQL script may do in its own application cluster, judged on Flink's own reading
 * of it (the SQL inspector's answer). An allow-list of Flink's operations: tables, views, databases
 * of the in-memory catalog, queries and INSERTs. No code from outside (jars, functions loaded from a
 * jar, modules), no catalogs (their options reach other systems), no option outside
 * ALLOWED_FLINK_OPTIONS (paths, HA, recovery, pipeline.name are the fleet's), and no file outside the
 * pipeline's own storage.
 */
export class InvalidSqlError extends Error {
  override readonly name = 'InvalidSql';
}

const ALLOWED_OPERATIONS = new Set([
  'CreateTableOperation', 'CreateViewOperation', 'CreateDatabaseOperation', 'UseDatabaseOperation', 'UseCatalogOperation',
  'DropTableOperation', 'DropViewOperation', 'DropDatabaseOperation', 'AlterTableOptionsOperation', 'AlterTableChangeOperation',
  'AlterTableRenameOperation', 'AlterViewAsOperation', 'AlterViewRenameOperation', 'AlterViewPropertiesOperation',
  'SinkModifyOperation', 'StatementSetOperation', 'BeginStatementSetOperation', 'EndStatementSetOperation', 'CreateTableASOperation',
  'PlannerQueryOperation', 'ExplainOperation', 'SetOperation', 'ResetOperation',
  'CreateCatalogFunctionOperation', 'CreateTempSystemFunctionOperation',
]);

/** Languages whose functions are classes already on Flink's classpath; Python would start interpreters. */
const FUNCTION_LANGUAGES = ['JAVA', 'SCALA'];

function optionRefusal(statement: InspectedStatement): string | undefined {
  if (statement.key === undefined) {
    return statement.operation === 'SetOperation' ? 'SET must name one option and its value' : 'RESET must name one option';
  }
  if (!(ALLOWED_FLINK_OPTIONS as readonly string[]).includes(statement.key)) {
    return `option '${statement.key}' is the fleet's (a pipeline may set: ${ALLOWED_FLINK_OPTIONS.join(', ')})`;
  }
  const problem = statement.value === undefined ? undefined : flinkOptionProblem(statement.key, statement.value);
  return problem && `option '${statement.key}' ${problem}`;
}

function operationRefusal(statement: InspectedStatement): string | undefined {
  const { operation } = statement;
  if (!ALLOWED_OPERATIONS.has(operation)) {
    if (/Jar/.test(operation)) return `jars bring code from outside the fleet (Flink reads it as ${operation})`;
    if (/Catalog/.test(operation)) return `catalogs reach other systems with options of their own (Flink reads it as ${operation})`;
    return `a pipeline may create tables and views, SET allowed options and INSERT (Flink reads it as ${operation})`;
  }
  if (operation === 'SetOperation' || operation === 'ResetOperation') return optionRefusal(statement);
  if (operation.includes('Function')) {
    if ((statement.functionResources ?? []).length > 0) return `functions may not load jars (${statement.functionResources?.join(', ')})`;
    if (!FUNCTION_LANGUAGES.includes(statement.functionLanguage ?? '')) return `functions must be JAVA or SCALA, not ${statement.functionLanguage}`;
  }
  return undefined;
}

function tableRefusal(use: TableUse, storagePrefix: string): string | undefined {
  if (use.connector === null && use.role !== 'created') return `it ${use.role === 'sink' ? 'writes' : 'reads'} ${use.table} in a way the fleet cannot check`;
  if (use.connector?.toLowerCase() !== 'filesystem') return undefined;
  const path = use.options.path;
  // Flink reads a path without a scheme from its default filesystem: the local one, on either runtime.
  if (path !== undefined && isStrictlyInside(path.startsWith('/') ? `file://${path}` : path, storagePrefix)) return undefined;
  return `table ${use.table} uses filesystem path '${path ?? ''}' outside the pipeline's own storage ${storagePrefix}`;
}

/**
 * The script the pipeline runs (rebuilt from Flink's tokens, see SqlInspection's tokensOnly), or
 * InvalidSqlError naming the first statement it may not run. `storagePrefix` is the only place a
 * filesystem table may point (the pipeline's own storage URI).
 */
export function pipelineScriptFrom(inspection: SqlInspection, storagePrefix: string): string {
  for (const statement of inspection.statements) {
    const why = operationRefusal(statement) ?? statement.tables.map((use) => tableRefusal(use, storagePrefix)).find(Boolean);
    if (why) throw new InvalidSqlError(`${describeStatement(statement)} is not allowed: ${why}`);
  }
  // After the statements Flink read before it: a refusal by name says more.
  if (!inspection.ok) throw new InvalidSqlError(describeInspectionError(inspection.error));
  return inspection.tokensOnly;
}
