import { createJanitorActivities } from '../activities/janitor/activities';
import { createPipelineActivities } from '../activities/pipeline/activities';
import { createPoolActivities, type PoolActivityOptions } from '../activities/pool/activities';
import { createPreviewActivities } from '../activities/preview/activities';
import type { FlinkRuntime } from '../activities/runtime/types';
import { createSqlInspectorActivities } from '../activities/sql-inspector/activities';
import type { SqlInspector } from '../activities/sql-inspector/inspector';

/** Every activity the fleet's workflows call, bound to the runtime chosen at start and the worker's SQL inspector. */
export function createActivities(runtime: FlinkRuntime, inspector: SqlInspector, poolOptions: PoolActivityOptions = {}) {
  return {
    ...createPipelineActivities(runtime),
    ...createJanitorActivities(runtime),
    ...createPoolActivities(runtime, poolOptions),
    ...createPreviewActivities(runtime),
    ...createSqlInspectorActivities(inspector, runtime),
  };
}
