import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WorkflowNotFoundError } from '@temporalio/client';
import { tenantArtifactUri } from '../../activities/names';
import { sha256OfFile } from '../../client/artifacts';
import { toolchain } from '../../scripts/toolchain';
import { pipelineWorkflowId } from '../../workflows/pipeline/spec';
import { runCli, type CliRun } from '../harness/cli';
import { fleetTestBed, type FleetTestBed } from '../harness/fleet';
import { temporalTestBed } from '../harness/global';
import { DATAGEN_TO_BLACKHOLE, storageRootOf } from '../pipeline/fixtures';

/** Pointed at the run's Temporal server and this bed's task queue. */
function cli(bed: FleetTestBed | undefined, args: string[]): Promise<CliRun> {
  const connection = bed ? ['--address', temporalTestBed().server.address, '--task-queue', bed.taskQueue] : [];
  return runCli([...connection, ...args]);
}

describe('the flink-fleet CLI', () => {
  it('prints help with examples and exits 0', async () => {
    const { code, stdout } = await cli(undefined, ['--help']);
    assert.equal(code, 0);
    assert.match(stdout, /Examples:\n {2}flink-fleet dev up/);
    const sub = await cli(undefined, ['pipeline', 'start', '--help']);
    assert.equal(sub.code, 0);
    assert.match(sub.stdout, /--sql <file>/);
  });

  it('exits 2 and names the flag for an unknown or missing flag', async () => {
    const unknown = await cli(undefined, ['pipeline', 'status', '--tenant', 'a', '--name', 'b', '--bogus']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown option '--bogus'/);
    const missing = await cli(undefined, ['pipeline', 'start', '--tenant', 'acme']);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /required option '--name <name>' not specified/);
    const badValue = await cli(undefined, ['preview', '--tenant', 'acme', '--sql', 'SELECT 1', '--timeout', 'soon']);
    assert.equal(badValue.code, 2);
    assert.match(badValue.stderr, /option '--timeout <duration>' argument 'soon' is invalid. must be a duration/);
  });

  describe('against a running fleet', () => {
    let bed: FleetTestBed;
    before(() => {
      bed = fleetTestBed('cli');
    });
    after(async () => {
      await bed.cleanUp();
    });

    it('exits 2 naming the field for a spec the fleet refuses, and starts nothing', async () => {
      // Every flag is fine on its own; the script is longer than a spec may hold.
      const script = join(bed.stateDir, 'huge.sql');
      writeFileSync(script, `${DATAGEN_TO_BLACKHOLE}\n-- ${'x'.repeat(256 * 1024)}\n`);
      // With a worker polling, anything started would have left a workflow (and perhaps a cluster) behind.
      const { code, stdout, stderr } = await bed.withWorker(() => cli(bed, ['--json', 'pipeline', 'start', '--tenant', 'acme', '--name', 'huge', '--sql', script]));
      assert.equal(code, 2);
      assert.match(stderr, /spec\.job\.script: must be at most 256 KiB/);
      assert.equal((JSON.parse(stdout) as { error: { type: string } }).error.type, 'InvalidSpec');
      await assert.rejects(temporalTestBed().env.client.workflow.getHandle(pipelineWorkflowId('acme', 'huge')).describe(), WorkflowNotFoundError);
      assert.deepEqual(await bed.runtime.listClusters(), []);
    });

    it('exits 2 naming the statement for a preview the workflow refuses, on Flink\'s reading of it', async () => {
      const hinted = "CREATE TEMPORARY TABLE t (line STRING) WITH ('connector' = 'datagen');\n"
        + "SELECT line FROM t /*+ OPTIONS('connector' = 'filesystem', 'path' = '/etc/passwd', 'format' = 'raw') */";
      const { code, stdout, stderr } = await bed.withWorker(() => cli(bed, ['--json', 'preview', '--tenant', 'acme', '--sql', hinted]));
      assert.equal(code, 2, stderr);
      assert.match(stderr, /statement 2 \(line 2: SELECT line FROM t .*\) is not allowed: it reads default_catalog\.default_database\.t through connector 'filesystem'/);
      assert.equal((JSON.parse(stdout.trim().split('\n').at(-1) as string) as { error: { type: string } }).error.type, 'InvalidSpec');
    });

    it('puts a jar and prints its digest; a jar whose bytes are not its digest\'s is refused with exit 2 naming both, and leaves nothing', async () => {
      const storage = storageRootOf(bed.runtime);
      const jar = toolchain().flinkExamplesJar;
      const put = await cli(bed, ['artifact', 'put', '--tenant', 'clijar', '--storage', storage, jar]);
      assert.equal(put.code, 0, put.stderr);
      const digest = put.stdout.trim();
      assert.equal(digest, await sha256OfFile(jar));
      const again = JSON.parse((await cli(bed, ['--json', 'artifact', 'put', '--tenant', 'clijar', '--storage', storage, jar])).stdout) as { digest: string; uri: string; written: boolean };
      assert.deepEqual(again, { digest, uri: tenantArtifactUri(storage, 'clijar', digest), written: false });
      // The tenant's own jobs may write its storage: under the digest's name now lie other bytes.
      writeFileSync(fileURLToPath(again.uri), 'swapped');
      const swapped = `sha256:${createHash('sha256').update('swapped').digest('hex')}`;
      const { code, stdout, stderr } = await bed.withWorker(() => cli(bed, ['--json', 'pipeline', 'start', '--tenant', 'clijar', '--name', 'swapped',
        '--jar', digest, '--class', 'org.apache.flink.streaming.examples.wordcount.WordCount', '--wait']));
      assert.equal(code, 2, stderr);
      assert.equal(stderr.trim().split('\n').at(-1), `error: spec.job.jar: the artifact area holds a jar of ${swapped} under ${digest}; refused, Flink was not started`);
      assert.equal((JSON.parse(stdout.trim().split('\n').at(-1) as string) as { error: { type: string } }).error.type, 'JarDigestMismatch');
      assert.deepEqual(await bed.runtime.listClusters(), []);
      assert.deepEqual(readdirSync(join(bed.stateDir, 'clusters')), []);
    });

    it('exits 1 with NotFound for a pipeline that does not exist', async () => {
      const { code, stderr } = await cli(bed, ['pipeline', 'status', '--tenant', 'acme', '--name', 'nothing-here']);
      assert.equal(code, 1);
      assert.match(stderr, /no pipeline acme\/nothing-here/);
    });

    it('starts, shows, lists and stops a pipeline with parseable --json output', async () => {
      const script = join(bed.stateDir, 'orders.sql');
      writeFileSync(script, DATAGEN_TO_BLACKHOLE);
      await bed.withWorker(async () => {
        const started = await cli(bed, ['--json', 'pipeline', 'start', '--tenant', 'clitenant', '--name', 'orders', '--sql', script, '--wait']);
        assert.equal(started.code, 0, started.stderr);
        const start = JSON.parse(started.stdout) as { workflowId: string; ui: string; status: { phase: string } };
        assert.equal(start.workflowId, 'pipeline/clitenant/orders');
        assert.equal(start.status.phase, 'Running');
        assert.equal(start.ui, 'http://127.0.0.1:8233/namespaces/default/workflows/pipeline%2Fclitenant%2Forders');
        const status = JSON.parse((await cli(bed, ['--json', 'pipeline', 'status', '--tenant', 'clitenant', '--name', 'orders'])).stdout) as { phase: string; jobId: string };
        assert.equal(status.phase, 'Running');
        assert.match(status.jobId, /^[0-9a-f]{32}$/);
        const people = await cli(bed, ['pipeline', 'status', '--tenant', 'clitenant', '--name', 'orders']);
        assert.match(people.stdout, /^pipeline +clitenant\/orders \(pipeline\)$/m);
        const stopped = await cli(bed, ['--json', 'pipeline', 'stop', '--tenant', 'clitenant', '--name', 'orders', '--savepoint']);
        assert.equal(stopped.code, 0, stopped.stderr);
        const stop = JSON.parse(stopped.stdout) as { finalState: string; savepointPath: string };
        assert.equal(stop.finalState, 'Stopped');
        assert.match(stop.savepointPath, /savepoint-/);
        const listed = JSON.parse((await cli(bed, ['--json', 'pipeline', 'list', '--tenant', 'clitenant'])).stdout) as { workflowId: string }[];
        assert.deepEqual(listed.map((p) => p.workflowId), ['pipeline/clitenant/orders']);
      });
    });
  });
});
