import { join } from 'node:path';
import type { FlinkOptions } from '../../flink/config';

/**
 * Java 17 AppCDS for the JVMs of a local cluster: each role maps an archive of the classes it loaded
 * in a training run (scripts/install/flink-class-archives.ts), so it parses and verifies fewer classes
 * at start and at its first job. Pure: which files exist is the runtime's question, not this module's.
 */
export const ARCHIVED_ROLES = ['jobmanager', 'taskmanager', 'sql-gateway'] as const;
export type ArchivedRole = (typeof ARCHIVED_ROLES)[number];

/** One archive per role: the three load different classes, and a dynamic archive holds what one JVM loaded. */
export function classArchiveFile(dir: string, role: ArchivedRole): string {
  return join(dir, `${role}.jsa`);
}

/** Flink's launcher scripts append `env.java.opts.<role>` to the JVM's command line; `standalone-job` reads the jobmanager's. */
function roleOptions(flagsFor: (role: ArchivedRole) => string | undefined): FlinkOptions {
  const options: Record<string, string> = {};
  for (const role of ARCHIVED_ROLES) {
    const flags = flagsFor(role);
    if (flags !== undefined) options[`env.java.opts.${role}`] = flags;
  }
  return options;
}

/**
 * `-Xshare:auto` (the default, said out loud): an archive that no longer matches the JVM or the
 * classpath (Java or Flink upgraded without a reinstall) is ignored with a warning instead of
 * stopping the JVM.
 */
export function classArchiveOptions(archives: Partial<Record<ArchivedRole, string>>): FlinkOptions {
  return roleOptions((role) => (archives[role] === undefined ? undefined : `-XX:SharedArchiveFile=${archives[role]} -Xshare:auto`));
}

/** For the training run: each JVM writes the classes it loaded into its role's archive when it exits. */
export function classArchiveTrainingOptions(dir: string): FlinkOptions {
  return roleOptions((role) => `-XX:ArchiveClassesAtExit=${classArchiveFile(dir, role)}`);
}
