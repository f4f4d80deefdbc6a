import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { clusterLayout, listRecords } from '../../activities/runtime/local/layout';
import { isRunning, listPids } from '../../activities/runtime/local/processes';
import type { DaemonLaunch } from './daemons';

/**
 * The dev stack's record (`<dir>/stack.json`): what runs, under which pid, logging where. Apart from
 * starting and stopping (stack.ts), so a CLI command that only reads it loads nothing heavy.
 */

/** Decodes payloads for the dev server's UI, which is told its endpoint (token included) at start. */
export interface DevCodecServer {
  readonly pid: number;
  /** Without the token, which is in `tokenFile`. */
  readonly url: string;
  readonly tokenFile: string;
  readonly log: string;
}

/** kwok nodes run no containers; pods that select the real node (REAL_NODE_SELECTOR) run there. */
export interface DevKubernetes {
  readonly server: string;
  readonly kubeconfig: string;
  readonly dataDir: string;
  /** The real node's folder: stopRealNode(nodeDir) drains it and puts the host back. */
  readonly nodeDir: string;
  /** The control plane's, the node's and the S3 gateway's processes, in start order; stopped in reverse. */
  readonly daemons: readonly DaemonLaunch[];
  /** Where Flink's pods keep checkpoints, savepoints and HA state: the S3 gateway on the node's address. */
  readonly s3: { readonly endpoint: string; readonly credentialsFile: string };
  /** The Flink image loaded into the node, which the worker's clusters run. */
  readonly flinkImage: string;
}

export interface DevStack {
  readonly dir: string;
  readonly address: string;
  readonly uiUrl: string;
  readonly temporalPid: number;
  readonly workerPid: number;
  readonly workerLog: string;
  /** The worker's Prometheus endpoint: the fleet's own metrics and the SDK's. */
  readonly metricsUrl: string;
  readonly runtimeStateDir: string;
  readonly runtime: 'local' | 'kubernetes';
  readonly kubernetes?: DevKubernetes;
  /** The payload keys of this stack's worker and clients, made at the first `dev up` and kept with its database. */
  readonly codecKeyFile: string;
  readonly codecServer: DevCodecServer;
}

export function defaultDevDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.FLEET_DEV_DIR ?? join(homedir(), '.local', 'state', 'flink-fleet', 'dev');
}

const stackFile = (dir: string): string => join(dir, 'stack.json');

export function writeDevStack(stack: DevStack): void {
  writeFileSync(stackFile(stack.dir), `${JSON.stringify(stack, null, 2)}\n`);
}

export function removeDevStackFile(dir: string): void {
  rmSync(stackFile(dir), { force: true });
}

export function readDevStack(dir: string): DevStack | undefined {
  if (!existsSync(stackFile(dir))) return undefined;
  return JSON.parse(readFileSync(stackFile(dir), 'utf8')) as DevStack;
}

export function devStackHealth(stack: DevStack): DevStackHealth {
  const kubernetes = stack.kubernetes ? { kubernetes: { daemons: stack.kubernetes.daemons.length, dead: deadDaemons(stack.kubernetes).map((d) => d.name) } } : {};
  return { runtime: stack.runtime, temporal: isRunning(stack.temporalPid), worker: isRunning(stack.workerPid), codecServer: isRunning(stack.codecServer.pid), ...kubernetes };
}

/** Where each piece logs: derived from the folder alone, so the logs of a stack that is down can still be read. */
export function devStackLogs(dir: string): { worker: string; temporal: string; codecServer: string; clusters: string } {
  return {
    worker: join(dir, 'worker.log'),
    temporal: join(dir, 'temporal', 'temporal.log'),
    codecServer: join(dir, 'codec-server.log'),
    clusters: join(dir, 'runtime', 'clusters'),
  };
}

export type DevComponent = 'temporal' | 'worker' | 'codecServer';

export function deadDaemons(kubernetes: DevKubernetes): DaemonLaunch[] {
  return kubernetes.daemons.filter((daemon) => !isRunning(daemon.pid));
}

