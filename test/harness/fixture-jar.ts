import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { javaSources, sourceHash } from '../../activities/sql-inspector/classpath';
import { toolchain, VERSIONS, type Toolchain } from '../../scripts/toolchain';

/**
 * The jar of a Java fixture, test/fixtures/<name>, compiled on first use against the cached
 * FLINK_HOME (the image's /opt/flink) into the cache, by a hash of its sources, never into the work
 * tree. Concurrent test runs each build aside and the first rename wins.
 */
export function fixtureJar(name: string, tools: Toolchain = toolchain()): string {
  const sources = join(__dirname, '..', 'fixtures', name);
  const dir = join(tools.root, name, `flink-${VERSIONS.flink}-${sourceHash(sources)}`);
  const jar = join(dir, `${name}.jar`);
  if (existsSync(jar)) return jar;
  mkdirSync(join(tools.root, name), { recursive: true });
  const build = mkdtempSync(`${dir}.build-`);
  try {
    execFileSync('javac', ['-nowarn', '--release', '17', '-encoding', 'UTF-8', '-d', join(build, 'classes'),
      '-cp', join(tools.flinkHome, 'lib', '*'), ...javaSources(sources)], { stdio: ['ignore', 'ignore', 'pipe'] });
    execFileSync('jar', ['--create', '--file', join(build, `${name}.jar`), '-C', join(build, 'classes'), '.'], { stdio: ['ignore', 'ignore', 'pipe'] });
    rmSync(join(build, 'classes'), { recursive: true });
    try {
      renameSync(build, dir);
    } catch (error) {
      if (!existsSync(jar)) throw error;
    }
  } finally {
    rmSync(build, { recursive: true, force: true });
  }
  return jar;
}
