import { Command, Option } from 'commander';
import { setTimeout as sleep } from 'node:timers/promises';
import type { PipelineStatus } from '../../workflows/pipeline/api';
import type { DeclaredEndpoint } from '../../workflows/pipeline/egress';
import { PHASES } from '../../workflows/pipeline/phases';
import { pipelineWorkflowId, withResources, type PipelineSpecInput } from '../../workflows/pipeline/spec';
import type { CommandContext } from './context';
import { checkPipelineSpec } from '../spec-checks';
import { cores, diskMb, egressEndpoint, fileText, flinkOption, jarDigest, javaClassName, parallelism, pipelineName, tenant } from './options';
import { FleetError } from '../errors';
import { table, UsageError, uiLink } from './output';

/** Runs one command's action with a connected context, mapping errors to exit codes (main.ts). */
export type Run = (action: (context: CommandContext) => Promise<void>) => Promise<void>;

interface StartFlags {
  tenant: string; name: string; sql?: string; jar?: string; class?: string; args?: string[]; parallelism?: number; cpu?: number; diskMb?: number;
  option?: Record<string, string>; egress?: DeclaredEndpoint[]; wait?: boolean;
}


/** The flags' combination and the whole spec, checked before the command connects: `--sql` holds the script's text (options.ts). */
function specFrom(flags: StartFlags): PipelineSpecInput {
  if ((flags.sql === undefined) === (flags.jar === undefined)) throw new UsageError('give exactly one of --sql FILE or --jar DIGEST');
  if (flags.jar !== undefined && !flags.class) throw new UsageError('--jar needs --class, the job\'s entry class');
  const job = flags.sql !== undefined
    ? { kind: 'sql' as const, script: flags.sql }
    : { kind: 'jar' as const, jar: flags.jar as string, entryClass: flags.class as string, args: flags.args ?? [] };
  const spec = { tenant: flags.tenant, name: flags.name, job, ...(flags.parallelism ? { parallelism: flags.parallelism } : {}),
    ...withResources(flags.cpu, flags.diskMb), ...(flags.option ? { flinkOptions: flags.option } : {}),
    ...(flags.egress ? { egress: flags.egress } : {}) };
  checkPipelineSpec(spec);
  return spec;
}

/** Shows each phase as it changes until the pipeline runs or ends; waits longer than a second show progress. */
async function waitUntilRunning(context: CommandContext, tenant: string, name: string): Promise<PipelineStatus> {
  const client = await context.client();
  let last: string | undefined;
  for (;;) {
    const status = await client.getPipeline(tenant, name);
    if (status.phase !== last) context.out.progress(`  ${status.phase}`);
    last = status.phase;
    if (['Running', 'Finished', 'Stopped', 'Failed'].includes(status.phase)) return status;
    await sleep(500);
  }
}

function parallelismText({ parallelism, targetParallelism }: PipelineStatus): string {
  return targetParallelism === parallelism ? String(parallelism) : `${parallelism}, rescaling to ${targetParallelism}`;
}

function statusText(status: PipelineStatus, link: string): string {
  return table([
    ['pipeline', `${status.tenant}/${status.name} (${status.kind})`], ['phase', status.phase], ['job', status.jobId ?? '-'],
    ['restarts', String(status.restarts)], ['parallelism', parallelismText(status)],
    ['max parallelism', String(status.maxParallelism)], ['last savepoint', status.lastSavepoint ?? '-'], ['started', status.startedAt],
    ...(status.failure ? [['failure', status.failure]] : []), ['temporal ui', link],
  ], ['', '']).split('\n').slice(1).join('\n');
}

