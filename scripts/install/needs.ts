/**
 * What each use of flink-fleet needs installed, as install steps: the demo and the local runtime
 * need Temporal and Flink only, so a first run builds nothing from Go and installs no browser.
 * Pure, so that the resolution is tested in milliseconds and the installer only runs what it says.
 */

/** Every install step, in the order they run: a step comes after every step it builds on. */
export const INSTALL_STEPS = [
  'temporal',
  // The production-like Temporal server on PostgreSQL, for the tests that run against it.
  'temporal-server',
  'flink',
  // Every Flink JVM of the local runtime maps its role's archive, so it starts and runs its first job sooner.
  'flink-class-archives',
  // The worker of the local runtime checks every preview's SQL with it, so the demo needs it too.
  'sql-inspector',
  'kubernetes',
  'kubernetes-node',
  // The real node's NetworkPolicy enforcer.
  'network-policy',
  's3-gateway',
  // The worker's chart is linted, rendered and installed on the test bed.
  'helm',
  'pause-image',
  'flink-image',
  // The init container that checks a jar connection's jar in its JobManager's pod, run on the Flink image's Java.
  'jar-fetcher',
  // The worker itself as a pod on the real node: the chart's end-to-end test.
  'worker-image',
  'chromium',
] as const;
export type InstallStep = (typeof INSTALL_STEPS)[number];

/** Commands checked before anything runs, in the order they are checked. */
export const PREREQUISITES = ['python3', 'java', 'mvn', 'go', 'javac'] as const;
export type Prerequisite = (typeof PREREQUISITES)[number];

interface StepRule {
  /** Steps whose output this one uses (the Flink image carries the FLINK_HOME of `flink`). */
  readonly after: readonly InstallStep[];
  readonly prerequisites: readonly Prerequisite[];
}

export const STEP_RULES: Readonly<Record<InstallStep, StepRule>> = {
  temporal: { after: [], prerequisites: ['python3'] },
  'temporal-server': { after: [], prerequisites: ['go'] },
  // Java runs what is installed; Maven fetches the SQL Gateway and the examples.
  flink: { after: [], prerequisites: ['python3', 'java', 'mvn'] },
  'flink-class-archives': { after: ['flink'], prerequisites: ['java'] },
  'sql-inspector': { after: ['flink'], prerequisites: ['mvn', 'javac'] },
  kubernetes: { after: [], prerequisites: ['go'] },
  'kubernetes-node': { after: [], prerequisites: ['go'] },
  'network-policy': { after: [], prerequisites: ['go'] },
  's3-gateway': { after: [], prerequisites: ['go'] },
  helm: { after: [], prerequisites: ['go'] },
  'pause-image': { after: [], prerequisites: [] },
  'flink-image': { after: ['flink'], prerequisites: ['mvn'] },
  // It carries FLINK_HOME's lib/ and the SQL inspector's build.
  'worker-image': { after: ['flink', 'sql-inspector', 'jar-fetcher'], prerequisites: [] },
  'jar-fetcher': { after: ['flink'], prerequisites: ['javac'] },
  chromium: { after: [], prerequisites: [] },
};

export const NEEDS = {
  /** `npm run demo` and `flink-fleet dev up`: the local runtime. */
  demo: ['temporal', 'flink', 'flink-class-archives', 'sql-inspector'],
  /** `flink-fleet dev up --kubernetes`: the control plane, the real node, its S3 and its images. */
  kubernetes: ['kubernetes', 'kubernetes-node', 'network-policy', 's3-gateway', 'helm', 'pause-image', 'flink-image', 'jar-fetcher'],
  images: ['pause-image', 'flink-image', 'worker-image'],
  /** The tests that run the fleet on a production-like Temporal server (PostgreSQL) rather than the dev server. */
  'production-temporal': ['temporal-server'],
  /** The end-to-end check of the Temporal UI. */
  ui: ['chromium'],
  /** `npm test`: everything. */
  test: INSTALL_STEPS,
} as const satisfies Record<string, readonly InstallStep[]>;
export type Need = keyof typeof NEEDS;

const ALIASES: Readonly<Record<string, Need>> = { local: 'demo', all: 'test' };

export class UnknownNeed extends Error {
  constructor(readonly need: string) {
    super(`unknown need "${need}": choose from ${[...Object.keys(NEEDS), ...Object.keys(ALIASES)].join(', ')}`);
    this.name = 'UnknownNeed';
  }
}

/** The installer's arguments as needs; none means everything, as `npm run install-deps` always did. */
export function parseNeeds(args: readonly string[]): Need[] {
  if (args.length === 0) return ['test'];
  return args.map((arg) => {
    if (Object.hasOwn(NEEDS, arg)) return arg as Need;
    const alias = Object.hasOwn(ALIASES, arg) ? ALIASES[arg] : undefined;
    if (!alias) throw new UnknownNeed(arg);
    return alias;
  });
}

/** The steps that `needs` call for and every step they build on, each once, in running order. */
export function stepsFor(needs: readonly Need[]): InstallStep[] {
  const wanted = new Set<InstallStep>();
  const add = (step: InstallStep): void => {
    if (wanted.has(step)) return;
    wanted.add(step);
    for (const dependency of STEP_RULES[step].after) add(dependency);
  };
  for (const need of needs) for (const step of NEEDS[need]) add(step);
  return INSTALL_STEPS.filter((step) => wanted.has(step));
}

/** The commands that `steps` need on PATH, each once, in checking order. */
export function prerequisitesFor(steps: readonly InstallStep[]): Prerequisite[] {
  const wanted = new Set(steps.flatMap((step) => STEP_RULES[step].prerequisites));
  return PREREQUISITES.filter((command) => wanted.has(command));
}
