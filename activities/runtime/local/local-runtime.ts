import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderFlinkConfig, type FlinkOptions } from '../../flink/config';
import { digestHex } from '../../../workflows/pipeline/jar-digest';
import { clusterName, clusterStorageUri, tenantArtifactUri } from '../../names';
import {
  ClusterStartFailed, type ApplicationClusterSpec, type ClusterEndpoints, type ClusterObservation, type ClusterRef, type ClusterSummary,
  type FlinkRuntime, type JobArtifact, type SessionClusterSpec,
} from '../types';
import { surplusTaskManagers, taskManagerCount } from '../scaling';
import { ARCHIVED_ROLES, classArchiveFile, classArchiveOptions } from './class-archives';
import { applicationClusterOptions, localClusterOptions, sqlJobArguments } from './cluster-config';
import {
  clusterLayout, clusterStorageDir, listRecords, readRecord, storageRoot, withClusterLock, writeRecord, type ClusterLayout, type ClusterRecord,
  type TenantClusterLayout,
} from './layout';
import { freePort } from './ports';
import { clusterPaths, forgetPid, isRetiring, isRunning, lastLines, listPids, markRetiring, readPid, startFlinkProcess, stopProcess, type FlinkRole } from './processes';
import { lostItsPort, startupFailureFromLog } from './startup-failure';
import { verifiedJarCopy } from './verified-jar';
import { waitUntil } from './wait';

export interface LocalRuntimeOptions {
  readonly flinkHome: string;
  /** Clusters, their logs and their checkpoints live here; it survives worker restarts. */
  readonly stateDir: string;
  readonly startupTimeoutMs?: number;
  /** Where the installer left the JVMs' class archives (AppCDS); without them every JVM loads its classes from the jars. */
  readonly classArchives?: string;
  /** Where Flink's memory sizing answers are kept for the next worker process; each process asks Flink again without it. */
  readonly sizingCache?: string;
}

/** A jar job runs the checked copy at `path`, never the file in the artifact area. */
type LocalJob = Exclude<JobArtifact, { kind: 'jar' }> | (Extract<JobArtifact, { kind: 'jar' }> & { readonly path: string });

const JOB_MANAGER = 'jobmanager';
const GATEWAY = 'sql-gateway';
/** How many times a deploy draws ports for a cluster whose JVM found one taken. */
const PORT_DRAWS = 3;

class PortTaken extends Error {
  override readonly name = 'PortTaken';

  constructor(cluster: string) {
    super(`a port drawn for ${cluster} was bound by another process before its JVM bound it`);
  }
}

async function answers(url: string): Promise<true | undefined> {
  const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
  return response.ok ? true : undefined;
}

/** A cluster's conf folder: Flink's own logging files and `options` as config.yaml; the bench's raw Flink writes the same. */
export function writeClusterConfig(flinkHome: string, conf: string, options: FlinkOptions): void {
  mkdirSync(conf, { recursive: true });
  for (const file of ['log4j-console.properties', 'logback-console.xml']) copyFileSync(join(flinkHome, 'conf', file), join(conf, file));
  writeFileSync(join(conf, 'config.yaml'), renderFlinkConfig(options));
}

/**
 * Runs real Flink JobManager, TaskManager and SQL Gateway JVMs on this machine, one folder per
 * cluster. Nothing is kept in memory, so every method works the same from a freshly started worker.
 */
export class LocalRuntime implements FlinkRuntime {
  readonly kind = 'local';
  private readonly startupTimeoutMs: number;

  constructor(private readonly options: LocalRuntimeOptions) {
    this.startupTimeoutMs = options.startupTimeoutMs ?? 90_000;
  }

  get stateDir(): string {
    return this.options.stateDir;
  }

  async deployApplicationCluster(spec: ApplicationClusterSpec): Promise<ClusterEndpoints> {
    return this.locked(spec, async (layout) => {
      // Before the JobManager exists: Flink never sees a jar whose bytes are not the ones named.
      const job: LocalJob = spec.job.kind === 'jar' ? { ...spec.job, path: await this.verifiedJar(spec, spec.job.digest, layout) } : spec.job;
      return this.onFreePorts(spec, layout, 'application', async (record) => {
        this.writeConfig(layout, applicationClusterOptions(record, layout, spec, this.classArchiveOptions()));
        await Promise.all([
          this.startOnce(layout, 'standalone-job', JOB_MANAGER, this.jobArguments(spec.jobId, job, layout)),
          this.startTaskManagers(layout, record, taskManagerCount(spec)),
        ]);
        return this.waitForEndpoints(record, layout);
      });
    });
  }

