import assert from 'node:assert/strict';
import { renderTemporalDynamicConfig, renderTemporalServerConfig, TEMPORAL_SERVICES, type TemporalServerConfigInput } from '../../client/dev/temporal-server-config';

const INPUT: TemporalServerConfigInput = {
  ports: {
    frontend: { grpc: 17233, membership: 16933 },
    history: { grpc: 17234, membership: 16934 },
    matching: { grpc: 17235, membership: 16935 },
    worker: { grpc: 17239, membership: 16939 },
  },
  postgres: { host: '127.0.0.1', port: 15432, user: 'temporal' },
  databases: { persistence: 'temporal', visibility: 'temporal_visibility' },
  numHistoryShards: 4,
  dynamicConfigFile: '/state/dynamic-config.yaml',
  logLevel: 'warn',
};

interface RenderedConfig {
  persistence: { defaultStore: string; visibilityStore: string; numHistoryShards: number; datastores: Record<string, { sql: Record<string, unknown> }> };
  services: Record<string, { rpc: Record<string, unknown> }>;
  clusterMetadata: { currentClusterName: string; clusterInformation: Record<string, { rpcAddress: string }> };
  dynamicConfigClient: { filepath: string };
  global: Record<string, unknown>;
}

describe('the production Temporal server\'s config', () => {
  const config = JSON.parse(renderTemporalServerConfig(INPUT)) as RenderedConfig;

  it('keeps persistence and visibility in their own PostgreSQL databases through the postgres12 plugin', () => {
    const { datastores, defaultStore, visibilityStore } = config.persistence;
    assert.deepEqual([datastores[defaultStore]?.sql.databaseName, datastores[visibilityStore]?.sql.databaseName], ['temporal', 'temporal_visibility']);
    for (const store of [defaultStore, visibilityStore]) {
      assert.equal(datastores[store]?.sql.pluginName, 'postgres12');
      assert.equal(datastores[store]?.sql.connectAddr, '127.0.0.1:15432');
      assert.equal(datastores[store]?.sql.user, 'temporal');
    }
    assert.equal(config.persistence.numHistoryShards, 4);
  });

  it('binds every service to loopback on the ports it was given, and the cluster\'s address is the frontend\'s', () => {
    assert.deepEqual(Object.keys(config.services).sort(), [...TEMPORAL_SERVICES].sort());
    for (const service of TEMPORAL_SERVICES) {
      assert.deepEqual(config.services[service]?.rpc, { grpcPort: INPUT.ports[service].grpc, membershipPort: INPUT.ports[service].membership, bindOnIP: '127.0.0.1' });
    }
    assert.equal(config.clusterMetadata.clusterInformation[config.clusterMetadata.currentClusterName]?.rpcAddress, '127.0.0.1:17233');
  });

  it('opens no listener beyond the given ports: no HTTP API, pprof or metrics', () => {
    assert.equal(config.services.frontend?.rpc.httpPort, undefined);
    assert.deepEqual(Object.keys(config.global), ['membership']);
  });

  it('reads dynamic config from the given file, which makes new search attributes visible at once', () => {
    assert.equal(config.dynamicConfigClient.filepath, '/state/dynamic-config.yaml');
    assert.deepEqual(JSON.parse(renderTemporalDynamicConfig()), { 'system.forceSearchAttributesCacheRefreshOnRead': [{ value: true, constraints: {} }] });
  });

  it('refuses a membership port above 32767, which PostgreSQL\'s smallint column would refuse at start', () => {
    const input = { ...INPUT, ports: { ...INPUT.ports, history: { grpc: 17234, membership: 40000 } } };
    assert.throws(() => renderTemporalServerConfig(input), { name: 'RangeError', message: /membership ports of history are above 32767/ });
  });
});
