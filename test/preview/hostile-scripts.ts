/**
 * Previews that tried to get past the text classifier of issue 13, and more of each class: every
 * one must be refused on Flink's own reading of it (red-team.test.ts), and a representative of each
 * class is shown to be dangerous on the real SQL Gateway (red-team-gateway.test.ts).
 */
export interface HostileScript {
  readonly name: string;
  readonly sql: string;
  /** What the refusal must name: the statement and what was refused. */
  readonly refused: RegExp;
}

/**
 * An allowed table: datagen, one STRING column, as a file's lines would be read. No other options:
 * a hint's options are merged over the table's, and filesystem refuses datagen's.
 */
export const DATAGEN = "CREATE TEMPORARY TABLE t (line STRING) WITH ('connector' = 'datagen')";

/** The options that turn a table into a reader of the shared machine's files. */
export const fileOptions = (path: string): string => `'connector' = 'filesystem', 'path' = '${path}', 'format' = 'raw'`;

const READS_FILES = /it reads default_catalog\.default_database\.\w+ through connector 'filesystem'/;
const CREATES_FILE_TABLE = /it creates default_catalog\.default_database\.\w+ through connector 'filesystem'/;
const JARS = /is not allowed: jars bring code into the shared cluster/;
const FUNCTIONS = /is not allowed: functions bring code into the shared cluster/;
const WRITES = /is not allowed: a preview only reads; it never writes to a sink/;
const CATALOGS = /is not allowed: catalogs and databases are shared by every tenant/;
const SESSION = /is not allowed: a preview runs one SELECT, not statements about the session/;
const PERMANENT = /is not allowed: only TEMPORARY tables and views, which vanish with the preview, may be created/;

