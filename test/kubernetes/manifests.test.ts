import assert from 'node:assert/strict';
import type { KubernetesObject, V1ConfigMap, V1Container, V1Deployment, V1NetworkPolicy, V1PodSpec, V1Service } from '@kubernetes/client-node';
import { applicationClusterObjects, surplusTaskManagerMark } from '../../activities/runtime/kubernetes/manifests/application';
import { taskManagerCount } from '../../activities/runtime/scaling';
import { APP_NAME, CLUSTER, COMPONENT, MANAGED_BY, TENANT, type ClusterIdentity } from '../../activities/runtime/kubernetes/manifests/labels';
import {
  CLUSTER_DNS_PODS, DEFAULT_TENANT_PLAN, restrictEgress, tenantGuardRails, tenantLimitRange, tenantQuota,
} from '../../activities/runtime/kubernetes/manifests/tenant';
import { STORAGE_SECRET, storageSecret, type ObjectStorage } from '../../activities/runtime/kubernetes/manifests/storage';
import { poolTaskManagerPod, poolTaskManagerTemplate, sessionClusterObjects } from '../../activities/runtime/kubernetes/manifests/session';
import { clusterName, isDns1123Label } from '../../activities/names';
import type { ApplicationClusterSpec } from '../../activities/runtime/types';
import { jarConnection, sessionCluster, sqlPipeline } from './fixtures';

const placement = { image: 'flink:2.3.0-java17', storageUri: 's3://fleet/state/c', storageRoot: 's3://fleet/state', objectStorage: {}, nodes: {},
  jarFetcher: Buffer.from('the jar fetcher') };

function identity(tenant: string, name: string): ClusterIdentity {
  return { tenant, name, cluster: clusterName(tenant, name), namespace: `flink-fleet-${tenant}` };
}

interface Built { readonly name: string; readonly id: ClusterIdentity; readonly objects: KubernetesObject[] }

function application(spec: ApplicationClusterSpec, objectStorage: ObjectStorage = {}): Built {
  const id = identity(spec.tenant, spec.name);
  const { root, dependents } = applicationClusterObjects(id, spec, { ...placement, objectStorage });
  return { name: `application ${spec.name}`, id, objects: [root, ...dependents] };
}

function session(): Built {
  const id = identity('acme', 'previews');
  const { root, dependents } = sessionClusterObjects(id, sessionCluster('acme', 'previews'), placement);
  const template = poolTaskManagerTemplate(root);
  assert.ok(template);
  return { name: 'session previews', id, objects: [root, ...dependents, poolTaskManagerPod(id, template, 'tm-1f2e3d')] };
}

const long = 'a-pipeline-name-long-enough-to-need-a-hash-suffix';
/** Builders, not their results: building twice must give the same objects. */
const builds: ReadonlyArray<() => Built> = [
  () => application(sqlPipeline('acme', 'orders')),
  () => application(sqlPipeline('acme', 'wide', { parallelism: 5, slotsPerTaskManager: 2, taskManager: { cpu: 2, memoryMb: 4096 } })),
  () => application(jarConnection('globex', long, { secretEnv: [{ env: 'KAFKA_PASSWORD', secretName: 'kafka', key: 'password' }] })),
  session,
];

function podSpecs(objects: readonly KubernetesObject[]): V1PodSpec[] {
  return objects.flatMap((o) => {
    if (o.kind === 'Deployment') return [(o as V1Deployment).spec?.template.spec as V1PodSpec];
    if (o.kind === 'Pod') return [(o as { spec: V1PodSpec }).spec];
    return [];
  });
}

const containers = (objects: readonly KubernetesObject[]): V1Container[] => podSpecs(objects).flatMap((spec) => spec.containers);

/** Megabytes of a Kubernetes quantity in Mi or of a Flink size in m. */
function megabytes(size: string): number {
  const match = /^(\d+)(Mi|m)$/.exec(size);
  assert.ok(match, `unexpected size ${size}`);
  return Number(match[1]);
}

function flinkOption(config: V1ConfigMap, key: string): string | undefined {
  const line = config.data?.['config.yaml']?.split('\n').find((l) => l.startsWith(`${key}: `));
  return line === undefined ? undefined : String(JSON.parse(line.slice(key.length + 2)));
}

