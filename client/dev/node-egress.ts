import type { TenantEgress } from '../../activities/runtime/kubernetes/manifests/tenant';
import { KUBERNETES_SERVICE_IP } from './kubernetes-control-plane';

const hostPort = (url: string): { host: string; port: number } => {
  const parsed = new URL(url);
  return { host: parsed.hostname, port: Number(parsed.port) };
};

/**
 * What Flink's pods need on the real node, where CoreDNS, the API server and the S3 gateway are host
 * processes on the node's address: each by that address and its own port, the API server by its
 * Service too (pods are given 10.96.0.1:443, kube-proxy rewrites it to the address before any policy sees it).
 */
export function realNodeTenantEgress(where: { nodeAddress: string; apiServer: string; objectStorage: string }): TenantEgress {
  const apiServer = hostPort(where.apiServer);
  const storage = hostPort(where.objectStorage);
  return {
    dns: [{ ipBlock: { cidr: `${where.nodeAddress}/32` } }],
    apiServer: [{ cidr: `${apiServer.host}/32`, port: apiServer.port }, { cidr: `${KUBERNETES_SERVICE_IP}/32`, port: 443 }],
    objectStorage: [{ cidr: `${storage.host}/32`, port: storage.port }],
  };
}
