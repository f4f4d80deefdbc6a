import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { clusterName } from '../../activities/names';
import { clusterLayout } from '../../activities/runtime/local/layout';

/** A local Flink cluster's log files of one role, and their text. */
export interface RoleLogs {
  readonly files: readonly string[];
  readonly text: string;
}

/**
 * What one role of a local cluster (`jobmanager`, `sql-gateway`, `taskmanager`) has logged so far,
 * `.log.<n>` files too: log4j rolls a log over when its JVM starts, and the rolled file may be the
 * one that was written.
 */
export function roleLogs(stateDir: string, tenant: string, cluster: string, role: string): RoleLogs {
  const logDir = join(clusterLayout(stateDir, clusterName(tenant, cluster)).dir, 'log');
  const pattern = new RegExp(`^flink-${role}.*\\.log(\\.\\d+)?$`);
  const files = readdirSync(logDir).filter((f) => pattern.test(f)).sort();
  return { files, text: files.map((f) => readFileSync(join(logDir, f), 'utf8')).join('\n') };
}
