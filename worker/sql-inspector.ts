import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { classesDir, inspectorClasspath, SQL_INSPECTOR_MAIN, type SqlInspectorLocation } from '../activities/sql-inspector/classpath';
import { SqlInspector } from '../activities/sql-inspector/inspector';
import { toolchain } from '../scripts/toolchain';
import type { WorkerConfig } from './config';

/** Where a worker finds its SQL inspector: the image's folders when its variables name them, else the installer's cache. */
export interface SqlInspectorInstall {
  readonly flinkHome: string;
  readonly classes: string;
  readonly plannerJar: string;
}

/** Pure: what the worker's variables say, with the installer's cache where they say nothing. */
export function sqlInspectorInstall(config: Pick<WorkerConfig, 'FLINK_HOME' | 'FLEET_SQL_INSPECTOR_CLASSES' | 'FLEET_FLINK_TABLE_PLANNER_JAR'>): SqlInspectorInstall {
  const tools = toolchain();
  const plannerJar = config.FLEET_FLINK_TABLE_PLANNER_JAR ?? tools.flinkTablePlannerJar;
  const location: SqlInspectorLocation = { flinkHome: config.FLINK_HOME, plannerJar, builds: tools.sqlInspectorBuilds };
  return { flinkHome: config.FLINK_HOME, plannerJar, classes: config.FLEET_SQL_INSPECTOR_CLASSES ?? classesDir(location) };
}

/**
 * The inspector of a worker. Refuses at start what would otherwise refuse every statement later: a
 * worker whose inspector is missing cannot check any SQL.
 */
export function createSqlInspector(install: SqlInspectorInstall): SqlInspector {
  const main = join(install.classes, ...SQL_INSPECTOR_MAIN.split('.')) + '.class';
  if (!existsSync(main)) throw new Error(`the SQL inspector is not built: no ${main} (set FLEET_SQL_INSPECTOR_CLASSES, or run npm run install-deps)`);
  if (!existsSync(install.plannerJar)) throw new Error(`Flink's Table planner is missing: no ${install.plannerJar} (set FLEET_FLINK_TABLE_PLANNER_JAR, or run npm run install-deps)`);
  return new SqlInspector({ classpath: inspectorClasspath({ flinkHome: install.flinkHome, plannerJar: install.plannerJar, builds: '' }, install.classes) });
}

let shared: SqlInspector | undefined;

/**
 * One JVM per process for workers created without their own inspector (several in one process share
 * it). It exits with the process: its stdin closes then.
 */
export function sharedSqlInspector(): SqlInspector {
  shared ??= createSqlInspector(sqlInspectorInstall({ FLINK_HOME: toolchain().flinkHome }));
  return shared;
}
