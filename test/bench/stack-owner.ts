/**
 * A bench in miniature on its own stack: a Temporal dev server and a session cluster started as
 * bench/stack.ts starts them. It prints what it started and waits to be killed; stack.test.ts sends
 * it SIGINT.
 */
import { withBenchStack } from '../../bench/stack';
import { liveProcesses } from '../harness/processes';

void withBenchStack('stack-owner', 'stack-owner', async (stack) => {
  const resources = { cpu: 1, memoryMb: 1024 };
  await stack.runtime.deploySessionCluster({ tenant: 'acme', name: 'interrupted', jobManager: resources, taskManager: resources });
  process.stdout.write(`${JSON.stringify({ root: stack.root, server: stack.server.pid, flink: liveProcesses('run').map((p) => p.pid) })}\n`);
  // A pending promise alone would let node exit; a timer keeps it waiting for the signal.
  setInterval(() => undefined, 60_000);
  await new Promise(() => undefined);
});
