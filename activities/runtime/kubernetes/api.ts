import {
  ApiException, KubernetesObjectApi, PatchStrategy, type KubeConfig, type KubernetesObject,
} from '@kubernetes/client-node';
import type { Attributes, Span } from '@opentelemetry/api';
import { inClientSpan } from '../../tracing';
import { startFailed, StartFailure } from './errors';
import { FIELD_MANAGER } from './manifests/labels';
import { describeObject } from './manifests/objects';

/**
 * The few calls the runtime makes, over the generic object API so one code path serves every kind:
 * server-side apply, list by label, delete. Refusals no retry can fix become typed failures here.
 */
export function apiMessage(error: ApiException<unknown>): string {
  const body: unknown = typeof error.body === 'string' ? safeJson(error.body) : error.body;
  return typeof body === 'object' && body !== null && 'message' in body ? String(body.message) : String(error.body);
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export function isNotFound(error: unknown): boolean {
  return error instanceof ApiException && error.code === 404;
}

/** 403 from admission (quota, Pod Security) and 422 (invalid object) stay so however often one retries. */
function refusal(cluster: string, object: KubernetesObject, error: unknown): Error {
  if (!(error instanceof ApiException)) return error instanceof Error ? error : new Error(String(error));
  const message = `${describeObject(object)}: ${apiMessage(error)}`;
  if (error.code === 403 && /exceeded quota/.test(message)) return startFailed(cluster, StartFailure.QuotaExceeded, message);
  if (error.code === 403 && /violates PodSecurity|maximum (cpu|memory) usage/.test(message)) return startFailed(cluster, StartFailure.PodRejected, message);
  if (error.code === 422) return startFailed(cluster, StartFailure.InvalidSpec, message);
  return error;
}

/** A span per API call, named by verb and kind (object names carry tenants' names, so they are attributes). */
function kubernetesCall<T>(verb: string, object: { apiVersion?: string; kind?: string; metadata?: { name?: string; namespace?: string } }, call: (span: Span) => Promise<T>, extra: Attributes = {}): Promise<T> {
  const { apiVersion = 'v1', kind = '', metadata: { name, namespace } = {} } = object;
  return inClientSpan(`Kubernetes ${verb} ${kind}`, {
    'k8s.verb': verb, 'k8s.api_version': apiVersion, 'k8s.kind': kind,
    ...(namespace === undefined ? {} : { 'k8s.namespace.name': namespace }), ...(name === undefined ? {} : { 'k8s.object.name': name }), ...extra,
  }, call);
}

export class KubernetesObjects {
  private readonly objects: KubernetesObjectApi;

  constructor(kubeConfig: KubeConfig) {
    this.objects = KubernetesObjectApi.makeApiClient(kubeConfig);
  }

  /**
   * Server-side apply with force: the fleet owns every field it sets, so a conflict with another
   * manager (someone's `kubectl edit`) is resolved in the fleet's favour instead of failing a retry.
   */
  async apply<T extends KubernetesObject>(cluster: string, object: T): Promise<T> {
    try {
      return await kubernetesCall('apply', object, () => this.objects.patch(object, undefined, undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply));
    } catch (error) {
      throw refusal(cluster, object, error);
    }
  }

  /** A JSON merge patch: for a few fields of an object the fleet did not apply itself (a Deployment's pod). */
  async mergePatch<T extends KubernetesObject>(cluster: string, patch: T): Promise<T> {
    try {
      return await kubernetesCall('patch', patch, () => this.objects.patch(patch, undefined, undefined, FIELD_MANAGER, undefined, PatchStrategy.MergePatch));
    } catch (error) {
      throw refusal(cluster, patch, error);
    }
  }

  async list(apiVersion: string, kind: string, namespace: string | undefined, labelSelector: string): Promise<KubernetesObject[]> {
    const list = await kubernetesCall('list', { apiVersion, kind, metadata: { namespace } },
      () => this.objects.list(apiVersion, kind, namespace, undefined, undefined, undefined, undefined, labelSelector), { 'k8s.label_selector': labelSelector });
    return list.items.map((item) => ({ ...item, apiVersion, kind }));
  }

  read<T extends KubernetesObject>(object: T): Promise<T | undefined> {
    const { apiVersion = 'v1', kind = '', metadata: { name = '', namespace } = {} } = object;
    return kubernetesCall('get', object, (span) => absentAsUndefined(span, this.objects.read<T>({ apiVersion, kind, metadata: { name, namespace } })));
  }

  /**
   * Background: the object goes at once and the garbage collector follows its dependents. Cleanup
   * deletes and lists every kind of a cluster by label itself, so it does not need Foreground's
   * "gone means its dependents too", which waits on the controller manager's garbage collector for
   * every owner: at 1,000 stops that queue (at the controller manager's 20 requests a second) kept
   * roots past the delete's 2-minute timeout.
   */
  async delete(object: KubernetesObject): Promise<void> {
    await kubernetesCall('delete', object, (span) => absentAsUndefined(span, this.objects.delete(object, undefined, undefined, undefined, undefined, 'Background')));
  }
}

/**
 * A 404 is an answer, not a failure, where absence is an outcome the caller expects (an idempotent
 * delete, a lookup): the span stays unmarked, with `k8s.found` false, so errors in a trace are real ones.
 */
async function absentAsUndefined<T>(span: Span, call: Promise<T>): Promise<T | undefined> {
  try {
    return await call;
  } catch (error) {
    if (!isNotFound(error)) throw error;
    span.setAttribute('k8s.found', false);
    return undefined;
  }
}
