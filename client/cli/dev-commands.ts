import { Command } from 'commander';
import { DEFAULT_POOL } from '../../workflows/preview/request';
import { devDown, devStackHealth, devUp, defaultDevDir, readDevStack } from '../dev/stack';
import { FleetClient } from '../fleet-client';
import type { Run } from './pipeline-commands';
import { positiveInt } from './options';
import { table } from './output';

interface UpFlags { dir: string; port: number; uiPort: number; poolTarget: number; kubernetes?: boolean }

export function devCommand(run: Run): Command {
  const dev = new Command('dev').description('the local stack: Temporal dev server with its UI, a worker on the local runtime, the preview pool');
  dev.command('up')
    .description('start the stack (safe to run twice)')
    .option('--dir <dir>', 'state and logs', defaultDevDir())
    .option('--port <port>', 'Temporal frontend port', positiveInt, 7233)
    .option('--ui-port <port>', 'Temporal UI port', positiveInt, 8233)
    .option('--pool-target <n>', 'idle preview TaskManagers to keep', positiveInt, 1)
    .option('--kubernetes', 'also a real Kubernetes control plane with kwok nodes and one real node (root), and the worker on the kubernetes runtime')
    .addHelpText('after', '\nExamples:\n  flink-fleet dev up && flink-fleet pipeline list\n  flink-fleet dev up --kubernetes   # then: kubectl --kubeconfig <printed path> get all -A')
    .action((flags: UpFlags) => run(async (context) => {
      context.out.progress(`starting the Temporal dev server${flags.kubernetes ? ', the Kubernetes control plane and node' : ''} and a worker...`);
      const { stack, alreadyUp } = await devUp({ dir: flags.dir, port: flags.port, uiPort: flags.uiPort, kubernetes: flags.kubernetes });
      // The worker's pods still land on kwok nodes, which run no Flink: a pool there could never register a TaskManager.
      if (!stack.kubernetes) {
        const client = await FleetClient.connect({ address: stack.address, taskQueue: context.flags.taskQueue });
        await client.startPool({ sessionCluster: DEFAULT_POOL, target: flags.poolTarget }).finally(() => client.close());
      }
      context.out.result({ ...stack, alreadyUp }, () => table([
        ['temporal', stack.address], ['temporal ui', stack.uiUrl], ['runtime', stack.runtime],
        ...(stack.kubernetes ? [['kubeconfig', stack.kubernetes.kubeconfig], ['kubernetes', `${stack.kubernetes.server} (a real node runs the pods that select it; kwok nodes run none)`]] : []),
        ['worker log', stack.workerLog], ['state', stack.dir], ['status', alreadyUp ? 'already up' : 'started'],
      ], ['', '']).split('\n').slice(1).join('\n'));
    }));
  dev.command('down')
    .description('stop the preview pool, the worker, every local Flink cluster, and the server')
    .option('--dir <dir>', 'state and logs', defaultDevDir())
    .action((flags: { dir: string }) => run(async (context) => {
      const stack = readDevStack(flags.dir);
      if (stack?.runtime === 'local' && devStackHealth(stack).temporal && devStackHealth(stack).worker) {
        const client = await FleetClient.connect({ address: stack.address, taskQueue: context.flags.taskQueue });
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
      const health = stack ? devStackHealth(stack) : { temporal: false, worker: false };
      context.out.result({ running: health.temporal && health.worker && health.kubernetes !== false, ...health, stack }, () => (stack
        ? table([['temporal', `${stack.address} (${health.temporal ? 'up' : 'down'})`], ['worker', `${health.worker ? 'up' : 'down'} (${stack.runtime} runtime)`],
          ...(health.kubernetes === undefined ? [] : [['kubernetes', health.kubernetes ? 'up' : 'down']]), ['temporal ui', stack.uiUrl]], ['', '']).split('\n').slice(1).join('\n')
        : 'not running'));
      if (!health.temporal || !health.worker || health.kubernetes === false) process.exitCode = 1;
    }));
  return dev;
}
