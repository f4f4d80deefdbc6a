import { FleetClient } from '../fleet-client';
import { output, type Output } from './output';

/** The flags every command shares (see main.ts), with environment defaults. */
export interface GlobalFlags {
  readonly json?: boolean;
  readonly address: string;
  readonly namespace: string;
  readonly taskQueue: string;
  readonly uiUrl: string;
}

export interface CommandContext {
  readonly flags: GlobalFlags;
  readonly out: Output;
  /** Connects on first use, so `--help` and bad flags never wait for a server. */
  client(): Promise<FleetClient>;
  close(): Promise<void>;
}

export function commandContext(flags: GlobalFlags): CommandContext {
  let connected: Promise<FleetClient> | undefined;
  return {
    flags,
    out: output(flags.json ?? false),
    client() {
      connected ??= FleetClient.connect({ address: flags.address, namespace: flags.namespace, taskQueue: flags.taskQueue });
      return connected;
    },
    async close() {
      if (connected) await (await connected).close();
    },
  };
}
