import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { classesDir, inspectorClasspath, javaSources, type SqlInspectorLocation } from '../../activities/sql-inspector/classpath';
import type { Toolchain } from '../toolchain';
import { mavenJar } from './flink';
import { ensureBuilt, InstallStepFailed, run } from './steps';

function sqlInspectorLocation(tools: Toolchain): SqlInspectorLocation {
  return { flinkHome: tools.flinkHome, plannerJar: tools.flinkTablePlannerJar, builds: tools.sqlInspectorBuilds };
}

/**
 * Compiles the SQL inspector against the cached FLINK_HOME and the full planner jar, into a cache
 * folder named by its sources' hash: a changed source is compiled afresh, an unchanged one is found.
 */
export async function installSqlInspector(tools: Toolchain): Promise<void> {
  const install = sqlInspectorLocation(tools);
  const planner = mavenJar(tools, 'flink-table-planner_2.12', 'sql-inspector');
  if (planner !== install.plannerJar) throw new InstallStepFailed(`maven put the planner at ${planner}, not ${install.plannerJar}`);
  const classes = classesDir(install);
  await ensureBuilt('sql-inspector', dirname(classes), () => {
    run('javac', ['-nowarn', '--release', '17', '-encoding', 'UTF-8', '-d', classes,
      '-cp', inspectorClasspath(install, classes).slice(1).join(':'), ...javaSources()], { progress: { component: 'sql-inspector', label: 'compiling' } });
    if (!existsSync(join(classes, 'io', 'flinkfleet', 'inspector', 'Main.class'))) throw new InstallStepFailed(`javac left no Main.class in ${classes}`);
  });
}
