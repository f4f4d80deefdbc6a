/**
 * Flink options a pipeline may set, and what each may be set to. Everything else (ports, addresses,
 * HA, paths: the working and local-recovery directories among them) is the fleet's. Pure: the spec's
 * `flinkOptions` and the script's `SET`s are judged by the same rules.
 */
const ANY = undefined;
const BOOLEAN = ['true', 'false'] as const;
/**
 * Flink also takes a factory class name here and would load it: only the two backends Flink 2.3's
 * flink-dist carries by name (`StateBackendLoader`; ForSt's factory is not in the distribution).
 */
const STATE_BACKENDS = ['hashmap', 'rocksdb'] as const;

const OPTION_VALUES = {
  'execution.checkpointing.interval': ANY,
  'execution.checkpointing.mode': ANY,
  'execution.checkpointing.timeout': ANY,
  'execution.checkpointing.min-pause': ANY,
  // Only the changes since the last checkpoint are uploaded (RocksDB; the hashmap backend ignores it).
  'execution.checkpointing.incremental': BOOLEAN,
  // Keeps a copy of each checkpoint in the TaskManager's working directory, which stays the runtime's.
  'execution.state-recovery.from-local': BOOLEAN,
  'pipeline.auto-watermark-interval': ANY,
  'pipeline.object-reuse': BOOLEAN,
  'state.backend.type': STATE_BACKENDS,
  'table.exec.state.ttl': ANY,
  'table.exec.mini-batch.enabled': BOOLEAN,
  'table.exec.mini-batch.allow-latency': ANY,
  'table.exec.mini-batch.size': ANY,
  'table.exec.source.idle-timeout': ANY,
  'table.local-time-zone': ANY,
} as const satisfies Record<string, readonly string[] | undefined>;

export const ALLOWED_FLINK_OPTIONS = Object.keys(OPTION_VALUES) as readonly (keyof typeof OPTION_VALUES)[];

function isAllowed(key: string): key is keyof typeof OPTION_VALUES {
  return Object.hasOwn(OPTION_VALUES, key);
}

/** Why `key` may not be set to `value` by a pipeline, or undefined when it may. */
export function flinkOptionProblem(key: string, value: string): string | undefined {
  if (!isAllowed(key)) return `is not an option a pipeline may set (allowed: ${ALLOWED_FLINK_OPTIONS.join(', ')})`;
  const values: readonly string[] | undefined = OPTION_VALUES[key];
  // Flink reads booleans and these enum-like names without regard to case.
  if (values === undefined || values.includes(value.trim().toLowerCase())) return undefined;
  return `must be one of ${values.join(', ')}, not '${value}'`;
}
