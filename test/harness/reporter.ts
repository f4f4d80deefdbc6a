import Mocha from 'mocha';

/**
 * Mocha's spec reporter plus one plain closing line, `tests: N passed, N failed`, which CI reads to
 * tell a run that tested something from one that ran nothing. A test that passed and then failed its
 * leak check counts once, as failed. A run in which no test ran (a filter that matched nothing, a
 * broken glob) exits non-zero: mocha lets a reporter's `done` decide the exit code.
 */
class SpecWithSummary extends Mocha.reporters.Spec {
  private readonly passed = new Set<Mocha.Runnable>();
  private readonly failed = new Set<Mocha.Runnable>();

  constructor(runner: Mocha.Runner, options?: Mocha.MochaOptions) {
    super(runner, options);
    runner.on(Mocha.Runner.constants.EVENT_TEST_PASS, (test) => this.passed.add(test));
    runner.on(Mocha.Runner.constants.EVENT_TEST_FAIL, (test) => this.failed.add(test));
    runner.once(Mocha.Runner.constants.EVENT_RUN_END, () => {
      const { pending } = this.stats;
      process.stdout.write(`tests: ${this.passedCount()} passed, ${this.failed.size} failed${pending > 0 ? `, ${pending} skipped` : ''}\n`);
    });
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
