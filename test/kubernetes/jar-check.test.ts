import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KubeConfig, type KubernetesObject, type V1ConfigMap, type V1Deployment, type V1PodSpec } from '@kubernetes/client-node';
import { clusterName } from '../../activities/names';
import { kubernetesRuntimeFromEnvironment } from '../../activities/runtime/kubernetes/from-environment';
import { JAR_FETCHER_FILE, JAR_FETCHER_MAIN, jarFetcherJar } from '../../activities/runtime/kubernetes/jar-fetcher/location';
import { KubernetesRuntime } from '../../activities/runtime/kubernetes/kubernetes-runtime';
import { applicationClusterObjects } from '../../activities/runtime/kubernetes/manifests/application';
import { COMPONENT, type ClusterIdentity } from '../../activities/runtime/kubernetes/manifests/labels';
import { STORAGE_SECRET } from '../../activities/runtime/kubernetes/manifests/storage';
import { ClusterStartFailed, type ApplicationClusterSpec } from '../../activities/runtime/types';
import { newCodecKey } from '../../client/codec/keys';
import { toolchain } from '../../scripts/toolchain';
import { parseWorkerConfig } from '../../worker/config';
import { newStateDir } from '../harness/state';
import { jarConnection, sqlPipeline } from './fixtures';

const DIGEST = `sha256:${'ab'.repeat(32)}`;
const FETCHER = Buffer.from('the jar fetcher\'s bytes');
const placement = {
  image: 'localhost/flink-fleet/flink:2.3.0-abc', storageUri: 's3://fleet/state/globex/kafka', storageRoot: 's3://fleet/state',
  objectStorage: { endpoint: 'http://198.18.0.1:9000', credentials: { accessKeyId: 'key', secretAccessKey: 'secret' } }, nodes: {}, jarFetcher: FETCHER,
};

function build(spec: ApplicationClusterSpec): { config: V1ConfigMap; jobManager: V1PodSpec; taskManager: V1PodSpec } {
  const id: ClusterIdentity = { tenant: spec.tenant, name: spec.name, cluster: clusterName(spec.tenant, spec.name), namespace: `flink-fleet-${spec.tenant}` };
  const { root, dependents } = applicationClusterObjects(id, spec, placement);
  const pod = (component: string): V1PodSpec => {
    const deployment = dependents.find((o: KubernetesObject) => o.kind === 'Deployment' && o.metadata?.labels?.[COMPONENT] === component) as V1Deployment;
    return deployment.spec?.template.spec as V1PodSpec;
  };
  return { config: root, jobManager: pod('jobmanager'), taskManager: pod('taskmanager') };
}

const connection = jarConnection('globex', 'kafka', { secretEnv: [{ env: 'KAFKA_PASSWORD', secretName: 'kafka', key: 'password' }] });

const nowhere = new KubeConfig();
nowhere.loadFromOptions({ clusters: [{ name: 'c', server: 'https://127.0.0.1:1' }], users: [{ name: 'u' }], contexts: [{ name: 'x', cluster: 'c', user: 'u' }], currentContext: 'x' });

