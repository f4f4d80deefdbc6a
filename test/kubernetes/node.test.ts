import assert from 'node:assert/strict';
import { CoreV1Api, type V1Container, type V1ContainerStateTerminated, type V1Pod } from '@kubernetes/client-node';
import { diskEviction } from '../../activities/runtime/kubernetes/observe';
import { waitUntil } from '../../activities/runtime/local/wait';
import { KUBERNETES_SERVICE_IP } from '../../client/dev/kubernetes-control-plane';
import { ON_REAL_NODE, REAL_NODE, type KubernetesWithRealNode } from '../../client/dev/kubernetes-node';
import { flinkImage } from '../../scripts/install/images/flink-image';
import { pauseImage } from '../../scripts/install/images/pause';
import { toolchain } from '../../scripts/toolchain';
import { kubernetesTestBedWithImage } from '../harness/global';

const MANAGED_BY = { 'app.kubernetes.io/managed-by': 'flink-fleet' };
/** Generous: two cores shared with other builds, and a JVM to start. */
const WAIT = { timeoutMs: 180_000, intervalMs: 500 };

function realPod(name: string, container: Omit<V1Container, 'name'>, labels: Record<string, string> = {}): V1Pod {
  return {
    metadata: { name, labels: { ...MANAGED_BY, app: name, ...labels } },
    spec: { ...ON_REAL_NODE, restartPolicy: 'Never', terminationGracePeriodSeconds: 1,
      containers: [{ name: 'main', imagePullPolicy: 'Never', ...container }] },
  };
}

/** A bash script in the Flink image: the entrypoint runs any command it does not know as the flink user. */
function script(lines: string[], memory = '128Mi'): Omit<V1Container, 'name'> {
  return { image: flinkImage(toolchain()).reference, args: ['bash', '-c', lines.join('\n')],
    resources: { requests: { cpu: '100m', memory }, limits: { cpu: '500m', memory } } };
}

