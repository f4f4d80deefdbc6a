import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startS3Gateway, type S3Credentials, type S3Gateway } from '../../client/dev/s3-gateway';
import { VersityTenantAccounts } from '../../activities/storage/versity-accounts';
import { signV4 } from '../../activities/storage/sigv4';
import { trackProcess } from '../harness/processes';
import { newStateDir } from '../harness/state';
import { s3 } from './s3-curl';

/** Each tenant's storage folder, as the runtime names it (`<root>/<tenant>/`). */
const ROOT = 's3://fleet/state';

describe('per-tenant storage credentials on the S3 gateway', function () {
  this.timeout(60_000);
  let gateway: S3Gateway;
  let dir: string;
  let accounts: VersityTenantAccounts;
  let acme: S3Credentials;
  let evil: S3Credentials;

  before(async () => {
    dir = newStateDir('tenant-accounts');
    gateway = await startS3Gateway({ dataDir: dir, host: '127.0.0.1', buckets: ['fleet'] });
    trackProcess(gateway.pid, 'S3 gateway', 'file');
    const file = join(dir, 'secret.txt');
    for (const tenant of ['acme', 'evil']) {
      writeFileSync(file, `${tenant}'s checkpoint`);
      assert.equal(s3(gateway, gateway.root, 'PUT', `/fleet/state/${tenant}/pipe/chk-1/_metadata`, file).status, 200);
    }
    accounts = new VersityTenantAccounts(gateway.endpoint, gateway.root);
    // At once, as two tenants' first pipelines would: the one bucket policy must end up granting both.
    [acme, evil] = await Promise.all([accounts.ensure('acme', `${ROOT}/acme/`), accounts.ensure('evil', `${ROOT}/evil/`)]);
  });

  after(async () => {
    await gateway?.stop();
  });

  it('gives each tenant its own key, which reads and writes its own folder', () => {
    assert.notEqual(acme.accessKeyId, evil.accessKeyId);
    assert.notEqual(acme.secretAccessKey, evil.secretAccessKey);
    const own = s3(gateway, acme, 'GET', '/fleet/state/acme/pipe/chk-1/_metadata');
    assert.deepEqual(own, { status: 200, body: "acme's checkpoint" });
    const file = join(dir, 'new.txt');
    writeFileSync(file, 'savepoint\n');
    assert.equal(s3(gateway, acme, 'PUT', '/fleet/state/acme/pipe/savepoint-1/_metadata', file).status, 200);
    assert.equal(s3(gateway, acme, 'DELETE', '/fleet/state/acme/pipe/savepoint-1/_metadata').status, 204);
    assert.equal(s3(gateway, evil, 'GET', '/fleet/state/evil/pipe/chk-1/_metadata').status, 200);
  });

  it('refuses a tenant\'s key another tenant\'s objects: read, write, delete, and even their names', () => {
    const file = join(dir, 'planted.txt');
    writeFileSync(file, 'planted\n');
    for (const [method, path, upload] of [
      ['GET', '/fleet/state/evil/pipe/chk-1/_metadata'],
      ['PUT', '/fleet/state/evil/pipe/chk-2/_metadata', file],
      ['DELETE', '/fleet/state/evil/pipe/chk-1/_metadata'],
      ['GET', '/fleet?list-type=2&prefix=state%2Fevil%2F'],
      ['GET', '/fleet?list-type=2&prefix=state%2F'],
      ['GET', '/fleet?list-type=2'],
      // Folders that start like its own but are others'.
      ['GET', '/fleet?list-type=2&prefix=state%2Facme'],
      ['PUT', '/fleet/state/acme-evil/x', file],
    ] as const) {
      const answer = s3(gateway, acme, method, path, upload);
      assert.equal(answer.status, 403, `${method} ${path} answered ${answer.status}: ${answer.body}`);
      // Refused for what it asked, not for how it was signed.
      assert.match(answer.body, /<Code>AccessDenied<\/Code>/, `${method} ${path}`);
    }
    assert.equal(s3(gateway, gateway.root, 'GET', '/fleet/state/evil/pipe/chk-1/_metadata').body, "evil's checkpoint", 'nothing of evil\'s was touched');
  });

  it('lets a tenant list its own folder and look at the folders above it, as Hadoop\'s S3A does before creating one', () => {
    const listing = s3(gateway, acme, 'GET', '/fleet?list-type=2&prefix=state%2Facme%2Fpipe%2F');
    assert.equal(listing.status, 200, listing.body);
    assert.match(listing.body, /<Key>state\/acme\/pipe\/chk-1\/_metadata<\/Key>/);
    for (const parent of ['/fleet/state', '/fleet/state/acme']) assert.equal(s3(gateway, acme, 'HEAD', parent).status, 404, parent);
    // Its folder exists (a marker), so S3A, which lists its way up to a folder that exists, stops there.
    const folder = s3(gateway, acme, 'GET', '/fleet?delimiter=%2F&list-type=2&max-keys=2&prefix=state%2Facme%2F');
    assert.match(folder.body, /<Key>state\/acme\/<\/Key>/);
  });

  it('is idempotent: the same credentials again, and the other tenants\' and foreign statements kept', async () => {
    const policyUrl = new URL(`${gateway.endpoint}/fleet?policy=`);
    const readPolicy = async () => {
      const headers = signV4({ method: 'GET', url: policyUrl }, { ...gateway.root, region: 'us-east-1', service: 's3' }, new Date());
      return (await fetch(policyUrl, { headers })).json() as Promise<{ Statement: { Sid: string }[] }>;
    };
    const foreign = { Sid: 'SomeoneElses', Effect: 'Allow', Principal: { AWS: [gateway.root.accessKeyId] }, Action: ['s3:GetObject'], Resource: ['arn:aws:s3:::fleet/other/*'] };
    const body = JSON.stringify({ Version: '2012-10-17', Statement: [...(await readPolicy()).Statement, foreign] });
    const headers = signV4({ method: 'PUT', url: policyUrl, body }, { ...gateway.root, region: 'us-east-1', service: 's3' }, new Date());
    assert.ok((await fetch(policyUrl, { method: 'PUT', headers, body })).ok);

    assert.deepEqual(await accounts.ensure('acme', `${ROOT}/acme/`), acme);
    const sids = (await readPolicy()).Statement.map((s) => s.Sid).sort();
    assert.deepEqual(sids, [
      'FleetTenant-acme-list', 'FleetTenant-acme-objects', 'FleetTenant-acme-parents',
      'FleetTenant-evil-list', 'FleetTenant-evil-objects', 'FleetTenant-evil-parents', 'SomeoneElses',
    ]);
    assert.equal(s3(gateway, acme, 'GET', '/fleet/state/acme/pipe/chk-1/_metadata').status, 200);
  });
});