describe('kubernetes manifest builders', () => {
  for (const build of builds) {
    const { name, id, objects } = build();
    describe(name, () => {
      it('labels every object and pod template as managed by flink-fleet, with tenant, cluster and component', () => {
        const templates = objects.filter((o) => o.kind === 'Deployment').map((o) => (o as V1Deployment).spec?.template.metadata);
        for (const metadata of [...objects.map((o) => o.metadata), ...templates]) {
          const labels = metadata?.labels ?? {};
          assert.equal(labels[MANAGED_BY], 'flink-fleet', metadata?.name);
          assert.equal(labels[APP_NAME], 'flink');
          assert.equal(labels[TENANT], id.tenant);
          assert.equal(labels[CLUSTER], id.cluster);
          assert.ok(['jobmanager', 'taskmanager', 'gateway'].includes(labels[COMPONENT] ?? ''), `${metadata?.name} component`);
        }
      });

      it('names every object as a DNS-1123 label in the tenant namespace, the same on every build', () => {
        for (const object of objects) {
          assert.ok(isDns1123Label(object.metadata?.name ?? ''), `${object.kind} ${object.metadata?.name}`);
          assert.equal(object.metadata?.namespace, id.namespace);
        }
        assert.deepEqual(build().objects, objects);
      });

      it('sets equal CPU, memory and ephemeral-storage requests and limits on every container', () => {
        for (const container of containers(objects)) {
          const { requests, limits } = container.resources ?? {};
          assert.deepEqual(Object.keys(requests ?? {}), ['cpu', 'memory', 'ephemeral-storage'], `${container.name} requests`);
          assert.deepEqual(requests, limits, `${container.name}`);
        }
      });

      it('runs every pod and container under Pod Security restricted', () => {
        for (const spec of podSpecs(objects)) {
          assert.equal(spec.securityContext?.runAsNonRoot, true);
          assert.equal(spec.securityContext?.seccompProfile?.type, 'RuntimeDefault');
          for (const container of spec.containers) {
            const context = container.securityContext;
            assert.equal(context?.runAsNonRoot, true);
            assert.equal(context?.runAsUser, 9999);
            assert.equal(context?.allowPrivilegeEscalation, false);
            assert.deepEqual(context?.capabilities?.drop, ['ALL']);
            assert.equal(context?.seccompProfile?.type, 'RuntimeDefault');
          }
        }
      });

      it('probes every container: startup, liveness and readiness', () => {
        for (const container of containers(objects)) {
          assert.ok(container.startupProbe && container.livenessProbe && container.readinessProbe, container.name);
        }
      });

      it("sizes Flink's processes to their container's memory limit", () => {
        const config = objects.find((o) => o.kind === 'ConfigMap') as V1ConfigMap;
        for (const container of containers(objects).filter((c) => c.name !== 'gateway')) {
          const processSize = flinkOption(config, `${container.name}.memory.process.size`);
          assert.ok(processSize, `${container.name}.memory.process.size`);
          assert.ok(megabytes(processSize) <= megabytes(String(container.resources?.limits?.memory)), container.name);
        }
      });

      it('exposes rpc, blob and REST on a ClusterIP Service selecting the JobManager', () => {
        const service = objects.find((o) => o.kind === 'Service' && o.metadata?.name === id.cluster) as V1Service;
        assert.equal(service.spec?.type, 'ClusterIP');
        assert.deepEqual(service.spec?.selector, { [CLUSTER]: id.cluster, [COMPONENT]: 'jobmanager' });
        assert.deepEqual(service.spec?.ports?.map((p) => [p.name, p.port]), [['rpc', 6123], ['blob', 6124], ['rest', 8081]]);
      });
    });
  }

  it('runs as many TaskManagers as parallelism over slots needs, with Kubernetes HA in the config', () => {
    const spec = sqlPipeline('acme', 'wide', { parallelism: 5, slotsPerTaskManager: 2 });
    const { objects } = application(spec);
    const taskManagers = objects.find((o) => o.metadata?.name?.endsWith('-taskmanager')) as V1Deployment;
    assert.equal(taskManagers.spec?.replicas, 3);
    assert.equal(taskManagerCount(spec), 3);
    const config = objects[0] as V1ConfigMap;
    assert.equal(flinkOption(config, 'high-availability.type'), 'kubernetes');
    // Per deployment (job id): a later cluster of the same name must not find this one's finished results.
    assert.equal(flinkOption(config, 'high-availability.storageDir'), 's3://fleet/state/c/ha/0123456789abcdef0123456789abcdef');
    assert.equal(flinkOption(config, 'kubernetes.cluster-id'), clusterName('acme', 'wide'));
    // What lets a rescale change the running job's parallelism without a new cluster.
    assert.equal(flinkOption(config, 'jobmanager.scheduler'), 'adaptive');
    assert.deepEqual(objects.filter((o) => ['ServiceAccount', 'Role', 'RoleBinding'].includes(o.kind ?? '')).map((o) => o.kind),
      ['ServiceAccount', 'Role', 'RoleBinding']);
  });

  it('marks a surplus TaskManager pod with the lowest deletion cost, so its Deployment removes it first when it shrinks', () => {
    const id = identity('acme', 'wide');
    assert.deepEqual(surplusTaskManagerMark(id, 'acme--wide--taskmanager-7f9c-x2'), {
      apiVersion: 'v1', kind: 'Pod',
      metadata: { name: 'acme--wide--taskmanager-7f9c-x2', namespace: 'flink-fleet-acme', annotations: { 'controller.kubernetes.io/pod-deletion-cost': '-1000' } },
    });
  });

  it('starts a SQL pipeline with Flink\'s SqlDriver on the script mounted from the ConfigMap', () => {
    const { objects } = application(sqlPipeline('acme', 'orders'));
    const jobManager = containers(objects).find((c) => c.name === 'jobmanager');
    assert.deepEqual(jobManager?.args?.slice(0, 4), ['standalone-job', '-Djobmanager.rpc.address=$(POD_IP)', '--job-id', '0123456789abcdef0123456789abcdef']);
    assert.deepEqual(jobManager?.args?.slice(4), ['--job-classname', 'org.apache.flink.table.runtime.application.SqlDriver',
      '--scriptUri', 'file:///opt/flink/fleet-sql/pipeline.sql']);
    assert.equal((objects[0] as V1ConfigMap).data?.['pipeline.sql'], 'INSERT INTO sink SELECT * FROM source;');
    assert.deepEqual(jobManager?.volumeMounts?.find((m) => m.name === 'sql-script'), { name: 'sql-script', mountPath: '/opt/flink/fleet-sql', readOnly: true });
  });

  it('makes an application JobManager ready only once its REST API lists the job, and a session JobManager once its REST API answers', () => {
    for (const spec of [sqlPipeline('acme', 'orders'), jarConnection('globex', long)]) {
      const jobManager = containers(application(spec).objects).find((c) => c.name === 'jobmanager');
      assert.deepEqual(jobManager?.readinessProbe?.httpGet, { path: `/jobs/${spec.jobId}`, port: 8081 });
      assert.deepEqual(jobManager?.livenessProbe?.tcpSocket, { port: 8081 }, 'liveness stays a TCP check: a JobManager without its job yet is not dead');
    }
    const sessionJobManager = containers(session().objects).find((c) => c.name === 'jobmanager');
    assert.deepEqual(sessionJobManager?.readinessProbe?.httpGet, { path: '/config', port: 8081 });
  });

  it('points every Flink container at the mounted config through FLINK_CONF_DIR', () => {
    for (const { objects } of builds.map((build) => build())) {
      for (const container of containers(objects)) {
        const confDir = container.env?.find((e) => e.name === 'FLINK_CONF_DIR')?.value;
        assert.equal(confDir, '/opt/flink/fleet-conf', container.name);
        assert.ok(container.volumeMounts?.some((m) => m.mountPath === confDir && m.readOnly), container.name);
      }
    }
  });

  it('reads secretEnv from Secret references in the JobManager and TaskManager, never their values', () => {
    const { objects } = application(jarConnection('globex', 'kafka', { secretEnv: [{ env: 'KAFKA_PASSWORD', secretName: 'kafka', key: 'password' }] }));
    for (const container of containers(objects)) {
      const env = container.env?.find((e) => e.name === 'KAFKA_PASSWORD');
      assert.deepEqual(env?.valueFrom?.secretKeyRef, { name: 'kafka', key: 'password' }, container.name);
      assert.equal(env?.value, undefined);
    }
  });

  it('points S3 at a non-AWS endpoint path-style and hands out its credentials only through the tenant\'s Secret', () => {
    const credentials = { accessKeyId: 'tenant-key', secretAccessKey: 'tenant-secret' };
    const { objects } = application(sqlPipeline('acme', 'orders'), { endpoint: 'http://192.0.2.9:7070', credentials });
    const config = (objects.find((o) => o.kind === 'ConfigMap') as V1ConfigMap).data?.['config.yaml'] ?? '';
    assert.match(config, /s3\.endpoint: .*192\.0\.2\.9:7070/);
    assert.match(config, /s3\.path\.style\.access: true/);
    assert.doesNotMatch(JSON.stringify(objects), /tenant-secret|tenant-key/);
    for (const container of containers(objects)) assert.deepEqual(container.envFrom, [{ secretRef: { name: STORAGE_SECRET } }], container.name);
    const secret = storageSecret('flink-fleet-acme', 'acme', credentials);
    assert.deepEqual(secret.stringData, { AWS_ACCESS_KEY_ID: 'tenant-key', AWS_SECRET_ACCESS_KEY: 'tenant-secret' });
    assert.equal(secret.metadata?.labels?.[TENANT], 'acme');
  });

  it('puts every pod of either kind of cluster on the configured nodes, pool TaskManagers included', () => {
    const nodes = { nodeSelector: { pool: 'flink' }, tolerations: [{ key: 'pool', operator: 'Equal', value: 'flink', effect: 'NoSchedule' }] };
    const app = identity('acme', 'orders');
    const appObjects = Object.values(applicationClusterObjects(app, sqlPipeline('acme', 'orders'), { ...placement, nodes })).flat();
    const sessionId = identity('acme', 'previews');
    const { root, dependents } = sessionClusterObjects(sessionId, sessionCluster('acme', 'previews'), { ...placement, nodes });
    const template = poolTaskManagerTemplate(root);
    assert.ok(template);
    const specs = podSpecs([...appObjects, ...dependents, poolTaskManagerPod(sessionId, template, 'tm-1', nodes)]);
    assert.equal(specs.length, 5);
    for (const spec of specs) {
      assert.deepEqual(spec.nodeSelector, nodes.nodeSelector);
      assert.deepEqual(spec.tolerations, nodes.tolerations);
    }
    assert.deepEqual(podSpecs(application(sqlPipeline('acme', 'orders')).objects).map((spec) => spec.nodeSelector), [undefined, undefined]);
  });

  it('runs every pod of either kind of cluster under the plan\'s RuntimeClass, pool TaskManagers included, and names none without one', () => {
    const nodes = { runtimeClassName: 'gvisor' };
    const app = identity('globex', 'kafka');
    const appObjects = Object.values(applicationClusterObjects(app, jarConnection('globex', 'kafka'), { ...placement, nodes })).flat();
    const sessionId = identity('globex', 'previews');
    const { root, dependents } = sessionClusterObjects(sessionId, sessionCluster('globex', 'previews'), { ...placement, nodes });
    const template = poolTaskManagerTemplate(root);
    assert.ok(template);
    const specs = podSpecs([...appObjects, ...dependents, poolTaskManagerPod(sessionId, template, 'tm-1', nodes)]);
    assert.deepEqual(specs.map((spec) => spec.runtimeClassName), ['gvisor', 'gvisor', 'gvisor', 'gvisor', 'gvisor']);
    assert.deepEqual(podSpecs(application(jarConnection('globex', 'kafka')).objects).map((spec) => 'runtimeClassName' in spec), [false, false]);
  });

  it('has a jar connection\'s JobManager run the checked copy of its jar, used in place, and fetch nothing itself', () => {
    const jobManager = containers(application(jarConnection('globex', 'kafka')).objects).find((c) => c.name === 'jobmanager');
    assert.deepEqual(jobManager?.args?.slice(4), ['--jars', `local:///opt/flink/fleet-jar/${'ab'.repeat(32)}.jar`,
      '--job-classname', 'com.example.Connector', '--topic', 'orders']);
  });

  it('opens a pipeline\'s declared endpoints to its own pods only, under the tenant wall, and adds no policy without the wall or a declaration', () => {
    const spec = { ...sqlPipeline('acme', 'orders'), egress: [{ cidr: '203.0.113.7/32', port: 9092 }, { cidr: '198.51.100.0/24', port: 5432 }] };
    const id = identity('acme', 'orders');
    const policiesOf = (objects: KubernetesObject[]): V1NetworkPolicy[] => objects.filter((o): o is V1NetworkPolicy => o.kind === 'NetworkPolicy' && o.metadata?.name === `${id.cluster}--egress`);
    const walled = applicationClusterObjects(id, spec, { ...placement, walled: true });
    const [policy] = policiesOf(walled.dependents);
    assert.deepEqual(JSON.parse(JSON.stringify(policy?.spec)) as unknown, {
      podSelector: { matchLabels: { [CLUSTER]: id.cluster } }, policyTypes: ['Egress'],
      egress: [
        { to: [{ ipBlock: { cidr: '203.0.113.7/32' } }], ports: [{ protocol: 'TCP', port: 9092 }] },
        { to: [{ ipBlock: { cidr: '198.51.100.0/24' } }], ports: [{ protocol: 'TCP', port: 5432 }] },
      ],
    });
    assert.equal(policy?.metadata?.labels?.[CLUSTER], id.cluster, 'deleted with the cluster, by its labels');
    assert.deepEqual(policiesOf(applicationClusterObjects(id, spec, placement).dependents), [], 'without the wall its pods reach anywhere already');
    assert.deepEqual(policiesOf(applicationClusterObjects(id, sqlPipeline('acme', 'orders'), { ...placement, walled: true }).dependents), [], 'nothing declared, nothing opened');
  });

  it('gives pods no storage Secret when the fleet hands out no credentials (their own identity answers)', () => {
    const { objects } = application(sqlPipeline('acme', 'orders'), { endpoint: 'http://192.0.2.9:7070' });
    for (const container of containers(objects)) assert.equal(container.envFrom, undefined, container.name);
    const plain = (application(sqlPipeline('acme', 'orders')).objects.find((o) => o.kind === 'ConfigMap') as V1ConfigMap).data?.['config.yaml'] ?? '';
    assert.doesNotMatch(plain, /s3\.endpoint/);
  });

  it('makes a pool TaskManager a bare single-slot pod, labelled idle, named by its Flink resource id', () => {
    const { objects } = session();
    const pod = objects.find((o) => o.kind === 'Pod') as { metadata: { name: string; labels: Record<string, string> }; spec: V1PodSpec };
    assert.equal(pod.metadata.name, 'tm-1f2e3d');
    assert.equal(pod.metadata.labels['flink-fleet/pool'], 'idle');
    assert.equal(pod.spec.restartPolicy, 'Never');
    assert.ok(pod.spec.containers[0]?.args?.includes('-Dtaskmanager.resource-id=$(POD_NAME)'));
    assert.equal(flinkOption(objects[0] as V1ConfigMap, 'taskmanager.numberOfTaskSlots'), '1');
  });

  describe('local disk (ephemeral storage)', () => {
    const disk = (objects: readonly KubernetesObject[]) => containers(objects).map((c) => [c.name, c.resources?.limits?.['ephemeral-storage']]);

    it('gives each Flink role its default when the spec names none: 2 GiB to a JobManager or gateway, 4 GiB to a TaskManager', () => {
      assert.deepEqual(disk(application(sqlPipeline('acme', 'orders')).objects), [['jobmanager', '2048Mi'], ['taskmanager', '4096Mi']]);
      assert.deepEqual(disk(session().objects), [['jobmanager', '2048Mi'], ['gateway', '2048Mi'], ['taskmanager', '4096Mi']]);
    });

    it('takes the spec\'s own, pool TaskManagers included (through the template their session cluster records)', () => {
      const spec = sqlPipeline('acme', 'orders', { jobManager: { cpu: 1, memoryMb: 1024, ephemeralStorageMb: 1024 },
        taskManager: { cpu: 1, memoryMb: 1024, ephemeralStorageMb: 20_480 } });
      assert.deepEqual(disk(application(spec).objects), [['jobmanager', '1024Mi'], ['taskmanager', '20480Mi']]);
      const id = identity('acme', 'previews');
      const { root } = sessionClusterObjects(id, { ...sessionCluster('acme', 'previews'), taskManager: { cpu: 1, memoryMb: 1024, ephemeralStorageMb: 8192 } }, placement);
      const template = poolTaskManagerTemplate(root);
      assert.ok(template);
      assert.deepEqual(disk([poolTaskManagerPod(id, template, 'tm-1')]), [['taskmanager', '8192Mi']]);
    });

    it('puts the tenant plan\'s disk in its quota (requests and limits) and its LimitRange (largest container, default)', () => {
      const plan = { ...DEFAULT_TENANT_PLAN, ephemeralStorageMb: 10_240, maxContainer: { ...DEFAULT_TENANT_PLAN.maxContainer, ephemeralStorageMb: 5120 },
        defaultContainerEphemeralStorageMb: 256 };
      const hard = tenantQuota('flink-fleet-acme', 'acme', plan).spec?.hard ?? {};
      assert.deepEqual([hard['requests.ephemeral-storage'], hard['limits.ephemeral-storage']], ['10240Mi', '10240Mi']);
      const [limits] = tenantLimitRange('flink-fleet-acme', 'acme', plan).spec?.limits ?? [];
      assert.deepEqual([limits?.max?.['ephemeral-storage'], limits?._default?.['ephemeral-storage'], limits?.defaultRequest?.['ephemeral-storage']],
        ['5120Mi', '256Mi', '256Mi']);
    });
  });

  describe('tenant egress', () => {
    const egress = { dns: [CLUSTER_DNS_PODS], apiServer: [{ cidr: '10.0.0.1/32', port: 6443 }, { cidr: '10.96.0.1/32', port: 443 }],
      objectStorage: [{ cidr: '192.0.2.10/32', port: 9000 }] };

    it('denies every pod of the namespace all egress except its own namespace, DNS on port 53, the API server and object storage', () => {
      const policy = JSON.parse(JSON.stringify(restrictEgress('flink-fleet-acme', 'acme', egress))) as V1NetworkPolicy;
      assert.equal(policy.metadata?.namespace, 'flink-fleet-acme');
      assert.equal(policy.metadata?.labels?.[TENANT], 'acme');
      assert.deepEqual(policy.spec?.podSelector, {});
      assert.deepEqual(policy.spec?.policyTypes, ['Egress']);
      assert.deepEqual(policy.spec?.egress, [
        { to: [{ podSelector: {} }] },
        { to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }],
          ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }] },
        { to: [{ ipBlock: { cidr: '10.0.0.1/32' } }], ports: [{ protocol: 'TCP', port: 6443 }] },
        { to: [{ ipBlock: { cidr: '10.96.0.1/32' } }], ports: [{ protocol: 'TCP', port: 443 }] },
        { to: [{ ipBlock: { cidr: '192.0.2.10/32' } }], ports: [{ protocol: 'TCP', port: 9000 }] },
      ]);
    });

    it('is part of the guard rails only when the fleet was told the cluster\'s addresses', () => {
      const kinds = (objects: readonly KubernetesObject[]) => objects.map((o) => `${o.kind}/${o.metadata?.name}`);
      const without = kinds(tenantGuardRails('flink-fleet-acme', 'acme', DEFAULT_TENANT_PLAN, 'flink-fleet'));
      assert.deepEqual(kinds(tenantGuardRails('flink-fleet-acme', 'acme', DEFAULT_TENANT_PLAN, 'flink-fleet', egress)),
        [...without, 'NetworkPolicy/flink-fleet-egress']);
      assert.ok(!without.includes('NetworkPolicy/flink-fleet-egress'), without.join(' '));
    });
  });
});
