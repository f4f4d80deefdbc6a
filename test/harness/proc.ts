import { readdirSync } from 'node:fs';
import { statFields } from '../../activities/runtime/local/processes';

/**
 * `read` of each entry of a /proc listing (a process's threads or descriptors, or /proc itself),
 * leaving out an entry that went between the listing and its read: a JVM starts and ends threads and
 * opens and closes sockets all the time.
 */
export function readEachEntry<T>(dir: string, read: (entry: string) => T): T[] {
  return readdirSync(dir).flatMap((entry) => {
    try {
      return [read(entry)];
    } catch {
      return [];
    }
  });
}

/** The pids whose parent (proc(5)'s field 4) is `pid`. */
export function childrenOf(pid: number): number[] {
  return readdirSync('/proc').filter((entry) => /^\d+$/.test(entry)).map(Number).filter((child) => Number(statFields(child)?.[1]) === pid);
}
