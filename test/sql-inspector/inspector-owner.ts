/**
 * A process that owns an SQL inspector, as a worker does: it starts the JVM with one inspection,
 * prints the JVM's pid, and waits to be killed. inspector.test.ts SIGKILLs it.
 */
import { execFileSync } from 'node:child_process';
import { toolchain } from '../../scripts/toolchain';
import { createSqlInspector, sqlInspectorInstall } from '../../worker/sql-inspector';

const inspector = createSqlInspector(sqlInspectorInstall({ FLINK_HOME: toolchain().flinkHome }));
void inspector.inspect('SELECT 1 AS x').then(() => {
  const jvm = execFileSync('pgrep', ['-P', String(process.pid), '-f', 'io.flinkfleet.inspector.Main'], { encoding: 'utf8' }).trim();
  process.stdout.write(`${jvm}\n`);
});
setInterval(() => undefined, 60_000);