export function pipelineCommand(run: Run): Command {
  const pipeline = new Command('pipeline').description('start, stop, look at and list production jobs');
  pipeline.command('start')
    .description('start a SQL pipeline or a jar connection in its own application cluster')
    .requiredOption('--tenant <tenant>', 'the tenant (a DNS-1123 label)', tenant)
    .requiredOption('--name <name>', 'the pipeline\'s name (a DNS-1123 label)', pipelineName)
    .option('--sql <file>', 'a SQL script: CREATE TABLE ... INSERT INTO ...', fileText)
    .option('--jar <digest>', 'a connector job\'s jar, by the sha256:<hex> digest `artifact put` printed', jarDigest)
    .option('--class <class>', 'the jar\'s entry class', javaClassName)
    .option('--args <arg...>', 'program arguments for the jar')
    .option('--parallelism <n>', 'parallelism, 1 to 64 (default 1)', parallelism)
    .option('--cpu <cores>', 'cores of the JobManager and of each TaskManager, more than 0, at most 16 (default 1)', cores)
    .option('--disk-mb <mb>', 'local disk of each TaskManager in MB, 512 to 65536, on Kubernetes (default 4096); a job whose state outgrows it fails DiskExceeded', diskMb)
    .option('--option <key=value>', 'a Flink option the tenant may set, repeatable, e.g. --option state.backend.type=rocksdb --option execution.checkpointing.incremental=true', flinkOption)
    .option('--egress <address:port>', 'an endpoint its pods may reach under the tenant egress wall (a broker, a database), address[/prefix]:port, repeatable, at most 16', egressEndpoint)
    .option('--wait', 'wait until the job runs, showing each phase')
    .addHelpText('after', '\nExamples:\n  flink-fleet pipeline start --tenant acme --name orders --sql orders.sql --wait\n  flink-fleet pipeline start --tenant acme --name wc --jar sha256:<hex> --class org.example.Job --args --input x')
    .action((flags: StartFlags) => run(async (context) => {
      const spec = specFrom(flags);
      const { workflowId } = await (await context.client()).startPipeline(spec);
      const link = uiLink(context.flags.uiUrl, context.flags.namespace, workflowId);
      context.out.progress(`started ${workflowId}`);
      const status = flags.wait ? await waitUntilRunning(context, flags.tenant, flags.name) : undefined;
      context.out.result({ workflowId, ui: link, status }, () => (status ? statusText(status, link) : `${workflowId}\n${link}`));
      if (status?.phase === 'Failed' && status.failureType === 'JarDigestMismatch') throw new FleetError('JarDigestMismatch', status.failure ?? 'the jar is not the one its digest names');
      if (status?.phase === 'Failed') process.exitCode = 1;
  }));
  pipeline.command('stop')
    .description('stop a pipeline (and wait until it has stopped)')
    .requiredOption('--tenant <tenant>', 'the tenant', tenant).requiredOption('--name <name>', 'the pipeline\'s name', pipelineName)
    .option('--savepoint', 'take a savepoint first, to resume from later').option('--drain', 'fire event-time windows before stopping')
    .addHelpText('after', '\nExample:\n  flink-fleet pipeline stop --tenant acme --name orders --savepoint')
    .action((flags: { tenant: string; name: string; savepoint?: boolean; drain?: boolean }) => run(async (context) => {
      context.out.progress(`stopping ${pipelineWorkflowId(flags.tenant, flags.name)}${flags.savepoint ? ' with a savepoint' : ''}...`);
      const result = await (await context.client()).stopPipeline(flags.tenant, flags.name, { savepoint: flags.savepoint ?? false, drain: flags.drain ?? false, wait: true });
      const link = uiLink(context.flags.uiUrl, context.flags.namespace, pipelineWorkflowId(flags.tenant, flags.name));
      context.out.result({ ...result, ui: link }, () => `${result?.finalState ?? 'stopped'}${result?.savepointPath ? `, savepoint ${result.savepointPath}` : ''}\n${link}`);
  }));
  pipeline.command('rescale')
    .description('change a running pipeline\'s parallelism in place: the same job on the same cluster (and wait until Flink runs it so)')
    .requiredOption('--tenant <tenant>', 'the tenant', tenant).requiredOption('--name <name>', 'the pipeline\'s name', pipelineName)
    .requiredOption('--parallelism <n>', 'the new parallelism (1 to 64, within the tenant\'s plan)', parallelism)
    .addHelpText('after', '\nExample:\n  flink-fleet pipeline rescale --tenant acme --name orders --parallelism 4')
    .action((flags: { tenant: string; name: string; parallelism: number }) => run(async (context) => {
      context.out.progress(`rescaling ${pipelineWorkflowId(flags.tenant, flags.name)} to parallelism ${flags.parallelism}...`);
      const result = await (await context.client()).rescalePipeline(flags.tenant, flags.name, flags.parallelism);
      const link = uiLink(context.flags.uiUrl, context.flags.namespace, pipelineWorkflowId(flags.tenant, flags.name));
      context.out.result({ ...result, ui: link }, () => `parallelism ${result.previousParallelism} -> ${result.parallelism}, job ${result.jobId}\n${link}`);
  }));
  pipeline.command('status')
    .description('the phase, job and restarts of a pipeline')
    .requiredOption('--tenant <tenant>', 'the tenant', tenant).requiredOption('--name <name>', 'the pipeline\'s name', pipelineName)
    .action((flags: { tenant: string; name: string }) => run(async (context) => {
      const status = await (await context.client()).getPipeline(flags.tenant, flags.name);
      const link = uiLink(context.flags.uiUrl, context.flags.namespace, pipelineWorkflowId(flags.tenant, flags.name));
      context.out.result({ ...status, ui: link }, () => statusText(status, link));
  }));
  pipeline.command('list')
    .description('pipelines by tenant and phase, from Temporal\'s visibility store')
    .option('--tenant <tenant>', 'only this tenant\'s', tenant)
    .addOption(new Option('--state <phase>', 'only pipelines in this phase').choices(PHASES))
    .action((flags: { tenant?: string; state?: string }) => run(async (context) => {
      const pipelines = await (await context.client()).listPipelines(flags);
      context.out.result(pipelines, () => table(pipelines.map((p) => [p.workflowId, p.kind ?? '-', p.state ?? '-', p.execution]), ['WORKFLOW', 'KIND', 'PHASE', 'EXECUTION']));
  }));
  return pipeline;
}
