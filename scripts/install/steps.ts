import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Install output is for people watching a terminal, so it is plain lines, not JSON logs. */
export function say(component: string, message: string): void {
  process.stdout.write(`[install] ${component}: ${message}\n`);
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

export function run(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): void {
  const result = spawnSync(command, args, { stdio: ['ignore', 'inherit', 'inherit'], ...options });
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
  if (existsSync(stamp)) {
    say(component, `already installed at ${dir}`);
    return;
  }
  if (existsSync(dir)) {
    say(component, `removing an unfinished install at ${dir}`);
    rmSync(dir, { recursive: true, force: true });
  }
  mkdirSync(dir, { recursive: true });
  say(component, `installing into ${dir}`);
  await build(dir);
  writeFileSync(stamp, `${new Date().toISOString()}\n`);
  say(component, 'done');
}
