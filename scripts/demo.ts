import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startTemporalDevServer } from '../client/dev/temporal-dev-server';
import { toolchain } from './toolchain';

/**
 * For now the demo brings up the real Temporal dev server with the fleet's search attributes and its
 * UI; the pipeline and preview walk-through arrives with the workflows.
 */
async function main(): Promise<void> {
  const keep = process.argv.includes('--keep');
  const stateDir = join(process.cwd(), '.flink-fleet', 'demo');
  mkdirSync(stateDir, { recursive: true });
  const server = await startTemporalDevServer({ binary: toolchain().temporalBinary, stateDir, port: 7233, uiPort: 8233 });
  process.stdout.write(`Temporal dev server at ${server.address}, UI at ${server.uiUrl ?? '(headless)'}\n`);
  process.stdout.write('Search attributes FleetTenant, FleetKind and FleetJobState are registered.\n');
  if (keep) {
    process.stdout.write(`Left running (pid ${server.pid}); stop it with: kill ${server.pid}\n`);
    return;
  }
  await server.stop();
  process.stdout.write('Stopped.\n');
}

main().catch((error: unknown) => {
  process.stderr.write(`demo failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
