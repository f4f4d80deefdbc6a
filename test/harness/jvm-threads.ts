import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { readEachEntry } from './proc';

/**
 * The names of a process's threads, as the kernel has them (JVM threads are named, e.g. "C1
 * CompilerThre"), leaving out a thread that ended between listing and reading it.
 */
export function threadNames(pid: number): string[] {
  return readEachEntry(`/proc/${pid}/task`, (tid) => readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim());
}

/** A JVM run with -XX:TieredStopAtLevel=1 has C1 compiler threads and no C2 one. */
export function assertCompilesWithC1Only(pid: number): void {
  const threads = threadNames(pid);
  assert.ok(threads.some((name) => name.startsWith('C1 CompilerThre')), `${pid} has a C1 compiler thread: ${threads.join(', ')}`);
  assert.deepEqual(threads.filter((name) => name.startsWith('C2 CompilerThre')), [], `${pid} has no C2 compiler thread`);
}
