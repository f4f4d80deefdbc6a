import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/**
 * Where the SQL inspector's compiled classes live and what it runs with. Shared by its installer
 * step (scripts/install/sql-inspector.ts), which builds it, and the worker, which runs it: the build
 * folder is named by a hash of the Java sources, so a changed source is a new build, never a stale one.
 */
export const SQL_INSPECTOR_SOURCES = join(__dirname, 'java', 'src');
export const SQL_INSPECTOR_MAIN = 'io.flinkfleet.inspector.Main';

export interface SqlInspectorLocation {
  readonly flinkHome: string;
  /** The full planner (flink-table-planner_2.12); FLINK_HOME/lib has only the loader, which hides its classes. */
  readonly plannerJar: string;
  /** The folder holding one folder per build, named by the sources' hash. */
  readonly builds: string;
}

export function javaSources(dir: string = SQL_INSPECTOR_SOURCES): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.java')).sort().map((f) => join(dir, f));
}

export function sourceHash(dir: string = SQL_INSPECTOR_SOURCES): string {
  const hash = createHash('sha256');
  for (const file of javaSources(dir)) hash.update(relative(dir, file)).update('\0').update(readFileSync(file)).update('\0');
  return hash.digest('hex').slice(0, 16);
}

export function classesDir(location: SqlInspectorLocation): string {
  return join(location.builds, sourceHash(), 'classes');
}

/**
 * The classpath a session cluster's SQL Gateway has (FLINK_HOME/lib), so a connector Flink cannot
 * find there is an error here too, with the planner in place of its loader (the two clash).
 */
export function inspectorClasspath(location: SqlInspectorLocation, classes: string = classesDir(location)): string[] {
  const lib = join(location.flinkHome, 'lib');
  const jars = readdirSync(lib).filter((f) => f.endsWith('.jar') && !f.startsWith('flink-table-planner-loader')).sort().map((f) => join(lib, f));
  return [classes, location.plannerJar, ...jars];
}
