import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';

/**
 * A detached process of the dev stack's Kubernetes part as it was started, so that `dev up` can start
 * it again the same way when it alone died: the same binary and arguments (so the same ports, certificates
 * and data folder), logging to the same file.
 */
export interface DaemonLaunch {
  readonly name: string;
  readonly pid: number;
  /** The binary, then its arguments. */
  readonly command: readonly string[];
  readonly log: string;
}

/** The launch of a process just spawned; undefined when it could not start (no pid). */
export function launchOf(name: string, child: ChildProcess, log: string): DaemonLaunch | undefined {
  return child.pid === undefined ? undefined : { name, pid: child.pid, command: [child.spawnfile, ...child.spawnargs.slice(1)], log };
}

/** Starts `launch` again, detached, appending to its log; `env` adds what its first start passed outside argv (secrets). */
export function relaunch(launch: DaemonLaunch, env: NodeJS.ProcessEnv = {}): DaemonLaunch {
  const [binary = '', ...args] = launch.command;
  const out = openSync(launch.log, 'a');
  const child = spawn(binary, args, { stdio: ['ignore', out, out], detached: true, env: { ...process.env, ...env } });
  closeSync(out);
  if (child.pid === undefined) throw new Error(`could not start ${launch.name} (${binary}) again`);
  child.unref();
  return { ...launch, pid: child.pid };
}
