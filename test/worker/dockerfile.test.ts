import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename, join, posix, relative } from 'node:path';
import { DEFAULT_FLINK_IMAGE } from '../../activities/runtime/kubernetes/kubernetes-runtime';
import { SQL_INSPECTOR_MAIN, SQL_INSPECTOR_SOURCES } from '../../activities/sql-inspector/classpath';
import { newCodecKey } from '../../client/codec/keys';
import { WORKFLOW_BUNDLE_PATH } from '../../scripts/install/images/worker-recipe';
import { toolchain, VERSIONS } from '../../scripts/toolchain';
import { parseWorkerConfig } from '../../worker/config';
import { WORKER_PROCESS_ENV } from '../../worker/process-env';
import { createSqlInspector, sqlInspectorInstall } from '../../worker/sql-inspector';

const REPO = join(__dirname, '..', '..');

interface Stage { readonly name?: string; readonly instructions: Array<readonly [string, string]> }

/** The Dockerfile as stages of (instruction, arguments), continuation lines joined, comments dropped. Enough for this file, not a full parser. */
function parseDockerfile(text: string): { args: Record<string, string>; stages: Stage[] } {
  const lines = text.replace(/\\\n/g, ' ').split('\n').map((line) => line.trim()).filter((line) => line !== '' && !line.startsWith('#'));
  const args: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const line of lines) {
    const [, instruction = '', rest = ''] = /^(\S+)\s+(.*)$/s.exec(line) ?? [];
    if (instruction === 'FROM') {
      stages.push({ name: / AS (\S+)$/i.exec(rest)?.[1], instructions: [] });
    } else if (stages.length === 0 && instruction === 'ARG') {
      const [key = '', value = ''] = rest.split('=');
      args[key] = value;
    } else {
      stages.at(-1)?.instructions.push([instruction, rest.replace(/\s+/g, ' ')]);
    }
  }
  return { args, stages };
}

const { args, stages } = parseDockerfile(readFileSync(join(REPO, 'deploy', 'Dockerfile'), 'utf8'));
const expand = (text: string): string => text.replace(/\$\{(\w+)\}/g, (_, key: string) => args[key] ?? `\${${key}}`);
const stage = (name: string | undefined): Stage => {
  const found = name === undefined ? stages.at(-1) : stages.find((s) => s.name === name);
  assert.ok(found, `stage ${name ?? 'final'}`);
  return found;
};
const argumentsOf = (of: Stage, instruction: string): string[] => of.instructions.filter(([i]) => i === instruction).map(([, rest]) => expand(rest));

/** COPY --from=<from> <source> <destination> of a stage: destination by source. */
function copiesFrom(of: Stage, from: string): Map<string, string> {
  return new Map(argumentsOf(of, 'COPY').map((rest) => rest.split(' ')).filter((words) => words[0] === `--from=${from}`)
    .map((words) => [words[1] ?? '', words[2] ?? '']));
}

