import assert from 'node:assert/strict';
import { freePort } from '../../activities/runtime/local/ports';
import type { DevStack } from '../../client/dev/stack-file';
import { runCli } from './cli';
import { trackProcess } from './processes';

export type DevUp = DevStack & { alreadyUp: boolean; restarted: string[] };

/** `dev up` on free ports in a folder of the test run, so neither 7233 nor the user's stack is touched. */
export async function devUp(dir: string, extra: string[] = []): Promise<DevUp> {
  const ports = ['--port', String(await freePort()), '--ui-port', String(await freePort())];
  const up = await runCli(['--json', 'dev', 'up', '--dir', dir, ...ports, ...extra]);
  assert.equal(up.code, 0, up.stderr);
  const stack = JSON.parse(up.stdout) as DevUp;
  for (const pid of [stack.temporalPid, stack.workerPid, stack.codecServer.pid, ...(stack.kubernetes?.daemons.map((daemon) => daemon.pid) ?? [])]) trackProcess(pid, `dev stack process in ${dir}`);
  return stack;
}
