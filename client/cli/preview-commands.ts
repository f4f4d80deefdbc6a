import { Command } from 'commander';
import type { PreviewColumn, PreviewRow } from '../../workflows/preview/api';
import type { PoolStats } from '../../workflows/pool/api';
import { DEFAULT_POOL } from '../../workflows/preview/request';
import type { Run } from './pipeline-commands';
import { checkPreviewRequest } from '../spec-checks';
import { fileText, maxRows, nonEmpty, nonNegativeInt, poolName, previewTimeoutSeconds, tenant } from './options';
import { table, UsageError, uiLink } from './output';

/**
 * One JSON line per row: the fields in order, and the same values by column name (Flink makes output
 * names unique). An integer beyond 2^53 arrives as its exact digits in a string, as the gateway
 * client read it: printed as a number, most JSON readers would round it again.
 */
export function previewRowJson(row: PreviewRow, columns: readonly PreviewColumn[]): string {
  return JSON.stringify({ kind: row.kind, fields: row.fields, row: Object.fromEntries(columns.map((column, i) => [column.name, row.fields[i] ?? null])) });
}

export function previewCommand(run: Run): Command {
  return new Command('preview')
    .description('run a SQL statement on live data for at most a few minutes, printing rows as they arrive')
    .requiredOption('--tenant <tenant>', 'the tenant', tenant)
    .option('--sql <sql>', 'the statements: any CREATE TEMPORARY TABLE/VIEW, then one SELECT', nonEmpty)
    .option('--file <file>', 'read the statements from a file', fileText)
    .option('--max-rows <n>', 'stop after this many rows, 1 to 10000 (default 30)', maxRows)
    .option('--timeout <duration>', 'stop after this long, e.g. 90s or 2m, at most 10m (default 2m)', previewTimeoutSeconds)
    .option('--pool <pool>', 'the idle pool to run on', poolName, DEFAULT_POOL)
    .addHelpText('after', `\nExamples:\n  flink-fleet preview --tenant acme --sql "CREATE TEMPORARY TABLE t (n INT) WITH ('connector'='datagen'); SELECT n FROM t" --max-rows 5\n  flink-fleet preview --tenant acme --file try.sql --timeout 30s --json`)
    .action((flags: { tenant: string; sql?: string; file?: string; maxRows?: number; timeout?: number; pool: string }) => run(async (context) => {
      if ((flags.sql === undefined) === (flags.file === undefined)) throw new UsageError('give exactly one of --sql "..." or --file FILE');
      // --file holds the file's text (options.ts); the whole request is checked before the command connects.
      const sql = flags.sql ?? flags.file as string;
      const options = { pool: flags.pool, ...(flags.maxRows ? { maxRows: flags.maxRows } : {}), ...(flags.timeout ? { timeoutSeconds: flags.timeout } : {}) };
      checkPreviewRequest({ tenant: flags.tenant, sql, ...options });
      const stream = await (await context.client()).preview(flags.tenant, sql, options);
      context.out.progress(`preview ${stream.workflowId}: waiting for rows...`);
      let printedHeader = false;
      for await (const row of stream) {
        if (context.out.json) {
          process.stdout.write(`${previewRowJson(row, stream.columns())}\n`);
          continue;
        }
        if (!printedHeader) process.stdout.write(`${stream.columns().map((c) => c.name).join('\t')}\n`);
        printedHeader = true;
        process.stdout.write(`${row.fields.map((f) => (typeof f === 'string' ? f : JSON.stringify(f))).join('\t')}\n`);
      }
      const result = await stream.result();
      const link = uiLink(context.flags.uiUrl, context.flags.namespace, stream.workflowId);
      const summary = { summary: { stoppedBecause: result.stoppedBecause, rows: result.rows.length, truncated: result.truncated, error: result.error, timings: result.timings, ui: link } };
      if (context.out.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
      else {
        process.stderr.write(`${table([
          ['rows', String(result.rows.length)], ['stopped because', result.stoppedBecause], ['first row after', `${result.timings.firstRowMs ?? '-'} ms`],
          ...(result.error ? [['error', result.error]] : []), ['temporal ui', link],
        ], ['', '']).split('\n').slice(1).join('\n')}\n`);
      }
      if (result.stoppedBecause === 'error') process.exitCode = 1;
    }));
}

/** One row per figure; a self-sizing pool's sizing as two readable rows, not an object. */
function statRows({ sizing, ...figures }: PoolStats): (readonly string[])[] {
  const rows = Object.entries(figures).map(([key, value]) => [key, String(value)]);
  if (!sizing) return rows;
  const start = sizing.taskManagerStartP50Ms === undefined ? 'not measured yet' : `${(sizing.taskManagerStartP50Ms / 1000).toFixed(1)} s`;
  const decision = sizing.decisions.at(-1);
  return [
    ...rows,
    ['sizing', `by demand, ${sizing.minTarget} idle at least: ${sizing.claimsInWindow} claims in the last ${sizing.windowSeconds} s, a TaskManager starts in ${start}`],
    ['last decision', decision ? `${decision.at}: ${decision.from} -> ${decision.to}, ${decision.reason}` : 'none yet'],
  ];
}

export function poolCommand(run: Run): Command {
  const pool = new Command('pool').description('the idle TaskManagers that previews run on');
  pool.command('stats')
    .description('idle, starting and busy TaskManagers; hits, misses and claim waits')
    .option('--pool <pool>', 'the pool', poolName, DEFAULT_POOL)
    .action((flags: { pool: string }) => run(async (context) => {
      const stats = await (await context.client()).poolStats(flags.pool);
      context.out.result(stats, () => table(statRows(stats), ['STAT', 'VALUE']));
    }));
  pool.command('resize')
    .description('keep this many idle TaskManagers (up to the pool\'s maximum)')
    .argument('<target>', 'idle TaskManagers to keep', nonNegativeInt)
    .option('--pool <pool>', 'the pool', poolName, DEFAULT_POOL)
    .action((target: number, flags: { pool: string }) => run(async (context) => {
      const stats = await (await context.client()).resizePool(target, flags.pool);
      context.out.result(stats, () => `target ${stats.target}: ${stats.idle} idle, ${stats.starting} starting, ${stats.busy} busy`);
    }));
  return pool;
}
