import type { ClusterEndpoints } from '../types';
import { PORTS } from './manifests/container';
import { objectNames } from './manifests/labels';

/**
 * How the worker reaches a cluster's REST API and SQL Gateway. Inside the cluster, the Service's DNS
 * name; outside it (a laptop, CI), the API server's service proxy, which needs no route into the pod
 * network (the HTTP client must then send the API server's credentials, or the server be a
 * `kubectl proxy`). Pure.
 */
export type RestAccess =
  | { readonly mode: 'service-dns'; readonly clusterDomain?: string }
  | { readonly mode: 'api-proxy'; readonly server: string };

export function clusterEndpoints(access: RestAccess, namespace: string, cluster: string, session: boolean): ClusterEndpoints {
  const names = objectNames(cluster);
  const url = (service: string, portName: string, port: number): string => (access.mode === 'service-dns'
    ? `http://${service}.${namespace}.svc.${access.clusterDomain ?? 'cluster.local'}:${port}`
    : `${access.server.replace(/\/+$/, '')}/api/v1/namespaces/${namespace}/services/${service}:${portName}/proxy`);
  const restUrl = url(names.service, 'rest', PORTS.rest);
  return session ? { restUrl, gatewayUrl: url(names.gateway, 'gateway', PORTS.gateway) } : { restUrl };
}
