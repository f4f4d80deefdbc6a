import { spawnSync } from 'node:child_process';
import { MissingPrerequisite, run } from './steps';

export const CHROMIUM = '/usr/bin/chromium';

/**
 * Debian's Chromium, for the end-to-end check of the Temporal UI. It comes from the system's package
 * manager (a test tool's own browser download cannot reach this machine), so it needs root once.
 */
export function installChromium(): void {
  if (spawnSync(CHROMIUM, ['--version'], { stdio: 'ignore' }).status === 0) return;
  if (process.getuid?.() !== 0 || spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status !== 0) {
    throw new MissingPrerequisite('chromium', 'install Debian\'s chromium package (as root: apt-get install chromium)');
  }
  run('apt-get', ['update', '-qq'], { progress: { component: 'chromium', label: 'apt-get update' } });
  run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'chromium'], {
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    progress: { component: 'chromium', label: 'installing Debian\'s chromium package with apt-get' },
  });
}
