import assert from 'node:assert/strict';
import { InvalidPreviewError, parsePreviewScript } from '../../workflows/preview/policy';
import { parsePreviewRequest } from '../../workflows/preview/request';
import { splitStatements, UnterminatedSql } from '../../workflows/preview/statements';

const TABLE = "CREATE TEMPORARY TABLE t (n BIGINT) WITH ('connector' = 'datagen')";

function refusal(sql: string): string {
  try {
    parsePreviewScript(sql);
  } catch (error) {
    assert.ok(error instanceof InvalidPreviewError, String(error));
    return error.message;
  }
  return assert.fail(`expected ${sql} to be refused`);
}

describe('splitStatements', () => {
  it('splits at semicolons and numbers statements and their first lines', () => {
    const statements = splitStatements(`${TABLE};\n\n  SELECT n FROM t;  \n`);
    assert.deepEqual(statements.map((s) => [s.index, s.line, s.text]), [[1, 1, TABLE], [2, 3, 'SELECT n FROM t']]);
  });

  it('does not split at a semicolon inside a string, a quoted identifier or a comment', () => {
    const sql = "SELECT 'a;b', \"x;y\", `p;q` /* c;d */ FROM t -- e;f\n WHERE s = 'it''s;'";
    const [only, ...rest] = splitStatements(sql);
    assert.equal(rest.length, 0);
    assert.equal(only?.text, sql);
  });

  it('blanks literals and comments in the skeleton, keeping positions', () => {
    const [statement] = splitStatements("SELECT 'INSERT' /* DROP */ FROM t");
    assert.equal(statement?.skeleton, `SELECT ${' '.repeat("'INSERT' /* DROP */".length)} FROM t`);
    assert.equal(statement?.skeleton.length, statement?.text.length);
  });

  it('drops statements made of comments only', () => {
    assert.deepEqual(splitStatements('-- nothing;\n/* at all */;').map((s) => s.text), []);
  });

  it('refuses a script that ends inside a string or a block comment', () => {
    assert.throws(() => splitStatements("SELECT 'open"), UnterminatedSql);
    assert.throws(() => splitStatements('SELECT 1 /* open'), /inside a \/\* comment/);
  });
});

