import assert from 'node:assert/strict';
import { isWithinTenantStorage, tenantStorageProblems } from '../../activities/pipeline/tenant-storage';

const S3 = 's3://bucket/fleet/acme/';
const LOCAL = 'file:///var/fleet/storage/acme/';

describe('a URI within a tenant\'s storage', () => {
  it('is accepted when it lies under the tenant\'s prefix', () => {
    assert.equal(isWithinTenantStorage('s3://bucket/fleet/acme/acme--orders/savepoints/savepoint-1', S3), true);
    assert.equal(isWithinTenantStorage('file:///var/fleet/storage/acme/acme--orders/checkpoints/j/chk-3', LOCAL), true);
    // Flink reports local savepoints as file:/path, with one slash.
    assert.equal(isWithinTenantStorage('file:/var/fleet/storage/acme/acme--orders/savepoints/savepoint-1', LOCAL), true);
    assert.equal(isWithinTenantStorage('S3://bucket/fleet/acme/x', S3), true);
  });

  for (const [what, uri, prefix] of [
    ['another tenant\'s savepoint', 's3://bucket/fleet/other/other--orders/savepoints/s', S3],
    ['a tenant whose name extends this one\'s', 's3://bucket/fleet/acme-corp/acme-corp--x/savepoints/s', 's3://bucket/fleet/acme'],
    ['the prefix itself', 's3://bucket/fleet/acme/', S3],
    ['a climb out with ..', 's3://bucket/fleet/acme/../other/other--orders/s', S3],
    ['a climb out with an encoded ..', 's3://bucket/fleet/acme/%2e%2e/other/s', S3],
    ['an encoded slash', 's3://bucket/fleet/acme%2f..%2fother/s', S3],
    ['a . segment', 's3://bucket/fleet/./acme/x', S3],
    ['an empty segment', 's3://bucket/fleet//acme/x', S3],
    ['another scheme', 'gs://bucket/fleet/acme/x', S3],
    ['another bucket', 's3://bucket2/fleet/acme/x', S3],
    ['a backslash', 'file:///var/fleet/storage/acme\\..\\other/x', LOCAL],
    ['a query', 's3://bucket/fleet/acme/x?y=/other', S3],
    ['a local file elsewhere', 'file:///etc/passwd.jar', LOCAL],
    ['a file URI with a host', 'file://evil/var/fleet/storage/acme/x', LOCAL],
    ['no scheme', '/var/fleet/storage/acme/x', LOCAL],
  ] as const) {
    it(`is refused for ${what}`, () => {
      assert.equal(isWithinTenantStorage(uri, prefix), false);
    });
  }

  it('names spec.restoreFrom and spec.job.jarUri when they lie outside', () => {
    const problems = tenantStorageProblems({ restoreFrom: 's3://bucket/fleet/other/s', jarUri: 'file:///opt/flink/lib/x.jar' }, S3);
    assert.deepEqual(problems, [
      "spec.restoreFrom: must lie inside the tenant's own storage (s3://bucket/fleet/acme/), written plainly (no '..', '//', '%', '\\', '?' or '#')",
      "spec.job.jarUri: a file:// jar must lie inside the tenant's own storage (s3://bucket/fleet/acme/), written plainly (no '..', '//', '%', '\\', '?' or '#')",
    ]);
    assert.deepEqual(tenantStorageProblems({ jarUri: 'https://repo.example.com/x.jar' }, S3), []);
  });
});
