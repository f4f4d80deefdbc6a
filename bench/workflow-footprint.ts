import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DefaultLogger, bundleWorkflowCode } from '@temporalio/worker';
import { collectGarbage } from '../test/harness/gc';
import { prebuiltWorkflowBundleOptions } from '../worker/workflow-bundle';
import { median } from './report';
import { ReusableContextModel } from './reusable-context';
import { writeSection } from './results-file';

/**
 * `npm run bench:workflow-footprint`: what one workflow's modules cost a worker thread (heap kept while
 * the workflow is cached, and time to evaluate them on its first task or replay), with the bundle's
 * preloaded modules (workflows/preloaded.ts) and without. Both bundles are weighed in each round, so
 * both see the same machine.
 */
const ROUNDS = 5;
const WORKFLOWS = 50;
const log = (line: string): void => {
  process.stderr.write(`[bench:workflow-footprint ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
};

interface Weighed { readonly heapMb: number; readonly ms: number; readonly ownModules: number }

/** The heap kept and the time spent per workflow, over WORKFLOWS workflows kept alive in one context. */
function weigh(code: string): Weighed {
  const model = new ReusableContextModel(code);
  model.newWorkflow(); // the first compiles the code, which the rest share
  const kept: Map<PropertyKey, unknown>[] = [];
  collectGarbage();
  const heapBefore = process.memoryUsage().heapUsed;
  const started = performance.now();
  for (let i = 0; i < WORKFLOWS; i += 1) kept.push(model.newWorkflow());
  const ms = (performance.now() - started) / WORKFLOWS;
  collectGarbage();
  return { heapMb: (process.memoryUsage().heapUsed - heapBefore) / WORKFLOWS / 1e6, ms, ownModules: kept[0]?.size ?? 0 };
}

async function main(): Promise<void> {
  const logger = new DefaultLogger('WARN');
  log('bundling the workflows with and without preloaded modules');
  const preloaded = (await bundleWorkflowCode({ ...prebuiltWorkflowBundleOptions(), logger })).code;
  const plain = (await bundleWorkflowCode({ ...prebuiltWorkflowBundleOptions(), preloadModules: [], logger })).code;
  const rounds: { plain: Weighed; preloaded: Weighed }[] = [];
  for (let round = 1; round <= ROUNDS; round += 1) {
    rounds.push({ plain: weigh(plain), preloaded: weigh(preloaded) });
    log(`round ${round}: ${JSON.stringify(rounds.at(-1))}`);
  }
  const med = (pick: (r: (typeof rounds)[number]) => number): number => median(rounds.map(pick)) ?? Number.NaN;
  const row = (label: string, variant: 'plain' | 'preloaded'): string =>
    `| ${label} | ${med((r) => r[variant].heapMb).toFixed(2)} MB | ${med((r) => r[variant].ms).toFixed(1)} ms | ${rounds[0]?.[variant].ownModules} |`;
  const markdown = [
    '## A workflow\'s own modules (`npm run bench:workflow-footprint`)',
    '',
    `${cpus().length} cores, load average ${loadavg()[0]?.toFixed(1)} at the end; the median of ${ROUNDS} rounds of ${WORKFLOWS} workflows each, both bundles in every round.`,
    'In the SDK\'s reusable V8 context every workflow evaluates the modules it imports afresh and keeps them while it is cached;',
    'preloaded modules (workflows/preloaded.ts: zod) are evaluated once per workflow thread and shared. Measured on a model of',
    'the SDK\'s module routing (bench/reusable-context.ts): a workflow\'s modules only, without the SDK\'s own per-workflow state.',
    '',
    '| bundle | heap kept per cached workflow | evaluating a workflow\'s modules (its first task, or a replay) | modules per workflow |',
    '|---|---|---|---|',
    row('without preloaded modules', 'plain'),
    row('zod preloaded (the worker\'s)', 'preloaded'),
    '',
    `Preloaded / without: heap ${(med((r) => r.preloaded.heapMb / r.plain.heapMb)).toFixed(2)}×, time ${(med((r) => r.preloaded.ms / r.plain.ms)).toFixed(2)}×.`,
  ].join('\n');
  writeSection(join(__dirname, 'RESULTS.md'), 'workflow-footprint', markdown);
  process.stdout.write(`${markdown}\n`);
}

main().catch((error: unknown) => {
  log(String(error instanceof Error ? error.stack : error));
  process.exit(1);
});
