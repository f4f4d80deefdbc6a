import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  AdmissionregistrationV1Api, ApiException, AppsV1Api, CoreV1Api, RbacAuthorizationV1Api, type V1Pod,
} from '@kubernetes/client-node';
import { clusterName } from '../../activities/names';
import { CLUSTER } from '../../activities/runtime/kubernetes/manifests/labels';
import { waitUntil } from '../../activities/runtime/local/wait';
import { FleetClient } from '../../client/fleet-client';
import { ON_REAL_NODE, type KubernetesWithRealNode } from '../../client/dev/kubernetes-node';
import type { S3Gateway } from '../../client/dev/s3-gateway';
import { flinkImage } from '../../scripts/install/images/flink-image';
import { workerImage } from '../../scripts/install/images/worker-image';
import { CHART_DIR } from '../../scripts/plain-manifests';
import { toolchain } from '../../scripts/toolchain';
import { janitorScheduleId } from '../../workflows/janitor/types';
import { pipelineWorkflowId } from '../../workflows/pipeline/spec';
import { helm } from '../deploy/chart';
import { kubernetesTestBedWithImage, temporalTestBed } from '../harness/global';
import { completedActivitiesOf } from '../harness/history';
import { startRealNodeFlink } from '../harness/real-node-flink';
import { newStateDir } from '../harness/state';
import { startTcpForwarder, type TcpForwarder } from '../harness/tcp-forwarder';
import { sqlPipeline } from '../pipeline/fixtures';

/** Two cores in all: the worker, a JobManager and a TaskManager share them with the control plane. */
const SMALL = { jobManager: { cpu: 0.5, memoryMb: 1024 }, taskManager: { cpu: 0.5, memoryMb: 1024 } };
const CODEC_SECRET = 'flink-fleet-codec-keys';
const S3_SECRET = 'fleet-s3';

const gone = (error: unknown): boolean => error instanceof ApiException && error.code === 404;

/**
 * The chart as an operator installs it, with the worker image (scripts/install/images/worker-image.ts)
 * on the real node: the worker in its pod, on the kubernetes runtime with its ServiceAccount and the
 * chart's RBAC, Temporal through a forwarder on the node's address, state on the test bed's S3
 * gateway. No worker runs in the test process: whatever runs the pipeline is the pod.
 */
