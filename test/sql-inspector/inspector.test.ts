import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { inspectorClasspath } from '../../activities/sql-inspector/classpath';
import { SqlInspectionTimeout, SqlInspector } from '../../activities/sql-inspector/inspector';
import { isRunning } from '../../activities/runtime/local/processes';
import { waitUntil } from '../../activities/runtime/local/wait';
import { toolchain } from '../../scripts/toolchain';
import { assertCompilesWithC1Only } from '../harness/jvm-threads';
import { createSqlInspector, sqlInspectorInstall } from '../../worker/sql-inspector';

/** The inspector JVMs this test process started (its own children), by pid. */
function inspectorPids(): number[] {
  try {
    return execFileSync('pgrep', ['-P', String(process.pid), '-f', 'io.flinkfleet.inspector.Main'], { encoding: 'utf8' }).trim().split('\n').map(Number);
  } catch {
    return [];
  }
}

describe('the SQL inspector client and its JVM', () => {
  let inspector: SqlInspector;
  // The process's shared inspector (used by in-process workers of earlier files) is not this test's.
  let others = new Set<number>();
  const ownPids = (): number[] => inspectorPids().filter((pid) => !others.has(pid));
  beforeEach(() => {
    others = new Set(inspectorPids());
    inspector = createSqlInspector(sqlInspectorInstall({ FLINK_HOME: toolchain().flinkHome }));
  });
  afterEach(async () => {
    await inspector.close();
  });

  it('answers Flink\'s parse error as an answer with its line and column, and keeps answering', async () => {
    const refused = await inspector.inspect("CREATE TEMPORARY TABLE t (n INT) WITH ('connector' = 'datagen');\nSELECT n FORM t");
    assert.equal(refused.ok, false);
    assert.match(refused.ok ? '' : refused.error.message, /^statement 2: SQL parse failed\. Encountered "t" at line 1, column 15\./);
    assert.equal(refused.ok ? undefined : refused.error.line, 2);
    const answered = await inspector.inspect('SELECT 1 AS x');
    assert.deepEqual(answered.ok && answered.statements.map((s) => [s.operation, s.text]), [['PlannerQueryOperation', 'SELECT 1 AS x']]);
  });

  it('answers a script nested deeper than Flink\'s parser can follow, and keeps answering', async () => {
    const deep = await inspector.inspect(`SELECT ${'('.repeat(20_000)}1${')'.repeat(20_000)}`);
    assert.equal(deep.ok, false);
    assert.equal((await inspector.inspect('SELECT 1 AS x')).ok, true);
  });

  it('rebuilds the script from Flink\'s tokens alone, so SqlDriver\'s own scanner finds the same statements', async () => {
    // SqlDriver's scanner closes a comment at the `/` of `/*/`; Flink's lexer does not. Without
    // comments the hidden ADD JAR is gone for both, and each token stays on its line.
    const answer = await inspector.inspect("CREATE TABLE a (n INT) WITH ('connector' = 'datagen'); /*/ ; ADD JAR '/tmp/evil.jar'; -- */\n"
      + "INSERT INTO a SELECT n FROM a -- done\n;");
    assert.deepEqual(answer.ok && answer.statements.map((s) => s.operation), ['CreateTableOperation', 'SinkModifyOperation']);
    assert.equal(answer.ok && answer.tokensOnly, "CREATE TABLE a ( n INT ) WITH ( 'connector' = 'datagen' ) ;\nINSERT INTO a SELECT n FROM a\n;");
  });

  it('reports a connector Flink cannot find on the gateway\'s classpath as Flink does', async () => {
    const answer = await inspector.inspect("CREATE TEMPORARY TABLE t (n INT) WITH ('connector' = 'jdbc');\nSELECT n FROM t");
    assert.equal(answer.ok, false);
    assert.match(answer.ok ? '' : answer.error.message, /Could not find any factory for identifier 'jdbc'/);
  });

  it('starts a new JVM after its JVM died', async () => {
    await inspector.inspect('SELECT 1 AS x');
    const [pid] = ownPids();
    assert.ok(pid, 'a running inspector JVM');
    process.kill(pid, 'SIGKILL');
    await new Promise((resolve) => setTimeout(resolve, 200));
    const answer = await inspector.inspect('SELECT 2 AS y');
    assert.equal(answer.ok, true);
    assert.notDeepEqual(ownPids(), [pid]);
  });

  it('compiles with C1 only: its JVM runs C1 compiler threads and no C2 one', async () => {
    await inspector.inspect('SELECT 1 AS x');
    const [pid] = ownPids();
    assert.ok(pid, 'a running inspector JVM');
    assertCompilesWithC1Only(pid);
  });

  it('stops its JVM on close', async () => {
    await inspector.inspect('SELECT 1 AS x');
    assert.equal(ownPids().length, 1);
    await inspector.close();
    assert.deepEqual(ownPids(), []);
  });

  it('stops its JVM when the worker that started it dies without closing it (SIGKILL)', async () => {
    const owner = spawn(process.execPath, ['--require', 'tsx/cjs', join(__dirname, 'inspector-owner.ts')], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const [line] = await once(owner.stdout, 'data') as [Buffer];
      const jvm = Number(line.toString().trim());
      assert.ok(jvm > 0 && isRunning(jvm), `the owner's inspector JVM runs: ${line.toString()}`);
      owner.kill('SIGKILL');
      await waitUntil(`inspector JVM ${jvm} to exit after its owner died`, async () => (isRunning(jvm) ? undefined : true), { timeoutMs: 30_000, intervalMs: 200 })
        .finally(() => {
          if (isRunning(jvm)) process.kill(jvm, 'SIGKILL');
        });
    } finally {
      owner.kill('SIGKILL');
    }
  });

  it('gives up on a request past its budget and kills that JVM', async () => {
    const tools = toolchain();
    const hurried = new SqlInspector({
      classpath: inspectorClasspath({ flinkHome: tools.flinkHome, plannerJar: tools.flinkTablePlannerJar, builds: tools.sqlInspectorBuilds }), requestTimeoutMs: 1,
    });
    const many = Array.from({ length: 200 }, (_, i) => `SELECT ${i} AS c${i}`).join(' UNION ALL ');
    await assert.rejects(hurried.inspect(many), (error: unknown) => error instanceof SqlInspectionTimeout && /longer than 1 ms/.test(error.message));
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.deepEqual(ownPids(), []);
    await hurried.close();
  });
});
