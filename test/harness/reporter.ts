import Mocha from 'mocha';

/**
 * Mocha's spec reporter plus one plain closing line, `tests: N passed, N failed`, which CI reads to
 * tell a run that tested something from one that ran nothing.
 */
class SpecWithSummary extends Mocha.reporters.Spec {
  constructor(runner: Mocha.Runner, options?: Mocha.MochaOptions) {
    super(runner, options);
    runner.once(Mocha.Runner.constants.EVENT_RUN_END, () => {
      const { passes, failures, pending } = this.stats;
      process.stdout.write(`tests: ${passes} passed, ${failures} failed${pending > 0 ? `, ${pending} skipped` : ''}\n`);
    });
  }
}

export = SpecWithSummary;
