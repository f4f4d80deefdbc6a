import { Command, CommanderError } from 'commander';
import { parseWorkerConfig } from '../../worker/config';
import { runWorker } from '../../worker/run';
import { DEFAULT_TASK_QUEUE } from '../fleet-client';
import { codecServerCommand } from './codec-commands';
import { commandContext, type GlobalFlags } from './context';
import { devCommand } from './dev-commands';
import { EXIT, exitCodeFor } from './output';
import { pipelineCommand, type Run } from './pipeline-commands';
import { poolCommand, previewCommand } from './preview-commands';

function program(): Command {
  const root = new Command('flink-fleet')
    .description('run tenants\' Flink jobs through Temporal: pipelines, previews, the preview pool, the local stack')
    .option('--json', 'machine-readable output on stdout')
    .option('--address <host:port>', 'Temporal frontend', process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233')
    .option('--namespace <namespace>', 'Temporal namespace', process.env.TEMPORAL_NAMESPACE ?? 'default')
    .option('--task-queue <queue>', 'the fleet workers\' task queue', process.env.FLEET_TASK_QUEUE ?? DEFAULT_TASK_QUEUE)
    .option('--ui-url <url>', 'Temporal UI, for links', process.env.FLEET_UI_URL ?? 'http://127.0.0.1:8233')
    .option('--codec-key-file <path>', 'payload keys (<id>:<base64 key> lines, the current first); default: FLEET_CODEC_KEY_FILE, FLEET_CODEC_KEYS, or the dev stack\'s own when --address is it', process.env.FLEET_CODEC_KEY_FILE)
    .showHelpAfterError('(add --help for usage)')
    .addHelpText('after', `
Examples:
  flink-fleet dev up                                   # Temporal + UI on :7233/:8233, a worker, the preview pool
  flink-fleet pipeline start --tenant acme --name orders --sql orders.sql --wait
  flink-fleet preview --tenant acme --file try.sql --max-rows 10
  flink-fleet pipeline rescale --tenant acme --name orders --parallelism 4
  flink-fleet pipeline stop --tenant acme --name orders --savepoint
  flink-fleet --json pipeline list --tenant acme
TLS and API key: TEMPORAL_TLS, TEMPORAL_TLS_CERT, TEMPORAL_TLS_KEY, TEMPORAL_TLS_CA, TEMPORAL_TLS_SERVER_NAME, TEMPORAL_API_KEY(_FILE) (see README).
Exit codes: 0 success, 1 failure, 2 bad input (the message names the flag or field).`)
    .exitOverride();
  const run: Run = async (action) => {
    const context = commandContext(root.opts<GlobalFlags>());
    try {
      await action(context);
    } catch (error) {
      process.exitCode = exitCodeFor(error);
      const message = error instanceof Error ? error.message : String(error);
      if (context.out.json) process.stdout.write(`${JSON.stringify({ error: { type: error instanceof Error ? error.name : 'Error', message } })}\n`);
      process.stderr.write(`error: ${message}\n`);
    } finally {
      await context.close();
    }
  };
  root.addCommand(pipelineCommand(run)).addCommand(previewCommand(run)).addCommand(poolCommand(run)).addCommand(devCommand(run)).addCommand(codecServerCommand(run));
  root.command('worker')
    .description('run a worker in the foreground, configured by TEMPORAL_ADDRESS, FLEET_TASK_QUEUE, FLEET_RUNTIME, ... (see README)')
    .action(() => {
      const flags = root.opts<GlobalFlags>();
      return runWorker(parseWorkerConfig({ ...process.env, TEMPORAL_ADDRESS: flags.address, FLEET_TASK_QUEUE: flags.taskQueue, FLEET_CODEC_KEY_FILE: flags.codecKeyFile }));
    });
  // Every subcommand inherits the exit override and error display.
  for (const command of root.commands) command.exitOverride().showHelpAfterError('(add --help for usage)');
  for (const command of root.commands.flatMap((c) => c.commands)) command.exitOverride().showHelpAfterError('(add --help for usage)');
  return root;
}

/** Bad flags exit 2 with commander's message naming the flag; help and version exit 0. */
export async function main(argv: string[]): Promise<void> {
  try {
    await program().parseAsync(argv);
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    process.exitCode = error.exitCode === 0 ? EXIT.ok : EXIT.badInput;
  }
}
