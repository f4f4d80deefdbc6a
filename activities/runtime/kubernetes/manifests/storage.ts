import type { V1Secret } from '@kubernetes/client-node';
import type { FlinkOptions } from '../../../flink/config';
import type { ContainerStep } from './container';
import { tenantLabels } from './labels';

/**
 * How Flink's pods reach the object storage of `storageUri`. Pure. On AWS both fields stay unset:
 * the endpoint is AWS's own and pods get credentials from their identity (IRSA, workload identity).
 */
export interface ObjectStorage {
  /** An S3-compatible endpoint that is not AWS's (a gateway, MinIO, Ceph): addressed path-style, since its buckets have no DNS names. */
  readonly endpoint?: string;
  /** Given to every tenant's pods through a Secret in the tenant's namespace (unless `tenantAccounts`). */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /**
   * `versity`: `credentials` are the gateway's root, which makes each tenant an account of its own
   * that reaches only the tenant's folder; the tenant's pods get that account. The cloud equivalent
   * is a role per tenant, bound to the tenant's service account by workload identity.
   */
  readonly tenantAccounts?: 'versity';
}

export const STORAGE_SECRET = 'flink-fleet-storage';

/**
 * flink-s3-fs-hadoop maps `s3.*` to Hadoop's `fs.s3a.*`. Directory markers are kept (Hadoop 3.4's
 * default, not the plugin's 3.3): a store backed by a file system, as the test bed's gateway is,
 * refuses to delete a marker that is a non-empty folder, and S3A then retried every file creation
 * with backoff, which took the JobManager two minutes to create its HA folders (seen on the real node).
 */
export function objectStorageOptions(storage: ObjectStorage): FlinkOptions {
  return storage.endpoint ? { 's3.endpoint': storage.endpoint, 's3.path.style.access': true, 's3.directory.marker.retention': 'keep' } : {};
}

/** The variables of the AWS SDK's default chain, which Hadoop's S3A consults: nothing lands in the ConfigMap. */
export function storageSecret(namespace: string, tenant: string, credentials: NonNullable<ObjectStorage['credentials']>): V1Secret {
  return {
    apiVersion: 'v1', kind: 'Secret', type: 'Opaque', metadata: { name: STORAGE_SECRET, namespace, labels: tenantLabels(tenant) },
    stringData: { AWS_ACCESS_KEY_ID: credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey },
  };
}

/** Only when the fleet hands out credentials; otherwise the pod's own identity answers the SDK. */
export function withStorageCredentials(storage: ObjectStorage): ContainerStep {
  if (!storage.credentials) return (container) => container;
  return (container) => ({ ...container, envFrom: [...(container.envFrom ?? []), { secretRef: { name: STORAGE_SECRET } }] });
}
