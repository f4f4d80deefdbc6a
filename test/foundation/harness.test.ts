import assert from 'node:assert/strict';
import { join } from 'node:path';
import { isRunning } from '../../activities/runtime/local/processes';
import { runNode, type CliRun } from '../harness/cli';

const ROOT = join(__dirname, '..', '..');
const FIXTURE = join(ROOT, 'test', 'fixtures', 'harness', 'leaks.spec.ts');

/** A mocha of its own over the harness fixture, configured exactly as `npm test` is. */
function runMocha(args: readonly string[]): Promise<CliRun> {
  return runNode([join(ROOT, 'node_modules', 'mocha', 'bin', 'mocha.js'), ...args], { cwd: ROOT });
}

function leakedPids(stdout: string): number[] {
  return [...stdout.matchAll(/leaked pid (\d+)/g)].map((match) => Number(match[1]));
}

describe('the test harness', () => {
  let run: CliRun;
  before(async function () {
    // The fixture's mocha starts a Temporal server and two shared Flink clusters: minutes at load 15.
    this.timeout(600_000);
    run = await runMocha([FIXTURE]);
  });

  it('fails the leaky test and still runs every test after it', () => {
    assert.match(run.stdout, /tests: 4 passed, 5 failed/, run.stdout);
    assert.match(run.stdout, /leaks a process of its own:\s+Error: the test leaked: left running: a sleep leaked by a test/, run.stdout);
    assert.match(run.stdout, /✔ runs after the leaky test/);
    assert.match(run.stdout, /✔ runs beside a file-wide process/);
  });

  it('lets a test that timed out while the shared Flink cluster started leave it starting, for the tests after', () => {
    assert.match(run.stdout, /times out while the shared cluster starts:\s+Error: Timeout/, run.stdout);
  });

  it('fails the one test after which the shared Flink cluster lost a process, quoting its last words, and starts a new one', () => {
    assert.match(run.stdout, /kills a TaskManager of the shared cluster:\s+Error: the test leaked: the shared Flink cluster lost taskmanager-1; a new one serves the tests after\s+taskmanager-1 \(pid \d+\):\n[^\n]*\S/, run.stdout);
    assert.match(run.stdout, /✔ finds a whole shared cluster after/, run.stdout);
  });

  it('fails the file whose hooks leaked, at the end of that file', () => {
    assert.match(run.stdout, /"after all" hook: leak check of the file[^:]*:\s+LeakedProcesses: left running: a sleep leaked by a file/, run.stdout);
  });

  it('fails the run when something is left at its end, with a non-zero exit code', () => {
    assert.match(run.stdout, /"after all" hook: afterAll in "\{root\}":\s+LeakedProcesses: left running: a sleep leaked for the whole run/, run.stdout);
    assert.notEqual(run.code, 0);
  });

  it('kills every leaked process', () => {
    const pids = leakedPids(run.stdout);
    assert.equal(pids.length, 3, run.stdout);
    assert.deepEqual(pids.filter((pid) => isRunning(pid)), []);
  });

  it('fails a run in which a filter selected no test', async function () {
    this.timeout(240_000);
    const empty = await runMocha([FIXTURE, '--grep', 'matches no test at all']);
    assert.notEqual(empty.code, 0);
    assert.match(empty.stderr, /no test ran/);
    assert.match(empty.stdout, /tests: 0 passed, 0 failed/);
  });
});
