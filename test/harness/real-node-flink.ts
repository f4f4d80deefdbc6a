import { tenantArtifactUri } from '../../activities/names';
import { readFileSync } from 'node:fs';
import { jarFetcherJar } from '../../activities/runtime/kubernetes/jar-fetcher/location';
import { KubernetesRuntime } from '../../activities/runtime/kubernetes/kubernetes-runtime';
import type { TenantEgress, TenantPlan } from '../../activities/runtime/kubernetes/manifests/tenant';
import { ON_REAL_NODE, type KubernetesWithRealNode } from '../../client/dev/kubernetes-node';
import { realNodeTenantEgress } from '../../client/dev/node-egress';
import { startS3Gateway, type S3Gateway } from '../../client/dev/s3-gateway';
import { sha256OfFile } from '../../client/artifacts';
import { flinkImage } from '../../scripts/install/images/flink-image';
import { toolchain } from '../../scripts/toolchain';
import { s3 as s3curl } from '../storage/s3-curl';
import { kubernetesTestBedWithImage } from './global';
import { trackProcess } from './processes';
import { newStateDir } from './state';

/** The run's Kubernetes with the real node and the fleet's Flink image on it, plus an S3 gateway of the test's own. */
export interface RealNodeFlink {
  readonly k8s: KubernetesWithRealNode;
  /** On the node's address, so pods reach it through the bridge as they would a cloud endpoint. */
  readonly s3: S3Gateway;
}

/** Where the real node's runtime keeps every tenant's state and artifacts. */
const REAL_NODE_STORAGE_ROOT = 's3://fleet/state';

export async function startRealNodeFlink(): Promise<RealNodeFlink> {
  const k8s = await kubernetesTestBedWithImage(flinkImage(toolchain()));
  const s3 = await startS3Gateway({ dataDir: newStateDir('s3'), host: k8s.node.address, buckets: ['fleet'] });
  trackProcess(s3.pid, 'S3 gateway', 'file');
  return { k8s, s3 };
}

/**
 * Puts a jar into the tenant's artifact area on the gateway, through S3 as a tenant's put would go
 * (S3A reads only objects that carry an ETag), and returns its digest, which a jar job names.
 */
export async function putTenantJar({ s3 }: Pick<RealNodeFlink, 's3'>, tenant: string, jar: string): Promise<string> {
  const digest = await sha256OfFile(jar);
  const put = s3curl(s3, s3.root, 'PUT', tenantArtifactUri(REAL_NODE_STORAGE_ROOT, tenant, digest).replace(/^s3:\//, ''), jar);
  if (put.status !== 200) throw new Error(`putting ${jar} for ${tenant} on the gateway answered ${put.status}: ${put.body}`);
  return digest;
}

/** The tenant egress wall as `dev up --kubernetes` raises it, for this test bed. */
export function realNodeEgress({ k8s, s3 }: RealNodeFlink): TenantEgress {
  return realNodeTenantEgress({ nodeAddress: k8s.node.address, apiServer: k8s.server, objectStorage: s3.endpoint });
}

/**
 * The runtime as a worker outside the cluster runs it: Flink's REST through the API server's proxy,
 * pods of the fleet's image placed on the real node, state on the gateway, jar connections checked by the installer's jar fetcher. `tenantAccounts` gives
 * each tenant's pods an account of their own instead of the gateway's root; `tenantEgress` walls
 * their connections in.
 */
export function realNodeRuntime({ k8s, s3 }: RealNodeFlink,
  options: { tenantAccounts?: 'versity'; tenantEgress?: TenantEgress; tenantPlan?: TenantPlan } = {}): KubernetesRuntime {
  const { tenantEgress, tenantPlan, ...storage } = options;
  return new KubernetesRuntime({
    kubeConfig: k8s.kubeConfig, storageUri: REAL_NODE_STORAGE_ROOT, restAccess: { mode: 'api-proxy', server: k8s.server },
    defaultImage: flinkImage(toolchain()).reference, objectStorage: { endpoint: s3.endpoint, credentials: s3.root, ...storage },
    podPlacement: ON_REAL_NODE, pollIntervalMs: 500, tenantEgress, tenantPlan, jarFetcher: readFileSync(jarFetcherJar(toolchain().jarFetcherBuilds)),
  });
}
