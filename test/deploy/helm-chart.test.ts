import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KubernetesObject, V1ClusterRoleBinding, V1ConfigMap, V1Deployment, V1Service } from '@kubernetes/client-node';
import { CHART_DIR, plainManifestFiles, PLAIN_MANIFESTS_DIR, renderPlainManifests } from '../../scripts/plain-manifests';
import { helmBinary } from '../../scripts/install/helm';
import { toolchain } from '../../scripts/toolchain';
import { newCodecKey } from '../../client/codec/keys';
import { WORKFLOW_BUNDLE_PATH } from '../../scripts/install/images/worker-recipe';
import { parseWorkerConfig } from '../../worker/config';
import { helm, objectOf, renderChart, templateArgs } from './chart';

type ServiceMonitor = KubernetesObject & { spec: { selector: { matchLabels: Record<string, string> }; endpoints: Array<{ port: string; path: string }> } };

/** loadAllYaml builds the client's model classes; a plain object compares by value only. */
function plain(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value)) as unknown;
}

function workerContainer(objects: readonly KubernetesObject[]) {
  const container = objectOf<V1Deployment>(objects, 'Deployment', 'flink-fleet-worker').spec?.template.spec?.containers[0];
  assert.ok(container);
  return container;
}

describe('the Helm chart deploy/helm/flink-fleet', () => {
  it('passes helm lint, warnings included', () => {
    const lint = helm(['lint', '--strict', CHART_DIR]);
    assert.equal(lint.status, 0, lint.stdout + lint.stderr);
    assert.match(lint.stdout, /1 chart\(s\) linted, 0 chart\(s\) failed/);
  });

  it('is what deploy/*.yaml hold: the plain manifests are its rendering with default values', () => {
    const rendered = renderPlainManifests(helmBinary(toolchain()));
    assert.deepEqual(plainManifestFiles(), [...rendered.keys()], 'deploy/ holds one file per template, no more: run npm run deploy:manifests');
    for (const [file, text] of rendered) {
      assert.equal(readFileSync(join(PLAIN_MANIFESTS_DIR, file), 'utf8'), text, `deploy/${file} is not the chart's rendering: run npm run deploy:manifests`);
    }
  });

  it('puts replicas, resources, the codec key Secret\'s name and the namespace where the worker reads them', () => {
    const { objects } = renderChart({
      replicas: '3', 'resources.limits.memory': '3Gi', 'resources.requests.cpu': '750m',
      'codecKeys.secretName': 'payload-keys', 'codecKeys.key': 'ring', 'namespace.name': 'fleet-ops', 'metrics.port': '9100',
    });
    const deployment = objectOf<V1Deployment>(objects, 'Deployment', 'flink-fleet-worker');
    assert.equal(deployment.spec?.replicas, 3);
    const container = workerContainer(objects);
    assert.deepEqual(plain(container.resources), { requests: { cpu: '750m', memory: '1Gi' }, limits: { cpu: '1', memory: '3Gi' } });
    assert.deepEqual(plain(deployment.spec?.template.spec?.volumes?.find((volume) => volume.name === 'codec-keys')?.secret),
      { secretName: 'payload-keys', defaultMode: 0o440 });
    assert.deepEqual(plain(container.ports), [{ name: 'metrics', containerPort: 9100 }]);
    const config = objectOf<V1ConfigMap>(objects, 'ConfigMap', 'flink-fleet-worker').data;
    assert.deepEqual([config?.FLEET_CODEC_KEY_FILE, config?.FLEET_WORKER_NAMESPACE, config?.FLEET_METRICS_PORT, config?.FLEET_METRICS_HOST],
      ['/etc/flink-fleet/codec/ring', 'fleet-ops', '9100', '0.0.0.0']);
    // Every namespaced object moves, and the cluster-wide grants follow the ServiceAccount there.
    const namespaced = objects.filter((object) => object.metadata?.namespace !== undefined);
    assert.deepEqual([...new Set(namespaced.map((object) => object.metadata?.namespace))], ['fleet-ops']);
    assert.deepEqual(plain(objectOf<V1ClusterRoleBinding>(objects, 'ClusterRoleBinding', 'flink-fleet-worker').subjects),
      [{ kind: 'ServiceAccount', name: 'flink-fleet-worker', namespace: 'fleet-ops' }]);
    const policy = objectOf<KubernetesObject & { spec: { matchConditions: Array<{ expression: string }> } }>(objects, 'ValidatingAdmissionPolicy', 'flink-fleet-worker-scope');
    assert.deepEqual(policy.spec.matchConditions.map((condition) => condition.expression),
      ["request.userInfo.username == 'system:serviceaccount:fleet-ops:flink-fleet-worker'"]);
  });

  it('points the worker at the workflow bundle both images carry, and lets it bundle at start when workflowBundle is empty', () => {
    const configOf = (values?: Record<string, string>) => objectOf<V1ConfigMap>(renderChart(values).objects, 'ConfigMap', 'flink-fleet-worker').data ?? {};
    assert.equal(configOf().FLEET_WORKFLOW_BUNDLE, WORKFLOW_BUNDLE_PATH);
    assert.ok(!('FLEET_WORKFLOW_BUNDLE' in configOf({ workflowBundle: '' })));
  });

  it('places the worker\'s own pods by workerPlacement, apart from the Flink pods\' podPlacement, and anywhere by default', () => {
    const { objects } = renderChart({ 'workerPlacement.nodeSelector.pool': 'control', 'workerPlacement.tolerations[0].key': 'dedicated',
      'workerPlacement.tolerations[0].operator': 'Exists', 'podPlacement.nodeSelector.pool': 'flink' });
    const pod = objectOf<V1Deployment>(objects, 'Deployment', 'flink-fleet-worker').spec?.template.spec;
    assert.deepEqual(plain(pod?.nodeSelector), { pool: 'control' });
    assert.deepEqual(plain(pod?.tolerations), [{ key: 'dedicated', operator: 'Exists' }]);
    assert.equal(objectOf<V1ConfigMap>(objects, 'ConfigMap', 'flink-fleet-worker').data?.FLEET_POD_PLACEMENT, '{"nodeSelector":{"pool":"flink"}}');
    const byDefault = objectOf<V1Deployment>(renderChart().objects, 'Deployment', 'flink-fleet-worker').spec?.template.spec;
    assert.deepEqual([byDefault?.nodeSelector, byDefault?.tolerations], [undefined, undefined]);
  });

  it('hands tenants\' egress to the worker as the JSON it parses, and refuses an endpoint without an address range', () => {
    const { objects } = renderChart({ 'tenantEgress.dns[0].ipBlock.cidr': '10.96.0.10/32', 'tenantEgress.apiServer[0].cidr': '10.0.0.1/32',
      'tenantEgress.apiServer[0].port': '6443', 'tenantEgress.objectStorage[0].cidr': '192.0.2.0/24', 'tenantEgress.objectStorage[0].port': '443' });
    const config = objectOf<V1ConfigMap>(objects, 'ConfigMap', 'flink-fleet-worker').data ?? {};
    // The key ring comes from a mounted file in the pod, the workflow bundle from the image; here the keys are given inline.
    assert.deepEqual(parseWorkerConfig({ ...config, FLEET_CODEC_KEY_FILE: undefined, FLEET_WORKFLOW_BUNDLE: undefined, FLEET_CODEC_KEYS: newCodecKey('k1'), KUBERNETES_SERVICE_HOST: '10.96.0.1' }).FLEET_TENANT_EGRESS, {
      dns: [{ ipBlock: { cidr: '10.96.0.10/32' } }], apiServer: [{ cidr: '10.0.0.1/32', port: 6443 }], objectStorage: [{ cidr: '192.0.2.0/24', port: 443 }] });
    assert.equal(objectOf<V1ConfigMap>(renderChart().objects, 'ConfigMap', 'flink-fleet-worker').data?.FLEET_TENANT_EGRESS, undefined);
    const refused = helm(templateArgs({ 'tenantEgress.apiServer[0].port': '6443' }));
    assert.notEqual(refused.status, 0);
    assert.match(refused.stderr, /at '\/tenantEgress\/apiServer\/0': missing property 'cidr'/);
  });

  it('hands the tenant plan to the worker as the JSON it parses, and refuses a bandwidth that is not whole Mbit/s', () => {
    const { objects } = renderChart({ 'tenantPlan.podBandwidth.ingressMbit': '100', 'tenantPlan.podBandwidth.egressMbit': '50', 'tenantPlan.runtimeClassName': 'gvisor' });
    const config = objectOf<V1ConfigMap>(objects, 'ConfigMap', 'flink-fleet-worker').data ?? {};
    assert.deepEqual(parseWorkerConfig({ ...config, FLEET_CODEC_KEY_FILE: undefined, FLEET_WORKFLOW_BUNDLE: undefined, FLEET_CODEC_KEYS: newCodecKey('k1'), KUBERNETES_SERVICE_HOST: '10.96.0.1' }).FLEET_TENANT_PLAN,
      { podBandwidth: { ingressMbit: 100, egressMbit: 50 }, runtimeClassName: 'gvisor' });
    assert.equal(objectOf<V1ConfigMap>(renderChart().objects, 'ConfigMap', 'flink-fleet-worker').data?.FLEET_TENANT_PLAN, undefined);
    const refused = helm(templateArgs({ 'tenantPlan.podBandwidth.ingressMbit': '1.5', 'tenantPlan.podBandwidth.egressMbit': '50' }));
    assert.notEqual(refused.status, 0);
    assert.match(refused.stderr, /tenantPlan\/podBandwidth\/ingressMbit/);
  });

  it('hands the worker its sizing, janitor grace and Node options as the variables it reads, and refuses a sizing that is not a whole number', () => {
    const { objects } = renderChart({ 'worker.maxConcurrentActivities': '300', 'worker.maxConcurrentWorkflowTasks': '20', 'worker.maxCachedWorkflows': '500',
      'worker.stickyQueueTimeoutSeconds': '5', 'worker.janitorGraceSeconds': '600', 'worker.nodeOptions': '--max-old-space-size=1024 --max-semi-space-size=4' });
    const config = objectOf<V1ConfigMap>(objects, 'ConfigMap', 'flink-fleet-worker').data ?? {};
    const parsed = parseWorkerConfig({ ...config, FLEET_CODEC_KEY_FILE: undefined, FLEET_WORKFLOW_BUNDLE: undefined, FLEET_CODEC_KEYS: newCodecKey('k1'), KUBERNETES_SERVICE_HOST: '10.96.0.1' });
    assert.deepEqual([parsed.FLEET_MAX_CONCURRENT_ACTIVITIES, parsed.FLEET_MAX_CONCURRENT_WORKFLOW_TASKS, parsed.FLEET_MAX_CACHED_WORKFLOWS,
      parsed.FLEET_STICKY_QUEUE_TIMEOUT_SECONDS, parsed.FLEET_JANITOR_GRACE_SECONDS], [300, 20, 500, 5, 600]);
    assert.equal(config.NODE_OPTIONS, '--max-old-space-size=1024 --max-semi-space-size=4', 'the image\'s Node options, replaced');
    const defaults = objectOf<V1ConfigMap>(renderChart().objects, 'ConfigMap', 'flink-fleet-worker').data ?? {};
    assert.deepEqual(Object.keys(defaults).filter((key) => /^(FLEET_(MAX|STICKY|JANITOR)_|NODE_OPTIONS$)/.test(key)), []);
    const refused = helm(templateArgs({ 'worker.maxConcurrentActivities': '1.5' }));
    assert.notEqual(refused.status, 0);
    assert.match(refused.stderr, /maxConcurrentActivities/);
  });

  it('refers to Temporal\'s TLS material, its API key and the S3 credentials by Secret name, and renders no Secret', () => {
    const { objects } = renderChart({
      'temporal.tls.secretName': 'temporal-mtls', 'temporal.tls.clientCertificate': 'true', 'temporal.tls.serverName': 'frontend.temporal',
      'temporal.apiKeySecret.name': 'temporal-cloud', 'storage.credentialsSecret': 'fleet-s3',
    });
    assert.deepEqual(objects.filter((object) => object.kind === 'Secret'), []);
    const config = objectOf<V1ConfigMap>(objects, 'ConfigMap', 'flink-fleet-worker').data ?? {};
    assert.deepEqual(Object.fromEntries(Object.entries(config).filter(([key]) => key.startsWith('TEMPORAL_') && !['TEMPORAL_ADDRESS', 'TEMPORAL_NAMESPACE'].includes(key))), {
      TEMPORAL_TLS: 'true', TEMPORAL_TLS_CA: '/etc/flink-fleet/temporal-tls/ca.crt', TEMPORAL_TLS_CERT: '/etc/flink-fleet/temporal-tls/tls.crt',
      TEMPORAL_TLS_KEY: '/etc/flink-fleet/temporal-tls/tls.key', TEMPORAL_TLS_SERVER_NAME: 'frontend.temporal',
      TEMPORAL_API_KEY_FILE: '/etc/flink-fleet/temporal-api-key/api-key',
    });
    const container = workerContainer(objects);
    assert.deepEqual(container.env?.map((variable) => [variable.name, variable.valueFrom?.secretKeyRef?.name, variable.valueFrom?.secretKeyRef?.key]), [
      ['FLEET_S3_ACCESS_KEY_ID', 'fleet-s3', 'access-key-id'], ['FLEET_S3_SECRET_ACCESS_KEY', 'fleet-s3', 'secret-access-key']]);
    const volumes = objectOf<V1Deployment>(objects, 'Deployment', 'flink-fleet-worker').spec?.template.spec?.volumes ?? [];
    assert.deepEqual(volumes.map((volume) => [volume.name, volume.secret?.secretName]),
      [['tmp', undefined], ['codec-keys', 'flink-fleet-codec-keys'], ['temporal-tls', 'temporal-mtls'], ['temporal-api-key', 'temporal-cloud']]);
    assert.deepEqual(container.volumeMounts?.map((mount) => mount.mountPath),
      ['/tmp', '/etc/flink-fleet/codec', '/etc/flink-fleet/temporal-tls', '/etc/flink-fleet/temporal-api-key']);
  });

  it('can keep a Versity gateway\'s root key to the worker, each tenant\'s pods getting an account of their own, and refuses another kind of account', () => {
    const { objects } = renderChart({ 'storage.s3Endpoint': 'http://s3.storage:7070', 'storage.credentialsSecret': 'versity-root', 'storage.tenantAccounts': 'versity' });
    const config = objectOf<V1ConfigMap>(objects, 'ConfigMap', 'flink-fleet-worker').data ?? {};
    // The keys come from the Secret in the pod; here they are given inline.
    const parsed = parseWorkerConfig({ ...config, FLEET_CODEC_KEY_FILE: undefined, FLEET_WORKFLOW_BUNDLE: undefined, FLEET_CODEC_KEYS: newCodecKey('k1'), KUBERNETES_SERVICE_HOST: '10.96.0.1',
      FLEET_S3_ACCESS_KEY_ID: 'root', FLEET_S3_SECRET_ACCESS_KEY: 'root-secret' });
    assert.deepEqual([parsed.FLEET_S3_ENDPOINT, parsed.FLEET_S3_TENANT_ACCOUNTS], ['http://s3.storage:7070', 'versity']);
    assert.deepEqual(workerContainer(objects).env?.map((variable) => variable.valueFrom?.secretKeyRef?.name), ['versity-root', 'versity-root']);
    assert.equal(objectOf<V1ConfigMap>(renderChart({ 'storage.credentialsSecret': 'shared' }).objects, 'ConfigMap', 'flink-fleet-worker').data?.FLEET_S3_TENANT_ACCOUNTS, undefined);
    const refused = helm(templateArgs({ 'storage.tenantAccounts': 'minio' }));
    assert.notEqual(refused.status, 0);
    assert.match(refused.stderr, /at '\/storage\/tenantAccounts': value must be one of '', 'versity'/);
  });

  it('renders a ServiceMonitor only when asked, scraping the worker pods\' metrics port through a Service of its own', () => {
    assert.deepEqual(renderChart().objects.filter((object) => ['ServiceMonitor', 'Service'].includes(object.kind ?? '')), []);
    const { objects } = renderChart({ 'serviceMonitor.enabled': 'true', 'serviceMonitor.labels.release': 'prometheus', 'metrics.port': '9100' });
    const monitor = objectOf<ServiceMonitor>(objects, 'ServiceMonitor', 'flink-fleet-worker');
    assert.equal(monitor.apiVersion, 'monitoring.coreos.com/v1');
    assert.equal(monitor.metadata?.labels?.release, 'prometheus');
    const service = objectOf<V1Service>(objects, 'Service', 'flink-fleet-worker-metrics');
    // The monitor finds the Service by its labels, the Service the worker's pods by theirs, on the port they listen on.
    assert.deepEqual(Object.entries(monitor.spec.selector.matchLabels).filter(([key, value]) => service.metadata?.labels?.[key] !== value), []);
    const podLabels = objectOf<V1Deployment>(objects, 'Deployment', 'flink-fleet-worker').spec?.template.metadata?.labels ?? {};
    assert.deepEqual(Object.entries(service.spec?.selector ?? {}).filter(([key, value]) => podLabels[key] !== value), []);
    assert.deepEqual(service.spec?.ports?.map((port) => [port.name, port.port, port.targetPort]), [['metrics', 9100, 'metrics']]);
    assert.deepEqual(monitor.spec.endpoints.map((endpoint) => [endpoint.port, endpoint.path]), [['metrics', '/metrics']]);
  });

  it('refuses a metrics port that is not a number, naming the value and the rule', () => {
    const run = helm(templateArgs({ 'metrics.port': 'nine' }));
    assert.notEqual(run.status, 0);
    assert.match(run.stderr, /values don't meet the specifications of the schema/);
    assert.match(run.stderr, /at '\/metrics\/port': got string, want integer/);
    assert.equal(run.stdout, '');
  });

  it('refuses a misspelt value instead of ignoring it', () => {
    const run = helm(templateArgs({ replica: '3' }));
    assert.notEqual(run.status, 0);
    assert.match(run.stderr, /additional properties 'replica' not allowed/);
  });
});