export function hostileScripts(secret: string): HostileScript[] {
  const files = fileOptions(secret);
  return [
    // OPTIONS hints: dynamic table options are on by default, so a query can swap a table's connector.
    { name: 'a hint in the SELECT', sql: `${DATAGEN};\nSELECT line FROM t /*+ OPTIONS(${files}) */`, refused: new RegExp(`statement 2 \\(line 2: SELECT line FROM t.*${READS_FILES.source}`) },
    { name: 'a hint in a view', sql: `${DATAGEN};\nCREATE TEMPORARY VIEW v AS SELECT line FROM t /*+ OPTIONS(${files}) */;\nSELECT * FROM v`, refused: new RegExp(`statement 2 \\(line 2: CREATE TEMPORARY VIEW v.*${READS_FILES.source}`) },
    { name: 'a hint in a sub-query', sql: `${DATAGEN};\nSELECT line FROM t WHERE line IN (SELECT line FROM t /*+ OPTIONS(${files}) */)`, refused: new RegExp(`statement 2 .*${READS_FILES.source}`) },
    { name: 'a hint in a NOT IN sub-query', sql: `${DATAGEN};\nSELECT line FROM t WHERE line NOT IN (SELECT line FROM t /*+ OPTIONS(${files}) */)`, refused: new RegExp(`statement 2 .*${READS_FILES.source}`) },
    { name: 'a hint on the right side of a join', sql: `${DATAGEN};\nSELECT a.line FROM t a JOIN t /*+ OPTIONS(${files}) */ b ON a.line = b.line`, refused: new RegExp(`statement 2 .*${READS_FILES.source}`) },
    { name: 'a hint in a CTE', sql: `${DATAGEN};\nWITH c AS (SELECT line FROM t /*+ OPTIONS(${files}) */) SELECT * FROM c`, refused: new RegExp(`statement 2 \\(line 2: WITH c AS.*${READS_FILES.source}`) },
    { name: 'a hint in the second branch of a UNION', sql: `${DATAGEN};\n(SELECT line FROM t) UNION ALL (SELECT line FROM t /*+ OPTIONS(${files}) */)`, refused: new RegExp(`statement 2 .*${READS_FILES.source}`) },
    { name: 'a hint in a scalar sub-query of the select list', sql: `${DATAGEN};\nSELECT (SELECT MAX(line) FROM t /*+ OPTIONS(${files}) */) AS m`, refused: new RegExp(`statement 2 .*${READS_FILES.source}`) },
    { name: 'a view over a view over a hinted table', sql: `${DATAGEN};\nCREATE TEMPORARY VIEW v1 AS SELECT line FROM t /*+ OPTIONS(${files}) */;\nCREATE TEMPORARY VIEW v2 AS SELECT * FROM v1;\nSELECT * FROM v2`, refused: new RegExp(`statement 2 \\(line 2: CREATE TEMPORARY VIEW v1.*${READS_FILES.source}`) },
    // LIKE: a table inherits, and may overwrite, another's options.
    { name: 'LIKE overwriting the connector', sql: `${DATAGEN};\nCREATE TEMPORARY TABLE x WITH (${files}) LIKE t (OVERWRITING OPTIONS);\nSELECT * FROM x`, refused: new RegExp(`statement 2 \\(line 2: CREATE TEMPORARY TABLE x WITH.*${CREATES_FILE_TABLE.source}`) },
    { name: 'LIKE of a filesystem table', sql: `CREATE TEMPORARY TABLE base (line STRING) WITH (${files});\nCREATE TEMPORARY TABLE x LIKE base;\nSELECT * FROM x`, refused: new RegExp(`statement 1 .*${CREATES_FILE_TABLE.source}`) },
    // Keys and literals that Flink reads differently from a regex.
    { name: 'a key given twice, Flink taking the last', sql: `CREATE TEMPORARY TABLE x (line STRING) WITH ('connector' = 'datagen', ${files});\nSELECT * FROM x`, refused: new RegExp(`statement 1 .*${CREATES_FILE_TABLE.source}`) },
    { name: 'a decoy connector in a block comment', sql: `CREATE TEMPORARY TABLE x (line STRING) WITH (/* 'connector' = 'datagen', */ ${files});\nSELECT * FROM x`, refused: new RegExp(`statement 1 .*${CREATES_FILE_TABLE.source}`) },
    { name: 'a decoy connector in a line comment', sql: `CREATE TEMPORARY TABLE x (line STRING) WITH ( -- 'connector' = 'datagen',\n ${files});\nSELECT * FROM x`, refused: new RegExp(`statement 1 .*${CREATES_FILE_TABLE.source}`) },
    { name: 'a Unicode-escaped connector name', sql: `CREATE TEMPORARY TABLE x (line STRING) WITH ('connector' = U&'\\0066ilesystem', 'path' = '${secret}', 'format' = 'raw');\nSELECT * FROM x`, refused: new RegExp(`statement 1 .*${CREATES_FILE_TABLE.source}`) },
    { name: 'a Unicode-escaped option key', sql: `CREATE TEMPORARY TABLE x (line STRING) WITH (U&'\\0063onnector' = 'filesystem', 'path' = '${secret}', 'format' = 'raw');\nSELECT * FROM x`, refused: new RegExp(`statement 1 .*${CREATES_FILE_TABLE.source}`) },
    { name: 'a national string literal', sql: `CREATE TEMPORARY TABLE x (line STRING) WITH ('connector' = N'filesystem', 'path' = '${secret}', 'format' = 'raw');\nSELECT * FROM x`, refused: new RegExp(`statement 1 .*${CREATES_FILE_TABLE.source}`) },
    { name: 'a literal split across lines', sql: `CREATE TEMPORARY TABLE x (line STRING) WITH ('connector' = 'file'\n  'system', 'path' = '${secret}', 'format' = 'raw');\nSELECT * FROM x`, refused: new RegExp(`statement 1 .*${CREATES_FILE_TABLE.source}`) },
    { name: "a connector in other letter case ('FileSystem')", sql: "CREATE TEMPORARY TABLE x (line STRING) WITH ('connector' = 'FileSystem');\nSELECT * FROM x", refused: /statement 1 .*it creates default_catalog\.default_database\.x through connector 'FileSystem'/ },
    { name: 'a backtick identifier as an option key', sql: "CREATE TEMPORARY TABLE x (line STRING) WITH (`connector` = 'filesystem');\nSELECT * FROM x", refused: /Flink cannot run the script \(line 1\): statement 1: SQL parse failed\. Encountered "`connector`"/ },
    { name: 'a table without a connector', sql: 'CREATE TEMPORARY TABLE x (line STRING);\nSELECT * FROM x', refused: /statement 1 .*it creates default_catalog\.default_database\.x without a connector the fleet can check/ },
    // Comments that hide or reveal statements.
    { name: 'a statement after a nested-looking block comment', sql: `${DATAGEN};\n/* /* nested */ ADD JAR '/tmp/evil.jar'; -- */\nSELECT line FROM t`, refused: new RegExp(`statement 2 \\(line 2: ADD JAR '/tmp/evil.jar';\\) ${JARS.source}`) },
    { name: 'a statement after a line comment', sql: `${DATAGEN}; -- only a comment ; SELECT 1\nADD JAR '/tmp/evil.jar';\nSELECT line FROM t`, refused: new RegExp(`statement 2 \\(line 2: ADD JAR .*${JARS.source}`) },
    { name: 'ADD JAR hidden behind a hint-like comment', sql: "/*+ OPTIONS('x'='y') */ ADD JAR '/tmp/evil.jar';\nSELECT 1", refused: /Flink cannot run the script \(line 1\): statement 1: SQL parse failed\. Encountered "\/\*\+" at line 1, column 1/ },
    // Code into the shared JVMs.
    { name: 'ADD JAR', sql: "ADD JAR '/tmp/evil.jar';\nSELECT 1", refused: new RegExp(`statement 1 \\(line 1: ADD JAR '/tmp/evil.jar';\\) ${JARS.source}`) },
    { name: 'add jar in mixed case', sql: "aDd JaR '/tmp/evil.jar';\nSELECT 1", refused: new RegExp(`statement 1 .*${JARS.source}`) },
    { name: 'REMOVE JAR', sql: "REMOVE JAR '/tmp/evil.jar';\nSELECT 1", refused: new RegExp(`statement 1 .*${JARS.source}`) },
    { name: 'SHOW JARS', sql: 'SHOW JARS;\nSELECT 1', refused: new RegExp(`statement 1 .*${JARS.source}`) },
    { name: 'CREATE FUNCTION ... USING JAR', sql: "CREATE FUNCTION f AS 'evil.Udf' USING JAR '/tmp/evil.jar';\nSELECT 1", refused: new RegExp(`statement 1 .*${FUNCTIONS.source}`) },
    { name: 'CREATE TEMPORARY SYSTEM FUNCTION', sql: "CREATE TEMPORARY SYSTEM FUNCTION f AS 'evil.Udf';\nSELECT 1", refused: new RegExp(`statement 1 .*${FUNCTIONS.source}`) },
    { name: 'CREATE TEMPORARY FUNCTION in Python', sql: "CREATE TEMPORARY FUNCTION f AS 'evil.udf' LANGUAGE PYTHON;\nSELECT 1", refused: new RegExp(`statement 1 .*${FUNCTIONS.source}`) },
    { name: 'LOAD MODULE', sql: 'LOAD MODULE hive;\nSELECT 1', refused: /statement 1 .*is not allowed: modules bring functions into the shared cluster/ },
    // Options that are the fleet's.
    { name: "SET 'pipeline.name'", sql: "SET 'pipeline.name' = 'preview/other-tenant/1';\nSELECT 1", refused: /statement 1 .*is not allowed: option 'pipeline\.name' may not be set in a preview/ },
    { name: 'SET re-enabling dynamic table options', sql: "SET 'table.dynamic-table-options.enabled' = 'true';\nSELECT 1", refused: /statement 1 .*option 'table\.dynamic-table-options\.enabled' may not be set/ },
    { name: 'SET of a Unicode-escaped key', sql: "SET U&'\\0070ipeline.name' = 'x';\nSELECT 1", refused: /statement 1 .*option 'pipeline\.name' may not be set/ },
    { name: 'SET with a lower-case keyword and a split literal', sql: "set 'pipeline.' 'jars' = 'file:///tmp/evil.jar';\nSELECT 1", refused: /statement 1 .*option 'pipeline\.jars' may not be set/ },
    { name: 'a bare SET', sql: 'SET;\nSELECT 1', refused: /statement 1 .*SET must name one option and its value/ },
    { name: 'RESET', sql: "RESET 'table.local-time-zone';\nSELECT 1", refused: /statement 1 .*is not allowed: a preview sets options only with SET/ },
    // Writing.
    { name: 'INSERT', sql: `${DATAGEN};\nCREATE TEMPORARY TABLE sink (line STRING) WITH ('connector' = 'blackhole');\nINSERT INTO sink SELECT line FROM t`, refused: new RegExp(`statement 2 .*it creates default_catalog\\.default_database\\.sink through connector 'blackhole'`) },
    { name: 'INSERT into a datagen table', sql: `${DATAGEN};\nINSERT INTO t SELECT line FROM t`, refused: new RegExp(`statement 2 \\(line 2: INSERT INTO t.*${WRITES.source}`) },
    { name: 'EXECUTE INSERT', sql: `${DATAGEN};\nEXECUTE INSERT INTO t SELECT line FROM t`, refused: new RegExp(`statement 2 \\(line 2: EXECUTE INSERT.*${WRITES.source}`) },
    { name: 'EXECUTE STATEMENT SET', sql: `${DATAGEN};\nEXECUTE STATEMENT SET BEGIN INSERT INTO t SELECT line FROM t; INSERT INTO t SELECT line FROM t; END;\nSELECT 1`, refused: new RegExp(`statement 2 \\(line 2: EXECUTE STATEMENT SET.*${WRITES.source}`) },
    { name: 'BEGIN STATEMENT SET', sql: 'BEGIN STATEMENT SET;\nSELECT 1', refused: new RegExp(`statement 1 .*${WRITES.source}`) },
    { name: 'CREATE TABLE AS SELECT', sql: `${DATAGEN};\nCREATE TABLE copy WITH ('connector' = 'blackhole') AS SELECT line FROM t`, refused: new RegExp(`statement 2 \\(line 2: CREATE TABLE copy.*${WRITES.source}`) },
    // What outlives the session or is shared by every tenant.
    { name: 'a permanent table', sql: "CREATE TABLE x (line STRING) WITH ('connector' = 'datagen');\nSELECT * FROM x", refused: new RegExp(`statement 1 .*${PERMANENT.source}`) },
    { name: 'a permanent view', sql: `${DATAGEN};\nCREATE VIEW v AS SELECT line FROM t;\nSELECT * FROM v`, refused: new RegExp(`statement 2 .*${PERMANENT.source}`) },
    { name: 'ALTER TABLE to another connector', sql: "CREATE TABLE p (line STRING) WITH ('connector' = 'datagen');\nALTER TABLE p SET ('connector' = 'filesystem');\nSELECT * FROM p", refused: new RegExp(`statement 1 .*${PERMANENT.source}`) },
    { name: 'CREATE CATALOG', sql: "CREATE CATALOG c WITH ('type' = 'generic_in_memory');\nSELECT 1", refused: new RegExp(`statement 1 .*${CATALOGS.source}`) },
    { name: 'USE CATALOG', sql: 'USE CATALOG default_catalog;\nSELECT 1', refused: new RegExp(`statement 1 .*${CATALOGS.source}`) },
    { name: 'USE a database', sql: 'USE default_database;\nSELECT 1', refused: new RegExp(`statement 1 .*${CATALOGS.source}`) },
    { name: 'CREATE DATABASE', sql: 'CREATE DATABASE d;\nSELECT 1', refused: new RegExp(`statement 1 .*${CATALOGS.source}`) },
    // Statements about the session, and more than one query.
    { name: 'EXPLAIN', sql: `${DATAGEN};\nEXPLAIN SELECT line FROM t`, refused: new RegExp(`statement 2 \\(line 2: EXPLAIN.*${SESSION.source}`) },
    { name: 'DESCRIBE', sql: `${DATAGEN};\nDESCRIBE t;\nSELECT 1`, refused: new RegExp(`statement 2 \\(line 2: DESCRIBE t;\\) ${SESSION.source}`) },
    { name: 'SHOW TABLES', sql: 'SHOW TABLES;\nSELECT 1', refused: new RegExp(`statement 1 .*${SESSION.source}`) },
    { name: 'two SELECTs', sql: `${DATAGEN};\nSELECT line FROM t;\nSELECT line FROM t`, refused: /statement 3 \(line 3: SELECT line FROM t\) is a second SELECT; a preview runs exactly one/ },
    { name: 'a table created after the SELECT', sql: `SELECT 1;\n${DATAGEN}`, refused: /statement 2 \(line 2: CREATE TEMPORARY TABLE t.*comes after the SELECT; the SELECT must be last/ },
    { name: 'no SELECT at all', sql: DATAGEN, refused: /the script has no SELECT; a preview runs exactly one/ },
  ];
}

/** Scripts a preview must still run. */
export const ALLOWED_SCRIPTS: readonly { readonly name: string; readonly sql: string; readonly setup: number }[] = [
  { name: 'a datagen table and a SELECT', sql: `${DATAGEN};\nSELECT line FROM t`, setup: 1 },
  { name: 'an allowed SET, a view and a SELECT with a sub-query', sql: `SET 'table.local-time-zone' = 'UTC';\n${DATAGEN};\nCREATE TEMPORARY VIEW v AS SELECT line FROM t WHERE line <> '';\nSELECT line FROM v WHERE line IN (SELECT line FROM t);`, setup: 3 },
  { name: 'a CTE over a join of two datagen tables, with comments', sql: `-- counts\n${DATAGEN};\n/* the query */ WITH c AS (SELECT a.line FROM t a JOIN t b ON a.line = b.line) SELECT COUNT(*) FROM c -- done`, setup: 1 },
  { name: 'a query with no table', sql: 'SELECT 1 AS x', setup: 0 },
];