describe('parsePreviewScript', () => {
  it('accepts temporary tables and views, allowed SETs and one SELECT last', () => {
    const script = parsePreviewScript(`${TABLE};\nSET 'table.local-time-zone' = 'UTC';\nCREATE TEMPORARY VIEW v AS SELECT n FROM t;\nSELECT * FROM v`);
    assert.equal(script.setup.length, 3);
    assert.equal(script.query, 'SELECT * FROM v');
  });

  it('accepts WITH queries and parenthesised unions as the SELECT', () => {
    assert.equal(parsePreviewScript('WITH x AS (SELECT 1 AS a) SELECT a FROM x').query, 'WITH x AS (SELECT 1 AS a) SELECT a FROM x');
    assert.equal(parsePreviewScript('(SELECT 1) UNION ALL (SELECT 2)').setup.length, 0);
  });

  it('refuses ADD JAR, naming the statement', () => {
    assert.match(refusal(`${TABLE};\nADD JAR '/tmp/x.jar';\nSELECT 1`), /statement 2 \(line 2: ADD JAR '\/tmp\/x\.jar'\) is not allowed: jars/);
  });

  it('refuses functions, with or without USING JAR', () => {
    assert.match(refusal("CREATE TEMPORARY FUNCTION f AS 'com.x.F' USING JAR '/tmp/f.jar'; SELECT 1"), /statement 1 .* functions bring code/);
    assert.match(refusal("CREATE FUNCTION f AS 'com.x.F'; SELECT 1"), /functions bring code/);
  });

  it('refuses INSERT, EXECUTE and statement sets', () => {
    assert.match(refusal(`${TABLE}; INSERT INTO t SELECT 1`), /statement 2 .* only reads/);
    assert.match(refusal('EXECUTE INSERT INTO t SELECT 1'), /only reads/);
    assert.match(refusal('EXECUTE STATEMENT SET BEGIN INSERT INTO t SELECT 1; END'), /only reads/);
  });

  it('refuses catalog and database changes and permanent tables', () => {
    assert.match(refusal("CREATE CATALOG c WITH ('type' = 'generic_in_memory'); SELECT 1"), /catalogs and databases/);
    assert.match(refusal('USE CATALOG c; SELECT 1'), /catalogs and databases/);
    assert.match(refusal('DROP DATABASE d; SELECT 1'), /catalogs and databases/);
    assert.match(refusal("CREATE TABLE t (n INT) WITH ('connector' = 'datagen'); SELECT 1"), /only TEMPORARY tables/);
  });

  it('refuses CREATE TEMPORARY TABLE AS SELECT but not computed columns', () => {
    assert.match(refusal('CREATE TEMPORARY TABLE t AS SELECT 1 AS n; SELECT 1'), /CREATE TABLE AS SELECT writes/);
    assert.equal(parsePreviewScript("CREATE TEMPORARY TABLE t (n INT, p AS PROCTIME()) WITH ('connector' = 'datagen'); SELECT n FROM t").setup.length, 1);
  });

  it('refuses a temporary table on a connector outside the allow-list, such as the shared machine\'s files', () => {
    assert.match(refusal("CREATE TEMPORARY TABLE f (line STRING) WITH ('connector' = 'filesystem', 'path' = 'file:///etc', 'format' = 'raw'); SELECT * FROM f"),
      /statement 1 .* connector 'filesystem' may not be read by a preview \(allowed: datagen, kafka/);
    assert.match(refusal("CREATE TEMPORARY TABLE j (n INT) WITH ('CONNECTOR' = 'JDBC'); SELECT * FROM j"), /connector 'jdbc' may not be read/);
  });

  it('is not fooled by a decoy connector in a comment, and wants a connector named', () => {
    assert.match(refusal("CREATE TEMPORARY TABLE f (n INT) /* 'connector' = 'datagen' */ WITH ('connector' = 'filesystem'); SELECT * FROM f"), /connector 'filesystem'/);
    assert.match(refusal('CREATE TEMPORARY TABLE c LIKE other; SELECT * FROM c'), /must name its connector/);
  });

  it('refuses SET of an option outside the allow-list, naming the option', () => {
    assert.match(refusal("SET 'rest.port' = '1'; SELECT 1"), /option 'rest\.port' may not be set/);
  });

  it('is not fooled by keywords inside literals or comments', () => {
    assert.equal(parsePreviewScript("SELECT 'ADD JAR; INSERT' AS s /* ; DROP DATABASE d */").query, "SELECT 'ADD JAR; INSERT' AS s /* ; DROP DATABASE d */");
    assert.match(refusal("/* SELECT */ INSERT INTO t SELECT 'x'"), /only reads/);
  });

  it('wants exactly one SELECT, last', () => {
    assert.match(refusal(TABLE), /no SELECT/);
    assert.match(refusal('SELECT 1; SELECT 2'), /statement 2 .* second SELECT/);
    assert.match(refusal(`SELECT 1; ${TABLE}`), /comes after the SELECT/);
  });

  it('refuses what it does not know (an allow-list)', () => {
    assert.match(refusal('SHOW TABLES; SELECT 1'), /may only CREATE TEMPORARY TABLE\/VIEW/);
  });
});

describe('parsePreviewRequest', () => {
  it('fills the defaults', () => {
    const request = parsePreviewRequest({ tenant: 'acme', sql: 'SELECT 1' });
    assert.deepEqual([request.maxRows, request.timeoutSeconds, request.pool, request.maxResultBytes], [30, 120, 'previews', 512 * 1024]);
  });

  it('names each bad field', () => {
    assert.throws(() => parsePreviewRequest({ tenant: 'Acme', sql: 'SELECT 1', maxRows: 0 }), (error: Error) => {
      assert.match(error.message, /request\.tenant: must be a DNS-1123 label/);
      assert.match(error.message, /request\.maxRows: must be at least 1/);
      return error.name === 'InvalidPreview';
    });
  });

  it('names the statement a script is refused for', () => {
    assert.throws(() => parsePreviewRequest({ tenant: 'acme', sql: "ADD JAR 'x.jar'; SELECT 1" }), /request\.sql: statement 1 .*ADD JAR/);
  });
});
