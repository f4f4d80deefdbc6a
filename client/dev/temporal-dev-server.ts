import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { freePort } from '../../activities/runtime/local/ports';
import { stopProcess } from '../../activities/runtime/local/processes';
import { waitUntil } from '../../activities/runtime/local/wait';
import { FLEET_SEARCH_ATTRIBUTES } from '../../workflows/search-attributes';

export interface TemporalDevServerOptions {
  /** The CLI binary installed by scripts/install.ts. */
  readonly binary: string;
  /** Holds the SQLite database and the server's log. */
  readonly stateDir: string;
  /** Omit to take a free port. */
  readonly port?: number;
  /** Omit for a headless server. */
  readonly uiPort?: number;
  /** Where the UI sends payloads to be decoded (a codec server, see client/codec/codec-server.ts). */
  readonly uiCodecEndpoint?: string;
}

export interface TemporalDevServer {
  readonly address: string;
  readonly uiUrl?: string;
  readonly pid: number;
  readonly logFile: string;
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 60_000;

function typeFlag(type: string): string {
  // The CLI spells the types as Temporal's enum does, in PascalCase.
  return type.charAt(0) + type.slice(1).toLowerCase();
}

/** Tries before giving up when a port taken between freePort() and the server's bind is the only problem. */
const PORT_ATTEMPTS = 3;

/**
 * Starts `temporal server start-dev` on loopback with the fleet's search attributes registered, and
 * waits until a client can list them. Detached, so a CLI that starts it may exit and leave it up.
 *
 * A free port is only free when asked: on a shared machine another process can bind it before the
 * server does (seen while several test runs started at once), and the server then dies at once. With
 * no port given, that one failure is retried on a new port.
 */
export async function startTemporalDevServer(options: TemporalDevServerOptions): Promise<TemporalDevServer> {
  mkdirSync(options.stateDir, { recursive: true });
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(options, options.port ?? (await freePort()));
    } catch (error) {
      if (!(error instanceof PortTaken)) throw error;
      if (options.port !== undefined || attempt >= PORT_ATTEMPTS) throw error.failure;
    }
  }
}

class PortTaken extends Error {
  constructor(readonly failure: unknown) {
    super('a port the server needed was taken');
  }
}

async function startOnce(options: TemporalDevServerOptions, port: number): Promise<TemporalDevServer> {
  const logFile = join(options.stateDir, 'temporal.log');
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port),
    '--db-filename', join(options.stateDir, 'temporal.sqlite'), '--log-level', 'warn',
    ...FLEET_SEARCH_ATTRIBUTES.flatMap((key) => ['--search-attribute', `${key.name}=${typeFlag(key.type)}`])];
  args.push(...(options.uiPort === undefined
    ? ['--headless']
    : ['--ui-port', String(options.uiPort), '--ui-ip', '127.0.0.1', '--ui-disable-news-fetch',
      ...(options.uiCodecEndpoint === undefined ? [] : ['--ui-codec-endpoint', options.uiCodecEndpoint])]));
  const logStart = existsSync(logFile) ? statSync(logFile).size : 0;
  const out = openSync(logFile, 'a');
  const child = spawn(options.binary, args, { detached: true, stdio: ['ignore', out, out] });
  closeSync(out);
  if (child.pid === undefined) throw new Error(`could not start ${options.binary}`);
  const pid = child.pid;
  let exited: string | undefined;
  child.on('exit', (code, signal) => { exited = `exited (${signal ?? `code ${code}`})`; });
  child.unref();
  const address = `127.0.0.1:${port}`;
  const server: TemporalDevServer = {
    address,
    uiUrl: options.uiPort === undefined ? undefined : `http://127.0.0.1:${options.uiPort}`,
    pid,
    logFile,
    stop: () => stopProcess(pid),
  };
  try {
    await waitUntil('Temporal dev server', () => searchAttributesRegistered(address), { timeoutMs: READY_TIMEOUT_MS, logFile, hopeless: () => exited });
  } catch (error) {
    await server.stop();
    if (exited !== undefined && readFileSync(logFile).subarray(logStart).includes(": bind: address already in use")) {
      throw new PortTaken(error);
    }
    throw error;
  }
  return server;
}

/** True once the server answers and knows every fleet search attribute; undefined before that. */
export async function searchAttributesRegistered(address: string, namespace = 'default'): Promise<true | undefined> {
  const connection = await Connection.connect({ address, connectTimeout: 1_000 });
  try {
    const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
    return FLEET_SEARCH_ATTRIBUTES.every((key) => key.name in customAttributes) ? true : undefined;
  } finally {
    await connection.close();
  }
}
