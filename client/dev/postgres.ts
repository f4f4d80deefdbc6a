import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chownSync, closeSync, existsSync, mkdirSync, openSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stopProcess } from '../../activities/runtime/local/processes';
import { waitUntil } from '../../activities/runtime/local/wait';

/** Debian installs each major version's server programs here, off PATH. */
const DEBIAN_POSTGRES_ROOT = '/usr/lib/postgresql';

/** The bin folder of the newest PostgreSQL that Debian's packages installed, or undefined. */
export function postgresBinDir(): string | undefined {
  if (!existsSync(DEBIAN_POSTGRES_ROOT)) return undefined;
  const versions = readdirSync(DEBIAN_POSTGRES_ROOT)
    .filter((version) => existsSync(join(DEBIAN_POSTGRES_ROOT, version, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  const newest = versions[0];
  return newest === undefined ? undefined : join(DEBIAN_POSTGRES_ROOT, newest, 'bin');
}

export interface PrivatePostgresOptions {
  /** Created if missing; holds the data, the socket and the log, and is removed by stop(). */
  readonly dir: string;
  readonly port: number;
  /** The superuser's name (no password: only loopback and the private socket are trusted). */
  readonly user: string;
}

export interface PrivatePostgres {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly pid: number;
  readonly logFile: string;
  stop(): Promise<void>;
}

/** initdb and postgres refuse to run as root, so as root the cluster belongs to Debian's `postgres` user. */
function clusterOwner(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string): number => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

/**
 * A PostgreSQL cluster of its own (initdb into `dir`, listening on 127.0.0.1:`port` and a socket in
 * `dir`), so that it never meets the machine's own cluster or another test run's.
 */
export async function startPrivatePostgres(options: PrivatePostgresOptions): Promise<PrivatePostgres> {
  const bin = postgresBinDir();
  if (!bin) throw new Error(`PostgreSQL is not installed (no ${DEBIAN_POSTGRES_ROOT}/*/bin/initdb): run npm run install-deps`);
  const owner = clusterOwner();
  const data = join(options.dir, 'data');
  const logFile = join(options.dir, 'postgres.log');
  mkdirSync(options.dir, { recursive: true });
  if (owner) chownSync(options.dir, owner.uid, owner.gid);
  const asOwner = { ...owner, env: { ...process.env, LC_ALL: 'C.UTF-8' } };
  const init = spawnSync(join(bin, 'initdb'), ['-D', data, '-U', options.user, '--auth=trust', '-E', 'UTF8', '--no-sync'], { ...asOwner, encoding: 'utf8' });
  if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr || init.error?.message}`);
  writeFileSync(logFile, '');
  if (owner) chownSync(logFile, owner.uid, owner.gid);
  const out = openSync(logFile, 'a');
  // fsync off: a test bed's database dies with the run, and fsyncs cost seconds on a loaded disk.
  const child = spawn(join(bin, 'postgres'), ['-D', data, '-p', String(options.port), '-c', 'listen_addresses=127.0.0.1',
    '-c', `unix_socket_directories=${options.dir}`, '-c', 'fsync=off', '-c', 'max_connections=200'],
  { ...asOwner, detached: true, stdio: ['ignore', out, out] });
  closeSync(out);
  if (child.pid === undefined) throw new Error('could not start postgres');
  const pid = child.pid;
  let exited: string | undefined;
  child.on('exit', (code, signal) => { exited = `exited (${signal ?? `code ${code}`})`; });
  child.unref();
  const stop = async (): Promise<void> => {
    await stopProcess(pid);
    rmSync(options.dir, { recursive: true, force: true });
  };
  try {
    await waitUntil('PostgreSQL', async () => {
      const ready = spawnSync(join(bin, 'pg_isready'), ['-h', '127.0.0.1', '-p', String(options.port), '-U', options.user], { stdio: 'ignore' });
      return ready.status === 0 ? true : undefined;
    }, { timeoutMs: 60_000, intervalMs: 300, logFile, hopeless: () => exited });
  } catch (error) {
    await stop();
    throw error;
  }
  return { host: '127.0.0.1', port: options.port, user: options.user, pid, logFile, stop };
}
