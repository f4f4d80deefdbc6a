import { spawnSync } from 'node:child_process';
import { loadAllYaml, type KubernetesObject } from '@kubernetes/client-node';
import { helmBinary } from '../../scripts/install/helm';
import { CHART_DIR } from '../../scripts/plain-manifests';
import { toolchain } from '../../scripts/toolchain';

export interface HelmRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function helm(args: readonly string[]): HelmRun {
  const run = spawnSync(helmBinary(toolchain()), args, { encoding: 'utf8' });
  if (run.error) throw run.error;
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** `--set`-style overrides, e.g. { replicas: '3' }; --set-string is not used, so numbers stay numbers. */
export type ChartValues = Readonly<Record<string, string>>;

export function templateArgs(values: ChartValues = {}): string[] {
  return ['template', 'flink-fleet', CHART_DIR, ...Object.entries(values).flatMap(([key, value]) => ['--set', `${key}=${value}`])];
}

/** The chart's objects as `helm template` renders them; fails with helm's message when it refuses the values. */
export function renderChart(values: ChartValues = {}): { text: string; objects: KubernetesObject[] } {
  const run = helm(templateArgs(values));
  if (run.status !== 0) throw new Error(`helm template exited with ${run.status}: ${run.stderr}`);
  return { text: run.stdout, objects: (loadAllYaml(run.stdout) as Array<KubernetesObject | null>).filter((object) => object !== null) };
}

export function objectOf<T extends KubernetesObject>(objects: readonly KubernetesObject[], kind: string, name: string): T {
  const found = objects.filter((object) => object.kind === kind && object.metadata?.name === name);
  if (found.length !== 1) throw new Error(`expected one ${kind} ${name}, found ${found.length}`);
  return found[0] as T;
}
