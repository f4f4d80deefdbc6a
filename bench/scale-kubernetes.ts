import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { request as httpsRequest, Agent as HttpsAgent, type RequestOptions } from 'node:https';
import { join } from 'node:path';
import {
  AppsV1Api, CoreV1Api, KubeConfig, KubernetesObjectApi, loadAllYaml, PatchStrategy, type KubernetesObject,
} from '@kubernetes/client-node';
import { KubernetesObjects } from '../activities/runtime/kubernetes/api';
import { apiServerTransport } from '../activities/runtime/kubernetes/api-server-transport';
import { CLUSTER, MANAGED_BY_SELECTOR, objectNames } from '../activities/runtime/kubernetes/manifests/labels';
import { freePort } from '../activities/runtime/local/ports';
import { fakeNode, type KubernetesTestBed } from '../client/dev/kubernetes-control-plane';
import { parsePrometheusText, samplesOf } from '../test/harness/prometheus';
import type { FlinkRestLoadGenerator } from './scale-flink-rest';

/** The worker's identity in deploy/rbac.yaml: the bench's worker acts as it, under its RBAC and admission policy. */
const WORKER_USER = 'system:serviceaccount:flink-fleet:flink-fleet-worker';
/** An API Priority and Fairness flow schema for the worker alone: the API server counts the requests it dispatches for it. */
const WORKER_FLOW_SCHEMA = 'bench-flink-fleet-worker';
const DEPLOY_DIR = join(__dirname, '..', 'deploy');

/**
 * Nodes kwok pretends to run, roomy enough for every pod of the run: the test bed's three hold 330
 * pods at most, and the scheduler would leave the rest Pending.
 */
export async function addKwokNodes(kubeConfig: KubeConfig, count: number): Promise<void> {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  for (let i = 0; i < count; i++) await core.createNode({ body: fakeNode(`kwok-scale-${i}`, '4000', '16Ti', '100Ti', false, '1000') });
}

/**
 * The worker's namespace, ServiceAccount, RBAC and admission policy from deploy/ (not its Deployment:
 * the bench runs the worker as a process), and a flow schema that classifies the worker's requests as
 * a ServiceAccount's would be (workload-low) while counting them apart from kwok's and the controllers'.
 */
export async function applyWorkerPolicy(kubeConfig: KubeConfig): Promise<void> {
  const objects = KubernetesObjectApi.makeApiClient(kubeConfig);
  const deploy = readdirSync(DEPLOY_DIR).filter((file) => file.endsWith('.yaml')).sort()
    .flatMap((file) => loadAllYaml(readFileSync(join(DEPLOY_DIR, file), 'utf8')) as Array<KubernetesObject | null>)
    .filter((object): object is KubernetesObject => object !== null && object.kind !== 'Deployment')
    .sort((a, b) => Number(b.kind === 'Namespace') - Number(a.kind === 'Namespace'));
  const flowSchema: KubernetesObject = {
    apiVersion: 'flowcontrol.apiserver.k8s.io/v1', kind: 'FlowSchema', metadata: { name: WORKER_FLOW_SCHEMA },
    spec: {
      priorityLevelConfiguration: { name: 'workload-low' }, matchingPrecedence: 500, distinguisherMethod: { type: 'ByUser' },
      rules: [{
        subjects: [{ kind: 'ServiceAccount', serviceAccount: { name: 'flink-fleet-worker', namespace: 'flink-fleet' } }],
        resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'], clusterScope: true, namespaces: ['*'] }],
        nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['*'] }],
      }],
    },
  } as KubernetesObject;
  for (const object of [...deploy, flowSchema]) await objects.patch(object, undefined, undefined, 'flink-fleet-bench', true, PatchStrategy.ServerSideApply);
}

/** Requests the API server has dispatched for the worker so far, by its own flow-control metrics. */
export async function workerRequestsDispatched(kubeConfig: KubeConfig, server: string): Promise<number> {
  const response = await apiServerTransport(kubeConfig)(`${server}/metrics`, { method: 'GET' });
  if (!response.ok) throw new Error(`the API server's /metrics answered ${response.status}`);
  return samplesOf(parsePrometheusText(await response.text()), 'apiserver_flowcontrol_dispatched_requests_total', { flow_schema: WORKER_FLOW_SCHEMA })
    .reduce((sum, sample) => sum + sample.value, 0);
}

