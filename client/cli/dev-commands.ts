import { Argument, Command } from 'commander';
import { existsSync, readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { PoolStats } from '../../workflows/pool/api';
import { DEFAULT_POOL } from '../../workflows/preview/request';
import { requireCodecKeys } from '../codec/keys';
import {
  defaultDevDir, devStackHealth, devStackLogs, devStackStatus, localClusters, logTail, readDevStack, type ClusterStatus, type ComponentStatus, type DevStack,
} from '../dev/stack-file';
import { devPoolConfig } from '../dev/dev-pool';
import type * as KubernetesClusters from '../dev/kubernetes-clusters';
import type * as StackControl from '../dev/stack';
import type { FleetClient } from '../fleet-client';
import { loadFleetClient } from './context';
import type { Run } from './pipeline-commands';
import { clusterName, directory, nonNegativeInt, port } from './options';
import { table, UsageError } from './output';

interface UpFlags { dir: string; port: number; uiPort: number; codecPort?: number; poolTarget: number; kubernetes?: boolean }

/** The stack's own key and no TLS: it is on loopback, whatever the shell holds for another Temporal. */
function devStackClient(stack: DevStack, taskQueue: string): Promise<FleetClient> {
  return loadFleetClient().connect({ address: stack.address, taskQueue, codecKeys: requireCodecKeys({ FLEET_CODEC_KEY_FILE: stack.codecKeyFile }) });
}

/**
 * Starting and stopping bring in the runtimes and the installers' paths: loaded only by the commands
 * that do either (a require: tsx hands `import()` to Node's ESM loader, which cannot resolve our paths).
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const stackControl = (): typeof StackControl => require('../dev/stack') as typeof StackControl;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const kubernetesClusterViews = (): typeof KubernetesClusters => require('../dev/kubernetes-clusters') as typeof KubernetesClusters;

/** The stack's clusters: the local runtime's from its folders, the Kubernetes one's from its API server (unless that died). */
async function stackClusters(stack: DevStack, components: readonly ComponentStatus[]): Promise<ClusterStatus[]> {
  if (!stack.kubernetes) return localClusters(stack.runtimeStateDir);
  if (components.some((c) => c.component === 'kubernetes' && !c.running)) return [];
  return kubernetesClusterViews().kubernetesClusters(stack.kubernetes.kubeconfig);
}

const rows = (entries: (readonly string[])[]): string => table(entries, ['', '']).split('\n').slice(1).join('\n');

function upCommand(run: Run): Command {
  return new Command('up')
    .description('start the stack, or only what of it died (safe to run twice: running pieces and clusters are left alone)')
    .option('--dir <dir>', 'state and logs', directory, defaultDevDir())
    .option('--port <port>', 'Temporal frontend port', port, 7233)
    .option('--ui-port <port>', 'Temporal UI port', port, 8233)
    .option('--codec-port <port>', 'codec server port, for the UI (default: a free one)', port)
    .option('--pool-target <n>', 'idle preview TaskManagers to keep (locally the pool keeps at least this many and adds up to one per core under a burst of previews)', nonNegativeInt, 1)
    .option('--kubernetes', 'also a real Kubernetes control plane with kwok nodes and one real node (root), and the worker on the kubernetes runtime')
    .addHelpText('after', '\nExamples:\n  flink-fleet dev up && flink-fleet pipeline list\n  flink-fleet dev up --kubernetes   # then: kubectl --kubeconfig <printed path> get all -A')
    .action((flags: UpFlags) => run(async (context) => {
      context.out.progress(`starting the Temporal dev server${flags.kubernetes ? ', the Kubernetes control plane and node' : ''} and a worker, or what of them died...`);
      const { devUp } = stackControl();
      const { stack, alreadyUp, restarted } = await devUp({ dir: flags.dir, port: flags.port, uiPort: flags.uiPort, codecPort: flags.codecPort, kubernetes: flags.kubernetes });
      const client = await devStackClient(stack, context.flags.taskQueue);
      await client.startPool(devPoolConfig(stack.runtime, flags.poolTarget, availableParallelism())).finally(() => client.close());
      const status = alreadyUp ? 'already up' : restarted.length > 0 ? `restarted ${restarted.join(', ')}` : 'started';
      context.out.result({ ...stack, alreadyUp, restarted }, () => rows([
        ['temporal', stack.address], ['temporal ui', stack.uiUrl], ['runtime', stack.runtime],
        ...(stack.kubernetes ? [['kubeconfig', stack.kubernetes.kubeconfig], ['kubernetes', `${stack.kubernetes.server} (a real node runs the pods that select it; kwok nodes run none)`]] : []),
        ['codec server', stack.codecServer.url], ['payload keys', stack.codecKeyFile], ['worker log', stack.workerLog], ['metrics', stack.metricsUrl],
        ['state', stack.dir],
        ['preview pool', `${DEFAULT_POOL} (\`dev status\` shows its TaskManagers)`], ['status', status],
      ]));
    }));
}

function downCommand(run: Run): Command {
  return new Command('down')
    .description('stop the preview pool, the worker, every Flink cluster still running, and the server (and, for a stack started with --kubernetes, its control plane and node)')
    .option('--dir <dir>', 'state and logs', directory, defaultDevDir())
    .action((flags: { dir: string }) => run(async (context) => {
      const stack = readDevStack(flags.dir);
      if (stack && devStackHealth(stack).temporal && devStackHealth(stack).worker) {
        const client = await devStackClient(stack, context.flags.taskQueue);
        // The pool's own cleanup deletes its session cluster; errors here only mean there was none.
        await client.stopPool(DEFAULT_POOL).catch(() => undefined).finally(() => client.close());
      }
      const { devDown } = stackControl();
      const down = await devDown(flags.dir);
      context.out.result({ stopped: down !== undefined, deletedClusters: down?.deletedClusters ?? [] }, () => (down
        ? `stopped${down.deletedClusters.length > 0 ? `; deleted clusters still running: ${down.deletedClusters.join(', ')}` : ''}`
        : 'nothing was running'));
    }));
}

/** Only asked of a live worker: a query waits for one, and a dead worker's status must come back at once. */
async function devPoolStats(stack: DevStack, taskQueue: string): Promise<PoolStats | undefined> {
  const health = devStackHealth(stack);
  if (!health.temporal || !health.worker) return undefined;
  const client = await devStackClient(stack, taskQueue);
  return client.poolStats(DEFAULT_POOL).catch(() => undefined).finally(() => client.close());
}

const COMPONENT_NAMES = { temporal: 'temporal', worker: 'worker', codecServer: 'codec server', kubernetes: 'kubernetes' } as const;

/** What died and the end of its log; for the Kubernetes part, which of its daemons died. */
function deathNote(c: ComponentStatus): string {
  const who = c.dead ? c.dead.join(', ') : COMPONENT_NAMES[c.component];
  const whose = (c.dead?.length ?? 1) > 1 ? 'the first one\'s' : 'its';
  return `${who} died; ${whose} log (${c.log}) ends:\n${(c.lastLines ?? []).join('\n')}`;
}

function statusCommand(run: Run): Command {
  return new Command('status')
    .description('what of the stack runs, and for what died, the end of its log; exits 1 unless all runs')
    .option('--dir <dir>', 'state and logs', directory, defaultDevDir())
    .action((flags: { dir: string }) => run(async (context) => {
      const stack = readDevStack(flags.dir);
      if (!stack) {
        context.out.result({ running: false, components: [], clusters: [], stack }, () => 'not running');
        process.exitCode = 1;
        return;
      }
      const components = devStackStatus(stack);
      const clusters = await stackClusters(stack, components);
      const running = components.every((component) => component.running);
      const pool = await devPoolStats(stack, context.flags.taskQueue);
      context.out.result({ running, components, clusters, pool: pool ?? null, stack }, () => [
        rows([
          ...components.map((c) => [COMPONENT_NAMES[c.component], `${c.running ? 'up' : `DEAD${c.dead ? ` ${c.dead.join(', ')}` : ''}`} (pid ${c.pids.join(', ')})`]),
          ['preview pool', pool ? `${DEFAULT_POOL}: target ${pool.target}, idle ${pool.idle}, starting ${pool.starting}, busy ${pool.busy}` : 'not running'],
          ...clusters.map((c) => [`cluster ${c.cluster}`, `${c.kind}: ${c.processes.map((p) => `${p.name} ${p.running ? 'up' : 'DEAD'}`).join(', ') || 'no processes'}`]),
          ['address', stack.address], ['temporal ui', stack.uiUrl], ['metrics', stack.metricsUrl], ['runtime', stack.runtime],
        ]),
        ...components.filter((c) => !c.running).map((c) => `\n${deathNote(c)}`),
      ].join('\n'));
      if (!running) process.exitCode = 1;
    }));
}

/** Flink's own logs of one local cluster: the JobManager's, the gateway's and each TaskManager's. */
function clusterLogFiles(clustersDir: string, cluster: string): string[] {
  const logDir = join(clustersDir, cluster, 'log');
  if (!existsSync(logDir)) {
    const known = existsSync(clustersDir) ? readdirSync(clustersDir) : [];
    throw new Error(`no cluster ${cluster} in ${clustersDir}${known.length > 0 ? `; there are: ${known.join(', ')}` : ''}`);
  }
  return readdirSync(logDir).sort().map((file) => join(logDir, file));
}

/** The ends of the log files of a piece of the stack, or of a local cluster's JVMs. */
function fileTails(dir: string, what: 'worker' | 'temporal' | 'codec-server' | 'cluster', cluster: string | undefined, count: number): { source: string; lines: string[] }[] {
  const logs = devStackLogs(dir);
  const files = what === 'cluster' ? clusterLogFiles(logs.clusters, cluster as string) : [{ worker: logs.worker, temporal: logs.temporal, 'codec-server': logs.codecServer }[what]];
  const missing = files.filter((file) => !existsSync(file));
  if (missing.length === files.length) throw new Error(`no log at ${missing.join(', ')}: the stack in ${dir} never ran it`);
  return files.map((file) => ({ source: file, lines: logTail(file, count) }));
}

function logsCommand(run: Run): Command {
  return new Command('logs')
    .description('print the end of a log: the worker\'s (the default), the Temporal server\'s, the codec server\'s, or a cluster\'s (its JVMs\' logs, or on Kubernetes its pods\')')
    .addArgument(new Argument('[what]', 'whose log').choices(['worker', 'temporal', 'codec-server', 'cluster']).default('worker'))
    .addArgument(new Argument('[cluster]', 'with `cluster`: its name, as `dev status` lists it (e.g. acme--orders)').argParser(clusterName))
    .option('--dir <dir>', 'state and logs', directory, defaultDevDir())
    .option('--lines <n>', 'lines from the end of each log; 0 for all', nonNegativeInt, 100)
    .addHelpText('after', '\nExamples:\n  flink-fleet dev logs\n  flink-fleet dev logs temporal --lines 20\n  flink-fleet dev logs cluster acme--orders')
    .action((what: 'worker' | 'temporal' | 'codec-server' | 'cluster', cluster: string | undefined, flags: { dir: string; lines: number }) => run(async (context) => {
      if ((what === 'cluster') !== (cluster !== undefined)) throw new UsageError(what === 'cluster' ? 'dev logs cluster needs the cluster\'s name' : `dev logs ${what} takes no name`);
      const kubernetes = readDevStack(flags.dir)?.kubernetes;
      const tails = what === 'cluster' && kubernetes
        ? await kubernetesClusterViews().kubernetesClusterLogs(kubernetes.kubeconfig, cluster as string, flags.lines)
        : fileTails(flags.dir, what, cluster, flags.lines);
      context.out.result(tails, () => tails.map(({ source, lines }) => (tails.length > 1 ? `==> ${source} <==\n${lines.join('\n')}` : lines.join('\n'))).join('\n\n'));
    }));
}

export function devCommand(run: Run): Command {
  return new Command('dev').description('the local stack: Temporal dev server with its UI, a worker on the local runtime (or on a real Kubernetes node), the preview pool')
    .addCommand(upCommand(run)).addCommand(downCommand(run)).addCommand(statusCommand(run)).addCommand(logsCommand(run));
}