export type HealPlan = { rebuild: true } | { rebuild: false; daemons: string[]; restart: DevComponent[] };

/**
 * What `dev up` does with the stack it finds: nothing when all runs; restart what died, in the order
 * the others need them (the codec server for the UI, the server and the Kubernetes daemons, each on
 * its old arguments and data, for the worker); or, for another runtime, or a Kubernetes part dead as
 * a whole (a reboot takes the node's interfaces, mounts and iptables with it), stop it all and start anew.
 */
export function healPlan(health: DevStackHealth, runtime: DevStack['runtime']): HealPlan {
  const kubernetes = health.kubernetes;
  if (health.runtime !== runtime || (kubernetes && kubernetes.dead.length === kubernetes.daemons)) return { rebuild: true };
  const order: DevComponent[] = ['codecServer', 'temporal', 'worker'];
  return { rebuild: false, daemons: [...(kubernetes?.dead ?? [])], restart: order.filter((component) => !health[component]) };
}

export interface DevStackHealth {
  readonly runtime: DevStack['runtime'];
  readonly temporal: boolean;
  readonly worker: boolean;
  readonly codecServer: boolean;
  /** How many daemons the Kubernetes part has, and the names of those that died. */
  readonly kubernetes?: { readonly daemons: number; readonly dead: readonly string[] };
}

/** The last lines of a log, without the empty one after its final newline. */
export function logTail(file: string, count: number): string[] {
  if (!existsSync(file)) return [];
  const lines = readFileSync(file, 'utf8').split('\n');
  if (lines.at(-1) === '') lines.pop();
  return count === 0 ? lines : lines.slice(-count);
}

const DEATH_LINES = 10;

export interface ComponentStatus {
  readonly component: DevComponent | 'kubernetes';
  readonly running: boolean;
  readonly pids: readonly number[];
  readonly log: string;
  /** Only for one that died: the end of its log, which is all a detached process leaves to say why. */
  readonly lastLines?: readonly string[];
  /** Only for a Kubernetes part of which some died: their names; `log` is the first one's. */
  readonly dead?: readonly string[];
}

function kubernetesStatus(kubernetes: DevKubernetes): ComponentStatus {
  const pids = kubernetes.daemons.map((daemon) => daemon.pid);
  const dead = deadDaemons(kubernetes);
  const first = dead[0];
  if (first === undefined) return { component: 'kubernetes', running: true, pids, log: kubernetes.dataDir };
  return { component: 'kubernetes', running: false, pids, log: first.log, lastLines: logTail(first.log, DEATH_LINES), dead: dead.map((daemon) => daemon.name) };
}

export function devStackStatus(stack: DevStack): ComponentStatus[] {
  const health = devStackHealth(stack);
  const logs = devStackLogs(stack.dir);
  const one = (component: DevComponent, pid: number, log: string): ComponentStatus => (health[component]
    ? { component, running: true, pids: [pid], log }
    : { component, running: false, pids: [pid], log, lastLines: logTail(log, DEATH_LINES) });
  const kubernetes = stack.kubernetes ? [kubernetesStatus(stack.kubernetes)] : [];
  return [one('temporal', stack.temporalPid, logs.temporal), one('worker', stack.workerPid, logs.worker), one('codecServer', stack.codecServer.pid, logs.codecServer), ...kubernetes];
}

/** A cluster of the stack's runtime and its processes: JVMs on the local runtime, pods on Kubernetes. */
export interface ClusterStatus {
  readonly cluster: string;
  readonly kind: 'application' | 'session';
  readonly processes: readonly { readonly name: string; readonly running: boolean }[];
}

/** The local runtime's clusters as its folders record them, each process checked by its pid file. */
export function localClusters(runtimeStateDir: string): ClusterStatus[] {
  return listRecords(runtimeStateDir).map(({ cluster, kind }) => {
    const clusterDir = clusterLayout(runtimeStateDir, cluster).dir;
    return { cluster, kind, processes: [...listPids(clusterDir)].map(([name, pid]) => ({ name, running: isRunning(pid, clusterDir) })) };
  });
}
