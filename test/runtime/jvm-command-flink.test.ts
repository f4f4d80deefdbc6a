import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { BASE_OPTIONS, type FlinkOptions } from '../../activities/flink/config';
import { LocalRuntime, writeClusterConfig } from '../../activities/runtime/local/local-runtime';
import { clusterPaths, directJvmLaunch, type FlinkRole } from '../../activities/runtime/local/processes';
import { toolchain } from '../../scripts/toolchain';
import { newStateDir } from '../harness/state';

const MAIN_CLASSES = ['TaskManagerRunner', 'StandaloneSessionClusterEntrypoint', 'StandaloneApplicationClusterEntryPoint', 'SqlGateway'];

/**
 * A JAVA_HOME whose java records, instead of running it, the command line and environment Flink's
 * launcher finally execs; every other java call (BashJavaUtils, the version probe) runs for real.
 */
function recordingJavaHome(dir: string): string {
  const realJava = realpathSync(execFileSync('sh', ['-c', 'command -v java'], { encoding: 'utf8' }).trim());
  const home = join(dir, 'java-home');
  mkdirSync(join(home, 'bin'), { recursive: true });
  symlinkSync(join(dirname(dirname(realJava)), 'lib'), join(home, 'lib'));
  const script = join(home, 'bin', 'java');
  writeFileSync(script, [
    '#!/bin/bash',
    `for a in "$@"; do case "$a" in ${MAIN_CLASSES.map((c) => `*.${c}`).join('|')})`,
    `  printf '%s\\0' "$@" > "${dir}/argv"; env -0 > "${dir}/env"; exit 0;; esac; done`,
    `exec ${realJava} "$@"`,
  ].join('\n'));
  chmodSync(script, 0o755);
  return home;
}

/** What Flink's own script for `role` would exec, recorded through the JAVA_HOME above. */
function scriptLaunch(role: FlinkRole, clusterDir: string, name: string, args: readonly string[], javaHome: string): { argv: string[]; env: Map<string, string> } {
  const script = { jobmanager: 'jobmanager.sh', taskmanager: 'taskmanager.sh', 'sql-gateway': 'sql-gateway.sh', 'standalone-job': 'standalone-job.sh' }[role];
  const paths = clusterPaths(clusterDir);
  const { flinkHome } = toolchain();
  execFileSync(join(flinkHome, 'bin', script), ['start-foreground', ...args], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, JAVA_HOME: javaHome, FLINK_HOME: flinkHome, FLINK_CONF_DIR: paths.conf, FLINK_LOG_DIR: paths.log, FLINK_PID_DIR: paths.run, FLINK_IDENT_STRING: name },
    stdio: 'ignore',
  });
  const recorded = (file: string): string[] => readFileSync(join(dirname(javaHome), file), 'utf8').split('\0').filter((w) => w !== '');
  const env = new Map(recorded('env').map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)]));
  return { argv: recorded('argv'), env };
}

/** An empty classpath entry (the scripts leave trailing ones) names the working folder; neither side means it. */
function withoutEmptyClasspathEntries(argv: readonly string[]): string[] {
  return argv.map((word, i) => (argv[i - 1] === '-classpath' ? word.split(':').filter((e) => e !== '').join(':') : word));
}

describe('the local runtime\'s direct start of a Flink JVM', () => {
  const options = (stateDir: string): FlinkOptions => ({
    ...BASE_OPTIONS,
    // The JVM flags the fleet adds per role.
    ...new LocalRuntime({ flinkHome: toolchain().flinkHome, stateDir, classArchives: toolchain().flinkClassArchives }).classArchiveOptions(),
    'taskmanager.memory.process.size': '1280m',
    'taskmanager.numberOfTaskSlots': 2,
    'rest.port': 18081,
  });
  const cases: readonly { role: FlinkRole; args: string[] }[] = [
    { role: 'jobmanager', args: [] },
    { role: 'standalone-job', args: ['--job-id', '00000000000000000000000000000001', '--job-classname', 'org.example.Job', 'an argument'] },
    { role: 'taskmanager', args: ['-Dtaskmanager.resource-id=tm-1', '-Dtaskmanager.memory.managed.size=96m'] },
    { role: 'sql-gateway', args: [] },
  ];
  for (const { role, args } of cases) {
    it(`runs the command and environment Flink's ${role} script would exec`, async () => {
      const dir = newStateDir('jvm-command');
      const clusterDir = join(dir, 'cluster');
      writeClusterConfig(toolchain().flinkHome, clusterPaths(clusterDir).conf, options(dir));
      const name = `${role}-1`;
      const flink = scriptLaunch(role, clusterDir, name, args, recordingJavaHome(dir));
      const [program, env] = await directJvmLaunch({ flinkHome: toolchain().flinkHome, clusterDir, role, name, args });
      assert.deepEqual(withoutEmptyClasspathEntries(program.slice(1)), withoutEmptyClasspathEntries(flink.argv));
      for (const [key, value] of Object.entries(env)) assert.equal(value, flink.env.get(key), `${key} as the script sets it`);
    });
  }
});
