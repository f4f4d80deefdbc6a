import assert from 'node:assert/strict';
import { problemsOf } from './fixtures';

function withJar(jarUri: string): unknown {
  return { tenant: 'acme', name: 'connector', job: { kind: 'jar', jarUri, entryClass: 'com.example.Job' } };
}

describe('spec.job.jarUri', () => {
  for (const uri of [
    'https://repo.example.com/jobs/connector-1.0.jar',
    'https://repo1.maven.org:443/maven2/org/x/1.0/x-1.0.jar',
    'https://8.8.8.8/x.jar',
    'https://[2001:4860:4860::8888]/x.jar',
    'file:///var/fleet/storage/acme/jobs/x.jar',
  ]) {
    it(`accepts ${uri}`, () => {
      assert.deepEqual(problemsOf(withJar(uri)), []);
    });
  }

  for (const [what, uri] of [
    ['plain http', 'http://repo.example.com/x.jar'],
    ['another scheme', 'ftp://repo.example.com/x.jar'],
    ['the cloud metadata address', 'https://169.254.169.254/latest/x.jar'],
    ['loopback', 'https://127.0.0.1/x.jar'],
    ['loopback written short', 'https://127.1/x.jar'],
    ['loopback in decimal', 'https://2130706433/x.jar'],
    ['loopback in hex', 'https://0x7f000001/x.jar'],
    ['loopback in octal', 'https://0177.0.0.1/x.jar'],
    ['a private address', 'https://10.1.2.3/x.jar'],
    ['a private 172.16/12 address', 'https://172.20.0.1/x.jar'],
    ['a private 192.168 address', 'https://192.168.1.1/x.jar'],
    ['the carrier-grade NAT range', 'https://100.64.0.1/x.jar'],
    ['the unspecified address', 'https://0.0.0.0/x.jar'],
    ['IPv6 loopback', 'https://[::1]/x.jar'],
    ['IPv6 unspecified', 'https://[::]/x.jar'],
    ['IPv6 link-local', 'https://[fe80::1]/x.jar'],
    ['IPv6 unique-local', 'https://[fd00::1]/x.jar'],
    ['IPv4-mapped IPv6 loopback', 'https://[::ffff:127.0.0.1]/x.jar'],
    ['IPv4-mapped metadata address', 'https://[::ffff:a9fe:a9fe]/x.jar'],
    ['localhost', 'https://localhost/x.jar'],
    ['a name under localhost', 'https://evil.localhost/x.jar'],
    ['a single-label host', 'https://metadata/x.jar'],
    ['a cluster-internal name', 'https://minio.flink-fleet.svc.cluster.local/x.jar'],
    ['an internal name', 'https://metadata.google.internal/x.jar'],
    ['userinfo', 'https://user@repo.example.com/x.jar'],
    ['userinfo hiding the host', 'https://repo.example.com@169.254.169.254/x.jar'],
    ['not a jar', 'https://repo.example.com/x.zip'],
    ['a query after the jar', 'https://repo.example.com/x.jar?token=1'],
    ['a relative file path', 'file:x.jar'],
  ] as const) {
    it(`refuses ${what}, naming the field`, () => {
      const problems = problemsOf(withJar(uri));
      assert.equal(problems.length, 1, `${uri} gave ${JSON.stringify(problems)}`);
      assert.match(problems[0] ?? '', /^spec\.job\.jarUri: /);
    });
  }
});
