import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { InstallReport } from '../scripts/install/report';
import { renderFirstRun } from './first-run-report';
import { writeSection } from './results-file';

/**
 * `npm run bench:first-run`: what a new user waits for. Clones this branch into /tmp, points every
 * cache the installer and pip use at an empty folder, times `npm install` and `npm run demo`, writes
 * the figures to bench/RESULTS.md and removes the clone and the cache.
 */
const REPO = join(__dirname, '..');
const TARGET_SECONDS = 180;
/** The demo's fixed ports: a stack already there would make the measurement a lie. */
const DEMO_PORTS = [7233, 8233];

const log = (line: string): void => {
  process.stderr.write(`[first-run ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
};

function git(args: string[]): string {
  return spawnSync('git', args, { cwd: REPO, encoding: 'utf8' }).stdout.trim();
}

function portInUse(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
}

/** Runs `npm args` in the clone, its output to `logFile`; resolves to its seconds, or rejects on failure. */
function timedNpm(args: string[], cwd: string, env: NodeJS.ProcessEnv, logFile: string): Promise<number> {
  const started = performance.now();
  const output = createWriteStream(logFile);
  const child = spawn('npm', args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.pipe(output);
  child.stderr.pipe(output, { end: false });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      if (code === 0) resolve((performance.now() - started) / 1000);
      else reject(new Error(`npm ${args.join(' ')} exited with ${code}: see ${logFile}`));
    });
  });
}

async function main(): Promise<void> {
  for (const port of DEMO_PORTS) if (await portInUse(port)) throw new Error(`127.0.0.1:${port} is taken: stop that stack first (npx flink-fleet dev down)`);
  const loadAtStart = loadavg()[0] ?? 0;
  const work = mkdtempSync(join(tmpdir(), 'flink-fleet-first-run-'));
  const clone = join(work, 'flink-fleet');
  const branch = git(['rev-parse', '--abbrev-ref', 'HEAD']);
  log(`cloning ${branch} into ${clone}`);
  spawnSync('git', ['clone', '--quiet', '--branch', branch, REPO, clone], { stdio: 'inherit' });
  const cache = join(work, 'cache');
  mkdirSync(cache);
  const report = join(work, 'install.json');
  // Undefined drops the caller's own cache setting from the children's environment.
  const env = { ...process.env, FLINK_FLEET_CACHE: undefined, XDG_CACHE_HOME: cache, FLEET_DEV_DIR: join(work, 'dev'), FLINK_FLEET_INSTALL_REPORT: report };
  try {
    log('npm install');
    const npmInstallSeconds = await timedNpm(['install', '--no-audit', '--no-fund'], clone, env, join(work, 'npm-install.log'));
    log(`npm install: ${Math.round(npmInstallSeconds)} s; npm run demo (log: ${join(work, 'demo.log')})`);
    const demoSeconds = await timedNpm(['run', 'demo'], clone, env, join(work, 'demo.log'));
    log(`npm run demo: ${Math.round(demoSeconds)} s`);
    const du = spawnSync('du', ['-sm', join(cache, 'flink-fleet')], { encoding: 'utf8' }).stdout;
    const markdown = renderFirstRun({
      date: new Date().toISOString().slice(0, 10),
      machine: `${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GB`,
      commit: git(['rev-parse', '--short', 'HEAD']),
      npmInstallSeconds, demoSeconds,
      install: JSON.parse(readFileSync(report, 'utf8')) as InstallReport,
      cacheMegabytes: Number.parseInt(du, 10),
      targetSeconds: TARGET_SECONDS,
      loadAverage: [loadAtStart, loadavg()[0] ?? 0],
    });
    writeSection(join(REPO, 'bench', 'RESULTS.md'), 'first-run', markdown);
    process.stdout.write(`${markdown}\n`);
    rmSync(work, { recursive: true, force: true });
  } catch (error) {
    log(`kept ${work} for its logs`);
    throw error;
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:first-run failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
