import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseFlinkConfig, type FlinkOptions } from '../../flink/config';
import { flinkJvmCommand, flinkJvmEnvironment, RESOURCE_COMMANDS } from './jvm-command';
import { resourceParams } from './resource-params';

/** Which of Flink's launcher scripts runs a role; `start-foreground` makes it exec the JVM in place. */
const LAUNCHERS = {
  jobmanager: 'jobmanager.sh',
  taskmanager: 'taskmanager.sh',
  'sql-gateway': 'sql-gateway.sh',
  'standalone-job': 'standalone-job.sh',
} as const;

export type FlinkRole = keyof typeof LAUNCHERS;

/**
 * Flink's JVMs run at this niceness, below the control plane on the same host (the worker, Temporal):
 * the local runtime's stand-in for the CPU requests that keep them apart on Kubernetes. A starved
 * worker took 7-15 s over workflow tasks in a loaded CI run. At 10 (a CPU weight of 110 against 1024)
 * the JVMs starved instead: a TaskManager a preview waited for did not start within the preview's two
 * minutes at load 20. At 5 (335) a Flink thread gets a third of a control-plane thread's share; the
 * workflow task timeout (client/workflow-task-timeout.ts) covers the rest. An idle host sees no difference.
 */
export const FLINK_NICENESS = 5;

export interface FlinkProcessSpec {
  readonly flinkHome: string;
  /** The cluster's folder: conf/, log/ and pids/ live under it. */
  readonly clusterDir: string;
  readonly role: FlinkRole;
  /** Unique within the cluster, e.g. `taskmanager-2`; names the pid and log files. */
  readonly name: string;
  readonly args?: readonly string[];
  /** Flink's own launcher scripts instead of the direct start: what raw Flink does, for a bench to compare with. */
  readonly launcher?: 'direct' | 'flink-scripts';
  /** Where a direct start keeps Flink's memory sizing answers for later processes (resource-params.ts). */
  readonly sizingCache?: string;
}

export interface FlinkProcess {
  readonly name: string;
  readonly role: FlinkRole;
  readonly pid: number;
  readonly logFile: string;
}

/** `pids/` holds our pid files; Flink's launcher keeps its own in `run/`. */
export function clusterPaths(clusterDir: string): { conf: string; log: string; pids: string; run: string } {
  return { conf: join(clusterDir, 'conf'), log: join(clusterDir, 'log'), pids: join(clusterDir, 'pids'), run: join(clusterDir, 'run') };
}

/**
 * Starts one Flink JVM detached from this process, so that it outlives a worker restart; its pid
 * file is how a later worker finds it again. The JVM is started directly (jvm-command.ts), as Flink's
 * launcher script would start it, unless the spec asks for the script itself (raw Flink in a bench).
 */
export async function startFlinkProcess(spec: FlinkProcessSpec): Promise<FlinkProcess> {
  const paths = clusterPaths(spec.clusterDir);
  mkdirSync(paths.log, { recursive: true });
  mkdirSync(paths.pids, { recursive: true });
  const logFile = join(paths.log, `${spec.name}.out`);
  const [program, env] = spec.launcher === 'flink-scripts'
    ? [[join(spec.flinkHome, 'bin', LAUNCHERS[spec.role]), 'start-foreground', ...(spec.args ?? [])], launcherEnvironment(spec, paths)]
    : await directJvmLaunch(spec);
  const out = openSync(logFile, 'a');
  try {
    // `nice` execs the launcher or java: one pid throughout, and every thread inherits the niceness.
    const child = spawn('nice', ['-n', String(FLINK_NICENESS), ...program], { detached: true, stdio: ['ignore', out, out], env: { ...process.env, ...env } });
    if (child.pid === undefined) throw new Error(`could not start Flink ${spec.role} from ${spec.flinkHome}`);
    child.unref();
    writeFileSync(pidFile(spec.clusterDir, spec.name), `${child.pid}\n`);
    return { name: spec.name, role: spec.role, pid: child.pid, logFile };
  } finally {
    closeSync(out);
  }
}

function launcherEnvironment(spec: FlinkProcessSpec, paths: ReturnType<typeof clusterPaths>): Record<string, string> {
  // FLINK_IDENT_STRING keeps each JVM's log file name distinct within one cluster folder.
  return { FLINK_HOME: spec.flinkHome, FLINK_CONF_DIR: paths.conf, FLINK_LOG_DIR: paths.log, FLINK_PID_DIR: paths.run, FLINK_IDENT_STRING: spec.name };
}

