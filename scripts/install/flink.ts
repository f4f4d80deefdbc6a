import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { VERSIONS, type Toolchain } from '../toolchain';
import { ensureBuilt, InstallStepFailed, run } from './steps';

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
    // pip downloads into TMPDIR and then copies into -d: that folder's size is the download's progress.
    const downloading = join(tools.downloads, '.downloading');
    mkdirSync(downloading, { recursive: true });
    // The core wheel is CPython-specific only because of its optional Cython modules; bin/ and conf/
    // are the same in every build, so pin one platform and stay independent of the local Python.
    run('python3', ['-m', 'pip', 'download', '--quiet', '--disable-pip-version-check', '--no-deps', '--only-binary=:all:',
      '--python-version', '3.11', '--platform', 'manylinux2014_x86_64', '-d', tools.downloads, ...WHEELS], {
      env: { ...process.env, TMPDIR: downloading },
      progress: { component: 'flink', label: `downloading ${WHEELS.join(' and ')} from PyPI`, bytes: { dir: downloading, totalBytes: 330e6 } },
    });
    rmSync(downloading, { recursive: true, force: true });
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
    run('mvn', ['--batch-mode', '--quiet', '-Dstyle.color=never', 'dependency:get', `-Dartifact=${coordinates}`, '-Dtransitive=false',
      `-Dmaven.repo.local=${tools.mavenRepository}`], {
      // Maven writes the jar's temporary file beside it.
      progress: { component, label: `fetching ${coordinates} from Maven Central`, bytes: { dir: dirname(jar) } },
    });
  }
  if (!existsSync(jar)) throw new InstallStepFailed(`maven did not produce ${jar}`);
  return jar;
}

export async function installFlink(tools: Toolchain): Promise<void> {
  await ensureBuilt('flink', tools.flinkHome, (home) => {
    const { core, libraries } = downloadWheels(tools);
    run('python3', ['-c', EXTRACT, core, home, 'bin/', 'conf/']);
    run('python3', ['-c', EXTRACT, libraries, home, 'lib/', 'opt/', 'plugins/', 'bin/bash-java-utils.jar'],
      { progress: { component: 'flink', label: 'unpacking the wheels into a FLINK_HOME', bytes: { dir: home } } });
    // Zip archives drop the executable bits.
    for (const script of readdirSync(join(home, 'bin'))) chmodSync(join(home, 'bin', script), 0o755);
    copyFileSync(mavenJar(tools, 'flink-sql-gateway'), join(home, 'opt', `flink-sql-gateway-${VERSIONS.flink}.jar`));
    mkdirSync(join(home, 'examples'), { recursive: true });
    copyFileSync(mavenJar(tools, 'flink-examples-streaming'), tools.flinkExamplesJar);
  });
}
