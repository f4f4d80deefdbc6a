import { readFileSync } from 'node:fs';
import { jarFetcherJar } from '../../activities/runtime/kubernetes/jar-fetcher/location';
import { KubernetesRuntime } from '../../activities/runtime/kubernetes/kubernetes-runtime';
import type { TenantEgress, TenantPlan } from '../../activities/runtime/kubernetes/manifests/tenant';
import { ON_REAL_NODE, type KubernetesWithRealNode } from '../../client/dev/kubernetes-node';
import { realNodeTenantEgress } from '../../client/dev/node-egress';
import { startS3Gateway, type S3Gateway } from '../../client/dev/s3-gateway';
import { flinkImage } from '../../scripts/install/images/flink-image';
import { toolchain } from '../../scripts/toolchain';
import { kubernetesTestBedWithImage } from './global';
import { trackProcess } from './processes';
import { newStateDir } from './state';

/** The run's Kubernetes with the real node and the fleet's Flink image on it, plus an S3 gateway of the test's own. */
export interface RealNodeFlink {
  readonly k8s: KubernetesWithRealNode;
  /** On the node's address, so pods reach it through the bridge as they would a cloud endpoint. */
  readonly s3: S3Gateway;
}

export async function startRealNodeFlink(): Promise<RealNodeFlink> {
  const k8s = await kubernetesTestBedWithImage(flinkImage(toolchain()));
  const s3 = await startS3Gateway({ dataDir: newStateDir('s3'), host: k8s.node.address, buckets: ['fleet'] });
  trackProcess(s3.pid, 'S3 gateway', 'file');
  return { k8s, s3 };
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
    kubeConfig: k8s.kubeConfig, storageUri: 's3://fleet/state', restAccess: { mode: 'api-proxy', server: k8s.server },
    defaultImage: flinkImage(toolchain()).reference, objectStorage: { endpoint: s3.endpoint, credentials: s3.root, ...storage },
    podPlacement: ON_REAL_NODE, pollIntervalMs: 500, tenantEgress, tenantPlan, jarFetcher: readFileSync(jarFetcherJar(toolchain().jarFetcherBuilds)),
  });
}
