import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqlGatewayClient } from '../../activities/flink/sql-gateway-client';
import { FlinkRestClient } from '../../activities/flink/rest-client';
import { ARCHIVED_ROLES, classArchiveFile, classArchiveTrainingOptions } from '../../activities/runtime/local/class-archives';
import { LocalRuntime } from '../../activities/runtime/local/local-runtime';
import { listPids, stopProcess } from '../../activities/runtime/local/processes';
import { waitUntil } from '../../activities/runtime/local/wait';
import { VERSIONS, type Toolchain } from '../toolchain';
import { ensureBuilt, InstallStepFailed, reportStage, say } from './steps';

const KEY_FILE = 'key';
const TRAINING = { tenant: 'flink-fleet', name: 'class-archive-training' };
const RESOURCES = { cpu: 1, memoryMb: 1024 };
/** A preview's shape, bounded so that it ends: a datagen source, a projection, a filter, codegen for both. */
const TRAINING_SQL = [
  "CREATE TEMPORARY TABLE numbers (n BIGINT, s STRING) WITH ('connector' = 'datagen', 'number-of-rows' = '200', 'rows-per-second' = '1000')",
  'SELECT n, UPPER(s) FROM numbers WHERE n > 0',
];

/**
 * What the archives depend on: an archive is only usable by the same JVM build and the same jars
 * (the JVM checks each jar's size and time), so a change to any of them makes a new training run.
 */
function archiveKey(tools: Toolchain): string {
  const java = spawnSync('java', ['-version'], { encoding: 'utf8' });
  const jars = [join(tools.flinkHome, 'lib'), join(tools.flinkHome, 'opt')].flatMap((dir) => readdirSync(dir)
    .filter((name) => name.endsWith('.jar'))
    .map((name) => { const { size, mtimeMs } = statSync(join(dir, name)); return `${dir}/${name} ${size} ${Math.floor(mtimeMs)}`; }));
  const text = [`flink ${VERSIONS.flink}`, java.stderr.trim(), ...jars.sort()].join('\n');
  return createHash('sha256').update(text).digest('hex');
}

/** The -classpath a running JVM was given, for checking its archive against the same path later. */
function classpathOf(pid: number): string {
  const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  const classpath = args[args.indexOf('-classpath') + 1];
  if (!args.includes('-classpath') || classpath === undefined) throw new InstallStepFailed(`the training JVM ${pid} has no -classpath: ${args.join(' ')}`);
  return classpath;
}

/** Loads what a preview loads: the gateway's planner and codegen, the TaskManager's task and datagen classes. */
async function train(runtime: LocalRuntime, dir: string): Promise<void> {
  const spec = { ...TRAINING, jobManager: RESOURCES, taskManager: RESOURCES, flinkOptions: classArchiveTrainingOptions(dir) };
  const { restUrl, gatewayUrl } = await runtime.deploySessionCluster(spec);
  if (!gatewayUrl) throw new InstallStepFailed('the training cluster has no SQL Gateway');
  await runtime.addTaskManager(TRAINING, 'taskmanager-1');
  const rest = new FlinkRestClient(restUrl);
  await waitUntil('the training TaskManager to register', async () => ((await rest.taskManagers()).length > 0 ? true : undefined), { timeoutMs: 180_000 });
  const gateway = new SqlGatewayClient(gatewayUrl);
  const session = await gateway.openSession({ 'execution.runtime-mode': 'streaming', 'parallelism.default': '1' });
  let rows = 0;
  for (const statement of TRAINING_SQL) rows = (await gateway.executeAndCollect(session, statement)).rows.length;
  await gateway.closeSession(session);
  if (rows === 0) throw new InstallStepFailed('the training query returned no row, so the TaskManager ran no task');
}

/**
 * A dynamic archive is written as the JVM exits, which takes seconds on a busy machine: SIGTERM,
 * then a long wait, never the runtime's quick kill. Returns each role's classpath.
 */
async function stopAndDump(runtime: LocalRuntime, stateDir: string): Promise<Map<string, string>> {
  const clusterDir = join(stateDir, 'clusters', (await runtime.listClusters())[0]?.cluster ?? '');
  const pids = listPids(clusterDir);
  const classpaths = new Map([...pids].map(([name, pid]) => [name, classpathOf(pid)]));
  await Promise.all([...pids.values()].map((pid) => stopProcess(pid, 180_000)));
  await runtime.deleteCluster(TRAINING);
  return classpaths;
}

/** `-Xshare:on` refuses to start when the archive cannot be mapped, where the fleet's `-Xshare:auto` would silently go without. */
function verify(archive: string, classpath: string): void {
  const check = spawnSync('java', ['-Xshare:on', `-XX:SharedArchiveFile=${archive}`, '-Xlog:cds=info', '-classpath', classpath, '-version'], { encoding: 'utf8' });
  const output = `${check.stdout}${check.stderr}`;
  if (check.status !== 0 || !output.includes(archive)) {
    throw new InstallStepFailed(`java cannot map the class archive ${archive} with its classpath (exit ${check.status}):\n${output.split('\n').slice(-15).join('\n')}`);
  }
}

async function build(tools: Toolchain, dir: string): Promise<void> {
  const stateDir = mkdtempSync(join(tmpdir(), 'flink-fleet-class-archives-'));
  const runtime = new LocalRuntime({ flinkHome: tools.flinkHome, stateDir, startupTimeoutMs: 180_000 });
  try {
    const classpaths = await reportStage('flink-class-archives', { label: 'training run: a JobManager, a TaskManager and the SQL Gateway run a SQL query' }, async () => {
      await train(runtime, dir);
      return stopAndDump(runtime, stateDir);
    });
    for (const role of ARCHIVED_ROLES) {
      const classpath = classpaths.get(role === 'taskmanager' ? 'taskmanager-1' : role);
      if (!existsSync(classArchiveFile(dir, role)) || classpath === undefined) throw new InstallStepFailed(`the training run's ${role} wrote no class archive`);
      verify(classArchiveFile(dir, role), classpath);
    }
  } finally {
    for (const cluster of await runtime.listClusters()) await runtime.deleteCluster(cluster);
    rmSync(stateDir, { recursive: true, force: true });
  }
}

/** Idempotent: the archives are kept while Flink, Java and the jars are the ones they were made from. */
export async function installFlinkClassArchives(tools: Toolchain): Promise<void> {
  const dir = tools.flinkClassArchives;
  const key = archiveKey(tools);
  const keyFile = join(dir, KEY_FILE);
  if (existsSync(dir) && (!existsSync(keyFile) || readFileSync(keyFile, 'utf8').trim() !== key)) {
    say('flink-class-archives', 'Flink, Java or the jars changed since the archives were made: making them again');
    rmSync(dir, { recursive: true, force: true });
  }
  await ensureBuilt('flink-class-archives', dir, async (target) => {
    await build(tools, target);
    writeFileSync(join(target, KEY_FILE), `${key}\n`);
  });
}
