import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { INSTALL_STEPS, parseNeeds, prerequisitesFor, stepsFor, STEP_RULES, UnknownNeed } from '../../scripts/install/needs';
import { progressLine } from '../../scripts/install/progress';
import { summaryLine } from '../../scripts/install/report';
import { newStateDir } from '../harness/state';

describe('the installer\'s needs', () => {
  it('installs for the demo Temporal, Flink, its JVMs\' class archives and the SQL inspector the local worker checks SQL with, and nothing built from Go', () => {
    assert.deepEqual(stepsFor(['demo']), ['temporal', 'flink', 'flink-class-archives', 'sql-inspector']);
    assert.deepEqual(prerequisitesFor(stepsFor(['demo'])), ['python3', 'java', 'mvn', 'javac']);
  });

  it('brings in the steps a need builds on: the Flink image carries the FLINK_HOME of the flink step, the worker image the SQL inspector\'s build', () => {
    assert.deepEqual(stepsFor(['images']), ['flink', 'sql-inspector', 'pause-image', 'flink-image', 'jar-fetcher', 'worker-image']);
    assert.deepEqual(stepsFor(['kubernetes']), ['flink', 'kubernetes', 'kubernetes-node', 'network-policy', 's3-gateway', 'helm', 'pause-image', 'flink-image', 'jar-fetcher']);
  });

  it('runs each step once and in running order whatever order the needs come in', () => {
    assert.deepEqual(stepsFor(['ui', 'kubernetes', 'production-temporal', 'demo', 'images']), [...INSTALL_STEPS]);
    assert.deepEqual(stepsFor(['ui', 'demo']), ['temporal', 'flink', 'flink-class-archives', 'sql-inspector', 'chromium']);
  });

  it('lists every step before the steps that build on it, so running order is enough', () => {
    for (const step of INSTALL_STEPS) {
      for (const dependency of STEP_RULES[step].after) {
        assert.ok(INSTALL_STEPS.indexOf(dependency) < INSTALL_STEPS.indexOf(step), `${dependency} runs before ${step}`);
      }
    }
  });

  it('installs everything for the tests, and for no argument, as `npm run install-deps` always did', () => {
    assert.deepEqual(parseNeeds([]), ['test']);
    assert.deepEqual(stepsFor(parseNeeds([])), [...INSTALL_STEPS]);
    assert.deepEqual(prerequisitesFor(stepsFor(['test'])), ['python3', 'java', 'mvn', 'go', 'javac']);
  });

  it('takes local for demo and all for test', () => {
    assert.deepEqual(parseNeeds(['local', 'all']), ['demo', 'test']);
  });

  it('refuses an unknown need by name and lists the known ones', () => {
    assert.throws(() => parseNeeds(['demo', 'toString']), (error: unknown) => {
      assert.ok(error instanceof UnknownNeed);
      assert.equal(error.message, 'unknown need "toString": choose from demo, kubernetes, images, production-temporal, ui, test, local, all');
      return true;
    });
  });
});

describe('the installer\'s lines', () => {
  it('shows a download\'s megabytes against its expected size, and the time against the estimate', () => {
    const spec = { label: 'downloading the wheels', estimateSeconds: 90, bytes: { dir: '/x', totalBytes: 330e6 } };
    assert.equal(progressLine(spec, 75.4, 123_456_789), 'downloading the wheels, 123 MB of about 330 MB, 1 min 15 s of about 1 min 30 s');
  });

  it('shows a build\'s stage and time alone when nothing is known about it', () => {
    assert.equal(progressLine({ label: 'compiling' }, 4.6), 'compiling, 5 s');
  });

  it('names an asynchronous stage as it starts, with the size of the file it writes, from a thread of its own', function () {
    this.timeout(30_000);
    const dir = newStateDir('progress');
    const file = join(dir, 'image.oci.tar');
    writeFileSync(file, Buffer.alloc(3e6));
    // A process of its own: the ticker writes to fd 1, which mocha's output would swallow.
    const script = `require(${JSON.stringify(require.resolve('../../scripts/install/progress'))})
      .withProgressAsync('[install] test: ', { label: 'packing', bytes: { dir: ${JSON.stringify(file)} } }, () => new Promise((done) => setTimeout(done, 1000)))
      .then(() => process.stdout.write('done\\n'));`;
    const child = spawnSync(process.execPath, ['--require', 'tsx/cjs', '-e', script], { encoding: 'utf8', timeout: 25_000 });
    assert.equal(child.status, 0, child.stderr);
    assert.match(child.stdout, /^\[install\] test: packing, 3 MB, \d+ s\ndone\n$/);
  });

  it('sums a warm run up in one line naming every step it found', () => {
    const steps = [{ step: 'temporal', seconds: 0.1, installed: false }, { step: 'flink', seconds: 0.2, installed: false }] as const;
    assert.equal(summaryLine({ needs: ['demo'], cache: '/c', seconds: 0.9, steps }), '[install] demo: temporal, flink already installed (cache /c, 1 s)');
  });

  it('breaks a cold run down by the steps that installed something', () => {
    const steps = [{ step: 'temporal', seconds: 12, installed: true }, { step: 'flink', seconds: 100, installed: true },
      { step: 'chromium', seconds: 0, installed: false }] as const;
    assert.equal(summaryLine({ needs: ['demo', 'ui'], cache: '/c', seconds: 112.2, steps }),
      '[install] demo + ui: installed in 1 min 52 s (temporal 12 s, flink 1 min 40 s); already installed: chromium');
  });
});