  /** No plan limits one machine; the adaptive scheduler finds the new TaskManagers as they register. */
  async scaleTaskManagers(spec: ApplicationClusterSpec, busy: readonly string[]): Promise<void> {
    await this.locked(spec, async (layout) => {
      const record = readRecord(layout);
      if (record?.kind !== 'application') throw new Error(`application cluster ${layout.dir} does not exist`);
      const count = taskManagerCount(spec);
      await this.startTaskManagers(layout, record, count);
      const running = this.taskManagerNames(layout);
      const resourceId = (name: string): string => `${record.cluster}-${name}`;
      const surplus = surplusTaskManagers(running.map(resourceId), busy, count);
      for (const name of running.filter((n) => surplus.includes(resourceId(n)))) await this.killTaskManager(spec, name);
    });
  }

  /** One machine has no tenant plan: the spec's own bound is the only one. */
  maxParallelism(): undefined {
    return undefined;
  }

  async deploySessionCluster(spec: SessionClusterSpec): Promise<ClusterEndpoints> {
    return this.locked(spec, async (layout) => {
      return this.onFreePorts(spec, layout, 'session', async (record) => {
        this.writeConfig(layout, { ...localClusterOptions(record, layout, spec), ...this.classArchiveOptions(), ...spec.flinkOptions });
        await Promise.all([this.startOnce(layout, 'jobmanager', JOB_MANAGER), this.startOnce(layout, 'sql-gateway', GATEWAY)]);
        return this.waitForEndpoints(record, layout);
      });
    });
  }

  async addTaskManager(cluster: ClusterRef, taskManagerId: string): Promise<void> {
    await this.locked(cluster, async (layout) => {
      if (!readRecord(layout)) throw new Error(`cluster ${layout.dir} does not exist`);
      await this.startOnce(layout, 'taskmanager', taskManagerId, [`-Dtaskmanager.resource-id=${taskManagerId}`]);
    });
  }

  async killTaskManager(cluster: ClusterRef, taskManagerId: string): Promise<void> {
    const layout = this.layout(cluster);
    const pid = readPid(layout.dir, taskManagerId);
    if (pid === undefined) return;
    // A watch that looks between the kill and the forgetting would call the cluster failed.
    markRetiring(layout.dir, taskManagerId);
    if (isRunning(pid, layout.dir)) await stopProcess(pid, 3_000);
    forgetPid(layout.dir, taskManagerId);
  }

  async deleteCluster(cluster: ClusterRef): Promise<void> {
    await this.locked(cluster, async (layout) => {
      await this.stopProcesses(layout);
      rmSync(layout.dir, { recursive: true, force: true });
    });
  }

  async observe(cluster: ClusterRef): Promise<ClusterObservation> {
    const layout = this.layout(cluster);
    const record = readRecord(layout);
    const name = clusterName(cluster.tenant, cluster.name);
    if (!record) return { cluster: name, health: 'missing', processes: [] };
    const processes = [...listPids(layout.dir)].filter(([processName]) => !isRetiring(layout.dir, processName)).map(([processName, pid]) => ({
      name: processName, role: processName === JOB_MANAGER || processName === GATEWAY ? processName : 'taskmanager', alive: isRunning(pid, layout.dir),
    }));
    const endpoints = this.endpoints(record);
    const deadCore = processes.find((p) => !p.alive && p.role !== 'taskmanager');
    if (deadCore) {
      const log = join(layout.dir, 'log', `${deadCore.name}.out`);
      return { cluster: name, health: 'failed', endpoints, processes, reason: `the ${deadCore.name} process is not running; its log ends:\n${lastLines(log, 5)}` };
    }
    const deadTaskManager = processes.find((p) => !p.alive);
    if (deadTaskManager) {
      // Nothing on this machine restarts a process (as a Deployment would), so an application
      // cluster that lost a TaskManager cannot finish its job; a session cluster's pool replaces it.
      const health = record.kind === 'application' ? 'failed' : 'degraded';
      return { cluster: name, health, endpoints, processes, reason: `${deadTaskManager.name} is not running` };
    }
    return { cluster: name, health: 'running', endpoints, processes };
  }

  async listClusters(): Promise<ClusterSummary[]> {
    return listRecords(this.options.stateDir).map(({ tenant, name, cluster, kind, createdAt }) => ({ tenant, name, cluster, kind, createdAt }));
  }

  storageUri(cluster: ClusterRef): string {
    return clusterStorageUri(`file://${storageRoot(this.options.stateDir)}`, cluster.tenant, cluster.name);
  }