/** The java command line and environment a direct start runs (exported for the test that compares it with Flink's scripts). */
export async function directJvmLaunch(spec: FlinkProcessSpec): Promise<[string[], Record<string, string>]> {
  const paths = clusterPaths(spec.clusterDir);
  const options = parseFlinkConfig(readFileSync(join(paths.conf, 'config.yaml'), 'utf8'));
  const java = javaRuntime(options);
  const jars = flinkJars(spec.flinkHome);
  const args = spec.args ?? [];
  const resources = RESOURCE_COMMANDS[spec.role] ? await resourceParams({
    java: java.binary, flinkHome: spec.flinkHome, distJar: jars.dist, role: spec.role, options, args, ...(spec.sizingCache ? { cacheDir: spec.sizingCache } : {}),
  }) : undefined;
  const command = flinkJvmCommand({
    role: spec.role, flinkHome: spec.flinkHome, confDir: paths.conf, logDir: paths.log, ident: spec.name, hostname: process.env.HOSTNAME ?? hostname(),
    options, libJars: jars.lib, distJar: jars.dist, javaVersion: java.version, args,
    ...(resources ? { resources } : {}),
    ...(spec.role === 'sql-gateway' ? { gatewayJars: jars.gateway } : {}),
  });
  return [[java.binary, ...command], flinkJvmEnvironment(spec.flinkHome, paths, spec.name, options)];
}

/** The java config.sh would pick: env.java.home, then JAVA_HOME, then the PATH's; and its major version. */
function javaRuntime(options: FlinkOptions): { binary: string; version: number } {
  const home = typeof options['env.java.home'] === 'string' ? options['env.java.home'] : process.env.JAVA_HOME;
  const binary = home ? join(home, 'bin', 'java') : onPath('java');
  const release = readFileSync(join(dirname(dirname(realpathSync(binary))), 'release'), 'utf8');
  const version = /^JAVA_VERSION="(?:1\.)?(\d+)/m.exec(release)?.[1];
  if (!version) throw new Error(`cannot tell the version of the Java at ${binary}`);
  return { binary, version: Number(version) };
}

function onPath(program: string): string {
  const found = (process.env.PATH ?? '').split(':').map((dir) => join(dir, program)).find((candidate) => existsSync(candidate));
  if (!found) throw new Error(`${program} is not on the PATH`);
  return found;
}

const jarsOf = new Map<string, { lib: string[]; dist: string; gateway: string[] }>();

/** lib/'s jars but flink-dist, flink-dist, and the SQL Gateway's jars of opt/ (the gateway's, then flink-python's). */
function flinkJars(flinkHome: string): { lib: string[]; dist: string; gateway: string[] } {
  let jars = jarsOf.get(flinkHome);
  if (!jars) {
    const all = readdirSync(join(flinkHome, 'lib')).filter((f) => f.endsWith('.jar')).map((f) => join(flinkHome, 'lib', f));
    const dists = all.filter((jar) => /\/flink-dist[^/]*\.jar$/.test(jar));
    const [dist] = dists;
    if (dist === undefined || dists.length > 1) throw new Error(`expected one flink-dist jar in ${flinkHome}/lib, found ${dists.length}`);
    const lib = all.filter((jar) => jar !== dist);
    const opt = readdirSync(join(flinkHome, 'opt'));
    const gateway = [/^flink-sql-gateway.*\.jar$/, /^flink-python.*\.jar$/].flatMap((pattern) => opt.filter((f) => pattern.test(f)).map((f) => join(flinkHome, 'opt', f)));
    jars = { lib, dist, gateway };
    jarsOf.set(flinkHome, jars);
  }
  return jars;
}

function pidFile(clusterDir: string, name: string): string {
  return join(clusterPaths(clusterDir).pids, `${name}.pid`);
}