describe('a jar connection\'s jar, checked in its JobManager\'s pod: the pod-spec builders and the worker\'s settings', () => {
  const { config, jobManager, taskManager } = build(connection);
  const fetcher = jobManager.initContainers?.[0];
  const flink = jobManager.containers.find((c) => c.name === 'jobmanager');

  it('runs the jar fetcher before the JobManager, on the Flink image\'s Java, with the artifact area\'s jar, the expected digest and the checked copy\'s path', () => {
    assert.deepEqual(jobManager.initContainers?.map((c) => c.name), ['jar-fetcher']);
    assert.equal(fetcher?.image, placement.image);
    assert.deepEqual(fetcher?.command, ['java', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-cp', `/opt/flink/lib/*:/opt/flink/fleet-jar-fetcher/${JAR_FETCHER_FILE}`,
      JAR_FETCHER_MAIN, `s3://fleet/state/globex/artifacts/sha256/${'ab'.repeat(32)}.jar`, DIGEST, `/opt/flink/fleet-jar/${'ab'.repeat(32)}.jar`]);
    assert.equal(fetcher?.args, undefined, 'the image\'s entrypoint is not run');
    assert.deepEqual(fetcher?.env?.find((e) => e.name === 'FLINK_PLUGINS_DIR'), { name: 'FLINK_PLUGINS_DIR', value: '/opt/flink/plugins' });
  });

  it('writes the checked copy into an emptyDir that the JobManager mounts read-only and reads its jar from', () => {
    const volume = jobManager.volumes?.find((v) => v.name === 'checked-jar');
    assert.deepEqual(volume, { name: 'checked-jar', emptyDir: {} });
    assert.deepEqual(fetcher?.volumeMounts?.find((m) => m.name === 'checked-jar'), { name: 'checked-jar', mountPath: '/opt/flink/fleet-jar' });
    assert.deepEqual(flink?.volumeMounts?.find((m) => m.name === 'checked-jar'), { name: 'checked-jar', mountPath: '/opt/flink/fleet-jar', readOnly: true });
    const jars = flink?.args?.[(flink.args.indexOf('--jars')) + 1];
    assert.equal(jars, `local:///opt/flink/fleet-jar/${'ab'.repeat(32)}.jar`);
    assert.ok(!flink?.args?.some((arg) => arg.startsWith('s3:')), 'the JobManager is given no place in storage');
  });

  it('carries the fetcher\'s jar in the cluster\'s ConfigMap, mounted read-only into the fetcher only', () => {
    assert.deepEqual(config.binaryData, { [JAR_FETCHER_FILE]: FETCHER.toString('base64') });
    const volume = jobManager.volumes?.find((v) => v.name === 'jar-fetcher');
    assert.deepEqual(volume?.configMap, { name: config.metadata?.name, items: [{ key: JAR_FETCHER_FILE, path: JAR_FETCHER_FILE }] });
    assert.deepEqual(fetcher?.volumeMounts?.find((m) => m.name === 'jar-fetcher'), { name: 'jar-fetcher', mountPath: '/opt/flink/fleet-jar-fetcher', readOnly: true });
    assert.equal(flink?.volumeMounts?.find((m) => m.name === 'jar-fetcher'), undefined);
  });

  it('reads with the pod\'s own storage credentials and config, not the tenant\'s secretEnv, under Pod Security restricted, sized as the JobManager', () => {
    assert.deepEqual(fetcher?.envFrom, [{ secretRef: { name: STORAGE_SECRET } }]);
    assert.deepEqual(fetcher?.volumeMounts?.find((m) => m.mountPath === '/opt/flink/fleet-conf'), { name: 'flink-config', mountPath: '/opt/flink/fleet-conf', readOnly: true });
    assert.equal(fetcher?.env?.find((e) => e.name === 'KAFKA_PASSWORD'), undefined);
    assert.ok(flink?.env?.some((e) => e.name === 'KAFKA_PASSWORD'), 'the JobManager still gets it');
    assert.deepEqual(fetcher?.securityContext, flink?.securityContext);
    assert.deepEqual(fetcher?.resources, flink?.resources);
    assert.equal(fetcher?.terminationMessagePolicy, 'FallbackToLogsOnError');
  });

  it('leaves TaskManagers (Flink ships them the jar from the JobManager) and SQL pipelines without fetcher, copy or fetcher jar', () => {
    assert.equal(taskManager.initContainers, undefined);
    assert.equal(taskManager.volumes?.find((v) => v.name === 'checked-jar' || v.name === 'jar-fetcher'), undefined);
    const sql = build(sqlPipeline('acme', 'orders'));
    assert.equal(sql.jobManager.initContainers, undefined);
    assert.equal(sql.config.binaryData, undefined);
    assert.deepEqual(sql.jobManager.volumes?.map((v) => v.name), ['flink-config', 'sql-script', 'artifacts']);
  });

  it('refuses a jar connection, before any API call, on a runtime that has no jar fetcher to check it with', async () => {
    const runtime = new KubernetesRuntime({ kubeConfig: nowhere, storageUri: 's3://x', restAccess: { mode: 'service-dns' } });
    const failure = await runtime.deployApplicationCluster(connection).then(() => assert.fail('accepted'), (error: unknown) => error);
    assert.ok(failure instanceof ClusterStartFailed);
    assert.equal(failure.type, 'InvalidSpec');
    assert.match(failure.message, /job\.jar: this worker has no jar fetcher to check the jar with \(FLEET_JAR_FETCHER\)$/);
  });

  it('gives a kubernetes worker the installer\'s build by default, and stops it at start when the fetcher is not built, naming the file and the fix', () => {
    const config = parseWorkerConfig({ FLEET_CODEC_KEYS: newCodecKey('k1'), FLEET_RUNTIME: 'kubernetes', FLEET_STORAGE_URI: 's3://b/p', KUBERNETES_SERVICE_HOST: '10.96.0.1' });
    assert.equal(config.FLEET_JAR_FETCHER, jarFetcherJar(toolchain().jarFetcherBuilds));
    assert.ok(existsSync(config.FLEET_JAR_FETCHER), 'npm run install-deps built it');
    const kubeconfigPath = join(newStateDir('jar-fetcher-config'), 'kubeconfig');
    writeFileSync(kubeconfigPath, nowhere.exportConfig());
    assert.throws(() => kubernetesRuntimeFromEnvironment({ kubeconfigPath, storageUri: 's3://b/p', workerNamespace: 'flink-fleet', jarFetcherPath: '/nonexistent/jar-fetcher.jar' }),
      /^Error: the jar fetcher is not built: no \/nonexistent\/jar-fetcher\.jar \(set FLEET_JAR_FETCHER, or run npm run install-deps -- kubernetes\)$/);
  });
});
