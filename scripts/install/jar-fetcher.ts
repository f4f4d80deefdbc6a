import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { JAR_FETCHER_FILE, JAR_FETCHER_SOURCES, jarFetcherJar } from '../../activities/runtime/kubernetes/jar-fetcher/location';
import { javaSources } from '../../activities/sql-inspector/classpath';
import type { Toolchain } from '../toolchain';
import { ensureBuilt, InstallStepFailed, run } from './steps';

/**
 * Compiles the jar fetcher against the cached FLINK_HOME's lib/ (the Flink image's /opt/flink/lib,
 * which is its classpath in the pod) into a jar in a cache folder named by its sources' hash.
 */
export async function installJarFetcher(tools: Toolchain): Promise<void> {
  const jar = jarFetcherJar(tools.jarFetcherBuilds);
  await ensureBuilt('jar-fetcher', dirname(jar), (dir) => {
    const classes = join(dir, 'classes');
    run('javac', ['-nowarn', '--release', '17', '-encoding', 'UTF-8', '-d', classes, '-cp', join(tools.flinkHome, 'lib', '*'), ...javaSources(JAR_FETCHER_SOURCES)], {
      progress: { component: 'jar-fetcher', label: 'compiling the jar fetcher against Flink\'s lib/' },
    });
    run('jar', ['--create', '--file', join(dir, JAR_FETCHER_FILE), '-C', classes, '.']);
    if (!existsSync(jar)) throw new InstallStepFailed(`jar left no ${jar}`);
  });
}
