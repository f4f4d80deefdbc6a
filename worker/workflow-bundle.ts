import type { BundleOptions } from '@temporalio/worker';
import { FLEET_CONVERTER_PATHS } from '../client/codec/data-converter';
import { TRACING_WORKFLOW_INTERCEPTORS } from './tracing';

/** The product's workflows, as the worker bundles them at start when it is given no bundle. */
export const WORKFLOWS_PATH = require.resolve('../workflows');

/** Libraries every workflow of a worker thread shares instead of evaluating them each (workflows/preloaded.ts). */
export const PRELOADED_WORKFLOW_MODULES = [require.resolve('../workflows/preloaded')];

/**
 * What a bundle made ahead of time (the worker image's, FLEET_WORKFLOW_BUNDLE) holds: what the worker
 * bundles at start, and tracing's workflow interceptors whether or not this worker traces, since a
 * pod's OTLP variables decide that long after the image was built. Without them a traced worker
 * would export activity spans with no workflow above them.
 */
export function prebuiltWorkflowBundleOptions(): Pick<BundleOptions, 'workflowsPath' | 'failureConverterPath' | 'payloadConverterPath' | 'workflowInterceptorModules' | 'preloadModules'> {
  return {
    workflowsPath: WORKFLOWS_PATH, ...FLEET_CONVERTER_PATHS, workflowInterceptorModules: [TRACING_WORKFLOW_INTERCEPTORS], preloadModules: PRELOADED_WORKFLOW_MODULES,
  };
}
