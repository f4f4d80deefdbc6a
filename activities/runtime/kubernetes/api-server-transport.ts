import type { RequestOptions } from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import { Agent, fetch as undiciFetch, type RequestInit as UndiciRequestInit } from 'undici';
import type { FlinkTransport } from '../../flink/rest-client';

/**
 * Flink's REST API and SQL Gateway through the API server's service proxy, for a worker outside the
 * cluster: each request carries the kubeconfig's credentials (bearer token or client certificate)
 * and trusts only its CA. The global fetch cannot take a CA or a client certificate, undici's can.
 */
export function apiServerTransport(kubeConfig: KubeConfig): FlinkTransport {
  let agent: { readonly key: string; readonly dispatcher: Agent } | undefined;
  return async (url, init) => {
    // Asked per request: an exec plugin's token expires, and the kubeconfig knows when.
    const tls: RequestOptions = {};
    await kubeConfig.applyToHTTPSOptions(tls);
    const connect = { ca: tls.ca, cert: tls.cert, key: tls.key, rejectUnauthorized: tls.rejectUnauthorized ?? true };
    const key = JSON.stringify(connect);
    if (agent?.key !== key) {
      void agent?.dispatcher.close();
      agent = { key, dispatcher: new Agent({ connect }) };
    }
    const headers = new Headers(init.headers);
    for (const [name, value] of Object.entries(tls.headers ?? {})) if (typeof value === 'string') headers.set(name, value);
    const response = await undiciFetch(url, { ...(init as UndiciRequestInit), headers: Object.fromEntries(headers), dispatcher: agent.dispatcher });
    // undici's Response is the same WHATWG Response the global fetch returns, typed by another package.
    return response as unknown as Response;
  };
}
