import { parseWorkerConfig } from '../../worker/config';
import { runWorker } from '../../worker/run';
import { FAULT_ENV, faultInjector, faultSchema } from './fault';

/**
 * The production worker (worker/run.ts) in a process of its own, with the run's pre-built workflow
 * bundle and, when FLEET_TEST_FAULT is set, one fault injected by an interceptor: the fault matrix
 * changes nothing in the product's code.
 */
const bundle = process.env.FLEET_TEST_WORKFLOW_BUNDLE;
const fault = process.env[FAULT_ENV] ? faultSchema.parse(JSON.parse(process.env[FAULT_ENV])) : undefined;

runWorker(parseWorkerConfig(process.env), {
  ...(bundle ? { workflowBundle: { codePath: bundle } } : {}),
  ...(fault ? { interceptors: { activity: [faultInjector(fault)] } } : {}),
}).catch((error: unknown) => {
  process.stderr.write(`worker with fault: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
