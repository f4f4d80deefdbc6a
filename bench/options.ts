import { parseArgs } from 'node:util';

/** `npm run bench -- [--runs N] [--bursts key,key|none] [--burst-size PREVIEWSxCALLERS] [note ...]`. */
export interface BenchOptions {
  readonly runs: number;
  /** The burst variants to run, by key, in the order given. */
  readonly bursts: readonly string[];
  readonly burstPreviews: number;
  readonly burstCallers: number;
  /** Lines for the report's Notes. */
  readonly notes: readonly string[];
}

export const BURST_KEYS = ['baseline', 'long-poll', 'capped'] as const;

const positive = (flag: string, text: string): number => {
  if (!/^[1-9][0-9]{0,3}$/.test(text)) throw new Error(`${flag} takes a whole number from 1 to 9999, not ${JSON.stringify(text)}`);
  return Number(text);
};

/** Pure: the command line, checked; the defaults are the sizes. */
export function parseBenchOptions(argv: readonly string[]): BenchOptions {
  const { values, positionals } = parseArgs({
    args: [...argv], allowPositionals: true, strict: true,
    options: { runs: { type: 'string', default: '10' }, bursts: { type: 'string', default: BURST_KEYS.join(',') }, 'burst-size': { type: 'string', default: '40x8' } },
  });
  const bursts = values.bursts === 'none' ? [] : values.bursts.split(',');
  const unknown = bursts.filter((b) => !(BURST_KEYS as readonly string[]).includes(b));
  if (unknown.length > 0 || new Set(bursts).size !== bursts.length) {
    throw new Error(`--bursts takes distinct keys among ${BURST_KEYS.join(', ')} (or none), not ${JSON.stringify(values.bursts)}`);
  }
  const size = /^([0-9]+)x([0-9]+)$/.exec(values['burst-size']);
  if (!size) throw new Error(`--burst-size takes PREVIEWSxCALLERS, such as 40x8, not ${JSON.stringify(values['burst-size'])}`);
  return {
    runs: positive('--runs', values.runs), bursts,
    burstPreviews: positive('--burst-size previews', size[1] as string), burstCallers: positive('--burst-size callers', size[2] as string), notes: positionals,
  };
}

/** A burst's first claims find the pool at its resting size: the target is about the ones after the first 10, or a quarter of a smaller burst. */
export function burstWarmUp(previews: number): number {
  return Math.min(10, Math.floor(previews / 4));
}

/** Pure: the time left of a phase, from the runs done so far. */
export function secondsLeft(elapsedMs: number, done: number, total: number): number {
  return done === 0 ? 0 : Math.round((elapsedMs / done) * (total - done) / 1000);
}
