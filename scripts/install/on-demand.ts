import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { Need } from './needs';

const REPO = join(__dirname, '..', '..');

export class InstallOnDemandFailed extends Error {
  constructor(needs: readonly Need[], why: string) {
    super(`installing what ${needs.join(' and ')} need${needs.length === 1 ? 's' : ''} failed (${why}); run \`npm run install-deps -- ${needs.join(' ')}\` to see why and retry`);
    this.name = 'InstallOnDemandFailed';
  }
}

/**
 * What a first run leaves out (Kubernetes, the images, the browser) is installed when a command asks
 * for it, by the installer itself in a child process: the same steps, stamps and progress lines. Its
 * lines go to stderr, so a command's `--json` stdout stays machine output. A warm cache costs a second.
 */
export function installOnDemand(needs: readonly Need[], env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const child = spawn(process.execPath, ['--require', 'tsx/cjs', join(REPO, 'scripts', 'install.ts'), ...needs],
    { cwd: REPO, env, stdio: ['ignore', process.stderr, process.stderr] });
  return new Promise((resolve, reject) => {
    child.once('error', (error) => reject(new InstallOnDemandFailed(needs, error.message)));
    child.once('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new InstallOnDemandFailed(needs, signal ? `killed by ${signal}` : `exit code ${code}`));
    });
  });
}
