import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { toolchain, type Toolchain } from './toolchain';
import { installChromium } from './install/chromium';
import { installFlink } from './install/flink';
import { installFlinkClassArchives } from './install/flink-class-archives';
import { installHelm } from './install/helm';
import { installJarFetcher } from './install/jar-fetcher';
import { installFlinkImage } from './install/images/flink-image';
import { installPauseImage } from './install/images/pause';
import { installWorkerImage } from './install/images/worker-image';
import { installKubernetes } from './install/kubernetes';
import { installKubernetesNode } from './install/kubernetes-node';
import { installNetworkPolicyEnforcer } from './install/network-policy';
import { parseNeeds, prerequisitesFor, stepsFor, UnknownNeed, type InstallStep, type Prerequisite } from './install/needs';
import { summaryLine, type StepTiming } from './install/report';
import { installS3Gateway } from './install/s3-gateway';
import { installSqlInspector } from './install/sql-inspector';
import { installTemporal } from './install/temporal';
import { installTemporalServer } from './install/temporal-server';
import { commandCount, requireCommand } from './install/steps';

/**
 * `npm run install-deps -- [need...]` (scripts/install/needs.ts names them; none means all).
 * Idempotent: a second run finds every stamp, downloads nothing and prints one line.
 */
const INSTALLERS: Record<InstallStep, (tools: Toolchain) => Promise<unknown>> = {
  temporal: installTemporal,
  'temporal-server': installTemporalServer,
  flink: installFlink,
  'flink-class-archives': installFlinkClassArchives,
  'sql-inspector': installSqlInspector,
  kubernetes: installKubernetes,
  'kubernetes-node': installKubernetesNode,
  'network-policy': installNetworkPolicyEnforcer,
  's3-gateway': installS3Gateway,
  helm: installHelm,
  'pause-image': installPauseImage,
  'flink-image': installFlinkImage,
  'worker-image': installWorkerImage,
  'jar-fetcher': installJarFetcher,
  chromium: () => Promise.resolve(installChromium()),
};

const PREREQUISITE_CHECKS: Record<Prerequisite, readonly [versionArgs: string[], hint: string]> = {
  python3: [['--version'], 'install Python 3 (Debian: apt-get install python3 python3-venv)'],
  java: [['-version'], 'install Java 17 (Debian: apt-get install openjdk-17-jre-headless)'],
  mvn: [['--version'], 'install Maven (Debian: apt-get install maven)'],
  go: [['version'], 'install Go 1.26 or newer (the Kubernetes control plane is built from source)'],
  // The SQL inspector is compiled here, against the cached Flink.
  javac: [['-version'], 'install a Java 17 JDK (Debian: apt-get install openjdk-17-jdk-headless)'],
};

async function main(): Promise<void> {
  const started = performance.now();
  const needs = parseNeeds(process.argv.slice(2));
  const steps = stepsFor(needs);
  for (const command of prerequisitesFor(steps)) requireCommand(command, ...PREREQUISITE_CHECKS[command]);
  const tools = toolchain();
  const timings: StepTiming[] = [];
  for (const step of steps) {
    const stepStarted = performance.now();
    const commandsBefore = commandCount();
    await INSTALLERS[step](tools);
    timings.push({ step, seconds: (performance.now() - stepStarted) / 1000, installed: commandCount() > commandsBefore });
  }
  const report = { needs, cache: tools.root, seconds: (performance.now() - started) / 1000, steps: timings };
  process.stdout.write(`${summaryLine(report)}\n`);
  // For bench/first-run.ts, which times a cold install step by step.
  if (process.env.FLINK_FLEET_INSTALL_REPORT) writeFileSync(process.env.FLINK_FLEET_INSTALL_REPORT, `${JSON.stringify(report, null, 2)}\n`);
}

main().catch((error: unknown) => {
  // A missing tool, a failed step or an unknown need is a message for a person, not a stack trace.
  const known = error instanceof Error && ['MissingPrerequisite', 'InstallStepFailed', 'UnknownNeed'].includes(error.name);
  const message = known ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.stderr.write(`[install] failed: ${message}\n`);
  process.exitCode = error instanceof UnknownNeed ? 2 : 1;
});