export function readPid(clusterDir: string, name: string): number | undefined {
  const file = pidFile(clusterDir, name);
  if (!existsSync(file)) return undefined;
  const pid = Number.parseInt(readFileSync(file, 'utf8').trim(), 10);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/**
 * Marks a process as being stopped on purpose, before it is signalled: until its pid file is gone
 * it may be seen dead, and that is no failure. The pid file stays, so cleanup still finds it.
 */
export function markRetiring(clusterDir: string, name: string): void {
  writeFileSync(join(clusterPaths(clusterDir).pids, `${name}.retiring`), '');
}

export function isRetiring(clusterDir: string, name: string): boolean {
  return existsSync(join(clusterPaths(clusterDir).pids, `${name}.retiring`));
}

export function forgetPid(clusterDir: string, name: string): void {
  rmSync(pidFile(clusterDir, name), { force: true });
  rmSync(join(clusterPaths(clusterDir).pids, `${name}.retiring`), { force: true });
}

/** Our pid files, by process name. */
export function listPids(clusterDir: string): Map<string, number> {
  const dir = clusterPaths(clusterDir).pids;
  const pids = new Map<string, number>();
  if (!existsSync(dir)) return pids;
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.pid'))) {
    const name = file.slice(0, -'.pid'.length);
    const pid = readPid(clusterDir, name);
    if (pid !== undefined) pids.set(name, pid);
  }
  return pids;
}

/**
 * A pid alone can be reused by an unrelated process after a reboot or a long time. A process of a
 * cluster carries the cluster's FLINK_CONF_DIR in its environment, from the launcher script's first
 * instant through the JVM it execs, which an unrelated process does not.
 */
export function isRunning(pid: number, clusterDir?: string): boolean {
  const fields = statFields(pid);
  // A zombie has exited already.
  if (fields === undefined || fields[0] === 'Z') return false;
  if (clusterDir === undefined) return true;
  try {
    return readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(`FLINK_CONF_DIR=${clusterPaths(clusterDir).conf}`);
  } catch {
    return false;
  }
}

/**
 * Fields of /proc/<pid>/stat (or of one thread's, /proc/<pid>/task/<tid>/stat) after the parenthesised
 * command name: state, ppid, pgrp, ... as proc(5) numbers them from 3.
 */
export function statFields(pid: number, tid?: number): string[] | undefined {
  try {
    const stat = readFileSync(tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** Live (not zombie) processes whose process group is `pgid`. */
export function processGroupMembers(pgid: number): number[] {
  const members: number[] = [];
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    const fields = statFields(pid);
    if (fields && fields[0] !== 'Z' && Number(fields[2]) === pgid) members.push(pid);
  }
  return members;
}

/**
 * The group to signal for `pid`: its own when it leads one (every Flink process and server we start
 * is spawned detached, so it does), else none. Never our own group, which would signal ourselves.
 */
function groupLedBy(pid: number): number | undefined {
  const pgid = Number(statFields(pid)?.[2]);
  const ours = Number(statFields(process.pid)?.[2]);
  return pgid === pid && pgid !== ours ? pgid : undefined;
}

/**
 * SIGKILLs `pid` with the group it leads, at once and without waiting: for a process that is about
 * to exit and cannot await stopProcess.
 */
export function killProcessNow(pid: number): void {
  const group = groupLedBy(pid);
  try {
    process.kill(group === undefined ? pid : -group, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

/**
 * SIGTERM lets Flink deregister cleanly; SIGKILL after the grace period makes stopping certain. A
 * process that leads its group is stopped with the whole group and waited for until no member is
 * left: a launcher script's children (a JVM still being exec'd, a subshell) outlive a signal to the
 * script's pid alone.
 */
export async function stopProcess(pid: number, graceMs = 10_000): Promise<void> {
  if (!isRunning(pid)) return;
  const group = groupLedBy(pid);
  const target = group === undefined ? pid : -group;
  const alive = (): boolean => (group === undefined ? isRunning(pid) : processGroupMembers(group).length > 0);
  const signal = (sig: NodeJS.Signals): void => {
    try {
      process.kill(target, sig);
    } catch {
      // Already gone: stopping is idempotent.
    }
  };
  signal('SIGTERM');
  const deadline = Date.now() + graceMs;
  while (alive() && Date.now() < deadline) await sleep(100);
  if (alive()) signal('SIGKILL');
  while (alive()) await sleep(50);
}

export function lastLines(file: string, count = 30): string {
  if (!existsSync(file)) return `(no log at ${file})`;
  return readFileSync(file, 'utf8').split('\n').slice(-count - 1).join('\n');
}
