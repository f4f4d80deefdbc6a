import { randomInt } from 'node:crypto';
import { seededRandom } from '../harness/random';

/**
 * Which boundaries a run tries. Every boundary costs a whole workflow life (20-40 s), so `npm test`
 * tries a few, drawn anew each run from a seed it prints; over runs every boundary is tried, and one
 * that failed is tried again with the same seed. `npm run test:chaos` tries them all.
 */
export interface ChaosSelection {
  /** How many boundaries of each workflow, or all of them. */
  readonly count: number | 'all';
  readonly seed: number;
}

export const DEFAULT_BOUNDARIES = 3;
const SEED_LIMIT = 2 ** 31;

export function chaosSelection(env: NodeJS.ProcessEnv): ChaosSelection {
  const count = env.FLEET_CHAOS_BOUNDARIES ?? String(DEFAULT_BOUNDARIES);
  if (count !== 'all' && !/^[1-9][0-9]*$/.test(count)) throw new Error(`FLEET_CHAOS_BOUNDARIES must be a positive integer or 'all', not '${count}'`);
  const seed = env.FLEET_CHAOS_SEED ?? String(randomInt(SEED_LIMIT));
  if (!/^[0-9]+$/.test(seed) || Number(seed) >= SEED_LIMIT) throw new Error(`FLEET_CHAOS_SEED must be an integer from 0 to ${SEED_LIMIT - 1}, not '${seed}'`);
  return { count: count === 'all' ? 'all' : Number(count), seed: Number(seed) };
}

/** `count` of `items` drawn without replacement by `seed`, in their original order. Pure. */
export function sampleOf<T>(items: readonly T[], selection: ChaosSelection): T[] {
  if (selection.count === 'all' || selection.count >= items.length) return [...items];
  const random = seededRandom(selection.seed);
  const indices = items.map((_, i) => i);
  for (let i = indices.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [indices[i], indices[j]] = [indices[j] as number, indices[i] as number];
  }
  return indices.slice(0, selection.count).sort((a, b) => a - b).map((i) => items[i] as T);
}

/** The cases of one workflow's matrix, announced with what reproduces them. */
export function casesToTry<T>(workflowType: string, boundaries: readonly T[], selection = chaosSelection(process.env)): T[] {
  const cases = sampleOf(boundaries, selection);
  const how = selection.count === 'all' ? 'all of them' : `${cases.length}, drawn by FLEET_CHAOS_SEED=${selection.seed} (FLEET_CHAOS_BOUNDARIES=all tries every one)`;
  process.stdout.write(`      fault matrix: ${workflowType}, ${boundaries.length} activity boundaries; trying ${how}\n`);
  return cases;
}
