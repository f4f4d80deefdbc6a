import { Command, CommanderError, Option } from 'commander';
import { DEFAULT_TASK_QUEUE } from '../task-queue';
import type * as WorkerConfig from '../../worker/config';
import type * as WorkerRun from '../../worker/run';
import { artifactCommand } from './artifact-commands';
import { codecServerCommand } from './codec-commands';
import { commandContext, type GlobalFlags } from './context';
import { devCommand } from './dev-commands';
import { codecKeyFile, httpUrl, temporalAddress, temporalName } from './options';
import { EXIT, exitCodeFor } from './output';
import { pipelineCommand, type Run } from './pipeline-commands';
import { poolCommand, previewCommand } from './preview-commands';

function program(): Command {
  const root = new Command('flink-fleet')
    .description('run tenants\' Flink jobs through Temporal: pipelines, previews, the preview pool, the local stack')
    .option('--json', 'machine-readable output on stdout')
    .addOption(new Option('--address <host:port>', 'Temporal frontend').env('TEMPORAL_ADDRESS').default('127.0.0.1:7233').argParser(temporalAddress))
    .addOption(new Option('--namespace <namespace>', 'Temporal namespace').env('TEMPORAL_NAMESPACE').default('default').argParser(temporalName))
    .addOption(new Option('--task-queue <queue>', 'the fleet workers\' task queue').env('FLEET_TASK_QUEUE').default(DEFAULT_TASK_QUEUE).argParser(temporalName))
    .addOption(new Option('--ui-url <url>', 'Temporal UI, for links').env('FLEET_UI_URL').default('http://127.0.0.1:8233').argParser(httpUrl))
    .addOption(new Option('--codec-key-file <path>', 'payload keys (<id>:<base64 key> lines, the current first); default: FLEET_CODEC_KEYS, or the dev stack\'s own when --address is it')
      .env('FLEET_CODEC_KEY_FILE').argParser(codecKeyFile))
    .showHelpAfterError('(add --help for usage)')
    .addHelpText('after', `
Examples:
  flink-fleet dev up                                   # Temporal + UI on :7233/:8233, a worker, the preview pool
  flink-fleet pipeline start --tenant acme --name orders --sql orders.sql --wait
  flink-fleet artifact put --tenant acme connector.jar   # prints sha256:<hex>, what --jar takes
  flink-fleet preview --tenant acme --file try.sql --max-rows 10
  flink-fleet pipeline rescale --tenant acme --name orders --parallelism 4
  flink-fleet pipeline stop --tenant acme --name orders --savepoint
  flink-fleet --json pipeline list --tenant acme
TLS and API key: TEMPORAL_TLS, TEMPORAL_TLS_CERT, TEMPORAL_TLS_KEY, TEMPORAL_TLS_CA, TEMPORAL_TLS_SERVER_NAME, TEMPORAL_API_KEY(_FILE) (see README).
Exit codes: 0 success, 1 failure, 2 bad input (the message names the flag or field, and nothing was connected to or started)
  or a request refused as it stands (a rescale out of the plan or of a pipeline not running: nothing changed).`)
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
  root.addCommand(pipelineCommand(run)).addCommand(previewCommand(run)).addCommand(poolCommand(run)).addCommand(devCommand(run)).addCommand(codecServerCommand(run))
    .addCommand(artifactCommand(run));
  root.command('worker')
    .description('run a worker in the foreground, configured by TEMPORAL_ADDRESS, FLEET_TASK_QUEUE, FLEET_RUNTIME, ... (see README)')
    .action(() => {
      const flags = root.opts<GlobalFlags>();
      // Loaded here only: the worker brings the SDK's native core, which every other command would pay for at
      // start (a require: tsx hands `import()` to Node's ESM loader, which cannot resolve our paths).
      /* eslint-disable @typescript-eslint/no-require-imports */
      const { parseWorkerConfig } = require('../../worker/config') as typeof WorkerConfig;
      const { runWorker } = require('../../worker/run') as typeof WorkerRun;
      /* eslint-enable @typescript-eslint/no-require-imports */
      return runWorker(parseWorkerConfig({ ...process.env, TEMPORAL_ADDRESS: flags.address, FLEET_TASK_QUEUE: flags.taskQueue, FLEET_CODEC_KEY_FILE: flags.codecKeyFile }));
    });
  // Every subcommand inherits the exit override and error display.
  for (const command of root.commands) command.exitOverride().showHelpAfterError('(add --help for usage)');
  for (const command of root.commands.flatMap((c) => c.commands)) command.exitOverride().showHelpAfterError('(add --help for usage)');
  return root;
}

/** Bad flags exit 2 with commander's message naming the flag and the value; help and version exit 0. */
export async function main(argv: string[]): Promise<void> {
  const root = program();
  try {
    await root.parseAsync(argv);
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    process.exitCode = error.exitCode === 0 ? EXIT.ok : EXIT.badInput;
    // Commander has printed the message for people; a --json caller reads stdout, as for any other error.
    if (process.exitCode === EXIT.badInput && root.opts<GlobalFlags>().json) {
      process.stdout.write(`${JSON.stringify({ error: { type: 'UsageError', message: error.message.replace(/^error: /, '') } })}\n`);
    }
  }
}
