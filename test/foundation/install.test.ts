import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const repo = join(__dirname, '..', '..');

function runInstaller(env: NodeJS.ProcessEnv): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, ['--require', 'tsx/cjs', 'scripts/install.ts'], { cwd: repo, env, encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/**
 * A PATH holding only the named commands, so a test can take a prerequisite away. Maven is a shell
 * script that needs a whole PATH of its own, so `true` stands in for it: the check only asks whether
 * `mvn --version` succeeds.
 */
function pathWith(commands: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'flink-fleet-path-'));
  for (const command of commands) {
    if (command === 'mvn') {
      symlinkSync('/bin/true', join(dir, 'mvn'));
      continue;
    }
    // Resolve shims and alternatives links: the PATH below holds nothing they could call.
    const probe = command === 'python3' ? 'python3 -c "import sys; print(sys.executable)"' : `readlink -f "$(command -v ${command})"`;
    const found = spawnSync('sh', ['-c', probe], { encoding: 'utf8' }).stdout.trim();
    assert.ok(found, `${command} should be installed on this machine`);
    symlinkSync(found, join(dir, command));
  }
  return dir;
}

describe('the install script', () => {
  it('finds everything installed on a second run and downloads nothing', () => {
    const { status, stdout } = runInstaller(process.env);
    assert.equal(status, 0, stdout);
    assert.match(stdout, /temporal: already installed/);
    assert.match(stdout, /flink: already installed/);
    assert.match(stdout, /sql-inspector: already installed/);
    assert.match(stdout, /kubernetes: already installed/);
    assert.match(stdout, /kubernetes node: already installed/);
    assert.match(stdout, /helm: already installed/);
    assert.match(stdout, /pause image: already installed/);
    assert.match(stdout, /flink image: already installed/);
    assert.match(stdout, /chromium: already installed/);
    assert.doesNotMatch(stdout, /downloading|fetching|installing into/);
  });

  for (const [missing, present, hint] of [
    ['python3', [], /apt-get install python3/],
    ['java', ['python3'], /Java 17/],
    ['mvn', ['python3', 'java'], /apt-get install maven/],
    ['go', ['python3', 'java', 'mvn'], /Go 1\.26/],
    ['javac', ['python3', 'java', 'mvn', 'go'], /Java 17 JDK/],
  ] as const) {
    it(`names a missing ${missing} in one line with how to install it`, () => {
      const path = pathWith([...present]);
      try {
        const { status, stdout, stderr } = runInstaller({ ...process.env, PATH: path });
        assert.equal(status, 1);
        assert.equal(stdout, '');
        const lines = stderr.trim().split('\n');
        assert.equal(lines.length, 1, `one line, not a stack trace:\n${stderr}`);
        assert.match(lines[0] ?? '', new RegExp(`needs \`${missing}\``));
        assert.match(lines[0] ?? '', hint);
      } finally {
        rmSync(path, { recursive: true, force: true });
      }
    });
  }
});
