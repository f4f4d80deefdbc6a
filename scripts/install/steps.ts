import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { withProgress, withProgressAsync, type ProgressSpec } from './progress';

/** Install output is for people watching a terminal, so it is plain lines, not JSON logs. */
export function say(component: string, message: string): void {
  process.stdout.write(`[install] ${component}: ${message}\n`);
}

/** Runs an asynchronous stage of `component` (no command of its own to report) while one line reports its progress. */
export function reportStage<T>(component: string, spec: ProgressSpec, work: () => Promise<T>): Promise<T> {
  return withProgressAsync(`[install] ${component}: `, spec, work);
}

export class MissingPrerequisite extends Error {
  constructor(
    readonly command: string,
    readonly hint: string,
  ) {
    super(`flink-fleet needs \`${command}\` on PATH: ${hint}`);
    this.name = 'MissingPrerequisite';
  }
}

export class InstallStepFailed extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InstallStepFailed';
  }
}

/** Fails with one line naming the command and how to get it, instead of a spawn ENOENT later. */
export function requireCommand(command: string, versionArgs: string[], hint: string): void {
  const probe = spawnSync(command, versionArgs, { stdio: 'ignore' });
  if (probe.error || probe.status !== 0) throw new MissingPrerequisite(command, hint);
}

let commandsRun = 0;

/** How many commands the installer has run so far: a step that ran none found everything in the cache. */
export function commandCount(): number {
  return commandsRun;
}

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** For a command that takes more than a few seconds: the component it works for and what to report. */
  progress?: { component: string } & ProgressSpec;
}

export function run(command: string, args: string[], options: RunOptions = {}): void {
  commandsRun += 1;
  const { progress, ...spawnOptions } = options;
  const spawn = (): ReturnType<typeof spawnSync> => spawnSync(command, args, { stdio: ['ignore', 'inherit', 'inherit'], ...spawnOptions });
  const result = progress ? withProgress(`[install] ${progress.component}: `, progress, spawn) : spawn();
  if (result.error) throw new InstallStepFailed(`${command} could not start: ${result.error.message}`);
  if (result.status !== 0) throw new InstallStepFailed(`${command} ${args.join(' ')} exited with ${result.status}`);
}

const STAMP = '.flink-fleet-complete';

/**
 * Runs `build` into `dir` unless a previous run finished it. The stamp is written last, so an
 * interrupted run leaves no stamp and the half-built folder is wiped and rebuilt next time.
 */
export async function ensureBuilt(component: string, dir: string, build: (dir: string) => Promise<void> | void): Promise<void> {
  const stamp = join(dir, STAMP);
  // Silent: the installer sums up the steps it found in the cache in one line.
  if (existsSync(stamp)) return;
  if (existsSync(dir)) {
    say(component, `removing an unfinished install at ${dir}`);
    rmSync(dir, { recursive: true, force: true });
  }
  mkdirSync(dir, { recursive: true });
  say(component, `installing into ${dir}`);
  // A build that runs its commands without `run` (a training run of Flink) still installed something.
  commandsRun += 1;
  await build(dir);
  writeFileSync(stamp, `${new Date().toISOString()}\n`);
  say(component, `done, in ${dir}`);
}
