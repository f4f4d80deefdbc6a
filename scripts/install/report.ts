import { formatDuration } from './progress';
import type { InstallStep, Need } from './needs';

export interface StepTiming {
  readonly step: InstallStep;
  readonly seconds: number;
  /** False when the step found everything in the cache. */
  readonly installed: boolean;
}

export interface InstallReport {
  readonly needs: readonly Need[];
  readonly cache: string;
  readonly seconds: number;
  readonly steps: readonly StepTiming[];
}

/** Pure: the installer's last line. With a warm cache it is the only one. */
export function summaryLine(report: InstallReport): string {
  const installed = report.steps.filter((timing) => timing.installed);
  const present = report.steps.filter((timing) => !timing.installed).map((timing) => timing.step);
  const needs = report.needs.join(' + ');
  if (installed.length === 0) {
    return `[install] ${needs}: ${present.join(', ')} already installed (cache ${report.cache}, ${formatDuration(report.seconds)})`;
  }
  const breakdown = installed.map((timing) => `${timing.step} ${formatDuration(timing.seconds)}`).join(', ');
  const rest = present.length > 0 ? `; already installed: ${present.join(', ')}` : '';
  return `[install] ${needs}: installed in ${formatDuration(report.seconds)} (${breakdown})${rest}`;
}