/** The job id a cluster's JobManager was started with (`--job-id`), found from the Service the REST call went to. */
export function jobIdFromDeployments(kubeConfig: KubeConfig): (namespace: string, service: string) => Promise<string | undefined> {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const apps = kubeConfig.makeApiClient(AppsV1Api);
  return async (namespace, service) => {
    const cluster = (await core.readNamespacedService({ name: service, namespace }).catch(() => undefined))?.metadata?.labels?.[CLUSTER];
    if (!cluster) return undefined;
    const deployment = await apps.readNamespacedDeployment({ name: objectNames(cluster).jobManager, namespace }).catch(() => undefined);
    const args = deployment?.spec?.template.spec?.containers.find((c) => c.name === 'jobmanager')?.args ?? [];
    const at = args.indexOf('--job-id');
    return at === -1 ? undefined : args[at + 1];
  };
}

const SERVICE_PROXY = /^\/api\/v1\/namespaces\/([^/]+)\/services\/([^/:]+):rest\/proxy(\/.*)$/;

/**
 * What the worker takes for its API server: Flink REST calls through the service proxy (kwok's pods
 * have no JobManager to proxy to) go to the load generator, everything else to the real API server,
 * byte for byte, with the worker's credentials. Plain HTTP on loopback, so the worker sends its REST
 * calls without the API server's TLS, as through a `kubectl proxy`.
 */
export async function startFrontProxy(bed: KubernetesTestBed, generator: FlinkRestLoadGenerator): Promise<{ url: string; server: Server }> {
  const tls: RequestOptions = {};
  await bed.kubeConfig.applyToHTTPSOptions(tls);
  const agent = new HttpsAgent({ keepAlive: true, maxSockets: 256, ca: tls.ca });
  const upstream = new URL(bed.server);
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const url = request.url ?? '/';
    const proxied = SERVICE_PROXY.exec(url.split('?')[0] ?? '');
    if (proxied) {
      const [, namespace = '', service = ''] = proxied;
      const path = url.slice(url.indexOf(':rest/proxy') + ':rest/proxy'.length);
      request.resume();
      request.on('end', () => {
        void generator.answer(namespace, service, request.method ?? 'GET', path).then(({ status, body }) => {
          response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
        }, (error: unknown) => response.writeHead(500).end(String(error)));
      });
      return;
    }
    const forward = httpsRequest({ host: upstream.hostname, port: upstream.port, path: url, method: request.method, agent,
      headers: { ...request.headers, host: upstream.host } }, (answer) => {
      // At once: a watch's headers would otherwise wait for its first event, and the watcher with them.
      response.writeHead(answer.statusCode ?? 502, answer.headers).flushHeaders();
      answer.pipe(response);
    });
    forward.on('error', (error) => response.writeHead(502).end(String(error)));
    request.pipe(forward);
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${port}`, server };
}

/** A kubeconfig for the worker: the test bed's admin acting as the worker's ServiceAccount, through the front proxy. */
export function workerKubeconfig(bed: KubernetesTestBed, proxyUrl: string, file: string): string {
  const config = new KubeConfig();
  config.loadFromString(bed.kubeConfig.exportConfig());
  const [cluster] = config.clusters;
  const [user] = config.users;
  if (!cluster || !user) throw new Error('the test bed\'s kubeconfig has no cluster or user');
  // The client refuses plain HTTP unless told to skip a TLS check there is none of.
  config.clusters = [{ ...cluster, server: proxyUrl, caData: undefined, caFile: undefined, skipTLSVerify: true }];
  config.users = [{ ...user, impersonateUser: WORKER_USER }];
  writeFileSync(file, config.exportConfig());
  return file;
}

/** Objects of the fleet's clusters still there (pods, Deployments, Services, ConfigMaps), in every namespace. */
export async function managedClusterObjectsLeft(kubeConfig: KubeConfig): Promise<string[]> {
  const objects = new KubernetesObjects(kubeConfig);
  const left: string[] = [];
  for (const [apiVersion, kind] of [['v1', 'Pod'], ['apps/v1', 'Deployment'], ['v1', 'Service'], ['v1', 'ConfigMap']] as const) {
    for (const item of await objects.list(apiVersion, kind, undefined, `${MANAGED_BY_SELECTOR},${CLUSTER}`)) left.push(`${kind} ${item.metadata?.namespace}/${item.metadata?.name}`);
  }
  return left;
}
