import { parseWorkerConfig } from './config';
import { runWorker } from './run';

Promise.resolve()
  .then(() => runWorker(parseWorkerConfig(process.env)))
  .catch((error: unknown) => {
    // Configuration and start-up problems are for a person: the message, not the stack.
    process.stderr.write(`flink-fleet worker: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
