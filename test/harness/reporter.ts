import { relative } from 'node:path';
import Mocha from 'mocha';

const SLOWEST_FILES = 12;

/**
 * Mocha's spec reporter plus one plain closing line, `tests: N passed, N failed`, which CI reads to
 * tell a run that tested something from one that ran nothing. A test that passed and then failed its
 * leak check counts once, as failed. A run in which no test ran (a filter that matched nothing, a
 * broken glob) exits non-zero: mocha lets a reporter's `done` decide the exit code. Under
 * scripts/run-tests.ts (`--reporter-option group=<name>`) the line names the group instead, and the runner adds
 * the groups up into the run's own `tests:` line.
 */
class SpecWithSummary extends Mocha.reporters.Spec {
  private readonly passed = new Set<Mocha.Runnable>();
  private readonly failed = new Set<Mocha.Runnable>();
  private readonly fileStarts = new Map<string, number>();
  private readonly fileSeconds = new Map<string, number>();

  constructor(runner: Mocha.Runner, options?: Mocha.MochaOptions) {
    super(runner, options);
    runner.on(Mocha.Runner.constants.EVENT_TEST_PASS, (test) => this.passed.add(test));
    runner.on(Mocha.Runner.constants.EVENT_TEST_FAIL, (test) => this.failed.add(test));
    runner.on(Mocha.Runner.constants.EVENT_SUITE_BEGIN, (suite) => {
      if (suite.file && !this.fileStarts.has(suite.file)) this.fileStarts.set(suite.file, Date.now());
    });
    runner.on(Mocha.Runner.constants.EVENT_SUITE_END, (suite) => {
      const started = suite.file ? this.fileStarts.get(suite.file) : undefined;
      if (suite.file && started !== undefined) this.fileSeconds.set(suite.file, (Date.now() - started) / 1000);
    });
    runner.once(Mocha.Runner.constants.EVENT_RUN_END, () => {
      const { pending } = this.stats;
      this.printSlowestFiles();
      // Under scripts/run-tests.ts each group names itself, and the runner prints the run's `tests:` line.
      const group = (options?.reporterOptions as { group?: string } | undefined)?.group;
      process.stdout.write(`${group ? `group ${group}` : 'tests'}: ${this.passedCount()} passed, ${this.failed.size} failed${pending > 0 ? `, ${pending} skipped` : ''}\n`);
    });
  }

  /** Where the run's time went, hooks included: what to look at first when the suite grows slow. */
  private printSlowestFiles(): void {
    const slowest = [...this.fileSeconds].sort((a, b) => b[1] - a[1]).slice(0, SLOWEST_FILES);
    if (slowest.length < 2) return;
    process.stdout.write(`\nslowest files (seconds, hooks included):\n${slowest.map(([file, seconds]) => `  ${seconds.toFixed(0).padStart(5)}  ${relative(process.cwd(), file)}`).join('\n')}\n`);
  }

  private passedCount(): number {
    return [...this.passed].filter((test) => !this.failed.has(test)).length;
  }

  override done(failures: number, exit: (failures: number) => void): void {
    if (this.passedCount() + this.failed.size === 0) {
      process.stderr.write('no test ran: a filter or glob that selects nothing is a failure\n');
      exit(Math.max(failures, 1));
      return;
    }
    exit(failures);
  }
}

export = SpecWithSummary;
