import { waitUntil } from '../../activities/runtime/local/wait';

/** One sample of Prometheus's text exposition format: `name{label="value",...} value`. */
export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

const SAMPLE_LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\S+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?\s*/gy;

function unescapeLabel(value: string): string {
  return value.replace(/\\(["\\n])/g, (_, c: string) => (c === 'n' ? '\n' : c));
}

function parseLabels(text: string, line: string): Record<string, string> {
  const labels: Record<string, string> = {};
  LABEL.lastIndex = 0;
  let consumed = 0;
  for (let match = LABEL.exec(text); match; match = LABEL.exec(text)) {
    labels[match[1] as string] = unescapeLabel(match[2] as string);
    consumed = LABEL.lastIndex;
  }
  if (consumed !== text.length) throw new Error(`not a Prometheus sample line: ${line}`);
  return labels;
}

/** Every sample of a scrape; comments (`# HELP`, `# TYPE`) and blank lines are skipped, anything else malformed throws. */
export function parsePrometheusText(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const match = SAMPLE_LINE.exec(line);
    if (!match) throw new Error(`not a Prometheus sample line: ${line}`);
    samples.push({ name: match[1] as string, labels: parseLabels(match[2] ?? '', line), value: Number(match[3]) });
  }
  return samples;
}

/** The samples named `name` whose labels include every one of `labels`. */
export function samplesOf(samples: readonly Sample[], name: string, labels: Readonly<Record<string, string>> = {}): Sample[] {
  return samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
}

/** The one sample named `name` with those labels; throws when there is none or more than one. */
export function sampleValue(samples: readonly Sample[], name: string, labels: Readonly<Record<string, string>> = {}): number {
  const found = samplesOf(samples, name, labels);
  if (found.length !== 1) throw new Error(`expected one sample ${name}${JSON.stringify(labels)}, found ${found.length}`);
  return (found[0] as Sample).value;
}

/** Scrapes `url` every second until `ready` accepts what it served; returns that scrape. */
export async function scrapeUntil(url: string, what: string, ready: (samples: Sample[]) => boolean, timeoutMs = 90_000): Promise<Sample[]> {
  return waitUntil(what, async () => {
    const samples = parsePrometheusText(await (await fetch(url)).text());
    return ready(samples) ? samples : undefined;
  }, { timeoutMs, intervalMs: 1_000 });
}
