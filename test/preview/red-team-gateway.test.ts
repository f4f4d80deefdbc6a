import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FlinkRestClient } from '../../activities/flink/rest-client';
import { SqlGatewayClient } from '../../activities/flink/sql-gateway-client';
import { toolchain } from '../../scripts/toolchain';
import { closeSessionSafely } from '../harness/gateway-session';
import { sharedFlinkCluster } from '../harness/global';
import { newStateDir } from '../harness/state';
import { DATAGEN, fileOptions, hostileScripts } from './hostile-scripts';

/**
 * Why the red team's scripts are refused: on the real SQL Gateway each one does what it set out to
 * do. OPTIONS hints are re-enabled for the session here, as they are by default in Flink; the
 * fleet's session clusters turn them off (the last test), which the inspector does not rely on.
 */
describe('the red team\'s scripts on a real SQL Gateway, without the inspector', () => {
  let gateway: SqlGatewayClient;
  let flink: FlinkRestClient;
  let session: string;
  const secretText = `flink-fleet-secret-${randomUUID()}`;
  const secretFile = join(newStateDir('red-team'), 'secret.txt');
  const scripts = new Map(hostileScripts(secretFile).map((s) => [s.name, s.sql]));

  before(async () => {
    writeFileSync(secretFile, `${secretText}\n`);
    const cluster = await sharedFlinkCluster();
    gateway = new SqlGatewayClient(cluster.gatewayUrl);
    flink = new FlinkRestClient(cluster.restUrl);
  });

  beforeEach(async () => {
    session = await gateway.openSession({ 'execution.runtime-mode': 'streaming', 'table.dynamic-table-options.enabled': 'true' });
  });

  // Closing the session cancels its queries' jobs; the shared cluster must be left idle.
  afterEach(() => closeSessionSafely(gateway, flink, session));

  /** Runs the statements (each of these scripts puts one per line-ending `;`) and returns the last one's rows. */
  async function run(sql: string): Promise<unknown[][]> {
    const statements = sql.split(/;\n/);
    let rows: unknown[][] = [];
    for (const statement of statements) rows = (await gateway.executeAndCollect(session, statement)).rows.map((r) => r.fields);
    return rows;
  }

  const readsTheFile = [
    'a hint in the SELECT', 'a hint in a view', 'a hint in a CTE', 'LIKE overwriting the connector', 'a key given twice, Flink taking the last',
    'a decoy connector in a block comment', 'a Unicode-escaped connector name', 'a national string literal', 'a literal split across lines',
  ];
  for (const name of readsTheFile) {
    it(`reads a file of the shared machine through ${name}`, async () => {
      const sql = scripts.get(name);
      assert.ok(sql, name);
      assert.deepEqual(await run(sql), [[secretText]]);
    });
  }

  it('adds a jar to the session with ADD JAR', async () => {
    await run(`ADD JAR '${toolchain().flinkExamplesJar}'`);
    assert.deepEqual(await run('SHOW JARS'), [[toolchain().flinkExamplesJar]]);
  });

  it("sets the job's name, which names the fleet's own jobs, with SET 'pipeline.name'", async () => {
    await run(scripts.get("SET 'pipeline.name'")?.split(';\n')[0] as string);
    assert.ok((await run('SET')).some(([key, value]) => key === 'pipeline.name' && value === 'preview/other-tenant/1'));
  });

  it('starts a job that writes, with INSERT', async () => {
    await run("CREATE TEMPORARY TABLE single_row (line STRING) WITH ('connector' = 'datagen', 'number-of-rows' = '1')");
    await run("CREATE TEMPORARY TABLE sink (line STRING) WITH ('connector' = 'blackhole')");
    const { jobId } = await gateway.executeAndCollect(session, 'INSERT INTO sink SELECT line FROM single_row');
    assert.match(jobId ?? '', /^[0-9a-f]{32}$/);
  });

  it('creates a catalog that outlives the statement, with CREATE CATALOG', async () => {
    await run(scripts.get('CREATE CATALOG')?.split(';\n')[0] as string);
    assert.ok((await run('SHOW CATALOGS')).some(([name]) => name === 'c'));
  });

  it('runs statements about the session, such as EXPLAIN', async () => {
    const [[plan]] = await run(`${DATAGEN};\nEXPLAIN SELECT line FROM t`) as [[string]];
    assert.match(plan, /TableSourceScan\(table=\[\[default_catalog, default_database, t\]\]/);
  });

  it('refuses a hint on the fleet\'s session cluster itself (defence in depth)', async () => {
    const own = await gateway.openSession({ 'execution.runtime-mode': 'streaming' });
    try {
      await gateway.executeAndCollect(own, DATAGEN);
      await assert.rejects(gateway.executeAndCollect(own, `SELECT line FROM t /*+ OPTIONS(${fileOptions(secretFile)}) */`),
        /'OPTIONS' hint is allowed only when the config option 'table\.dynamic-table-options\.enabled' is set to true/);
    } finally {
      await gateway.closeSession(own);
    }
  });
});
