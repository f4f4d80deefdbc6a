import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { InvalidConnectionConfig, parseTemporalConnectionSecurity } from '../../client/temporal-connection';
import { temporalTestBed } from '../harness/global';
import { newStateDir } from '../harness/state';
import { makeCertificates, SERVER_NAME, startTlsProxy, type TestCertificates, type TlsProxy } from './tls-proxy';

describe('the Temporal connection\'s TLS and API key settings', () => {
  let certificates: TestCertificates;
  let dir: string;
  before(() => {
    dir = newStateDir('tls');
    certificates = makeCertificates(dir);
  });

  it('builds no TLS and no key from an empty environment', () => {
    assert.deepEqual(parseTemporalConnectionSecurity({}), {});
  });

  it('reads the certificates, the server name and an API key file once', () => {
    const keyFile = join(dir, 'api-key');
    writeFileSync(keyFile, 'key-from-file\n');
    const security = parseTemporalConnectionSecurity({
      TEMPORAL_TLS_CA: certificates.ca, TEMPORAL_TLS_CERT: certificates.clientCert, TEMPORAL_TLS_KEY: certificates.clientKey,
      TEMPORAL_TLS_SERVER_NAME: SERVER_NAME, TEMPORAL_API_KEY_FILE: keyFile,
    });
    assert.deepEqual(security, {
      tls: {
        serverRootCACertificate: readFileSync(certificates.ca), serverNameOverride: SERVER_NAME,
        clientCertPair: { crt: readFileSync(certificates.clientCert), key: readFileSync(certificates.clientKey) },
      },
      apiKey: 'key-from-file',
    });
  });

  it('leaves TLS off for an API key only when TEMPORAL_TLS=false says so (the SDK turns it on for a key otherwise)', () => {
    assert.deepEqual(parseTemporalConnectionSecurity({ TEMPORAL_API_KEY: 'k' }), { apiKey: 'k' });
    assert.deepEqual(parseTemporalConnectionSecurity({ TEMPORAL_API_KEY: 'k', TEMPORAL_TLS: 'false' }), { tls: false, apiKey: 'k' });
    assert.deepEqual(parseTemporalConnectionSecurity({ TEMPORAL_TLS: 'true' }), { tls: {} });
  });

  it('names the variables that are wrong, without echoing a key', () => {
    assert.throws(() => parseTemporalConnectionSecurity({ TEMPORAL_TLS_CERT: certificates.clientCert, TEMPORAL_API_KEY: 'secret-api-key', TEMPORAL_API_KEY_FILE: '/x' }),
      (error: unknown) => {
        assert.ok(error instanceof InvalidConnectionConfig);
        assert.match(error.message, /TEMPORAL_TLS_KEY: a client certificate needs both TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY/);
        assert.match(error.message, /TEMPORAL_API_KEY_FILE: TEMPORAL_API_KEY is set too; set one/);
        assert.ok(!error.message.includes('secret-api-key'));
        return true;
      });
    assert.throws(() => parseTemporalConnectionSecurity({ TEMPORAL_TLS: 'maybe' }), /TEMPORAL_TLS: must be 'true' or 'false'/);
    assert.throws(() => parseTemporalConnectionSecurity({ TEMPORAL_TLS_CA: '/nonexistent/ca.pem' }), /TEMPORAL_TLS_CA: cannot read \/nonexistent\/ca.pem: ENOENT/);
    assert.throws(() => parseTemporalConnectionSecurity({ TEMPORAL_TLS_CA: certificates.clientKey }), /TEMPORAL_TLS_CA: .* is not a PEM file of the expected kind/);
  });

  describe('against a real TLS endpoint in front of the dev server', () => {
    let proxy: TlsProxy;
    before(async () => {
      proxy = await startTlsProxy(certificates, temporalTestBed().server.address);
    });
    after(async () => {
      await proxy?.close();
    });
    const mutualTls = (): Record<string, string> => ({
      TEMPORAL_TLS_CA: certificates.ca, TEMPORAL_TLS_CERT: certificates.clientCert, TEMPORAL_TLS_KEY: certificates.clientKey,
      TEMPORAL_TLS_SERVER_NAME: SERVER_NAME, TEMPORAL_API_KEY: 'fleet-api-key',
    });

    it('connects the client over mutual TLS and sends the API key as a bearer token', async () => {
      const connection = await Connection.connect({ address: proxy.address, ...parseTemporalConnectionSecurity(mutualTls()) });
      try {
        await connection.workflowService.getSystemInfo({});
      } finally {
        await connection.close();
      }
      const call = proxy.seen.find((seen) => seen.path.endsWith('/GetSystemInfo'));
      assert.deepEqual(call && { authorization: call.authorization, clientCertificate: call.clientCertificate },
        { authorization: 'Bearer fleet-api-key', clientCertificate: 'flink-fleet-worker' });
    });

    it('connects the worker\'s native connection the same way', async () => {
      const before = proxy.seen.length;
      const connection = await NativeConnection.connect({ address: proxy.address, ...parseTemporalConnectionSecurity(mutualTls()) });
      await connection.close();
      const calls = proxy.seen.slice(before);
      assert.ok(calls.length > 0, 'the worker connection made calls through the TLS endpoint');
      for (const call of calls) assert.deepEqual([call.authorization, call.clientCertificate], ['Bearer fleet-api-key', 'flink-fleet-worker']);
    });

    it('fails to connect when the server\'s CA is not the one given', async () => {
      const other = makeCertificates(newStateDir('tls-other'));
      await assert.rejects(Connection.connect({ address: proxy.address, connectTimeout: 5_000, ...parseTemporalConnectionSecurity({ ...mutualTls(), TEMPORAL_TLS_CA: other.ca }) }));
    });
  });
});
