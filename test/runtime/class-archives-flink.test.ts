import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FlinkRestClient } from '../../activities/flink/rest-client';
import { SqlGatewayClient } from '../../activities/flink/sql-gateway-client';
import { ARCHIVED_ROLES, classArchiveFile } from '../../activities/runtime/local/class-archives';
import { clusterLayout } from '../../activities/runtime/local/layout';
import { LocalRuntime } from '../../activities/runtime/local/local-runtime';
import { readPid } from '../../activities/runtime/local/processes';
import { waitUntil } from '../../activities/runtime/local/wait';
import { clusterName } from '../../activities/names';
import { toolchain } from '../../scripts/toolchain';
import { TEST_RESOURCES } from '../harness/flink';
import { newStateDir } from '../harness/state';

const REF = { tenant: 'acme', name: 'previews' };
const ROWS = 50;

/** The launcher execs the JVM in place, so the pid file's pid is the JVM's: its maps show what it mapped. */
function mapsOf(runtime: LocalRuntime, processName: string): string {
  const pid = readPid(clusterLayout(runtime.stateDir, clusterName(REF.tenant, REF.name)).dir, processName);
  assert.ok(pid !== undefined, `${processName} has no pid file`);
  return readFileSync(`/proc/${pid}/maps`, 'utf8');
}

async function startWithTaskManager(runtime: LocalRuntime): Promise<{ restUrl: string; gatewayUrl: string }> {
  const { restUrl, gatewayUrl } = await runtime.deploySessionCluster({ ...REF, jobManager: TEST_RESOURCES, taskManager: TEST_RESOURCES });
  assert.ok(gatewayUrl, 'a session cluster without a SQL Gateway');
  await runtime.addTaskManager(REF, 'taskmanager-1');
  const rest = new FlinkRestClient(restUrl);
  await waitUntil('the TaskManager to register', async () => ((await rest.taskManagers()).some((tm) => tm.id === 'taskmanager-1') ? true : undefined), { timeoutMs: 120_000 });
  return { restUrl, gatewayUrl };
}

async function boundedQueryRows(gatewayUrl: string): Promise<number> {
  const gateway = new SqlGatewayClient(gatewayUrl);
  const session = await gateway.openSession({ 'execution.runtime-mode': 'streaming', 'parallelism.default': '1' });
  try {
    await gateway.executeAndCollect(session, `CREATE TEMPORARY TABLE numbers (n BIGINT) WITH ('connector' = 'datagen', 'number-of-rows' = '${ROWS}')`);
    return (await gateway.executeAndCollect(session, 'SELECT n FROM numbers')).rows.length;
  } finally {
    await gateway.closeSession(session);
  }
}

describe('the local runtime with the installer\'s class archives', () => {
  const archives = toolchain().flinkClassArchives;
  let runtime: LocalRuntime | undefined;
  afterEach(async () => {
    for (const cluster of await runtime?.listClusters() ?? []) await runtime?.deleteCluster(cluster);
  });

  it('maps each role\'s archive into its JobManager, SQL Gateway and TaskManager, and still runs a query to its end', async () => {
    for (const role of ARCHIVED_ROLES) assert.ok(existsSync(classArchiveFile(archives, role)), `no ${role} archive in ${archives}: run npm run install-deps`);
    runtime = new LocalRuntime({ flinkHome: toolchain().flinkHome, stateDir: newStateDir('class-archives'), classArchives: archives });
    const { gatewayUrl } = await startWithTaskManager(runtime);
    assert.ok(mapsOf(runtime, 'taskmanager-1').includes(classArchiveFile(archives, 'taskmanager')), 'the TaskManager did not map its archive');
    assert.ok(mapsOf(runtime, 'jobmanager').includes(classArchiveFile(archives, 'jobmanager')), 'the JobManager did not map its archive');
    assert.ok(mapsOf(runtime, 'sql-gateway').includes(classArchiveFile(archives, 'sql-gateway')), 'the SQL Gateway did not map its archive');
    assert.equal(await boundedQueryRows(gatewayUrl), ROWS);
  });

  it('starts a TaskManager whose archive is unusable without it, rather than not at all', async () => {
    const stale = mkdtempSync(join(newStateDir('class-archives'), 'archives-'));
    copyFileSync(classArchiveFile(archives, 'jobmanager'), classArchiveFile(stale, 'jobmanager'));
    writeFileSync(classArchiveFile(stale, 'taskmanager'), 'not a class archive');
    runtime = new LocalRuntime({ flinkHome: toolchain().flinkHome, stateDir: newStateDir('class-archives'), classArchives: stale });
    const { gatewayUrl } = await startWithTaskManager(runtime);
    assert.ok(!mapsOf(runtime, 'taskmanager-1').includes(classArchiveFile(stale, 'taskmanager')));
    assert.ok(mapsOf(runtime, 'jobmanager').includes(classArchiveFile(stale, 'jobmanager')), 'the JobManager did not map the archive that fits');
    assert.equal(await boundedQueryRows(gatewayUrl), ROWS);
  });
});
