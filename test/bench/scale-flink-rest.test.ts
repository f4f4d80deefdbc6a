import assert from 'node:assert/strict';
import { FlinkRestClient } from '../../activities/flink/rest-client';
import { FlinkRestLoadGenerator } from '../../bench/scale-flink-rest';

const JOB = '0123456789abcdef0123456789abcdef';
const BASE = 'http://bench/api/v1/namespaces/flink-fleet-acme/services/orders-rest:rest/proxy';

/** The fleet's own REST client, its requests answered by the generator: what it parses is what the fleet would. */
function clientOf(generator: FlinkRestLoadGenerator): FlinkRestClient {
  return new FlinkRestClient(BASE, {
    transport: async (url, init) => {
      const path = url.slice(BASE.length);
      const { status, body } = await generator.answer('flink-fleet-acme', 'orders-rest', init.method ?? 'GET', path);
      return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
    },
  });
}

describe('the scale bench\'s Flink REST load generator', () => {
  let now: number;
  let lookups: number;
  let generator: FlinkRestLoadGenerator;
  beforeEach(() => {
    now = 1_000_000;
    lookups = 0;
    generator = new FlinkRestLoadGenerator(async (namespace, service) => {
      lookups += 1;
      return namespace === 'flink-fleet-acme' && service === 'orders-rest' ? JOB : undefined;
    }, 3_000, () => now);
  });

  it('lists the cluster\'s job as soon as asked, INITIALIZING, then RUNNING with every vertex running once the scripted delay passed', async () => {
    const client = clientOf(generator);
    assert.deepEqual((await client.jobs()).map((job) => [job.id, job.state]), [[JOB, 'INITIALIZING']]);
    assert.equal((await client.job(JOB)).state, 'INITIALIZING');
    now += 3_000;
    const job = await client.job(JOB);
    assert.equal(job.state, 'RUNNING');
    assert.deepEqual(job.vertices.map((vertex) => vertex.status), ['RUNNING']);
    assert.deepEqual((await client.jobExceptions(JOB)).failures, []);
  });

  it('ends the job CANCELED on a cancel, or FINISHED with a completed savepoint on a stop', async () => {
    const client = clientOf(generator);
    await client.cancelJob(JOB);
    assert.equal((await client.job(JOB)).state, 'CANCELED');

    const other = new FlinkRestLoadGenerator(async () => JOB, 0, () => now);
    const stopping = clientOf(other);
    const trigger = await stopping.stopWithSavepoint(JOB, { targetDirectory: 's3://b/savepoints', drain: false, triggerId: 'f'.repeat(32) });
    assert.deepEqual(await stopping.savepointStatus(JOB, trigger), { state: 'COMPLETED', location: `s3://bench/savepoints/${JOB}` });
    assert.equal((await stopping.job(JOB)).state, 'FINISHED');
  });

  it('answers 404 for a job that is not the cluster\'s and 503 while the cluster has no JobManager, as Flink and the service proxy would', async () => {
    assert.equal((await generator.answer('flink-fleet-acme', 'orders-rest', 'GET', `/jobs/${'e'.repeat(32)}`)).status, 404);
    assert.equal((await generator.answer('flink-fleet-acme', 'orders-rest', 'GET', '/taskmanagers')).status, 404);
    assert.equal((await generator.answer('flink-fleet-acme', 'unknown-rest', 'GET', '/jobs/overview')).status, 503);
  });

  it('looks a cluster\'s job up once, however many requests arrive together, and again while it has none', async () => {
    await Promise.all([1, 2, 3].map(() => generator.answer('flink-fleet-acme', 'orders-rest', 'GET', '/jobs/overview')));
    await generator.answer('flink-fleet-acme', 'orders-rest', 'GET', `/jobs/${JOB}`);
    assert.equal(lookups, 1);
    await generator.answer('flink-fleet-acme', 'unknown-rest', 'GET', '/jobs/overview');
    await generator.answer('flink-fleet-acme', 'unknown-rest', 'GET', '/jobs/overview');
    assert.equal(lookups, 3);
  });

  it('counts every request by endpoint, ids and trigger ids folded', async () => {
    const client = clientOf(generator);
    await client.jobs();
    await client.job(JOB);
    await client.job(JOB);
    await client.cancelJob(JOB);
    await client.savepointStatus(JOB, 'a'.repeat(32));
    assert.deepEqual(Object.fromEntries(generator.requests), {
      'GET /jobs/overview': 1, 'GET /jobs/:id': 2, 'PATCH /jobs/:id': 1, 'GET /jobs/:id/savepoints/:trigger': 1,
    });
    assert.equal(generator.total, 5);
  });
});
