/** The four services of one Temporal server process, each with a gRPC and a membership (ringpop) port. */
export const TEMPORAL_SERVICES = ['frontend', 'history', 'matching', 'worker'] as const;
export type TemporalService = (typeof TEMPORAL_SERVICES)[number];

/** Temporal's SQL stores keep a member's membership port in a smallint column. */
export const MAX_MEMBERSHIP_PORT = 32_767;

export interface ServicePorts {
  readonly grpc: number;
  readonly membership: number;
}

export interface TemporalServerConfigInput {
  readonly ports: Readonly<Record<TemporalService, ServicePorts>>;
  readonly postgres: { readonly host: string; readonly port: number; readonly user: string };
  readonly databases: { readonly persistence: string; readonly visibility: string };
  readonly numHistoryShards: number;
  readonly dynamicConfigFile: string;
  readonly logLevel: 'debug' | 'info' | 'warn' | 'error';
}

function sqlStore(input: TemporalServerConfigInput, databaseName: string, maxConns: number): object {
  const { host, port, user } = input.postgres;
  return {
    sql: {
      pluginName: 'postgres12', databaseName, connectAddr: `${host}:${port}`, connectProtocol: 'tcp', user, password: '',
      maxConns, maxIdleConns: maxConns, maxConnLifetime: '1h',
    },
  };
}

/**
 * The server's config, as a production cluster would have it but on loopback: PostgreSQL for
 * persistence and (SQL, advanced) visibility, every port given, no HTTP API, pprof or metrics
 * listener (each would be one more fixed port to collide on a shared machine).
 *
 * Rendered as JSON, which the server's YAML loader reads as it is: no indentation to get wrong, and
 * nothing in a value can start a YAML construct.
 */
export function renderTemporalServerConfig(input: TemporalServerConfigInput): string {
  const tooHigh = TEMPORAL_SERVICES.filter((service) => input.ports[service].membership > MAX_MEMBERSHIP_PORT);
  if (tooHigh.length > 0) {
    // The server would start, fail to record its membership in PostgreSQL and exit.
    throw new RangeError(`membership ports of ${tooHigh.join(', ')} are above ${MAX_MEMBERSHIP_PORT}, which Temporal's SQL stores cannot hold`);
  }
  const services = Object.fromEntries(TEMPORAL_SERVICES.map((service) => [service, {
    rpc: { grpcPort: input.ports[service].grpc, membershipPort: input.ports[service].membership, bindOnIP: '127.0.0.1' },
  }]));
  const frontend = `127.0.0.1:${input.ports.frontend.grpc}`;
  const config = {
    log: { stdout: true, level: input.logLevel },
    persistence: {
      defaultStore: 'postgres-default',
      visibilityStore: 'postgres-visibility',
      numHistoryShards: input.numHistoryShards,
      datastores: {
        'postgres-default': sqlStore(input, input.databases.persistence, 20),
        'postgres-visibility': sqlStore(input, input.databases.visibility, 10),
      },
    },
    global: { membership: { maxJoinDuration: '30s', broadcastAddress: '127.0.0.1' } },
    services,
    clusterMetadata: {
      enableGlobalNamespace: false,
      failoverVersionIncrement: 10,
      masterClusterName: 'active',
      currentClusterName: 'active',
      clusterInformation: { active: { enabled: true, initialFailoverVersion: 1, rpcName: 'frontend', rpcAddress: frontend } },
    },
    dcRedirectionPolicy: { policy: 'noop' },
    dynamicConfigClient: { filepath: input.dynamicConfigFile, pollInterval: '10s' },
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}

/**
 * Dynamic config of the test bed. Search attributes registered a moment ago must be usable at once
 * by every service, as on the dev server; in production the caches' delay (seconds) is harmless.
 */
export function renderTemporalDynamicConfig(): string {
  return `${JSON.stringify({ 'system.forceSearchAttributesCacheRefreshOnRead': [{ value: true, constraints: {} }] }, null, 2)}\n`;
}
