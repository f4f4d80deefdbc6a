import { createHmac } from 'node:crypto';
import type { S3Credentials } from './s3-credentials';

/**
 * One tenant's storage identity on an S3 gateway that has accounts and bucket policies (Versity's):
 * its own access key, allowed only under the tenant's prefix. Pure, so the policy is tested in
 * milliseconds; the gateway calls are in versity-accounts.ts.
 */
export interface TenantPrefix {
  readonly bucket: string;
  /** The tenant's folder within the bucket, with its trailing slash: `state/acme/`. */
  readonly keyPrefix: string;
}

/** `s3://bucket/key/prefix/` → its bucket and key prefix; only the fleet's own plainly written URIs come here. */
export function tenantPrefixOf(tenantStorageUri: string): TenantPrefix {
  const match = /^s3a?:\/\/([^/]+)\/(.+\/)$/.exec(tenantStorageUri);
  if (!match) throw new Error(`${tenantStorageUri} is not an s3:// folder below a bucket`);
  return { bucket: match[1] as string, keyPrefix: match[2] as string };
}

/** Injective: tenants are DNS labels, and nothing else the fleet creates starts with this. */
export function tenantAccessKeyId(tenant: string): string {
  return `fleet-tenant-${tenant}`;
}

/**
 * Derived, not stored: the same tenant always gets the same secret from the same admin secret, so
 * provisioning is idempotent without a place to keep secrets, and rotating the admin secret rotates all.
 */
export function tenantCredentials(adminSecret: string, tenant: string): S3Credentials {
  const secretAccessKey = createHmac('sha256', adminSecret).update(`flink-fleet tenant storage: ${tenant}`).digest('hex');
  return { accessKeyId: tenantAccessKeyId(tenant), secretAccessKey };
}

export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect: string;
  readonly Principal: unknown;
  readonly Action: readonly string[] | string;
  readonly Resource: readonly string[] | string;
  readonly Condition?: unknown;
}

export interface BucketPolicy {
  readonly Version: string;
  readonly Statement: readonly PolicyStatement[];
}

const OBJECT_ACTIONS = ['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'];

function sidPrefix(tenant: string): string {
  return `FleetTenant-${tenant}-`;
}

/**
 * What the tenant's key may do: everything on objects under its prefix; list only under it (so it
 * cannot even learn other tenants' pipeline names); and look at (HEAD) the keys of the folders above
 * it, which never exist, because Hadoop's S3A checks that no parent of a folder it creates is a file.
 */
export function tenantStatements(tenant: string, prefix: TenantPrefix): PolicyStatement[] {
  const principal = { AWS: [tenantAccessKeyId(tenant)] };
  const segments = prefix.keyPrefix.replace(/\/$/, '').split('/');
  const parents = segments.map((_, i) => `arn:aws:s3:::${prefix.bucket}/${segments.slice(0, i + 1).join('/')}`);
  return [
    { Sid: `${sidPrefix(tenant)}objects`, Effect: 'Allow', Principal: principal, Action: OBJECT_ACTIONS, Resource: [`arn:aws:s3:::${prefix.bucket}/${prefix.keyPrefix}*`] },
    {
      Sid: `${sidPrefix(tenant)}list`, Effect: 'Allow', Principal: principal, Action: ['s3:ListBucket'], Resource: [`arn:aws:s3:::${prefix.bucket}`],
      Condition: { StringLike: { 's3:prefix': [`${prefix.keyPrefix}*`] } },
    },
    { Sid: `${sidPrefix(tenant)}parents`, Effect: 'Allow', Principal: principal, Action: ['s3:GetObject'], Resource: parents },
  ];
}

/** The policy with this tenant's statements as they should be, every other statement kept as it was. */
export function withTenant(policy: BucketPolicy | undefined, tenant: string, prefix: TenantPrefix): BucketPolicy {
  const others = (policy?.Statement ?? []).filter((s) => !s.Sid?.startsWith(sidPrefix(tenant)));
  return { Version: '2012-10-17', Statement: [...others, ...tenantStatements(tenant, prefix)] };
}

/** True when the policy already holds exactly this tenant's statements. */
export function grantsTenant(policy: BucketPolicy | undefined, tenant: string, prefix: TenantPrefix): boolean {
  const wanted = JSON.stringify(tenantStatements(tenant, prefix));
  return JSON.stringify((policy?.Statement ?? []).filter((s) => s.Sid?.startsWith(sidPrefix(tenant)))) === wanted;
}
