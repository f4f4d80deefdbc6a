import { Script, createContext, runInContext, type Context } from 'node:vm';

/**
 * A workflow bundle in one V8 context, its modules cached as the SDK's reusable context caches them
 * (`@temporalio/worker/lib/workflow/reusable-vm.js`): what is evaluated while no workflow is active
 * (the bundle itself, its `preloadModules`) lands in a cache every workflow shares; what a workflow
 * evaluates lands in that workflow's own, and the shared modules are deep-frozen once loaded. A model
 * of the SDK's routing, without its activator, so that the modules a workflow evaluates can be counted
 * and weighed, and a shared module that a workflow would write to fails here too.
 */
export class ReusableContextModel {
  readonly shared = new Map<PropertyKey, unknown>();
  private current?: Map<PropertyKey, unknown>;
  private readonly context: Context;

  constructor(bundleCode: string) {
    const cache = new Proxy({}, {
      get: (_, key) => this.shared.get(key) ?? this.current?.get(key),
      set: (_, key, value) => {
        (this.current ?? this.shared).set(key, value);
        return true;
      },
    });
    // What the workflow modules touch while they are evaluated; the SDK injects the same.
    this.context = createContext({ TextEncoder, TextDecoder, URL, URLSearchParams, AbortController, performance, console, setTimeout, clearTimeout });
    Object.defineProperty(this.context, '__webpack_module_cache__', { value: cache });
    new Script(bundleCode, { filename: 'workflow-bundle.js' }).runInContext(this.context);
    runInContext('__TEMPORAL__.preloadModules?.()', this.context);
    for (const module of this.shared.values()) deepFreeze(module);
  }

  /** The modules one new workflow evaluates (its workflows and interceptors), by module id. */
  newWorkflow(): Map<PropertyKey, unknown> {
    const own = new Map<PropertyKey, unknown>();
    this.current = own;
    try {
      runInContext('__TEMPORAL__.importWorkflows(); __TEMPORAL__.importInterceptors();', this.context);
    } finally {
      this.current = undefined;
    }
    return own;
  }
}

/** As the SDK freezes the shared modules: every object reachable through own properties, and functions themselves. */
function deepFreeze(value: unknown, seen = new WeakSet<object>()): void {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function') || seen.has(value) || Object.isFrozen(value)) return;
  seen.add(value);
  if (typeof value === 'object') {
    for (const key of Reflect.ownKeys(value)) {
      try {
        deepFreeze((value as Record<PropertyKey, unknown>)[key], seen);
      } catch {
        // As the SDK: some objects (typed arrays) cannot be frozen.
      }
    }
  }
  Object.freeze(value);
}
