import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { DefaultLogger, bundleWorkflowCode } from '@temporalio/worker';
import { prebuiltWorkflowBundleOptions } from '../worker/workflow-bundle';

/**
 * Bundles the worker's workflows into `file`, for FLEET_WORKFLOW_BUNDLE: done when an image is built,
 * because bundling at start runs webpack and SWC's native addon, which refuses a pod's read-only root
 * and its /tmp emptyDir (world-writable, no sticky bit) as a cache.
 */
export async function writeWorkflowBundle(file: string): Promise<void> {
  const { code } = await bundleWorkflowCode({ ...prebuiltWorkflowBundleOptions(), logger: new DefaultLogger('WARN') });
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, code);
}

// `tsx scripts/bundle-workflows.ts <file>`, as deploy/Dockerfile runs it.
if (require.main === module) {
  const [file] = process.argv.slice(2);
  if (file === undefined) {
    process.stderr.write('usage: tsx scripts/bundle-workflows.ts <file>\n');
    process.exit(2);
  }
  writeWorkflowBundle(resolve(file)).then(() => process.stdout.write(`workflow bundle: ${resolve(file)}\n`), (error: unknown) => {
    process.stderr.write(`bundle-workflows: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