/** ENV pairs, a value either double-quoted (spaces and all) or up to the next space. */
function environment(of: Stage): Record<string, string> {
  return Object.fromEntries(argumentsOf(of, 'ENV').flatMap((rest) => [...rest.matchAll(/(\w+)=(?:"([^"]*)"|(\S*))/g)])
    .map(([, key = '', quoted, bare]) => [key, quoted ?? bare ?? '']));
}

/** Where a relative destination lands, from the stage's WORKDIR. */
function inStage(of: Stage, path: string): string {
  return posix.resolve(argumentsOf(of, 'WORKDIR').at(-1) ?? '/', path);
}

describe('deploy/Dockerfile and the worker agree on where the SQL inspector is', () => {
  let final: Stage;
  let inspector: Stage;
  let env: Record<string, string>;

  before(() => {
    final = stage(undefined);
    inspector = stage('sql-inspector');
    env = environment(final);
  });

  it('builds for the Flink version and the image the fleet runs', () => {
    assert.equal(args.FLINK_VERSION, VERSIONS.flink);
    assert.equal(args.FLINK_IMAGE, DEFAULT_FLINK_IMAGE);
    assert.deepEqual(stages[0], { name: 'flink', instructions: [] });
  });

  it('sets the variables from which the worker finds FLINK_HOME, the planner and the classes, and puts each there', () => {
    const config = parseWorkerConfig({ ...env, FLEET_CODEC_KEYS: newCodecKey('k1') });
    const install = sqlInspectorInstall(config);
    const fromBuild = copiesFrom(final, 'sql-inspector');
    const built = (path: string): string | undefined => [...fromBuild].map(([source, destination]) =>
      (path === source || path.startsWith(`${source}/`) ? destination + path.slice(source.length) : undefined)).find(Boolean);
    const [, planner] = argumentsOf(inspector, 'ADD')[0]?.split(' ').filter((word) => !word.startsWith('--')) ?? [];
    const plannerUrl = argumentsOf(inspector, 'ADD')[0]?.split(' ').find((word) => word.startsWith('https://')) ?? '';
    assert.ok(planner);
    assert.equal(install.flinkHome, built(inStage(inspector, 'flink')));
    assert.equal(install.classes, built(inStage(inspector, 'classes')));
    assert.equal(install.plannerJar, built(posix.join(inStage(inspector, planner), basename(plannerUrl))));
    // The same artifact the installer takes from Maven Central, at the same version.
    assert.equal(basename(install.plannerJar), basename(toolchain().flinkTablePlannerJar));
    assert.equal(plannerUrl, `https://repo1.maven.org/maven2/org/apache/flink/flink-table-planner_2.12/${VERSIONS.flink}/${basename(install.plannerJar)}`);
    assert.equal(built(inStage(inspector, 'flink/lib')), join(install.flinkHome, 'lib'));
    assert.deepEqual(copiesFrom(inspector, 'flink'), new Map([['/opt/flink/lib', './flink/lib']]));
  });

  it('compiles the inspector\'s own sources and gives the worker a java on its PATH', () => {
    const sources = relative(REPO, SQL_INSPECTOR_SOURCES);
    assert.ok(argumentsOf(inspector, 'COPY').includes(`${sources} ./src`), `COPY ${sources}`);
    const run = argumentsOf(inspector, 'RUN').join(' ');
    assert.match(run, /javac -nowarn --release 17 .* -d classes -cp 'flink\/opt\/\*:flink\/lib\/\*' \$\(find src -name '\*\.java'\)/);
    assert.ok(run.includes(`test -f classes/${SQL_INSPECTOR_MAIN.replaceAll('.', '/')}.class`));
    assert.ok(env.PATH?.split(':').includes(`${env.JAVA_HOME}/bin`), env.PATH);
    assert.ok(copiesFrom(final, 'flink').has(env.JAVA_HOME ?? ''));
  });

  it('runs Node with the memory options the benches measured the worker with', () => {
    const env = environment(stage(undefined));
    assert.deepEqual({ NODE_OPTIONS: env.NODE_OPTIONS, MALLOC_ARENA_MAX: env.MALLOC_ARENA_MAX }, WORKER_PROCESS_ENV);
  });

  it('bundles the workflows into the file the chart\'s workflowBundle names, so no compiler runs in the pod', () => {
    assert.ok(argumentsOf(final, 'RUN').includes(`node --require tsx/cjs scripts/bundle-workflows.ts ${WORKFLOW_BUNDLE_PATH}`), argumentsOf(final, 'RUN').join('\n'));
  });

  it('pins the planner jar to the checksum of the one the installer fetched from Maven Central', () => {
    const jar = toolchain().flinkTablePlannerJar;
    assert.equal(args.PLANNER_SHA256, createHash('sha256').update(readFileSync(jar)).digest('hex'));
  });

  it('stops a worker at start when the inspector is not where the variables say, naming the variable', () => {
    const install = sqlInspectorInstall({ FLINK_HOME: toolchain().flinkHome, FLEET_SQL_INSPECTOR_CLASSES: '/nonexistent/classes' });
    assert.throws(() => createSqlInspector(install),
      /^Error: the SQL inspector is not built: no \/nonexistent\/classes\/io\/flinkfleet\/inspector\/Main\.class \(set FLEET_SQL_INSPECTOR_CLASSES, or run npm run install-deps\)$/);
  });
});
