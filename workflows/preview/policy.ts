import { splitStatements, UnterminatedSql, type SqlStatement } from './statements';

/**
 * What a preview may run on the session cluster that every tenant shares: temporary tables and
 * views (they live in the preview's own SQL Gateway session and vanish with it), SET of a few
 * harmless options, and exactly one SELECT, last. Everything else is refused by name: jars and
 * functions bring code into the shared JVMs, INSERT/EXECUTE/CTAS write somewhere, and catalog or
 * database changes outlive the session. An allow-list, so a statement Flink adds later is refused too.
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
 * sinks like `print` and `blackhole` are pointless, as a preview never writes.
 */
export const PREVIEW_CONNECTORS = ['datagen', 'kafka', 'upsert-kafka', 'kinesis', 'pulsar'] as const;

export interface PreviewScript {
  /** CREATE TEMPORARY TABLE/VIEW and SET statements, run in order before the query. */
  readonly setup: readonly string[];
  readonly query: string;
}

export class InvalidPreviewError extends Error {
  override readonly name = 'InvalidPreview';
}

const SNIPPET_LENGTH = 60;

function describe(statement: SqlStatement): string {
  const oneLine = statement.text.replace(/\s+/g, ' ');
  const snippet = oneLine.length > SNIPPET_LENGTH ? `${oneLine.slice(0, SNIPPET_LENGTH - 1)}…` : oneLine;
  return `statement ${statement.index} (line ${statement.line}: ${snippet})`;
}

/** The skeleton's words at parenthesis depth 0, upper-cased: what decides a statement's kind. */
function topLevelWords(skeleton: string): string[] {
  let depth = 0;
  let flat = '';
  for (const char of skeleton) {
    if (char === '(') depth += 1;
    flat += depth === 0 ? char : ' ';
    if (char === ')') depth = Math.max(0, depth - 1);
  }
  return flat.toUpperCase().split(/[^A-Z0-9_.]+/).filter(Boolean);
}

type Verdict = { kind: 'setup' | 'query' } | { kind: 'refused'; why: string };

const REFUSALS: readonly [RegExp, string][] = [
  [/^ADD JAR\b|^REMOVE JAR\b|^SHOW JARS\b/, 'jars bring code into the shared cluster'],
  [/^CREATE (TEMPORARY )?(SYSTEM )?FUNCTION\b|^DROP (TEMPORARY )?(SYSTEM )?FUNCTION\b/, 'functions bring code into the shared cluster'],
  [/^INSERT\b|^EXECUTE\b|^STATEMENT SET\b|^BEGIN STATEMENT SET\b/, 'a preview only reads; it never writes to a sink'],
  [/^(CREATE|ALTER|DROP|USE) (CATALOG|DATABASE)\b|^USE\b/, 'catalogs and databases are shared by every tenant'],
  [/^CREATE (TABLE|VIEW)\b|^ALTER\b|^DROP\b|^TRUNCATE\b|^DELETE\b|^UPDATE\b/, 'only TEMPORARY tables and views, which vanish with the preview, may be created'],
  [/^RESET\b/, 'a preview sets options only with SET'],
];

function setVerdict(statement: SqlStatement): Verdict {
  const match = /^SET\s+'([^']*)'\s*=\s*'(?:[^']|'')*'$/is.exec(statement.text);
  if (!match) return { kind: 'refused', why: "SET must read SET 'option' = 'value'" };
  const key = match[1] as string;
  if ((PREVIEW_SET_OPTIONS as readonly string[]).includes(key)) return { kind: 'setup' };
  return { kind: 'refused', why: `option '${key}' may not be set in a preview (allowed: ${PREVIEW_SET_OPTIONS.join(', ')})` };
}

/**
 * Every `'connector' = '...'` in the statement must name an allowed source, and there must be one
 * (a table made LIKE another could inherit any connector). All occurrences count, so a decoy in a
 * comment cannot stand in for the real option.
 */
function connectorVerdict(statement: SqlStatement): Verdict {
  const connectors = [...statement.text.matchAll(/'connector'\s*=\s*'([^']*)'/gi)].map((match) => (match[1] as string).toLowerCase());
  const refused = connectors.find((name) => !(PREVIEW_CONNECTORS as readonly string[]).includes(name));
  if (connectors.length > 0 && refused === undefined) return { kind: 'setup' };
  const allowed = PREVIEW_CONNECTORS.join(', ');
  return { kind: 'refused', why: refused ? `connector '${refused}' may not be read by a preview (allowed: ${allowed})` : `a temporary table must name its connector (allowed: ${allowed})` };
}

function verdict(statement: SqlStatement): Verdict {
  const words = topLevelWords(statement.skeleton);
  const head = words.slice(0, 4).join(' ');
  // In Flink SQL only a query can start with a parenthesis: `(SELECT ...) UNION (SELECT ...)`.
  if (/^(SELECT|WITH)\b/.test(head) || statement.skeleton.startsWith('(')) return { kind: 'query' };
  if (/^SET\b/.test(head)) return setVerdict(statement);
  if (/^CREATE TEMPORARY (TABLE|VIEW)\b/.test(head)) {
    // At depth 0 a table's AS can only be CREATE TABLE AS SELECT, which writes the query's rows.
    if (head.includes('TABLE') && words.includes('AS')) return { kind: 'refused', why: 'CREATE TABLE AS SELECT writes; a preview only reads' };
    return head.includes('TABLE') ? connectorVerdict(statement) : { kind: 'setup' };
  }
  const refusal = REFUSALS.find(([pattern]) => pattern.test(head));
  return { kind: 'refused', why: refusal?.[1] ?? 'a preview may only CREATE TEMPORARY TABLE/VIEW, SET allowed options and run one SELECT' };
}

/** The script split into setup and query, or InvalidPreviewError naming the first offending statement. */
export function parsePreviewScript(sql: string): PreviewScript {
  let statements: SqlStatement[];
  try {
    statements = splitStatements(sql);
  } catch (error) {
    if (error instanceof UnterminatedSql) throw new InvalidPreviewError(error.message);
    throw error;
  }
  const setup: string[] = [];
  const queries: SqlStatement[] = [];
  for (const statement of statements) {
    const judged = verdict(statement);
    if (judged.kind === 'refused') throw new InvalidPreviewError(`${describe(statement)} is not allowed: ${judged.why}`);
    if (judged.kind === 'query') queries.push(statement);
    else if (queries.length > 0) throw new InvalidPreviewError(`${describe(statement)} comes after the SELECT; the SELECT must be last`);
    else setup.push(statement.text);
  }
  const [query, second] = queries;
  if (!query) throw new InvalidPreviewError('the script has no SELECT; a preview runs exactly one');
  if (second) throw new InvalidPreviewError(`${describe(second)} is a second SELECT; a preview runs exactly one`);
  return { setup, query: query.text };
}
