/** The fleet workers' task queue unless configured: in its own module so the CLI reads it without loading the Temporal client. */
export const DEFAULT_TASK_QUEUE = 'flink-fleet';
