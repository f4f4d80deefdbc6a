import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';

/**
 * `npm test`'s mocha, as two processes at once: the files that use the Kubernetes test bed
 * (test/kubernetes/) with the fault matrix (test/chaos/), and the rest. The test bed's tests mostly
 * wait on the kubelet, pods and checkpoints, the rest mostly on local JVMs, so side by side they take
 * about the longer one's time rather than the sum. The chaos files ride with the test bed only to
 * even the two out (alone, the test bed's files took 30 minutes and the rest 46). Each process has
 * its own Temporal dev server, run folder and leak checks (test/harness/global.ts); only the test
 * bed touches host-wide state (the real node), so the two cannot see each other's leftovers.
 * Arguments (e.g. `--grep`) go to both.
 */
interface Group {
  readonly name: string;
  /** Put before each of its output lines; the other group's are left as they are. */
  readonly prefix: string;
  readonly args: readonly string[];
}

const KUBERNETES_FILES = 'test/kubernetes/**/*.test.ts';
const CHAOS_FILES = 'test/chaos/**/*.test.ts';
const GROUPS: readonly Group[] = [
  { name: 'kubernetes+chaos', prefix: 'k8s| ', args: [KUBERNETES_FILES, CHAOS_FILES] },
  { name: 'rest', prefix: '', args: ['test/**/*.test.ts', '--ignore', KUBERNETES_FILES, '--ignore', CHAOS_FILES] },
];

interface Outcome {
  readonly group: Group;
  readonly code: number;
  readonly passed: number;
  readonly failed: number;
}

/** The reporter's closing line for a group (test/harness/reporter.ts). */
const SUMMARY = /^group (\S+): (\d+) passed, (\d+) failed/;

function run(group: Group, extra: readonly string[]): Promise<Outcome> {
  const mocha = join(__dirname, '..', 'node_modules', '.bin', 'mocha');
  // A reporter option, not a variable: a mocha a test runs of its own (test/foundation/harness.test.ts) must not inherit it.
  const child = spawn(mocha, [...group.args, '--reporter-option', `group=${group.name}`, ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
  let passed = 0;
  let failed = 0;
  const relay = (stream: NodeJS.ReadableStream, to: NodeJS.WriteStream): void => {
    createInterface({ input: stream }).on('line', (line) => {
      const summary = SUMMARY.exec(line);
      if (summary) [passed, failed] = [Number(summary[2]), Number(summary[3])];
      to.write(`${group.prefix}${line}\n`);
    });
  };
  relay(child.stdout, process.stdout);
  relay(child.stderr, process.stderr);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => child.kill(signal));
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ group, code: code ?? (signal ? 1 : 0), passed, failed })));
}

/**
 * A group that ran no test fails the run, unless arguments filtered the run and the other group ran
 * some: `npm test -- --grep X` may well match tests of one group only.
 */
export function verdict(outcomes: readonly Outcome[], filtered: boolean): { passed: number; failed: number; ok: boolean } {
  const passed = outcomes.reduce((sum, o) => sum + o.passed, 0);
  const failed = outcomes.reduce((sum, o) => sum + o.failed, 0);
  const ranNothing = (o: Outcome): boolean => o.passed + o.failed === 0;
  const ok = failed === 0 && passed > 0 && outcomes.every((o) => o.code === 0 || (filtered && ranNothing(o)));
  return { passed, failed, ok };
}

async function main(): Promise<void> {
  const extra = process.argv.slice(2);
  const outcomes = await Promise.all(GROUPS.map((group) => run(group, extra)));
  const { passed, failed, ok } = verdict(outcomes, extra.length > 0);
  for (const o of outcomes) process.stdout.write(`  ${o.group.name}: ${o.passed} passed, ${o.failed} failed, exit ${o.code}\n`);
  process.stdout.write(`tests: ${passed} passed, ${failed} failed\n`);
  if (passed + failed === 0) process.stderr.write('no test ran: a filter or glob that selects nothing is a failure\n');
  process.exitCode = ok ? 0 : 1;
}

if (require.main === module) void main();
