import { createJanitorActivities } from '../activities/janitor/activities';
import { createPipelineActivities } from '../activities/pipeline/activities';
import { createPoolActivities } from '../activities/pool/activities';
import { createPreviewActivities } from '../activities/preview/activities';
import type { FlinkRuntime } from '../activities/runtime/types';

/** Every activity the fleet's workflows call, bound to the runtime chosen at start. */
export function createActivities(runtime: FlinkRuntime) {
  return {
    ...createPipelineActivities(runtime),
    ...createJanitorActivities(runtime),
    ...createPoolActivities(runtime),
    ...createPreviewActivities(runtime),
  };
}
