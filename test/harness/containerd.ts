import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stopProcess } from '../../activities/runtime/local/processes';
import {
  claimSharedContainerdDir, otherContainerdRunning, releaseSharedContainerdDir, SHARED_CONTAINERD_DIR,
} from '../../client/dev/node/host-state';
import { waitUntil } from '../../activities/runtime/local/wait';
import { trackProcess, type LeakScope } from './processes';
import { newStateDir } from './state';

/**
 * A containerd of the test's own: its own config, root, state and socket under the test run's
 * folder, the CRI plugin off (only `ctr` talks to it, so none of the kubelet's settings apply). What
 * runc and ctr keep in fixed places (`/run/containerd/{s,fifo}`, a cgroup per namespace) is put
 * back as it was by `stop()`.
 */
export interface ContainerMount {
  readonly source: string;
  readonly destination: string;
  readonly readOnly: boolean;
}

export interface ContainerRun {
  readonly image: string;
  readonly args?: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  readonly mounts?: readonly ContainerMount[];
}

export interface RunningContainer {
  readonly id: string;
  readonly logFile: string;
  /** The `ctr run --rm` client: it exits with the task's status once the task ends and the container is removed. */
  readonly exited: Promise<number | null>;
}

/**
 * Host paths containerd 1.6 and ctr use whatever the config says, inside the shared folder
 * (SHARED_CONTAINERD_DIR); removed at stop if we made them, and the shared folder by its own rule.
 */
const FIXED_DIRS = ['/run/containerd/fifo', '/run/containerd/s'] as const;

function configToml(dir: string): string {
  return [
    'version = 2',
    `root = "${dir}/root"`,
    `state = "${dir}/state"`,
    'disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs",',
    '  "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs"]',
    '[grpc]',
    `  address = "${dir}/containerd.sock"`,
    '[ttrpc]',
    `  address = "${dir}/containerd.sock.ttrpc"`,
    // Else containerd creates /opt/containerd on the host.
    '[plugins."io.containerd.internal.v1.opt"]',
    `  path = "${dir}/opt"`,
    '',
  ].join('\n');
}

export class PrivateContainerd {
  readonly address: string;
  /** A namespace of this instance's own, which also names its cgroups. */
  readonly namespace = `flink-fleet-test-${randomBytes(4).toString('hex')}`;
  private readonly runningClients = new Map<string, ChildProcess>();

  private constructor(
    readonly dir: string,
    private readonly daemon: ChildProcess,
    private readonly madeDirs: readonly string[],
    private readonly madeShared: boolean,
  ) {
    this.address = join(dir, 'containerd.sock');
  }

  static async start(scope: LeakScope = 'file'): Promise<PrivateContainerd> {
    const dir = newStateDir('containerd');
    const madeDirs = FIXED_DIRS.filter((fixed) => !existsSync(fixed));
    const madeShared = !existsSync(SHARED_CONTAINERD_DIR);
    claimSharedContainerdDir();
    writeFileSync(join(dir, 'config.toml'), configToml(dir));
    const log = openSync(join(dir, 'containerd.log'), 'a');
    const daemon = spawn('containerd', ['--config', join(dir, 'config.toml')], { detached: true, stdio: ['ignore', log, log] });
    closeSync(log);
    if (daemon.pid === undefined) throw new Error('containerd could not start');
    trackProcess(daemon.pid, `private containerd in ${dir}`, scope);
    const containerd = new PrivateContainerd(dir, daemon, madeDirs, madeShared);
    await waitUntil('the private containerd to answer', async () => (containerd.ctrStatus(['version']) === 0 ? true : undefined),
      { timeoutMs: 60_000, logFile: join(dir, 'containerd.log') });
    return containerd;
  }

  private ctrArgs(args: readonly string[]): string[] {
    return ['--address', this.address, '--namespace', this.namespace, ...args];
  }

  private ctrStatus(args: readonly string[]): number | null {
    return spawnSync('ctr', this.ctrArgs(args), { stdio: 'ignore' }).status;
  }

