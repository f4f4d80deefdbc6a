import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { waitUntil } from '../../activities/runtime/local/wait';
import { startFlinkCluster } from '../harness/flink';
import { sharedFlinkCluster } from '../harness/global';

async function post(url: string, body: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const json = (await response.json()) as Record<string, unknown>;
  assert.ok(response.ok, `${url}: ${response.status} ${JSON.stringify(json)}`);
  return json;
}

describe('a real Flink cluster started by the harness', () => {
  it('reports its TaskManagers and slots on /overview', async () => {
    const cluster = await startFlinkCluster({ taskManagers: 3 });
    try {
      const overview = (await (await fetch(`${cluster.restUrl}/overview`)).json()) as Record<string, unknown>;
      assert.equal(overview.taskmanagers, 3);
      assert.equal(overview['slots-total'], 3);
      assert.equal(overview['flink-version'], '2.3.0');
    } finally {
      await cluster.stop();
    }
  });

  it('streams rows of a datagen SELECT through the SQL Gateway', async () => {
    const { gatewayUrl, restUrl } = await sharedFlinkCluster();
    assert.ok(gatewayUrl);
    const { sessionHandle } = await post(`${gatewayUrl}/v2/sessions`, {});
    const session = `${gatewayUrl}/v2/sessions/${String(sessionHandle)}`;
    const execute = async (statement: string): Promise<string> => String((await post(`${session}/statements`, { statement })).operationHandle);
    await execute(`CREATE TEMPORARY TABLE numbers (n BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '50', 'fields.n.kind' = 'sequence', 'fields.n.start' = '1', 'fields.n.end' = '1000000')`);
    const operation = await execute('SELECT n FROM numbers');
    const rows: unknown[] = [];
    let next: string | undefined = `/v2/sessions/${String(sessionHandle)}/operations/${operation}/result/0?rowFormat=JSON`;
    const deadline = Date.now() + 60_000;
    while (rows.length < 5 && next && Date.now() < deadline) {
      const page = (await (await fetch(`${gatewayUrl}${next}`)).json()) as { resultType: string; nextResultUri?: string; results?: { data?: { fields: unknown[] }[] } };
      rows.push(...(page.results?.data ?? []).map((row) => row.fields[0]));
      next = page.nextResultUri;
      if (page.resultType === 'NOT_READY' || (page.results?.data ?? []).length === 0) await sleep(200);
    }
    // Closing a streaming SELECT's operation (not cancelling: it is FINISHED once submitted) cancels its job.
    assert.ok((await fetch(`${session}/operations/${operation}/close`, { method: 'DELETE' })).ok);
    assert.ok((await fetch(session, { method: 'DELETE' })).ok);
    const jobs = (await (await fetch(`${restUrl}/jobs/overview`)).json()) as { jobs: { state: string }[] };
    await waitUntil('the preview job to end', async () => {
      const { jobs: now } = (await (await fetch(`${restUrl}/jobs/overview`)).json()) as { jobs: { state: string }[] };
      return now.every((job) => job.state !== 'RUNNING') ? true : undefined;
    }, { timeoutMs: 30_000 });
    assert.ok(jobs.jobs.length >= 1);
    assert.ok(rows.length >= 5, `expected at least 5 rows, got ${JSON.stringify(rows)}`);
    assert.deepEqual(rows.slice(0, 3), [1, 2, 3]);
  });
});
