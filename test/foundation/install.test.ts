import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { INSTALL_STEPS } from '../../scripts/install/needs';
import { installOnDemand } from '../../scripts/install/on-demand';
import { cacheRoot } from '../../scripts/toolchain';

const repo = join(__dirname, '..', '..');

function runInstaller(env: NodeJS.ProcessEnv, needs: string[] = []): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, ['--require', 'tsx/cjs', 'scripts/install.ts', ...needs], { cwd: repo, env, encoding: 'utf8' });
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
  it('finds everything installed on a second run, downloads nothing and says so in one line', () => {
    const { status, stdout } = runInstaller(process.env);
    assert.equal(status, 0, stdout);
    // The time it took is the only part of the line that varies.
    assert.equal(stdout.replace(/, [^,]+\)\n$/, ', time)\n'), `[install] test: ${INSTALL_STEPS.join(', ')} already installed (cache ${cacheRoot()}, time)\n`);
  });

  it('installs for the demo without Go on PATH: the local runtime builds nothing from Go', () => {
    const path = pathWith(['python3', 'java', 'mvn', 'javac']);
    try {
      const { status, stdout, stderr } = runInstaller({ ...process.env, PATH: path }, ['demo']);
      assert.equal(status, 0, stderr);
      assert.match(stdout, /^\[install\] demo: temporal, flink, flink-class-archives, sql-inspector already installed \(cache /);
      assert.equal(stdout.trim().split('\n').length, 1, stdout);
    } finally {
      rmSync(path, { recursive: true, force: true });
    }
  });

  it('refuses an unknown need by name with exit code 2, before checking or installing anything', () => {
    const { status, stdout, stderr } = runInstaller({ ...process.env, PATH: '/nonexistent' }, ['demo', 'kubernets']);
    assert.equal(status, 2);
    assert.equal(stdout, '');
    assert.equal(stderr, '[install] failed: unknown need "kubernets": choose from demo, kubernetes, images, production-temporal, ui, test, local, all\n');
  });

  it('installs on demand what a command asks for, through the same installer: a warm cache is found', async () => {
    await installOnDemand(['demo', 'kubernetes']);
  });

  it('fails an on-demand install with the command that installs it by hand', async () => {
    const path = pathWith(['python3', 'java', 'mvn', 'javac']);
    try {
      await assert.rejects(installOnDemand(['kubernetes'], { ...process.env, PATH: path }), {
        name: 'InstallOnDemandFailed',
        message: 'installing what kubernetes needs failed (exit code 1); run `npm run install-deps -- kubernetes` to see why and retry',
      });
    } finally {
      rmSync(path, { recursive: true, force: true });
    }
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
