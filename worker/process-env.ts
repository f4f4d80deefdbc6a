/**
 * How the worker's Node process is started in its image (deploy/Dockerfile sets these, and a test
 * holds the two together) and in the benches that measure it. Measured at 1,000 pipelines
 * (bench/RESULTS.md, scale): 546 MB steady RSS with them against 1,045 MB without, because by default
 * V8 sizes each isolate's heap to the machine, not the pod, and keeps the pages a burst of starts took.
 * - `--max-old-space-size` holds per isolate: the main thread and each workflow thread. At 1,000
 *   pipelines each used about 155 MB live; 384 leaves room for bursts.
 * - `--max-semi-space-size=4` keeps each isolate's young generation small (V8's default is 16 MB).
 * - `MALLOC_ARENA_MAX=2`: glibc gives every thread of the SDK's core an arena of its own otherwise.
 */
export const WORKER_PROCESS_ENV = {
  NODE_OPTIONS: '--max-old-space-size=384 --max-semi-space-size=4',
  MALLOC_ARENA_MAX: '2',
} as const;
