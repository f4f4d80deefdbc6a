import assert from 'node:assert/strict';
import type { V1ConfigMap, V1Deployment, V1Pod } from '@kubernetes/client-node';
import { bandwidthAnnotations, withPodAnnotations } from '../../activities/runtime/kubernetes/manifests/bandwidth';

describe('pod bandwidth annotations', () => {
  const annotations = bandwidthAnnotations({ ingressMbit: 100, egressMbit: 25 });

  it('speaks the standard annotations in bits per second, and says nothing for a plan without a limit', () => {
    assert.deepEqual(annotations, { 'kubernetes.io/ingress-bandwidth': '100M', 'kubernetes.io/egress-bandwidth': '25M' });
    assert.deepEqual(bandwidthAnnotations(undefined), {});
  });

  it('lands on the pods an object makes, keeps their other annotations, and leaves the input as it was', () => {
    const deployment: V1Deployment = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' },
      spec: { selector: {}, template: { metadata: { annotations: { keep: 'me' } }, spec: { containers: [] } } } };
    assert.deepEqual(withPodAnnotations(deployment, annotations).spec?.template.metadata?.annotations, { keep: 'me', ...annotations });
    assert.deepEqual(deployment.spec?.template.metadata?.annotations, { keep: 'me' });
    const pod: V1Pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' } };
    assert.deepEqual(withPodAnnotations(pod, annotations).metadata?.annotations, annotations);
    // Not on the Deployment itself: the CNI plugin reads a pod's own annotations.
    assert.equal(withPodAnnotations(deployment, annotations).metadata?.annotations, undefined);
  });

  it('leaves objects that make no pods alone', () => {
    const configMap: V1ConfigMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } };
    assert.deepEqual(withPodAnnotations(configMap, annotations), configMap);
  });
});
