import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApiException, AppsV1Api, CoreV1Api, KubeConfig, NetworkingV1Api, type V1NetworkPolicy, type V1Pod } from '@kubernetes/client-node';
import { waitUntil } from '../../activities/runtime/local/wait';
import { KubernetesRuntime } from '../../activities/runtime/kubernetes/kubernetes-runtime';
import { clusterName } from '../../activities/names';
import { objectNames } from '../../activities/runtime/kubernetes/manifests/labels';
import { DEFAULT_TENANT_PLAN } from '../../activities/runtime/kubernetes/manifests/tenant';
import { ClusterStartFailed } from '../../activities/runtime/types';
import type { KubernetesTestBed } from '../../client/dev/kubernetes-control-plane';
import { sessionCluster, sqlPipeline } from './fixtures';
import { RuntimeUnderTest } from './runtime-helpers';
import { kubernetesTestBed } from '../harness/global';

const WAIT = { timeoutMs: 30_000, intervalMs: 250 };
/** Only the objects the runtime applies: pods and ReplicaSets change status on their own. */
const APPLIED_KINDS = [['v1', 'ConfigMap'], ['apps/v1', 'Deployment'], ['v1', 'Service'], ['v1', 'ServiceAccount'],
  ['rbac.authorization.k8s.io/v1', 'Role'], ['rbac.authorization.k8s.io/v1', 'RoleBinding'], ['networking.k8s.io/v1', 'NetworkPolicy']] as const;