  ctr(args: readonly string[]): string {
    const result = spawnSync('ctr', this.ctrArgs(args), { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
    if (result.status !== 0) throw new Error(`ctr ${args.join(' ')} exited with ${result.status}: ${result.stderr}`);
    return result.stdout;
  }

  importImage(archive: string): void {
    this.ctr(['images', 'import', archive]);
  }

  imageReferences(): string[] {
    return this.ctr(['images', 'list', '--quiet']).split('\n').filter((line) => line.length > 0);
  }

  /** `ctr run --rm --net-host`: the container shares the host's network, so its ports are on 127.0.0.1. */
  run(id: string, spec: ContainerRun, scope: LeakScope = 'test'): RunningContainer {
    const env = Object.entries(spec.env ?? {}).flatMap(([name, value]) => ['--env', `${name}=${value}`]);
    const mounts = (spec.mounts ?? []).flatMap((mount) =>
      ['--mount', `type=bind,src=${mount.source},dst=${mount.destination},options=rbind:${mount.readOnly ? 'ro' : 'rw'}`]);
    const logFile = join(this.dir, `${id}.log`);
    const log = openSync(logFile, 'a');
    const client = spawn('ctr', this.ctrArgs(['run', '--rm', '--net-host', '--runc-root', join(this.dir, 'runc'), ...env, ...mounts,
      spec.image, id, ...(spec.args ?? [])]), { stdio: ['ignore', log, log] });
    closeSync(log);
    if (client.pid === undefined) throw new Error(`ctr run ${id} could not start`);
    trackProcess(client.pid, `ctr run ${id}`, scope);
    this.runningClients.set(id, client);
    const exited = new Promise<number | null>((resolve) => client.once('exit', (code) => resolve(code)));
    return { id, logFile, exited };
  }

  /** The host pid of the container's first process, once its task runs. */
  taskPid(id: string): number | undefined {
    const line = this.ctr(['tasks', 'list']).split('\n').find((row) => row.split(/\s+/)[0] === id);
    const [, pid, status] = line?.split(/\s+/) ?? [];
    return status === 'RUNNING' && pid !== undefined ? Number(pid) : undefined;
  }

  /** SIGTERM, as the kubelet sends; SIGKILL after `graceMs`. Resolves once the container is removed. */
  async stopContainer(id: string, graceMs = 60_000): Promise<void> {
    const client = this.runningClients.get(id);
    if (!client) return;
    const gone = new Promise<void>((resolve) => (client.exitCode !== null ? resolve() : client.once('exit', () => resolve())));
    if (this.ctrStatus(['tasks', 'kill', '--signal', 'SIGTERM', id]) === 0) {
      const timer = setTimeout(() => this.ctrStatus(['tasks', 'kill', '--signal', 'SIGKILL', id]), graceMs);
      await gone;
      clearTimeout(timer);
    } else {
      client.kill('SIGKILL');
      await gone;
    }
    this.runningClients.delete(id);
  }

  /** Leftover mounts under this instance's folder: none may remain once it stopped. */
  mountsUnderDir(): string[] {
    return readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((line) => line.split(' ')[4] ?? '')
      .filter((mountPoint) => mountPoint.startsWith(`${this.dir}/`));
  }

  /** Processes that still name this instance's folder (shims, the daemon): none may remain once it stopped. */
  processesUnderDir(): number[] {
    const pids: number[] = [];
    for (const entry of readdirSync('/proc')) {
      const pid = Number(entry);
      if (!Number.isInteger(pid)) continue;
      try {
        if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(this.dir)) pids.push(pid);
      } catch {
        // Gone between the listing and the read.
      }
    }
    return pids;
  }

  /** The per-namespace cgroups runc made under each controller. */
  cgroupDirs(): string[] {
    return readdirSync('/sys/fs/cgroup').map((controller) => join('/sys/fs/cgroup', controller, this.namespace)).filter((dir) => existsSync(dir));
  }

  /**
   * Of the fixed host folders this instance made (none existed before it), those still there: the
   * shared one too, unless another containerd still runs, which removes it when it stops.
   */
  fixedDirsLeft(): string[] {
    const shared = this.madeShared && !otherContainerdRunning() ? [SHARED_CONTAINERD_DIR] : [];
    return [...this.madeDirs, ...shared].filter((dir) => existsSync(dir));
  }

  /** Every container, the daemon, its folders and what it made outside them; safe to call twice. */
  async stop(): Promise<void> {
    for (const id of [...this.runningClients.keys()]) await this.stopContainer(id, 10_000);
    if (this.daemon.pid !== undefined) await stopProcess(this.daemon.pid, 10_000);
    // A shim outlives its removed container by a moment, and removes its socket in /run/containerd/s as it goes.
    await waitUntil('the private containerd\'s shims to exit', async () => (this.processesUnderDir().length === 0 ? true : undefined),
      { timeoutMs: 30_000 }).catch(() => undefined);
    for (const dir of this.cgroupDirs()) rmdirSync(dir);
    for (const dir of this.madeDirs) if (existsSync(dir) && readdirSync(dir).length === 0) rmdirSync(dir);
    releaseSharedContainerdDir();
    if (this.mountsUnderDir().length === 0) rmSync(this.dir, { recursive: true, force: true });
  }
}
