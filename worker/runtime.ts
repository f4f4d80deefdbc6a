import { LocalRuntime } from '../activities/runtime/local/local-runtime';
import type { FlinkRuntime } from '../activities/runtime/types';
import type { WorkerConfig } from './config';

/** Chosen once, at start; nothing above the activities knows which runtime it is. */
export function createRuntime(config: WorkerConfig): FlinkRuntime {
  return new LocalRuntime({ flinkHome: config.FLINK_HOME, stateDir: config.FLEET_STATE_DIR });
}