describe('the kubernetes runtime against a real API server', () => {
  let k8s: KubernetesTestBed;
  let bed: RuntimeUnderTest;
  let core: CoreV1Api;
  let networking: NetworkingV1Api;
  let apps: AppsV1Api;

  before(async () => {
    k8s = await kubernetesTestBed();
    bed = new RuntimeUnderTest(k8s);
    core = k8s.kubeConfig.makeApiClient(CoreV1Api);
    networking = k8s.kubeConfig.makeApiClient(NetworkingV1Api);
    apps = k8s.kubeConfig.makeApiClient(AppsV1Api);
  });

  afterEach(async () => {
    await bed.cleanUp();
  });

  async function podsOf(namespace: string, selector: string): Promise<V1Pod[]> {
    return (await core.listNamespacedPod({ namespace, labelSelector: selector })).items.filter((p) => !p.metadata?.deletionTimestamp);
  }

  it('rejects a bad spec before any API call, naming the field and the rule', async () => {
    const nowhere = new KubeConfig();
    nowhere.loadFromOptions({ clusters: [{ name: 'c', server: 'https://127.0.0.1:1' }], users: [{ name: 'u' }], contexts: [{ name: 'x', cluster: 'c', user: 'u' }], currentContext: 'x' });
    const runtime = new KubernetesRuntime({ kubeConfig: nowhere, storageUri: 's3://x', restAccess: { mode: 'service-dns' } });
    const failure = await runtime.deployApplicationCluster(sqlPipeline('acme', 'orders', { jobManager: { cpu: 1, memoryMb: 0 }, image: 'flink 2.3' }))
      .then(() => assert.fail('accepted'), (error: unknown) => error);
    assert.ok(failure instanceof ClusterStartFailed);
    assert.equal(failure.type, 'InvalidSpec');
    assert.match(failure.message, /jobManager\.memoryMb: must be a whole number of at least 768 MB/);
    assert.match(failure.message, /image: must be a container image reference/);
    await assert.rejects(runtime.ensureTenant('Not_A_Tenant'), /tenant: must be a DNS-1123 label/);
  });

  it('applies the same cluster twice without changing anything, and the same tenant twice too', async () => {
    const { tenant, namespace } = await bed.tenant();
    const spec = sqlPipeline(tenant, 'orders', { parallelism: 2 });
    const endpoints = await bed.runtime.deployApplicationCluster(spec);
    assert.match(endpoints.restUrl, new RegExp(`/api/v1/namespaces/${namespace}/services/${clusterName(tenant, 'orders')}:rest/proxy$`));
    const cluster = clusterName(tenant, 'orders');
    // The controllers keep writing Deployment status for a moment after availability: wait for quiet.
    let before = await bed.clusterObjects(namespace, cluster, APPLIED_KINDS);
    await waitUntil('cluster objects settled', async () => {
      await sleep(1_000);
      const now = await bed.clusterObjects(namespace, cluster, APPLIED_KINDS);
      const settled = JSON.stringify([...now]) === JSON.stringify([...before]);
      before = now;
      return settled ? true : undefined;
    }, WAIT);
    const tenantObjects = await bed.tenantObjects(namespace);
    await bed.runtime.ensureTenant(tenant);
    await bed.runtime.deployApplicationCluster(spec);
    assert.deepEqual([...await bed.clusterObjects(namespace, cluster, APPLIED_KINDS)], [...before]);
    assert.deepEqual([...await bed.tenantObjects(namespace)], [...tenantObjects]);
    assert.equal(tenantObjects.size, 6, [...tenantObjects.keys()].join(', '));
    assert.equal(before.size, 8, [...before.keys()].join(', '));
    assert.equal((await podsOf(namespace, 'flink-fleet/component=taskmanager')).length, 2);
    await bed.runtime.deleteCluster(spec);
    assert.equal((await bed.clusterObjects(namespace, cluster)).size, 0);
    await bed.runtime.deleteCluster(spec);
  });

  it('surfaces a quota refusal half-way through a create, or of a pool TaskManager, as QuotaExceeded within seconds, leaving nothing of it', async () => {
    const quotaBed = new RuntimeUnderTest(k8s, { tenantPlan: { ...DEFAULT_TENANT_PLAN, cpu: 3, memoryMb: 8192, pods: 10,
      maxContainer: { ...DEFAULT_TENANT_PLAN.maxContainer, cpu: 2, memoryMb: 4096 } } });
    try {
      const { tenant, namespace } = await quotaBed.tenant();
      const small = { jobManager: { cpu: 1, memoryMb: 1024 }, taskManager: { cpu: 1, memoryMb: 1024 } };
      await quotaBed.runtime.deployApplicationCluster(sqlPipeline(tenant, 'first', small));
      // Fits the plan on its own; its JobManager takes the last core, its TaskManager finds none.
      const started = Date.now();
      const failure = await quotaBed.runtime.deployApplicationCluster(sqlPipeline(tenant, 'second', small))
        .then(() => assert.fail('the second cluster started'), (error: unknown) => error);
      assert.ok(failure instanceof ClusterStartFailed, String(failure));
      assert.equal(failure.type, 'QuotaExceeded', failure.message);
      assert.match(failure.message, /exceeded quota: flink-fleet-quota/);
      assert.ok(Date.now() - started < 20_000, `took ${Date.now() - started} ms`);
      assert.equal((await quotaBed.clusterObjects(namespace, clusterName(tenant, 'second'))).size, 0);
      assert.equal((await quotaBed.runtime.observe({ tenant, name: 'second' })).health, 'missing');
      assert.equal((await quotaBed.runtime.observe({ tenant, name: 'first' })).health, 'running');
      // A pool TaskManager is a bare pod: the quota refuses it at once, in the create call itself.
      // First the quota controller must have given back what the refused cluster's pods held.
      await waitUntil('quota released', async () => {
        const quota = await core.readNamespacedResourceQuota({ name: 'flink-fleet-quota', namespace });
        return quota.status?.used?.['requests.cpu'] === '2' ? true : undefined;
      }, WAIT);
      const previews = sessionCluster(tenant, 'previews');
      await quotaBed.runtime.deploySessionCluster(previews);
      await assert.rejects(quotaBed.runtime.addTaskManager(previews, 'tm-one'),
        (error: unknown) => error instanceof ClusterStartFailed && error.type === 'QuotaExceeded' && /exceeded quota/.test(error.message));
    } finally {
      await quotaBed.cleanUp();
    }
  });

  it('counts every Flink container\'s local disk against the tenant\'s quota: a TaskManager that would go past it is QuotaExceeded', async () => {
    // Cores and memory to spare; disk for one cluster of default size (a 2 GiB JobManager, a 4 GiB TaskManager) and a third of another.
    const diskBed = new RuntimeUnderTest(k8s, { tenantPlan: { ...DEFAULT_TENANT_PLAN, ephemeralStorageMb: 8192,
      maxContainer: { ...DEFAULT_TENANT_PLAN.maxContainer, ephemeralStorageMb: 8192 } } });
    try {
      const { tenant, namespace } = await diskBed.tenant();
      await diskBed.runtime.deployApplicationCluster(sqlPipeline(tenant, 'first'));
      const failure = await diskBed.runtime.deployApplicationCluster(sqlPipeline(tenant, 'second'))
        .then(() => assert.fail('the second cluster started'), (error: unknown) => error);
      assert.ok(failure instanceof ClusterStartFailed, String(failure));
      assert.equal(failure.type, 'QuotaExceeded', failure.message);
      assert.match(failure.message, /exceeded quota: flink-fleet-quota, requested: limits\.ephemeral-storage=4Gi,requests\.ephemeral-storage=4Gi/);
      assert.equal((await diskBed.clusterObjects(namespace, clusterName(tenant, 'second'))).size, 0);
      assert.equal((await diskBed.runtime.observe({ tenant, name: 'first' })).health, 'running');
    } finally {
      await diskBed.cleanUp();
    }
  });

  it('gives a container the fleet did not make the plan\'s default disk, and refuses one larger than the plan\'s largest', async () => {
    const { namespace } = await bed.tenant();
    const restricted = { runAsNonRoot: true, runAsUser: 1000, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' } };
    const pod = (name: string, limits?: Record<string, string>): V1Pod => ({ metadata: { name },
      spec: { containers: [{ name: 'c', image: 'busybox', securityContext: restricted, ...(limits ? { resources: { limits, requests: limits } } : {}) }] } });
    const defaulted = await core.createNamespacedPod({ namespace, body: pod('no-resources'), dryRun: 'All' });
    // The default plan: 1 GiB by default, 32 GiB at most (the API server writes 1024Mi as 1Gi).
    const { limits, requests } = defaulted.spec?.containers[0]?.resources ?? {};
    assert.deepEqual([limits?.['ephemeral-storage'], requests?.['ephemeral-storage']], ['1Gi', '1Gi']);
    const huge = { cpu: '1', memory: '1Gi', 'ephemeral-storage': '32769Mi' };
    await assert.rejects(core.createNamespacedPod({ namespace, body: pod('huge-disk', huge), dryRun: 'All' }),
      (error: unknown) => error instanceof ApiException && error.code === 403
        && /maximum ephemeral-storage usage per Container is 32Gi/.test(String(error.body)));
  });

  it('kills a pool TaskManager for good, while an application cluster\'s deleted pods come back', async () => {
    const { tenant, namespace } = await bed.tenant();
    const session = sessionCluster(tenant, 'previews');
    const endpoints = await bed.runtime.deploySessionCluster(session);
    assert.match(endpoints.gatewayUrl ?? '', /previews--gateway:gateway\/proxy$/);
    await bed.runtime.addTaskManager(session, 'tm-one');
    await bed.runtime.addTaskManager(session, 'tm-one');
    await waitUntil('pool pod running', async () => ((await podsOf(namespace, 'flink-fleet/pool=idle'))[0]?.status?.phase === 'Running' ? true : undefined), WAIT);
    assert.deepEqual((await podsOf(namespace, 'flink-fleet/pool=idle')).map((p) => p.metadata?.name), ['tm-one']);
    await bed.runtime.killTaskManager(session, 'tm-one');
    await bed.runtime.killTaskManager(session, 'tm-one');
    await sleep(2_000);
    assert.deepEqual(await podsOf(namespace, 'flink-fleet/pool=idle'), []);
    assert.equal((await bed.runtime.observe(session)).health, 'running');

    const pipeline = sqlPipeline(tenant, 'orders');
    await bed.runtime.deployApplicationCluster(pipeline);
    const selector = `flink-fleet/cluster=${clusterName(tenant, 'orders')}`;
    const original = (await podsOf(namespace, selector)).map((p) => p.metadata?.name ?? '');
    assert.equal(original.length, 2);
    for (const name of original) await core.deleteNamespacedPod({ name, namespace });
    await waitUntil('replacement pods running', async () => {
      const pods = (await podsOf(namespace, selector)).filter((p) => p.status?.phase === 'Running' && !original.includes(p.metadata?.name ?? ''));
      return pods.length === 2 ? true : undefined;
    }, WAIT);
    const clusters = await bed.runtime.listClusters();
    assert.deepEqual(clusters.filter((c) => c.tenant === tenant).map((c) => [c.name, c.kind]).sort(), [['orders', 'application'], ['previews', 'session']]);
    await bed.runtime.deleteCluster(session);
    await bed.runtime.deleteCluster(pipeline);
    for (const name of ['previews', 'orders']) assert.equal((await bed.clusterObjects(namespace, clusterName(tenant, name))).size, 0, name);
  });

  it('puts the plan\'s bandwidth on every pod it makes: the clusters\' Deployments, a rescale\'s, and a pool TaskManager', async () => {
    const shaped = new RuntimeUnderTest(k8s, { tenantPlan: { ...DEFAULT_TENANT_PLAN, podBandwidth: { ingressMbit: 100, egressMbit: 50 } } });
    try {
      const { tenant, namespace } = await shaped.tenant();
      const session = sessionCluster(tenant, 'previews');
      await shaped.runtime.deploySessionCluster(session);
      await shaped.runtime.addTaskManager(session, 'tm-shaped');
      const pipeline = sqlPipeline(tenant, 'orders');
      await shaped.runtime.deployApplicationCluster(pipeline);
      await shaped.runtime.scaleTaskManagers({ ...pipeline, parallelism: 2 }, []);
      const pods = await waitUntil('6 pods: session JobManager, gateway, pool TaskManager, application JobManager, 2 TaskManagers', async () => {
        const found = await podsOf(namespace, 'app.kubernetes.io/managed-by=flink-fleet');
        return found.length === 6 ? found : undefined;
      }, WAIT);
      assert.deepEqual(pods.map((p) => [p.metadata?.annotations?.['kubernetes.io/ingress-bandwidth'], p.metadata?.annotations?.['kubernetes.io/egress-bandwidth']]),
        pods.map(() => ['100M', '50M']));
      await shaped.runtime.deleteCluster(session);
      await shaped.runtime.deleteCluster(pipeline);
    } finally {
      await shaped.cleanUp();
    }
  });

  it('scales an application cluster\'s TaskManagers for a rescale, removing first the pods the job runs no task on, and refuses more than the plan holds', async () => {
    const { tenant, namespace } = await bed.tenant();
    const spec = sqlPipeline(tenant, 'elastic');
    await bed.runtime.deployApplicationCluster(spec);
    const taskManagers = `flink-fleet/cluster=${clusterName(tenant, 'elastic')},flink-fleet/component=taskmanager`;
    const runningTaskManagers = (count: number) => waitUntil(`${count} TaskManager pods running`, async () => {
      const pods = await podsOf(namespace, taskManagers);
      return pods.length === count && pods.every((p) => p.status?.phase === 'Running') ? pods.map((p) => p.metadata?.name ?? '').sort() : undefined;
    }, WAIT);
    const replicas = async () => (await apps.readNamespacedDeployment({ name: objectNames(clusterName(tenant, 'elastic')).taskManager, namespace })).spec?.replicas;
    const [first] = await runningTaskManagers(1);

    await bed.runtime.scaleTaskManagers({ ...spec, parallelism: 3 }, [first as string]);
    const three = await runningTaskManagers(3);
    assert.ok(three.includes(first as string), 'the TaskManager that was there stays');
    // Say the job now runs on a new pod only: left alone, the ReplicaSet would remove the newest pods first.
    const busy = three.filter((name) => name !== first).at(-1) as string;
    await bed.runtime.scaleTaskManagers(spec, [busy]);
    assert.deepEqual(await runningTaskManagers(1), [busy]);
    assert.equal(await replicas(), 1);

    // The bound the rescale Update's validator is given: 16 cores hold the JobManager and 31 TaskManagers of 0.5.
    const max = bed.runtime.maxParallelism(spec);
    assert.equal(max, 31);
    const refused = await bed.runtime.scaleTaskManagers({ ...spec, parallelism: max + 1 }, [busy]).then(() => assert.fail('accepted'), (error: unknown) => error);
    assert.ok(refused instanceof ClusterStartFailed);
    assert.equal(refused.type, 'InvalidSpec');
    assert.match(refused.message, /resources: the cluster needs 16\.5 cores, more than the tenant's quota of 16/);
    assert.equal(await replicas(), 1, 'a refused scale changes nothing');
    await bed.runtime.deleteCluster(spec);
  });

  it('isolates tenants with NetworkPolicies: deny by default, open within a cluster and to the worker\'s namespace only', async () => {
    const [a, b] = [await bed.tenant(), await bed.tenant()];
    await bed.runtime.deployApplicationCluster(sqlPipeline(a.tenant, 'orders'));
    // Plain objects: the client returns model class instances, which strict deep equality tells apart.
    const policies = async (namespace: string): Promise<Map<string, V1NetworkPolicy>> => new Map(
      (await networking.listNamespacedNetworkPolicy({ namespace })).items.map((p) => [p.metadata?.name ?? '', JSON.parse(JSON.stringify(p)) as V1NetworkPolicy]));
    const ofA = await policies(a.namespace);
    const deny = ofA.get('flink-fleet-default-deny-ingress');
    assert.deepEqual(deny?.spec?.podSelector, {});
    assert.deepEqual(deny?.spec?.policyTypes, ['Ingress']);
    assert.equal(deny?.spec?.ingress, undefined);
    const worker = ofA.get('flink-fleet-allow-worker')?.spec;
    assert.deepEqual(worker?.podSelector?.matchExpressions, [{ key: 'flink-fleet/component', operator: 'In', values: ['jobmanager', 'gateway'] }]);
    assert.deepEqual(worker?.ingress?.[0]?._from, [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'flink-fleet' } } }]);
    assert.deepEqual(worker?.ingress?.[0]?.ports?.map((p) => p.port), [8081, 8083]);
    const cluster = clusterName(a.tenant, 'orders');
    const internal = ofA.get(objectNames(cluster).internalPolicy)?.spec;
    assert.deepEqual(internal?.podSelector?.matchLabels, { 'flink-fleet/cluster': cluster });
    assert.deepEqual(internal?.ingress?.[0]?._from, [{ podSelector: { matchLabels: { 'flink-fleet/cluster': cluster } } }]);
    // Nothing in A's policies admits B's namespace: every peer is A's own pods or the worker's namespace.
    const peers = [...ofA.values()].flatMap((p) => p.spec?.ingress ?? []).flatMap((rule) => rule._from ?? []);
    assert.ok(peers.every((peer) => (peer.podSelector && !peer.namespaceSelector) || peer.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'] === 'flink-fleet'));
    assert.deepEqual([...(await policies(b.namespace)).keys()].sort(), ['flink-fleet-allow-worker', 'flink-fleet-default-deny-ingress']);
    const namespaceA = await core.readNamespace({ name: a.namespace });
    assert.equal(namespaceA.metadata?.labels?.['pod-security.kubernetes.io/enforce'], 'restricted');
  });

  it('reports a JobManager no node can hold as Unschedulable once the grace period is over, and leaves nothing', async () => {
    const roomy = { tenantPlan: { ...DEFAULT_TENANT_PLAN, cpu: 100, memoryMb: 65_536, pods: 10,
      maxContainer: { ...DEFAULT_TENANT_PLAN.maxContainer, cpu: 32, memoryMb: 4096 } }, unschedulableGraceMs: 1_000 };
    const unschedulableBed = new RuntimeUnderTest(k8s, roomy);
    try {
      const { tenant, namespace } = await unschedulableBed.tenant();
      // The test bed's largest node has 16 cores.
      const failure = await unschedulableBed.runtime.deployApplicationCluster(sqlPipeline(tenant, 'huge', { jobManager: { cpu: 20, memoryMb: 1024 } }))
        .then(() => assert.fail('a 20-core JobManager started'), (error: unknown) => error);
      assert.ok(failure instanceof ClusterStartFailed, String(failure));
      assert.equal(failure.type, 'Unschedulable', failure.message);
      assert.match(failure.message, /Insufficient cpu/);
      assert.equal((await unschedulableBed.clusterObjects(namespace, clusterName(tenant, 'huge'))).size, 0);
    } finally {
      await unschedulableBed.cleanUp();
    }
  });

  it('hangs every object of a cluster on its ConfigMap, so the garbage collector takes all of it with that one', async () => {
    const { tenant, namespace } = await bed.tenant();
    await bed.runtime.deployApplicationCluster(sqlPipeline(tenant, 'orders'));
    const cluster = clusterName(tenant, 'orders');
    await core.deleteNamespacedConfigMap({ name: objectNames(cluster).config, namespace, propagationPolicy: 'Foreground' });
    await waitUntil('the garbage collector took the cluster', async () => ((await bed.clusterObjects(namespace, cluster)).size === 0 ? true : undefined), WAIT);
    assert.equal((await bed.runtime.observe({ tenant, name: 'orders' })).health, 'missing');
  });
});