  /** Tenants need no isolation objects on one machine; their clusters are folders like any other. */
  async ensureTenant(): Promise<void> {
    mkdirSync(join(this.options.stateDir, 'clusters'), { recursive: true });
  }

  /** Flink writes `<checkpoints>/<job id>/chk-<n>/_metadata` last, so a folder with it is complete. */
  async latestCheckpoint(cluster: ClusterRef, jobId: string): Promise<string | undefined> {
    const jobDir = join(this.layout(cluster).storage, 'checkpoints', jobId);
    if (!existsSync(jobDir)) return undefined;
    const newest = readdirSync(jobDir)
      .map((entry) => /^chk-(\d+)$/.exec(entry))
      .filter((match): match is RegExpExecArray => match !== null && existsSync(join(jobDir, match[0], '_metadata')))
      .sort((a, b) => Number(b[1]) - Number(a[1]))[0];
    return newest ? `file://${join(jobDir, newest[0])}` : undefined;
  }

  private layout(cluster: ClusterRef): TenantClusterLayout {
    const name = clusterName(cluster.tenant, cluster.name);
    return { ...clusterLayout(this.options.stateDir, name), storage: clusterStorageDir(this.options.stateDir, cluster.tenant, name) };
  }

  private locked<T>(cluster: ClusterRef, action: (layout: TenantClusterLayout) => Promise<T>): Promise<T> {
    return withClusterLock(this.options.stateDir, clusterName(cluster.tenant, cluster.name), () => action(this.layout(cluster)));
  }

  /**
   * A new cluster's ports are free when drawn, but another process can bind one before the JVM does
   * (seen in a loaded CI run: the JobManager's REST port). A start that died of that, and only of
   * that, is undone (its JVMs stopped, their pid files, logs and the record put aside) and made again
   * on ports drawn anew. Nothing ran yet: Flink binds its RPC and REST ports before it runs a job.
   */
  private async onFreePorts(cluster: ClusterRef, layout: ClusterLayout, kind: ClusterRecord['kind'], start: (record: ClusterRecord) => Promise<ClusterEndpoints>): Promise<ClusterEndpoints> {
    for (let draw = 1; ; draw++) {
      const record = await this.ensureRecord(cluster, layout, kind);
      try {
        return await start(record);
      } catch (error) {
        if (!(error instanceof PortTaken) || draw >= PORT_DRAWS) throw error;
        await this.stopProcesses(layout);
        for (const name of listPids(layout.dir).keys()) forgetPid(layout.dir, name);
        const { log } = clusterPaths(layout.dir);
        renameSync(log, `${log}-port-taken-${draw}`);
        rmSync(layout.record);
      }
    }
  }

  private async stopProcesses(layout: ClusterLayout): Promise<void> {
    const pids = [...listPids(layout.dir).values()].filter((pid) => isRunning(pid, layout.dir));
    await Promise.all(pids.map((pid) => stopProcess(pid)));
  }

  /** Ports are chosen once and recorded, so a retried deploy configures the same endpoints. */
  private async ensureRecord(cluster: ClusterRef, layout: ClusterLayout, kind: ClusterRecord['kind']): Promise<ClusterRecord> {
    const existing = readRecord(layout);
    if (existing) return existing;
    const record: ClusterRecord = {
      tenant: cluster.tenant, name: cluster.name, cluster: clusterName(cluster.tenant, cluster.name), kind,
      createdAt: new Date().toISOString(),
      ports: { rest: await freePort(), rpc: await freePort(), ...(kind === 'session' ? { gateway: await freePort() } : {}) },
    };
    writeRecord(layout, record);
    return record;
  }

  /**
   * Asked at each deploy, so that archives installed while the worker runs are used by its next
   * cluster; public so that the bench's raw Flink runs with the same JVM flags.
   */
  classArchiveOptions(): FlinkOptions {
    const dir = this.options.classArchives;
    if (dir === undefined) return {};
    const present = ARCHIVED_ROLES.filter((role) => existsSync(classArchiveFile(dir, role)));
    return classArchiveOptions(Object.fromEntries(present.map((role) => [role, classArchiveFile(dir, role)])));
  }

  private writeConfig(layout: ClusterLayout, options: FlinkOptions): void {
    writeClusterConfig(this.options.flinkHome, layout.conf, options);
  }

