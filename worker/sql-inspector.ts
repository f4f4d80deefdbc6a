import { inspectorClasspath } from '../activities/sql-inspector/classpath';
import { SqlInspector } from '../activities/sql-inspector/inspector';
import { toolchain } from '../scripts/toolchain';

/** The inspector of a worker whose Flink lives at `flinkHome`; its classes and the planner jar are where the installer put them. */
export function createSqlInspector(flinkHome: string): SqlInspector {
  const tools = toolchain();
  return new SqlInspector({ classpath: inspectorClasspath({ flinkHome, plannerJar: tools.flinkTablePlannerJar, builds: tools.sqlInspectorBuilds }) });
}

let shared: SqlInspector | undefined;

/**
 * One JVM per process for workers created without their own inspector (several in one process share
 * it). It exits with the process: its stdin closes then.
 */
export function sharedSqlInspector(): SqlInspector {
  shared ??= createSqlInspector(toolchain().flinkHome);
  return shared;
}
