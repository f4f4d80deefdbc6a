import assert from 'node:assert/strict';
import type { KubernetesObject, V1ConfigMap, V1Deployment, V1Service } from '@kubernetes/client-node';
import { plainApplicationCluster } from '../../bench/plain-manifests';
import { applicationClusterObjects } from '../../activities/runtime/kubernetes/manifests/application';
import { CLUSTER, CLUSTER_KIND, COMPONENT, MANAGED_BY, NAME_ANNOTATION, TENANT } from '../../activities/runtime/kubernetes/manifests/labels';
import { sqlPipeline } from '../kubernetes/fixtures';

const id = { tenant: 'bench', name: 'plain-1', cluster: 'plain-1', namespace: 'bench-plain-1' };
const spec = sqlPipeline('bench', 'plain-1');
const placement = {
  image: 'localhost/flink-fleet/flink:2.3.0-abc', storageUri: 's3://fleet/state/bench/plain-1', storageRoot: 's3://fleet/state',
  objectStorage: { endpoint: 'http://198.18.0.1:9000', credentials: { accessKeyId: 'key', secretAccessKey: 'secret' } }, nodes: {},
};

/** Every key of every nested object: where a label or annotation key would hide. */
function keysOf(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(keysOf);
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, inner]) => [key, ...keysOf(inner)]);
}

const byKind = <T extends KubernetesObject>(objects: KubernetesObject[], kind: string): T[] => objects.filter((o) => o.kind === kind) as T[];

describe('the Kubernetes bench\'s plain manifests', () => {
  const plain = plainApplicationCluster(id, spec, placement);
  const fleet = applicationClusterObjects(id, spec, placement);

  it('carry none of the fleet\'s labels or annotations, so its janitor and cleanup never take them for one of its clusters', () => {
    const fleetKeys = [MANAGED_BY, TENANT, CLUSTER, COMPONENT, CLUSTER_KIND, NAME_ANNOTATION];
    assert.deepEqual(keysOf(plain).filter((key) => fleetKeys.includes(key)), []);
    assert.deepEqual(plain.filter((o) => o.metadata?.ownerReferences), []);
  });

  it('run the same Flink: the ConfigMap\'s config.yaml and script, and every container, as the fleet\'s builders make them', () => {
    assert.deepEqual(byKind<V1ConfigMap>(plain, 'ConfigMap')[0]?.data, fleet.root.data);
    const containers = (objects: KubernetesObject[]) => byKind<V1Deployment>(objects, 'Deployment').map((d) => d.spec?.template.spec?.containers);
    assert.deepEqual(containers(plain), containers(fleet.dependents));
    assert.equal(containers(plain).length, 2);
  });

  it('keep every selector matching its own pods only: each Deployment its template, the Service the JobManager', () => {
    const deployments = byKind<V1Deployment>(plain, 'Deployment');
    const [service] = byKind<V1Service>(plain, 'Service');
    const selects = (selector: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean =>
      Object.keys(selector ?? {}).length > 0 && Object.entries(selector ?? {}).every(([key, value]) => labels?.[key] === value);
    const templates = deployments.map((d) => [d.metadata?.name, d.spec?.template.metadata?.labels] as const);
    assert.deepEqual(deployments.map((d) => templates.filter(([, labels]) => selects(d.spec?.selector.matchLabels, labels)).map(([name]) => name)),
      deployments.map((d) => [d.metadata?.name]));
    assert.deepEqual(templates.filter(([, labels]) => selects(service?.spec?.selector, labels)).map(([name]) => name), ['plain-1--jobmanager']);
  });

  it('put the storage credentials first, then the ConfigMap every pod mounts, all in the given namespace', () => {
    assert.deepEqual(plain.slice(0, 2).map((o) => o.kind), ['Secret', 'ConfigMap']);
    assert.deepEqual([...new Set(plain.map((o) => o.metadata?.namespace))], ['bench-plain-1']);
    assert.equal(plain.length, fleet.dependents.length + 2);
  });
});
