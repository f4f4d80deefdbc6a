import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { FlinkRestClient } from '../../activities/flink/rest-client';
import type { KubernetesRuntime } from '../../activities/runtime/kubernetes/kubernetes-runtime';
import { waitUntil } from '../../activities/runtime/local/wait';
import type { S3Gateway } from '../../client/dev/s3-gateway';
import type { FleetClient } from '../../client/fleet-client';
import type { PipelineStatus } from '../../workflows/pipeline/api';

/** One tenant's pipelines and connections on the real node, as a test watches them. */
export interface RealNodeJobs {
  /** Waits until the job runs; fails at once if it ends first, with its failure. */
  running(name: string): Promise<PipelineStatus>;
  /** Flink's REST of the job's cluster, through the API server's proxy, as the worker reaches it. */
  rest(name: string): Promise<FlinkRestClient>;
  /** `chk-N` folders holding a `_metadata`: checkpoints Flink completed, as the gateway stored them. */
  completedCheckpoints(name: string, jobId: string): string[];
  /** Whether a savepoint Flink reported is complete on the gateway: its `_metadata` is there. */
  savepointStored(path: string): boolean;
}

export function realNodeJobs(s3: S3Gateway, client: FleetClient, runtime: KubernetesRuntime, tenant: string): RealNodeJobs {
  return {
    async running(name) {
      let ended: string | undefined;
      return waitUntil(`${name} to run`, async () => {
        const status = await client.getPipeline(tenant, name);
        if (status.phase === 'Failed' || status.phase === 'Stopped') ended = `${name} ended ${status.phase}: ${status.failure ?? ''}`;
        return status.phase === 'Running' ? status : undefined;
      }, { timeoutMs: 600_000, intervalMs: 1_000, hopeless: () => ended });
    },
    async rest(name) {
      const { endpoints } = await runtime.observe({ tenant, name });
      if (!endpoints) throw new Error(`${name} has no endpoints`);
      return new FlinkRestClient(endpoints.restUrl, { transport: runtime.flinkTransport, timeoutMs: 10_000 });
    },
    completedCheckpoints(name, jobId) {
      const dir = s3.objectPath(`${runtime.storageUri({ tenant, name })}/checkpoints/${jobId}`);
      return existsSync(dir) ? readdirSync(dir).filter((d) => d.startsWith('chk-') && existsSync(join(dir, d, '_metadata'))) : [];
    },
    savepointStored(path) {
      return existsSync(join(s3.objectPath(path), '_metadata'));
    },
  };
}
