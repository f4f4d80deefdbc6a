import { describeInspectionError, describeStatement, type InspectedStatement, type SqlInspection } from '../sql/inspection';

/**
 * What a preview may run on the session cluster that every tenant shares, judged on Flink's own
 * reading of the script (the SQL inspector's answer), never on its text: temporary tables and views
 * (they live in the preview's own SQL Gateway session and vanish with it), SET of a few harmless
 * options, and exactly one SELECT, last. An allow-list, so a statement Flink adds later is refused too.
 */
export const PREVIEW_SET_OPTIONS = [
  'table.local-time-zone',
  'table.exec.source.idle-timeout',
  'table.exec.state.ttl',
  'table.exec.mini-batch.enabled',
  'table.exec.mini-batch.allow-latency',
  'table.exec.mini-batch.size',
  'pipeline.auto-watermark-interval',
] as const;

/**
 * Sources a preview may read. Not `filesystem` (it reads the shared machine's disk, or a bucket with
 * the fleet's credentials) and not `jdbc` (it reaches databases from inside the fleet's network);
 * sinks like `print` and `blackhole` are pointless, as a preview never writes. Matched exactly, as
 * Flink matches a factory identifier.
 */
export const PREVIEW_CONNECTORS = ['datagen', 'kafka', 'upsert-kafka', 'kinesis', 'pulsar'] as const;

export interface PreviewScript {
  /** CREATE TEMPORARY TABLE/VIEW and SET statements, as Flink delimited them, run in order before the query. */
  readonly setup: readonly string[];
  readonly query: string;
}

export class InvalidPreviewError extends Error {
  override readonly name = 'InvalidPreview';
}

/** Why each kind of operation Flink may read a statement as is refused; anything unlisted is refused too. */
const REFUSALS: readonly [RegExp, string][] = [
  [/^(AddJar|RemoveJar|ShowJars)Operation$/, 'jars bring code into the shared cluster'],
  [/Function/, 'functions bring code into the shared cluster'],
  [/Module/, 'modules bring functions into the shared cluster'],
  [/Modify|StatementSet|TableA[sS]|Truncate|DeleteFrom|Update|Plan/, 'a preview only reads; it never writes to a sink'],
  [/Catalog|Database/, 'catalogs and databases are shared by every tenant'],
  [/^(Create|Alter|Drop)(Table|View|Model|MaterializedTable)/, 'only TEMPORARY tables and views, which vanish with the preview, may be created'],
  [/^ResetOperation$/, 'a preview sets options only with SET'],
  [/^(Explain|Show|Describe)/, 'a preview runs one SELECT, not statements about the session'],
];

const ALLOWED = 'a preview may only CREATE TEMPORARY TABLE/VIEW, SET allowed options and run one SELECT';

function refusal(statement: InspectedStatement): string | undefined {
  const { operation } = statement;
  if (operation === 'PlannerQueryOperation') return undefined;
  if (operation === 'SetOperation') {
    if (statement.key === undefined || statement.value === undefined) return 'SET must name one option and its value';
    if (!(PREVIEW_SET_OPTIONS as readonly string[]).includes(statement.key)) {
      return `option '${statement.key}' may not be set in a preview (allowed: ${PREVIEW_SET_OPTIONS.join(', ')})`;
    }
    return undefined;
  }
  if ((operation === 'CreateTableOperation' || operation === 'CreateViewOperation') && statement.temporary === true) return undefined;
  const known = REFUSALS.find(([pattern]) => pattern.test(operation));
  return `${known?.[1] ?? ALLOWED} (Flink reads it as ${operation})`;
}

/** Every table a statement creates or reads, after hints, LIKE and views, must use an allowed connector. */
function connectorRefusal(statement: InspectedStatement): string | undefined {
  for (const use of statement.tables) {
    if (use.role === 'sink') return `it writes to ${use.table}; a preview only reads`;
    if (use.connector === null || !(PREVIEW_CONNECTORS as readonly string[]).includes(use.connector)) {
      const how = use.connector === null ? 'without a connector the fleet can check' : `through connector '${use.connector}'`;
      const verb = use.role === 'created' ? 'creates' : 'reads';
      return `it ${verb} ${use.table} ${how} (Flink's options after hints, LIKE and views; allowed: ${PREVIEW_CONNECTORS.join(', ')})`;
    }
  }
  return undefined;
}

/** The script as setup and query, or InvalidPreviewError naming the first offending statement. */
export function previewScriptFrom(inspection: SqlInspection): PreviewScript {
  const setup: string[] = [];
  const queries: InspectedStatement[] = [];
  for (const statement of inspection.statements) {
    const why = refusal(statement) ?? connectorRefusal(statement);
    if (why) throw new InvalidPreviewError(`${describeStatement(statement)} is not allowed: ${why}`);
    if (statement.operation === 'PlannerQueryOperation') queries.push(statement);
    else if (queries.length > 0) throw new InvalidPreviewError(`${describeStatement(statement)} comes after the SELECT; the SELECT must be last`);
    else setup.push(statement.text);
  }
  // The statements before the one Flink refused are judged first: a refusal by name says more.
  if (!inspection.ok) throw new InvalidPreviewError(describeInspectionError(inspection.error));
  const [query, second] = queries;
  if (!query) throw new InvalidPreviewError('the script has no SELECT; a preview runs exactly one');
  if (second) throw new InvalidPreviewError(`${describeStatement(second)} is a second SELECT; a preview runs exactly one`);
  return { setup, query: query.text };
}
