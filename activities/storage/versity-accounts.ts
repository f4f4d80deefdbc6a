import { signV4 } from './sigv4';
import type { S3Credentials } from './s3-credentials';
import { grantsTenant, tenantCredentials, tenantPrefixOf, withTenant, type BucketPolicy } from './tenant-access-policy';

/** Writers that lost a race on the bucket policy try again this many times. */
const POLICY_ATTEMPTS = 5;

export class StorageAccountError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StorageAccountError';
  }
}

/**
 * Per-tenant storage credentials on Versity's S3 gateway: an account per tenant (its admin API)
 * and the tenant's statements in the bucket's policy (S3's own API), made with the gateway's root.
 *
 * The bucket's policy is one document for every tenant, and S3 has no conditional write of it: two
 * writers that read it at once would each drop the other's statements. Writes are serialized within
 * this process, and each writer reads back what it wrote and tries again if its statements are gone.
 * Across several workers a late writer could still drop a statement after its owner checked; the
 * tenant then fails closed (AccessDenied) until its next cluster start writes its statements again.
 */
export class VersityTenantAccounts {
  private policyWrites: Promise<unknown> = Promise.resolve();

  constructor(private readonly endpoint: string, private readonly admin: S3Credentials, private readonly region = 'us-east-1') {}

  /** Idempotent: the tenant's account and policy statements exist and are as they should be; returns its credentials. */
  async ensure(tenant: string, tenantStorageUri: string): Promise<S3Credentials> {
    const credentials = tenantCredentials(this.admin.secretAccessKey, tenant);
    await this.ensureAccount(credentials);
    const prefix = tenantPrefixOf(tenantStorageUri);
    await this.ensureFolder(prefix);
    const write = this.policyWrites.then(() => this.ensureStatements(tenant, prefix));
    this.policyWrites = write.catch(() => undefined);
    await write;
    return credentials;
  }

  private async ensureAccount(credentials: S3Credentials): Promise<void> {
    const account = `<Account><Access>${credentials.accessKeyId}</Access><Secret>${credentials.secretAccessKey}</Secret><Role>user</Role>`
      + '<UserID>0</UserID><GroupID>0</GroupID><ProjectID>0</ProjectID></Account>';
    const created = await this.call('PATCH', '/create-user', account);
    if (created.status < 300) return;
    if (created.status !== 409) throw await this.failure('create the tenant account', created);
    // It exists: make sure its secret is the one derived from today's admin secret.
    const updated = await this.call('PATCH', `/update-user?access=${encodeURIComponent(credentials.accessKeyId)}`,
      `<MutableProps><Secret>${credentials.secretAccessKey}</Secret><Role>user</Role></MutableProps>`);
    if (updated.status >= 300) throw await this.failure('update the tenant account', updated);
  }

  /**
   * Hadoop's S3A creates a folder by walking up until it finds one that exists, listing each parent;
   * the tenant may not list above its own folder, so its folder must exist before its first pod: a
   * directory marker, the empty object S3A itself writes for a folder.
   */
  private async ensureFolder(prefix: ReturnType<typeof tenantPrefixOf>): Promise<void> {
    const marker = await this.call('PUT', `/${prefix.bucket}/${prefix.keyPrefix}`, '');
    if (marker.status >= 300) throw await this.failure(`create the folder ${prefix.keyPrefix} in bucket ${prefix.bucket}`, marker);
  }

  private async ensureStatements(tenant: string, prefix: ReturnType<typeof tenantPrefixOf>): Promise<void> {
    for (let attempt = 1; attempt <= POLICY_ATTEMPTS; attempt++) {
      const current = await this.policy(prefix.bucket);
      if (grantsTenant(current, tenant, prefix)) return;
      const put = await this.call('PUT', `/${prefix.bucket}?policy=`, JSON.stringify(withTenant(current, tenant, prefix)));
      if (put.status >= 300) throw await this.failure(`write the policy of bucket ${prefix.bucket}`, put);
    }
    throw new StorageAccountError(`the policy of bucket ${prefix.bucket} kept losing tenant ${tenant}'s statements to other writers`);
  }

  private async policy(bucket: string): Promise<BucketPolicy | undefined> {
    const response = await this.call('GET', `/${bucket}?policy=`);
    if (response.status === 404) return undefined;
    if (response.status >= 300) throw await this.failure(`read the policy of bucket ${bucket}`, response);
    return JSON.parse(await response.text()) as BucketPolicy;
  }

  private call(method: string, path: string, body?: string): Promise<Response> {
    const url = new URL(`${this.endpoint}${path}`);
    const headers = signV4({ method, url, body }, { ...this.admin, region: this.region, service: 's3' }, new Date());
    return fetch(url, { method, headers, body });
  }

  private async failure(what: string, response: Response): Promise<StorageAccountError> {
    const code = /<Code>([^<]*)<\/Code>/.exec(await response.text())?.[1] ?? `HTTP ${response.status}`;
    return new StorageAccountError(`could not ${what} on the S3 gateway ${this.endpoint}: ${code}`);
  }
}