describe('the real node of the Kubernetes test bed', () => {
  let k8s: KubernetesWithRealNode;
  let core: CoreV1Api;
  let namespace: string;

  before(async () => {
    k8s = await kubernetesTestBedWithImage(flinkImage(toolchain()));
    core = k8s.kubeConfig.makeApiClient(CoreV1Api);
    namespace = await k8s.createTestNamespace('node');
  });

  after(async () => {
    await core?.deleteNamespace({ name: namespace });
  });

  async function phase(name: string, wanted: readonly string[]): Promise<V1Pod> {
    return waitUntil(`pod ${namespace}/${name} ${wanted.join(' or ')}`, async () => {
      const pod = await core.readNamespacedPod({ name, namespace });
      return wanted.includes(pod.status?.phase ?? '') ? pod : undefined;
    }, WAIT);
  }

  async function terminated(name: string): Promise<V1ContainerStateTerminated> {
    return waitUntil(`container of ${namespace}/${name} terminated`, async () => {
      const pod = await core.readNamespacedPod({ name, namespace });
      return pod.status?.containerStatuses?.[0]?.state?.terminated;
    }, WAIT);
  }

  it('runs a pod that selects the real node there, and only there', async () => {
    const pause = pauseImage(toolchain()).reference;
    await core.createNamespacedPod({ namespace, body: realPod('pause', { image: pause,
      resources: { requests: { cpu: '10m', memory: '16Mi' }, limits: { cpu: '10m', memory: '16Mi' } } }) });
    const pod = await phase('pause', ['Running']);
    assert.equal(pod.spec?.nodeName, REAL_NODE);
    assert.match(pod.status?.podIP ?? '', /^10\.244\.0\.\d+$/);
    assert.equal(pod.status?.containerStatuses?.[0]?.ready, true);
  });

  it('runs a Flink JobManager whose REST API another pod reaches by its Service name through cluster DNS', async () => {
    await core.createNamespacedPod({ namespace, body: realPod('jobmanager', {
      image: flinkImage(toolchain()).reference, args: ['jobmanager'],
      env: [{ name: 'FLINK_PROPERTIES', value: 'jobmanager.rpc.address: flink\njobmanager.memory.process.size: 700m' }],
      resources: { requests: { cpu: '200m', memory: '768Mi' }, limits: { cpu: '1', memory: '768Mi' } },
    }, { component: 'jobmanager' }) });
    const service = await core.createNamespacedService({ namespace, body: { metadata: { name: 'flink', labels: MANAGED_BY },
      spec: { selector: { component: 'jobmanager' }, ports: [{ name: 'rest', port: 8081 }] } } });
    const jobManager = await phase('jobmanager', ['Running']);
    assert.equal(jobManager.spec?.nodeName, REAL_NODE);
    // One line per fact, read back from the pod's log through the apiserver and the kubelet.
    await core.createNamespacedPod({ namespace, body: realPod('client', script([
      'echo "resolved $(getent hosts flink | cut -d" " -f1)"',
      'for i in $(seq 1 120); do',
      '  if { exec 3<>/dev/tcp/flink/8081; } 2>/dev/null; then',
      '    printf "GET /config HTTP/1.0\\r\\nHost: flink\\r\\n\\r\\n" >&3',
      '    answer=$(cat <&3); exec 3<&-',
      '    case "$answer" in *flink-version*) echo "rest $(printf "%s" "$answer" | tail -n 1)"; break;; esac',
      '  fi',
      '  sleep 1',
      'done',
    ])) });
    const client = await terminated('client');
    const log = await core.readNamespacedPodLog({ name: 'client', namespace });
    assert.equal(client.exitCode, 0, log);
    assert.match(log, new RegExp(`^resolved ${service.spec?.clusterIP?.replaceAll('.', '\\.')}$`, 'm'));
    assert.match(log, /^rest \{.*"flink-version":"2\.3\.0"/m);
  });

  it('lets a pod reach the apiserver through the kubernetes Service, by ClusterIP and by name', async () => {
    await core.createNamespacedPod({ namespace, body: realPod('apiserver-client', script([
      'echo "resolved $(getent hosts kubernetes.default.svc.cluster.local | cut -d" " -f1)"',
      `exec 3<>/dev/tcp/${KUBERNETES_SERVICE_IP}/443 && echo "connected to ${KUBERNETES_SERVICE_IP}:443"`,
    ])) });
    const client = await terminated('apiserver-client');
    const log = await core.readNamespacedPodLog({ name: 'apiserver-client', namespace });
    assert.equal(client.exitCode, 0, log);
    assert.match(log, new RegExp(`^resolved ${KUBERNETES_SERVICE_IP.replaceAll('.', '\\.')}$`, 'm'));
    assert.match(log, new RegExp(`^connected to ${KUBERNETES_SERVICE_IP.replaceAll('.', '\\.')}:443$`, 'm'));
  });

  it('OOM-kills a container that allocates beyond its memory limit', async () => {
    // tail keeps the last line, and 512 MiB of zeros is one line: far beyond the 64 MiB limit.
    await core.createNamespacedPod({ namespace, body: realPod('hog', script(['head -c 512M /dev/zero | tail > /dev/null'], '64Mi')) });
    const hog = await terminated('hog');
    assert.equal(hog.reason, 'OOMKilled');
    assert.equal(hog.exitCode, 137);
  });

  it('evicts a pod that writes past its ephemeral-storage limit, in the words the runtime reads as DiskExceeded', async () => {
    const body = realPod('hoarder', { ...script(['head -c 200M /dev/zero > /tmp/fill', 'sleep 300']),
      resources: { requests: { cpu: '100m', memory: '64Mi', 'ephemeral-storage': '50Mi' }, limits: { cpu: '500m', memory: '64Mi', 'ephemeral-storage': '50Mi' } } },
    { 'flink-fleet/component': 'taskmanager' });
    await core.createNamespacedPod({ namespace, body });
    // The kubelet's eviction manager looks every 10 s; the pod stays, Failed, for its owner to see.
    const evicted = await phase('hoarder', ['Failed']);
    assert.equal(evicted.status?.reason, 'Evicted');
    assert.equal(diskEviction(evicted), 'taskmanager pod hoarder was evicted: Pod ephemeral local storage usage exceeds the total limit of containers 50Mi.');
  });
});
