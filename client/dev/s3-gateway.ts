import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../../activities/runtime/local/ports';
import { stopProcess } from '../../activities/runtime/local/processes';
import { waitUntil } from '../../activities/runtime/local/wait';
import type { S3Credentials } from '../../activities/storage/s3-credentials';
import { toolchain } from '../../scripts/toolchain';
import { launchOf, type DaemonLaunch } from './daemons';

/** The gateway's name among the dev stack's daemons. */
export const S3_GATEWAY = 's3-gateway';

export interface S3GatewayOptions {
  /** Holds the objects (one folder per bucket), the gateway's accounts and its log. */
  readonly dataDir: string;
  /** The address it listens on: loopback for the host alone, the node's address for pods too. */
  readonly host: string;
  readonly port?: number;
  /** Created before the gateway starts, owned by the root account. */
  readonly buckets: readonly string[];
  /** For `flink-fleet dev up`: the gateway outlives the command that starts it. */
  readonly detached?: boolean;
}

export type { S3Credentials } from '../../activities/storage/s3-credentials';

export interface S3Gateway {
  /** `http://host:port`, what Flink's `s3.endpoint` takes (with path-style access). */
  readonly endpoint: string;
  /** The root account's: every bucket, and the accounts and policies of the gateway. */
  readonly root: S3Credentials;
  readonly pid: number;
  readonly logFile: string;
  /** How it was started; its credentials are not in it (see s3GatewayEnvironment). */
  readonly daemon: DaemonLaunch;
  /** Where the object `s3://bucket/key` lies on this machine's disk, so a test can read what Flink wrote. */
  objectPath(uri: string): string;
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 30_000;

/** The gateway's root account, passed by environment, not argv: any local user can read another process's command line. */
export function s3GatewayEnvironment(root: S3Credentials): NodeJS.ProcessEnv {
  return { ROOT_ACCESS_KEY: root.accessKeyId, ROOT_SECRET_KEY: root.secretAccessKey };
}

/**
 * Starts Versity's S3 gateway over a folder. Its posix backend takes each top-level folder as a
 * bucket and each object as a file, so what a job wrote can be checked with nothing but `fs`.
 */
export async function startS3Gateway(options: S3GatewayOptions): Promise<S3Gateway> {
  const binary = toolchain().s3GatewayBinary;
  if (!existsSync(binary)) throw new Error(`${binary} is missing: run \`npm run install-deps -- kubernetes\` to build the S3 gateway`);
  const objects = join(options.dataDir, 'objects');
  const accounts = join(options.dataDir, 'accounts');
  for (const dir of [objects, accounts, ...options.buckets.map((bucket) => join(objects, bucket))]) mkdirSync(dir, { recursive: true });
  const port = options.port ?? (await freePort());
  const root = { accessKeyId: `fleet-root-${randomBytes(4).toString('hex')}`, secretAccessKey: randomBytes(24).toString('hex') };
  const logFile = join(options.dataDir, 's3-gateway.log');
  const out = openSync(logFile, 'a');
  const child = spawn(binary, ['--port', `${options.host}:${port}`, '--iam-dir', accounts, 'posix', objects], {
    detached: options.detached ?? false, stdio: ['ignore', out, out], env: { ...process.env, ...s3GatewayEnvironment(root) },
  });
  closeSync(out);
  const daemon = launchOf(S3_GATEWAY, child, logFile);
  if (daemon === undefined) throw new Error(`could not start ${binary}`);
  const { pid } = daemon;
  if (options.detached) child.unref();
  let exit: string | undefined;
  child.on('exit', (code, signal) => { exit = `exited (${signal ?? `code ${code}`})`; });
  const endpoint = `http://${options.host}:${port}`;
  const gateway: S3Gateway = {
    endpoint, root, pid, logFile, daemon,
    objectPath(uri) {
      const match = /^s3a?:\/\/([^/]+)\/(.*)$/.exec(uri);
      if (!match?.[1]) throw new Error(`${uri} is not an s3:// URI`);
      return join(objects, match[1], match[2] ?? '');
    },
    stop: () => stopProcess(pid),
  };
  try {
    // Any HTTP answer means it listens; an unsigned request is refused with 4xx, which is fine.
    await waitUntil('S3 gateway', async () => ((await fetch(endpoint)).status > 0 ? true : undefined),
      { timeoutMs: READY_TIMEOUT_MS, logFile, hopeless: () => exit });
  } catch (error) {
    await gateway.stop();
    throw error;
  }
  return gateway;
}