describe('the Helm chart on the real node: the worker runs in its pod', function () {
  this.timeout(900_000);
  const suffix = randomBytes(3).toString('hex');
  const release = `fleet-pod-${suffix}`;
  const namespace = `fleet-pod-${suffix}`;
  const taskQueue = `worker-pod-${suffix}`;
  const tenant = `wp${Date.now().toString(36)}`;
  let k8s: KubernetesWithRealNode;
  let s3: S3Gateway | undefined;
  let forwarder: TcpForwarder | undefined;
  let client: FleetClient;
  let uninstalled = false;
  let kubeconfig: string;

  before(async () => {
    ({ k8s, s3 } = await startRealNodeFlink());
    await kubernetesTestBedWithImage(workerImage(toolchain()));
    kubeconfig = `--kubeconfig=${k8s.kubeconfigPath}`;
    const { env, server } = temporalTestBed();
    forwarder = await startTcpForwarder(k8s.node.address, server.address);
    client = new FleetClient(env.client, taskQueue);

    const image = workerImage(toolchain()).reference;
    const values = {
      namespace: { name: namespace },
      image: { repository: image.slice(0, image.lastIndexOf(':')), tag: image.slice(image.lastIndexOf(':') + 1), pullPolicy: 'Never' },
      replicas: 1,
      temporal: { address: forwarder.address, namespace: env.namespace ?? 'default', taskQueue },
      storage: { uri: `s3://fleet/${suffix}`, s3Endpoint: s3.endpoint, credentialsSecret: S3_SECRET, tenantAccounts: 'versity' },
      flinkImage: flinkImage(toolchain()).reference,
      podPlacement: ON_REAL_NODE,
      workerPlacement: ON_REAL_NODE,
      resources: { requests: { cpu: '250m', memory: '768Mi' }, limits: { cpu: '1', memory: '1536Mi' } },
    };
    const valuesFile = join(newStateDir('worker-pod'), 'values.json');
    writeFileSync(valuesFile, JSON.stringify(values));
    const install = helm(['install', release, CHART_DIR, kubeconfig, '--namespace=default', `--values=${valuesFile}`]);
    assert.equal(install.status, 0, install.stderr);
    // The Secrets the chart names and never holds, made as an operator would once its namespace exists.
    const core = k8s.kubeConfig.makeApiClient(CoreV1Api);
    await core.createNamespacedSecret({ namespace, body: { metadata: { name: CODEC_SECRET }, stringData: { keys: readFileSync(temporalTestBed().codecKeyFile, 'utf8') } } });
    await core.createNamespacedSecret({ namespace, body: {
      metadata: { name: S3_SECRET }, stringData: { 'access-key-id': s3.root.accessKeyId, 'secret-access-key': s3.root.secretAccessKey },
    } });
  });

  after(async () => {
    if (!uninstalled && kubeconfig) helm(['uninstall', release, kubeconfig, '--namespace=default', '--wait', '--timeout=2m']);
    const { env } = temporalTestBed();
    await env.client.workflow.getHandle(pipelineWorkflowId(tenant, 'orders')).terminate('test over').catch(() => undefined);
    await env.client.schedule.getHandle(janitorScheduleId(taskQueue)).delete().catch(() => undefined);
    await forwarder?.close();
    await s3?.stop();
  });

  async function workerPod(): Promise<V1Pod> {
    const core = k8s.kubeConfig.makeApiClient(CoreV1Api);
    return waitUntil('the worker pod to be Ready', async () => {
      const [pod] = (await core.listNamespacedPod({ namespace, labelSelector: 'app.kubernetes.io/name=flink-fleet-worker' })).items;
      const status = pod?.status?.containerStatuses?.[0];
      if (status && status.restartCount > 0) {
        const log = await core.readNamespacedPodLog({ name: pod?.metadata?.name ?? '', namespace, previous: true }).catch(String);
        throw new Error(`the worker restarted (${status.lastState?.terminated?.reason ?? '?'}): ${log.slice(-2_000)}`);
      }
      return pod?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? pod : undefined;
    }, { timeoutMs: 300_000, intervalMs: 1_000 });
  }

  it('becomes Ready on the real node and runs a pipeline started through FleetClient to Running on that node, and stops it', async () => {
    const pod = await workerPod();
    const podName = pod.metadata?.name ?? '';
    assert.equal(pod.spec?.nodeName, k8s.node.name);

    await client.startPipeline(sqlPipeline(tenant, 'orders', SMALL));
    const status = await waitUntil('orders to run', async () => {
      const current = await client.getPipeline(tenant, 'orders');
      if (current.phase === 'Failed' || current.phase === 'Stopped') throw new Error(`orders ended: ${current.failure ?? current.phase}`);
      return current.phase === 'Running' ? current : undefined;
    }, { timeoutMs: 600_000, intervalMs: 1_000 });
    assert.ok(status.jobId);
    const core = k8s.kubeConfig.makeApiClient(CoreV1Api);
    const flinkPods = (await core.listPodForAllNamespaces({ labelSelector: `${CLUSTER}=${clusterName(tenant, 'orders')}` })).items;
    assert.ok(flinkPods.length >= 2, `a JobManager and a TaskManager, not ${flinkPods.map((p) => p.metadata?.name).join(', ')}`);
    assert.deepEqual(flinkPods.map((p) => p.spec?.nodeName), flinkPods.map(() => k8s.node.name));

    const result = await client.stopPipeline(tenant, 'orders', { savepoint: false, drain: false, wait: true });
    assert.equal(result?.finalState, 'Stopped');
    // The SDK's identity is <pid>@<hostname>, and a pod's hostname is its name: every activity ran in the pod.
    const activities = await completedActivitiesOf(temporalTestBed().env.client.workflow.getHandle(pipelineWorkflowId(tenant, 'orders')));
    assert.ok(activities.length > 0);
    assert.deepEqual(activities.filter((a) => !a.completedBy.endsWith(`@${podName}`)), []);
    const tenantNamespace = flinkPods[0]?.metadata?.namespace ?? '';
    await k8s.assertNoManagedObjectsLeft([tenantNamespace], { selector: CLUSTER, graceMs: 120_000 });
  });

  it('uninstalls leaving none of its objects', async () => {
    const uninstall = helm(['uninstall', release, kubeconfig, '--namespace=default', '--wait', '--timeout=2m']);
    uninstalled = true;
    assert.equal(uninstall.status, 0, uninstall.stderr);
    const rbac = k8s.kubeConfig.makeApiClient(RbacAuthorizationV1Api);
    const admission = k8s.kubeConfig.makeApiClient(AdmissionregistrationV1Api);
    await assert.rejects(rbac.readClusterRole({ name: 'flink-fleet-worker' }), gone);
    await assert.rejects(rbac.readClusterRoleBinding({ name: 'flink-fleet-worker' }), gone);
    await assert.rejects(admission.readValidatingAdmissionPolicy({ name: 'flink-fleet-worker-scope' }), gone);
    await assert.rejects(admission.readValidatingAdmissionPolicyBinding({ name: 'flink-fleet-worker-scope' }), gone);
    await assert.rejects(k8s.kubeConfig.makeApiClient(AppsV1Api).readNamespacedDeployment({ name: 'flink-fleet-worker', namespace }), gone);
    const left = await k8s.kubeConfig.makeApiClient(CoreV1Api).readNamespace({ name: namespace }).catch((error: unknown) => (gone(error) ? undefined : Promise.reject(error)));
    assert.ok(left === undefined || left.metadata?.deletionTimestamp !== undefined, 'the namespace is gone or going');
  });
});
