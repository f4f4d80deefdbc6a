import { codecKeysFrom, requireCodecKeys, type CodecKeyRing } from '../codec/keys';
import { defaultDevDir, readDevStack } from '../dev/stack-file';
import type { FleetClient } from '../fleet-client';
import { parseTemporalConnectionSecurity } from '../temporal-connection';
import { tracingClientInterceptors, tracingFromEnvironment, type FleetTracing } from '../tracing';
import { output, type Output } from './output';

/** The flags every command shares (see main.ts), with environment defaults. */
export interface GlobalFlags {
  readonly json?: boolean;
  readonly address: string;
  readonly namespace: string;
  readonly taskQueue: string;
  readonly uiUrl: string;
  readonly codecKeyFile?: string;
}

export interface CommandContext {
  readonly flags: GlobalFlags;
  readonly out: Output;
  /** Connects on first use, so `--help` and bad flags never wait for a server. */
  client(): Promise<FleetClient>;
  /** The payload keys, read on first use for the same reason. */
  codecKeys(): CodecKeyRing;
  close(): Promise<void>;
}

/**
 * Keys given explicitly (--codec-key-file, FLEET_CODEC_KEY_FILE, FLEET_CODEC_KEYS) win; without
 * them, a CLI pointed at the dev stack (`flink-fleet dev up`) uses the key file that stack made, so
 * the local loop needs no setup while anything else must say which key it uses.
 */
export function cliCodecKeys(flags: Pick<GlobalFlags, 'address' | 'codecKeyFile'>, env: NodeJS.ProcessEnv = process.env): CodecKeyRing {
  const explicit = { FLEET_CODEC_KEYS: env.FLEET_CODEC_KEYS, FLEET_CODEC_KEY_FILE: flags.codecKeyFile };
  const keys = codecKeysFrom(explicit);
  if (keys) return keys;
  const devStack = readDevStack(defaultDevDir(env));
  if (devStack?.address === flags.address) return requireCodecKeys({ FLEET_CODEC_KEY_FILE: devStack.codecKeyFile });
  return requireCodecKeys(explicit);
}

/**
 * The Temporal client is loaded on first use (a second of CPU that a command refused at its flags, or
 * one that never connects, should not pay). A require, since tsx hands `import()` to Node's ESM
 * loader, which cannot resolve this repo's TypeScript paths.
 */
export function loadFleetClient(): typeof FleetClient {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('../fleet-client') as { FleetClient: typeof FleetClient }).FleetClient;
}

export function commandContext(flags: GlobalFlags): CommandContext {
  let connected: Promise<FleetClient> | undefined;
  // Started with the first connection: `worker`, which never asks for a client, traces on its own.
  let tracing: FleetTracing | undefined;
  let keys: CodecKeyRing | undefined;
  const codecKeys = (): CodecKeyRing => (keys ??= cliCodecKeys(flags));
  return {
    flags,
    out: output(flags.json ?? false),
    codecKeys,
    client() {
      connected ??= Promise.resolve().then(() => {
        tracing = tracingFromEnvironment(process.env, 'flink-fleet-cli');
        return loadFleetClient().connect({
          address: flags.address, namespace: flags.namespace, taskQueue: flags.taskQueue,
          codecKeys: codecKeys(), security: parseTemporalConnectionSecurity(process.env), interceptors: tracingClientInterceptors(tracing),
        });
      });
      return connected;
    },
    async close() {
      if (connected) await (await connected.catch(() => undefined))?.close();
      await tracing?.shutdown();
    },
  };
}
