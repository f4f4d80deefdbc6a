import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DefaultLogger, Runtime, bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { FAILURE_CONVERTER_PATH, fleetDataConverter } from '../../client/codec/data-converter';
import { ensureCodecKeyFile, parseCodecKeys, type CodecKeyRing } from '../../client/codec/keys';
import { startTemporalDevServer, type TemporalDevServer } from '../../client/dev/temporal-dev-server';
import { freePort } from '../../activities/runtime/local/ports';
import { toolchain } from '../../scripts/toolchain';
import { newStateDir } from './state';
import { PRELOADED_WORKFLOW_MODULES } from '../../worker/workflow-bundle';

export interface TemporalTestBed {
  readonly server: TemporalDevServer;
  /** Its client encrypts with `codecKeys`, as every worker of the run does. */
  readonly env: TestWorkflowEnvironment;
  /** One key for the run, so that every test exercises the payload codec. */
  readonly codecKeys: CodecKeyRing;
  /** The same key as a file, for processes: worker processes and the CLI (FLEET_CODEC_KEY_FILE). */
  readonly codecKeyFile: string;
  /** The product's workflows plus the test fixtures', bundled once for the whole run. */
  readonly workflowBundle: WorkflowBundleWithSourceMap;
  /** The same bundle as a file, for worker processes: bundling at their start costs seconds of CPU. */
  workflowBundleFile(): string;
  stop(): Promise<void>;
}

const LOG_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'] as const;

function testLogLevel(level: string | undefined): (typeof LOG_LEVELS)[number] {
  if (level === undefined) return 'ERROR';
  const known = LOG_LEVELS.find((l) => l === level.toUpperCase());
  if (!known) throw new Error(`FLEET_TEST_LOG_LEVEL=${level}: must be one of ${LOG_LEVELS.join(', ')}`);
  return known;
}

export async function startTemporal(): Promise<TemporalTestBed> {
  // The SDK's own INFO and WARN lines (worker state, every expected activity failure with its stack)
  // drown the test output; tests assert on outcomes instead. FLEET_TEST_LOG_LEVEL=WARN shows the
  // workflows' own warnings (a pool's kills and their reasons, say) when a test needs explaining.
  Runtime.install({ logger: new DefaultLogger(testLogLevel(process.env.FLEET_TEST_LOG_LEVEL)) });
  const stateDir = newStateDir('temporal');
  const codecKeyFile = join(stateDir, 'codec-keys');
  ensureCodecKeyFile(codecKeyFile, 'test-run');
  const codecKeys = parseCodecKeys(readFileSync(codecKeyFile, 'utf8'), codecKeyFile);
  // With its UI, so the end-to-end UI check can look at what the tests started.
  const server = await startTemporalDevServer({ binary: toolchain().temporalBinary, stateDir, uiPort: await freePort() });
  try {
    const env = await TestWorkflowEnvironment.createFromExistingServer({ address: server.address, client: { dataConverter: fleetDataConverter(codecKeys) } });
    const workflowBundle = await bundleWorkflowCode({
      workflowsPath: require.resolve('./test-workflows'),
      failureConverterPath: FAILURE_CONVERTER_PATH,
      preloadModules: PRELOADED_WORKFLOW_MODULES,
      logger: new DefaultLogger('WARN'),
    });
    let bundleFile: string | undefined;
    return {
      server,
      env,
      codecKeys,
      codecKeyFile,
      workflowBundle,
      workflowBundleFile() {
        bundleFile ??= join(stateDir, 'workflow-bundle.js');
        if (!existsSync(bundleFile)) writeFileSync(bundleFile, workflowBundle.code);
        return bundleFile;
      },
      async stop() {
        await env.teardown();
        await server.stop();
      },
    };
  } catch (error) {
    await server.stop();
    throw error;
  }
}
