import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let gc: (() => void) | undefined;

/**
 * A full garbage collection now, without starting node with `--expose-gc`: what a check of what stays
 * reachable (a test) or of the heap a thing keeps (a bench) needs. The flag exposes `gc` to contexts
 * made after it is set.
 */
export function collectGarbage(): void {
  if (!gc) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  }
  gc();
}
