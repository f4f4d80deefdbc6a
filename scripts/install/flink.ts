import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { VERSIONS, type Toolchain } from '../toolchain';
import { ensureBuilt, InstallStepFailed, run, say } from './steps';

const WHEELS = [`apache-flink==${VERSIONS.flink}`, `apache-flink-libraries==${VERSIONS.flink}`];

/**
 * Flink's binary distribution is not reachable here, but PyPI's pyflink wheels carry all of it:
 * the core wheel has bin/ and conf/, the libraries wheel has lib/, opt/ and plugins/.
 */
const EXTRACT = `
import sys, zipfile, os
wheel, dest, prefixes = sys.argv[1], sys.argv[2], sys.argv[3:]
with zipfile.ZipFile(wheel) as z:
    for name in z.namelist():
        if name.endswith('/') or not any(name.startswith('pyflink/' + p) for p in prefixes):
            continue
        target = os.path.join(dest, name[len('pyflink/'):])
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with z.open(name) as src, open(target, 'wb') as out:
            out.write(src.read())
`;

function findWheel(downloads: string, distribution: string): string | undefined {
  const prefix = `${distribution}-${VERSIONS.flink}-`;
  const name = existsSync(downloads) ? readdirSync(downloads).find((f) => f.startsWith(prefix) && f.endsWith('.whl')) : undefined;
  return name ? join(downloads, name) : undefined;
}

function downloadWheels(tools: Toolchain): { core: string; libraries: string } {
  let core = findWheel(tools.downloads, 'apache_flink');
  let libraries = findWheel(tools.downloads, 'apache_flink_libraries');
  if (!core || !libraries) {
    say('flink', `downloading ${WHEELS.join(' and ')} from PyPI (about 330 MB)`);
    mkdirSync(tools.downloads, { recursive: true });
    // The core wheel is CPython-specific only because of its optional Cython modules; bin/ and conf/
    // are the same in every build, so pin one platform and stay independent of the local Python.
    run('python3', ['-m', 'pip', 'download', '--quiet', '--disable-pip-version-check', '--no-deps', '--only-binary=:all:',
      '--python-version', '3.11', '--platform', 'manylinux2014_x86_64', '-d', tools.downloads, ...WHEELS]);
    core = findWheel(tools.downloads, 'apache_flink');
    libraries = findWheel(tools.downloads, 'apache_flink_libraries');
  }
  if (!core || !libraries) throw new InstallStepFailed(`pip did not leave both Flink wheels in ${tools.downloads}`);
  return { core, libraries };
}

/** A Flink jar from Maven Central into the cache's Maven repository; a second call finds it there. */
export function mavenJar(tools: Toolchain, artifactId: string, component = 'flink'): string {
  const coordinates = `org.apache.flink:${artifactId}:${VERSIONS.flink}`;
  const jar = join(tools.mavenRepository, 'org', 'apache', 'flink', artifactId, VERSIONS.flink, `${artifactId}-${VERSIONS.flink}.jar`);
  if (!existsSync(jar)) {
    say(component, `fetching ${coordinates} from Maven Central`);
    run('mvn', ['--batch-mode', '--quiet', '-Dstyle.color=never', 'dependency:get', `-Dartifact=${coordinates}`, '-Dtransitive=false',
      `-Dmaven.repo.local=${tools.mavenRepository}`]);
  }
  if (!existsSync(jar)) throw new InstallStepFailed(`maven did not produce ${jar}`);
  return jar;
}

export async function installFlink(tools: Toolchain): Promise<void> {
  await ensureBuilt('flink', tools.flinkHome, (home) => {
    const { core, libraries } = downloadWheels(tools);
    say('flink', 'unpacking the wheels into a FLINK_HOME');
    run('python3', ['-c', EXTRACT, core, home, 'bin/', 'conf/']);
    run('python3', ['-c', EXTRACT, libraries, home, 'lib/', 'opt/', 'plugins/', 'bin/bash-java-utils.jar']);
    // Zip archives drop the executable bits.
    for (const script of readdirSync(join(home, 'bin'))) chmodSync(join(home, 'bin', script), 0o755);
    copyFileSync(mavenJar(tools, 'flink-sql-gateway'), join(home, 'opt', `flink-sql-gateway-${VERSIONS.flink}.jar`));
    mkdirSync(join(home, 'examples'), { recursive: true });
    copyFileSync(mavenJar(tools, 'flink-examples-streaming'), tools.flinkExamplesJar);
  });
  say('flink', `FLINK_HOME ${tools.flinkHome}`);
}
