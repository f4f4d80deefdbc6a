import { Command } from 'commander';
import { DEFAULT_POOL } from '../../workflows/preview/request';
import { requireCodecKeys } from '../codec/keys';
import { devDown, devStackHealth, devUp, defaultDevDir, readDevStack, type DevStack } from '../dev/stack';
import { FleetClient } from '../fleet-client';
import type { Run } from './pipeline-commands';
import { positiveInt } from './options';
import { table } from './output';

interface UpFlags { dir: string; port: number; uiPort: number; codecPort?: number; poolTarget: number; kubernetes?: boolean }

/** The stack's own key and no TLS: it is on loopback, whatever the shell holds for another Temporal. */
function devStackClient(stack: DevStack, taskQueue: string): Promise<FleetClient> {
  return FleetClient.connect({ address: stack.address, taskQueue, codecKeys: requireCodecKeys({ FLEET_CODEC_KEY_FILE: stack.codecKeyFile }) });
}

export function devCommand(run: Run): Command {
  const dev = new Command('dev').description('the local stack: Temporal dev server with its UI, a worker on the local runtime, the preview pool');
  dev.command('up')
    .description('start the stack (safe to run twice)')
    .option('--dir <dir>', 'state and logs', defaultDevDir())
    .option('--port <port>', 'Temporal frontend port', positiveInt, 7233)
    .option('--ui-port <port>', 'Temporal UI port', positiveInt, 8233)
    .option('--codec-port <port>', 'codec server port, for the UI (default: a free one)', positiveInt)
    .option('--pool-target <n>', 'idle preview TaskManagers to keep', positiveInt, 1)
    .option('--kubernetes', 'also a real Kubernetes control plane with kwok nodes and one real node (root), and the worker on the kubernetes runtime')
    .addHelpText('after', '\nExamples:\n  flink-fleet dev up && flink-fleet pipeline list\n  flink-fleet dev up --kubernetes   # then: kubectl --kubeconfig <printed path> get all -A')
    .action((flags: UpFlags) => run(async (context) => {
      context.out.progress(`starting the Temporal dev server${flags.kubernetes ? ', the Kubernetes control plane and node' : ''} and a worker...`);
      const { stack, alreadyUp } = await devUp({ dir: flags.dir, port: flags.port, uiPort: flags.uiPort, codecPort: flags.codecPort, kubernetes: flags.kubernetes });
      // The worker's pods still land on kwok nodes, which run no Flink: a pool there could never register a TaskManager.
      if (!stack.kubernetes) {
        const client = await devStackClient(stack, context.flags.taskQueue);
        await client.startPool({ sessionCluster: DEFAULT_POOL, target: flags.poolTarget }).finally(() => client.close());
      }
      context.out.result({ ...stack, alreadyUp }, () => table([
        ['temporal', stack.address], ['temporal ui', stack.uiUrl], ['runtime', stack.runtime],
        ...(stack.kubernetes ? [['kubeconfig', stack.kubernetes.kubeconfig], ['kubernetes', `${stack.kubernetes.server} (a real node runs the pods that select it; kwok nodes run none)`]] : []),
        ['codec server', stack.codecServer.url], ['payload keys', stack.codecKeyFile], ['worker log', stack.workerLog], ['state', stack.dir], ['status', alreadyUp ? 'already up' : 'started'],
      ], ['', '']).split('\n').slice(1).join('\n'));
    }));
  dev.command('down')
    .description('stop the preview pool, the worker, every local Flink cluster, and the server')
    .option('--dir <dir>', 'state and logs', defaultDevDir())
    .action((flags: { dir: string }) => run(async (context) => {
      const stack = readDevStack(flags.dir);
      if (stack?.runtime === 'local' && devStackHealth(stack).temporal && devStackHealth(stack).worker) {
        const client = await devStackClient(stack, context.flags.taskQueue);
        // The pool's own cleanup deletes its session cluster; errors here only mean there was none.
        await client.stopPool(DEFAULT_POOL).catch(() => undefined).finally(() => client.close());
      }
      const down = await devDown(flags.dir);
      context.out.result({ stopped: down !== undefined, deletedClusters: down?.deletedClusters ?? [] }, () => (down
        ? `stopped${down.deletedClusters.length > 0 ? `; deleted clusters still running: ${down.deletedClusters.join(', ')}` : ''}`
        : 'nothing was running'));
    }));
  dev.command('status')
    .description('whether the stack runs, and where')
    .option('--dir <dir>', 'state and logs', defaultDevDir())
    .action((flags: { dir: string }) => run(async (context) => {
      const stack = readDevStack(flags.dir);
      const health = stack ? devStackHealth(stack) : { temporal: false, worker: false, codecServer: false };
      const running = health.temporal && health.worker && health.codecServer && health.kubernetes !== false;
      context.out.result({ running, ...health, stack }, () => (stack
        ? table([['temporal', `${stack.address} (${health.temporal ? 'up' : 'down'})`], ['worker', `${health.worker ? 'up' : 'down'} (${stack.runtime} runtime)`], ['codec server', `${stack.codecServer.url} (${health.codecServer ? 'up' : 'down'})`],
          ...(health.kubernetes === undefined ? [] : [['kubernetes', health.kubernetes ? 'up' : 'down']]), ['temporal ui', stack.uiUrl]], ['', '']).split('\n').slice(1).join('\n')
        : 'not running'));
      if (!running) process.exitCode = 1;
    }));
  return dev;
}