  /** The checked copy of the tenant's jar in the cluster's folder; a missing or different jar is refused, typed. */
  private async verifiedJar(cluster: ClusterRef, digest: string, layout: ClusterLayout): Promise<string> {
    const source = fileURLToPath(tenantArtifactUri(`file://${storageRoot(this.options.stateDir)}`, cluster.tenant, digest));
    const jar = await verifiedJarCopy(source, join(layout.jobDir, `${digestHex(digest)}.jar`), digest);
    if ('path' in jar) return jar.path;
    const name = clusterName(cluster.tenant, cluster.name);
    if ('missing' in jar) throw new ClusterStartFailed(name, `spec.job.jar: ${digest} is not in tenant ${cluster.tenant}'s artifact area (${source}); put it there with \`flink-fleet artifact put\``, 'InvalidJar');
    throw new ClusterStartFailed(name, `spec.job.jar: the artifact area holds a jar of ${jar.found} under ${digest}; refused, Flink was not started`, 'JarDigestMismatch');
  }

  private jobArguments(jobId: string, job: LocalJob, layout: ClusterLayout): string[] {
    if (job.kind === 'jar') return ['--job-id', jobId, '--jars', job.path, '--job-classname', job.entryClass, ...job.args];
    mkdirSync(layout.jobDir, { recursive: true });
    const script = join(layout.jobDir, 'pipeline.sql');
    writeFileSync(script, job.script);
    return sqlJobArguments(jobId, script);
  }

  /**
   * A process that has a pid file was started by an earlier attempt: whether it is still alive or not,
   * it is not started again here (a finished job must not be rerun by a retry); observe reports it.
   */
  private async startOnce(layout: ClusterLayout, role: FlinkRole, name: string, args: string[] = []): Promise<void> {
    if (readPid(layout.dir, name) !== undefined) return;
    await startFlinkProcess({ flinkHome: this.options.flinkHome, clusterDir: layout.dir, role, name, args, ...(this.options.sizingCache ? { sizingCache: this.options.sizingCache } : {}) });
  }

  /** `taskmanager-<i>`, in the order they were numbered: the oldest first. */
  private taskManagerNames(layout: ClusterLayout): string[] {
    return [...listPids(layout.dir).keys()].map((name) => /^taskmanager-(\d+)$/.exec(name)).filter((m) => m !== null)
      .sort((a, b) => Number(a[1]) - Number(b[1])).map((m) => m[0]);
  }

  /** Starts TaskManagers under the lowest free numbers until `count` exist; a rescale's retry starts none twice. */
  private async startTaskManagers(layout: ClusterLayout, record: ClusterRecord, count: number): Promise<void> {
    const existing = new Set(this.taskManagerNames(layout));
    const starts: Promise<void>[] = [];
    for (let i = 1; existing.size < count; i++) {
      const name = `taskmanager-${i}`;
      if (existing.has(name)) continue;
      starts.push(this.startOnce(layout, 'taskmanager', name, [`-Dtaskmanager.resource-id=${record.cluster}-${name}`]));
      existing.add(name);
    }
    await Promise.all(starts);
  }

  private endpoints(record: ClusterRecord): ClusterEndpoints {
    const restUrl = `http://127.0.0.1:${record.ports.rest}`;
    return record.ports.gateway === undefined ? { restUrl } : { restUrl, gatewayUrl: `http://127.0.0.1:${record.ports.gateway}` };
  }

  private async waitForEndpoints(record: ClusterRecord, layout: ClusterLayout): Promise<ClusterEndpoints> {
    const endpoints = this.endpoints(record);
    const waitFor = (processName: string, url: string): Promise<true> => waitUntil(`${processName} of ${record.cluster}`, () => answers(url), {
      timeoutMs: this.startupTimeoutMs,
      logFile: join(layout.dir, 'log', `${processName}.out`),
      // Liveness only: between fork and exec a just-spawned child still has this process's environment,
      // so the FLINK_CONF_DIR check that guards against reused pids would call it dead.
      hopeless: () => (isRunning(readPid(layout.dir, processName) ?? 0) ? undefined : 'exited before it was ready'),
    });
    try {
      await waitFor(JOB_MANAGER, `${endpoints.restUrl}/overview`);
      if (endpoints.gatewayUrl) await waitFor(GATEWAY, `${endpoints.gatewayUrl}/v2/info`);
    } catch (error) {
      const logOf = (name: string): string => {
        const file = join(layout.dir, 'log', `${name}.out`);
        return existsSync(file) ? readFileSync(file, 'utf8') : '';
      };
      if ([JOB_MANAGER, GATEWAY].some((name) => lostItsPort(logOf(name)))) throw new PortTaken(record.cluster);
      const reason = startupFailureFromLog(logOf(JOB_MANAGER));
      throw reason ? new ClusterStartFailed(record.cluster, reason) : error;
    }
    return endpoints;
  }
}
