import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isRunning } from '../../../activities/runtime/local/processes';

/**
 * What a real node changes on the host, recorded before it starts so that stopping it can put the
 * host back and a test can compare. The kubelet sets kernel sysctls when `protectKernelDefaults` is
 * off, the bridge plugin turns on forwarding, kube-proxy, the kubelet and the CNI plugins add
 * iptables chains (and kube-router ip sets), and the kubelet, containerd and CNI use a few fixed
 * paths whatever their flags say.
 */
export interface HostState {
  /** The node's own folder, whose mounts count. */
  readonly root: string;
  readonly sysctls: Readonly<Record<string, string>>;
  /** `<binary> <table> <chain>` of every KUBE-* and CNI-* chain, and of every rule jumping to one. */
  readonly iptables: readonly string[];
  readonly interfaces: readonly string[];
  /** Mount points under FIXED_PATHS and the node's own folder: others' mounts (a chroot build) are not ours to judge. */
  readonly mounts: readonly string[];
  /** Which of FIXED_PATHS exist. */
  readonly paths: readonly string[];
  /** Top-level cgroups of every v1 controller, as `<controller>/<name>`. */
  readonly cgroups: readonly string[];
  /** nftables tables (`ip nat`...): iptables-nft creates them on first use, the node's components use them. */
  readonly nftTables: readonly string[];
  /** Kernel ip sets: kube-router keeps each policy's pods and peers in sets of its own. */
  readonly ipsets: readonly string[];
}

/** Set by the kubelet (protectKernelDefaults: false), the bridge plugin and the br_netfilter defaults. */
export const KUBELET_SYSCTLS = ['vm.overcommit_memory', 'vm.panic_on_oom', 'kernel.panic', 'kernel.panic_on_oops',
  'kernel.keys.root_maxkeys', 'kernel.keys.root_maxbytes'] as const;
const NETWORK_SYSCTLS = ['net.ipv4.ip_forward', 'net.ipv4.conf.all.forwarding', 'net.ipv6.conf.all.forwarding',
  'net.bridge.bridge-nf-call-iptables', 'net.bridge.bridge-nf-call-ip6tables', 'net.ipv4.conf.all.route_localnet',
  'net.netfilter.nf_conntrack_max'] as const;

/** Paths the kubelet, containerd's shims and the CNI plugins use whatever their configuration says. */
export const FIXED_PATHS: readonly string[] = ['/var/lib/kubelet', '/var/log/containers', '/var/log/pods', '/var/lib/cni', '/run/containerd',
  '/var/lib/containerd', '/opt/containerd', '/etc/cni', '/opt/cni', '/run/netns', '/var/run/netns', '/etc/kubernetes'];
/**
 * containerd's shims keep their sockets in /run/containerd/s whatever the state dir: one folder shared
 * by every containerd on the host (the node's, a test's private one), left to restoreHostState's
 * paths loop only through the marker below.
 */
export const SHARED_CONTAINERD_DIR = '/run/containerd';
const MADE_BY_THE_FLEET = '.made-by-flink-fleet';

/**
 * Before a containerd of the fleet's starts: makes the shared folder if it is missing, marked as the
 * fleet's. Two of them may start and stop in any order (the dev stack's node beside a test's private
 * one): each stop defers to a containerd still running, so the marker lets the last one remove it.
 */
export function claimSharedContainerdDir(dir = SHARED_CONTAINERD_DIR): void {
  if (existsSync(dir)) return;
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, MADE_BY_THE_FLEET), '');
}

/** After a containerd of the fleet's stopped: the shared folder goes if the fleet made it and no containerd runs any more. */
export function releaseSharedContainerdDir(othersRunning: boolean = otherContainerdRunning(), dir = SHARED_CONTAINERD_DIR): void {
  if (othersRunning || !existsSync(join(dir, MADE_BY_THE_FLEET))) return;
  rmSync(dir, { recursive: true, force: true });
}

const CHAIN_PREFIXES = ['KUBE-', 'CNI-'];
const IPTABLES = ['iptables', 'ip6tables'] as const;
const TABLES = ['filter', 'nat', 'mangle'] as const;

function sysctlPath(key: string): string {
  return join('/proc/sys', ...key.split('.'));
}

function readSysctls(keys: readonly string[]): Record<string, string> {
  const values: Record<string, string> = {};
  for (const key of keys) {
    if (existsSync(sysctlPath(key))) values[key] = readFileSync(sysctlPath(key), 'utf8').trim();
  }
  return values;
}

function iptablesSave(binary: string, table: string): string {
  const result = spawnSync(`${binary}-save`, ['-t', table], { encoding: 'utf8' });
  return result.status === 0 ? result.stdout : '';
}

function ours(chain: string | undefined): boolean {
  return chain !== undefined && CHAIN_PREFIXES.some((prefix) => chain.startsWith(prefix));
}

/** Chains, and rules in other chains that jump to ours; nothing else in the tables is looked at. */
function iptablesEntries(): string[] {
  const entries: string[] = [];
  for (const binary of IPTABLES) {
    for (const table of TABLES) {
      for (const line of iptablesSave(binary, table).split('\n')) {
        if (line.startsWith(':') && ours(line.slice(1).split(' ')[0])) entries.push(`${binary} ${table} ${line.slice(1).split(' ')[0]}`);
        const jump = / -j (\S+)/.exec(line)?.[1];
        if (line.startsWith('-A ') && !ours(line.split(' ')[1]) && ours(jump)) entries.push(`${binary} ${table} ${line}`);
      }
    }
  }
  return entries.sort();
}

function interfaces(): string[] {
  return readdirSync('/sys/class/net').sort();
}

function mounts(roots: readonly string[]): string[] {
  const all = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter(Boolean).map((line) => line.split(' ')[4] ?? '');
  return all.filter((mount) => roots.some((root) => mount === root || mount.startsWith(`${root}/`))).sort();
}

/** What the node makes: its bridge, the host ends of pods' veths, the test interface. */
const NODE_INTERFACE = /^(cni0|veth|flinkfleet)/;
/** Pods' cgroups (the kubelet's QoS tree) and those containerd makes for its own tasks. */
export const NODE_CGROUP = /^[^/]+\/(kubepods|k8s\.io)/;

function nftTables(): string[] {
  const result = spawnSync('nft', ['list', 'tables'], { encoding: 'utf8' });
  if (result.status !== 0) return [];
  return result.stdout.split('\n').filter((line) => line.startsWith('table ')).map((line) => line.slice('table '.length).trim()).sort();
}

/** A table iptables-nft made and nothing fills any more: its base chains, without a rule. */
function nftTableEmpty(table: string): boolean {
  const result = spawnSync('nft', ['list', 'table', ...table.split(' ')], { encoding: 'utf8' });
  return result.status === 0 && result.stdout.split('\n').every((line) => /^\s*(table |chain |type |\}|$)/.test(line));
}

/**
 * Another containerd (or its shims) on the host, besides the node's own which is stopped by now. A
 * zombie does not count: a containerd its parent stopped but has not reaped yet runs nothing.
 */
export function otherContainerdRunning(): boolean {
  return readdirSync('/proc').some((entry) => {
    if (!/^\d+$/.test(entry)) return false;
    try {
      return /^containerd/.test(readFileSync(`/proc/${entry}/comm`, 'utf8')) && isRunning(Number(entry));
    } catch {
      return false;
    }
  });
}

/** kube-router's: its policies' sets (KUBE-SRC-, KUBE-DST-) and those it swaps them in through (TMP-). */
const NODE_IPSET = /^(KUBE-|TMP-)/;

function ipsets(): string[] {
  const result = spawnSync('ipset', ['list', '-name'], { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.split('\n').filter(Boolean).sort() : [];
}

function cgroups(): string[] {
  const root = '/sys/fs/cgroup';
  if (!existsSync(root)) return [];
  const found: string[] = [];
  for (const controller of readdirSync(root)) {
    try {
      for (const entry of readdirSync(join(root, controller), { withFileTypes: true })) {
        if (entry.isDirectory()) found.push(`${controller}/${entry.name}`);
      }
    } catch {
      // A controller that is a symlink to a co-mounted one (cpu -> cpu,cpuacct) is listed under its target.
    }
  }
  return found.sort();
}

export function snapshotHostState(nodeDir: string): HostState {
  return {
    root: nodeDir, sysctls: readSysctls([...KUBELET_SYSCTLS, ...NETWORK_SYSCTLS]), iptables: iptablesEntries(), interfaces: interfaces(),
    mounts: mounts([...FIXED_PATHS, nodeDir]), paths: FIXED_PATHS.filter((path) => existsSync(path)), cgroups: cgroups(),
    nftTables: nftTables(), ipsets: ipsets(),
  };
}

export function writeSysctls(values: Readonly<Record<string, string>>, keys: readonly string[] = Object.keys(values)): void {
  for (const key of keys) {
    const value = values[key];
    if (value === undefined) continue;
    if (readFileSync(sysctlPath(key), 'utf8').trim() !== value) writeFileSync(sysctlPath(key), `${value}\n`);
  }
}

/** Rules jumping to our chains go first, then the chains' own rules, then the chains. */
function removeIptablesEntries(before: HostState): void {
  const kept = new Set(before.iptables);
  for (const binary of IPTABLES) {
    for (const table of TABLES) {
      const saved = iptablesSave(binary, table).split('\n');
      const jumps = saved.filter((line) => line.startsWith('-A ') && !ours(line.split(' ')[1]) && ours(/ -j (\S+)/.exec(line)?.[1])
        && !kept.has(`${binary} ${table} ${line}`));
      for (const rule of jumps) spawnSync(binary, ['-t', table, ...shellWords(rule.replace(/^-A /, '-D '))], { stdio: 'ignore' });
      const chains = saved.filter((line) => line.startsWith(':')).map((line) => line.slice(1).split(' ')[0] ?? '')
        .filter((chain) => ours(chain) && !kept.has(`${binary} ${table} ${chain}`));
      for (const chain of chains) spawnSync(binary, ['-t', table, '-F', chain], { stdio: 'ignore' });
      for (const chain of chains) spawnSync(binary, ['-t', table, '-X', chain], { stdio: 'ignore' });
    }
  }
}

/** iptables-save quotes comments ("..."), the only words with spaces in its rules. */
function shellWords(line: string): string[] {
  return [...line.matchAll(/"((?:[^"\\]|\\.)*)"|(\S+)/g)].map((match) => match[1] ?? match[2] ?? '');
}

/** Deepest first; lazily, so a mount still busy for a moment does not stop the rest. */
function unmountNew(before: HostState): void {
  const kept = new Set(before.mounts);
  const added = [...new Set(mounts([...FIXED_PATHS, before.root]))].filter((mount) => !kept.has(mount)).sort((a, b) => b.length - a.length);
  for (const mount of added) spawnSync('umount', ['--lazy', mount], { stdio: 'ignore' });
}

/** Pods' cgroups (kubepods/...) have to go bottom up, and only once no process is left in them. */
function removeCgroupTree(dir: string): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) if (entry.isDirectory()) removeCgroupTree(join(dir, entry.name));
  try {
    rmSync(dir, { recursive: false });
  } catch {
    spawnSync('rmdir', [dir], { stdio: 'ignore' });
  }
}

/** Every process still in a cgroup that the node created: a container its shim left behind. */
export function processesInNewCgroups(before: HostState): number[] {
  const kept = new Set(before.cgroups);
  const pids = new Set<number>();
  const collect = (dir: string): void => {
    const procs = join(dir, 'cgroup.procs');
    if (existsSync(procs)) for (const line of readFileSync(procs, 'utf8').split('\n')) if (line) pids.add(Number(line));
    for (const entry of readdirSync(dir, { withFileTypes: true })) if (entry.isDirectory()) collect(join(dir, entry.name));
  };
  for (const cgroup of cgroups()) if (!kept.has(cgroup) && NODE_CGROUP.test(cgroup)) collect(join('/sys/fs/cgroup', cgroup));
  return [...pids];
}

/**
 * Puts back what `before` recorded, once the node's processes are gone: mounts, iptables chains, ip sets,
 * interfaces the node made (its bridge, veths, the test interface), fixed paths, cgroups, sysctls.
 */
export function restoreHostState(before: HostState): void {
  unmountNew(before);
  removeIptablesEntries(before);
  // Only once no rule refers to them: the kernel refuses to destroy a set in use.
  const keptSets = new Set(before.ipsets);
  for (const set of ipsets()) if (!keptSets.has(set) && NODE_IPSET.test(set)) spawnSync('ipset', ['destroy', set], { stdio: 'ignore' });
  const keptInterfaces = new Set(before.interfaces);
  for (const name of interfaces()) if (!keptInterfaces.has(name) && NODE_INTERFACE.test(name)) spawnSync('ip', ['link', 'delete', name], { stdio: 'ignore' });
  const keptCgroups = new Set(before.cgroups);
  for (const cgroup of cgroups()) if (!keptCgroups.has(cgroup) && NODE_CGROUP.test(cgroup)) removeCgroupTree(join('/sys/fs/cgroup', cgroup));
  for (const path of FIXED_PATHS) {
    if (before.paths.includes(path) || !existsSync(path) || path === SHARED_CONTAINERD_DIR) continue;
    rmSync(path, { recursive: true, force: true });
  }
  releaseSharedContainerdDir();
  const keptTables = new Set(before.nftTables);
  for (const table of nftTables()) {
    if (!keptTables.has(table) && nftTableEmpty(table)) spawnSync('nft', ['delete', 'table', ...table.split(' ')], { stdio: 'ignore' });
  }
  writeSysctls(before.sysctls);
}

/** Human-readable differences, empty when the host is as it was. */
export function hostStateDifferences(before: HostState, after: HostState): string[] {
  const differences: string[] = [];
  for (const [key, value] of Object.entries(before.sysctls)) {
    if (after.sysctls[key] !== value) differences.push(`sysctl ${key} was ${value}, is ${after.sysctls[key] ?? 'gone'}`);
  }
  const lists = ['iptables', 'interfaces', 'mounts', 'paths', 'cgroups', 'nftTables', 'ipsets'] as const;
  for (const list of lists) {
    const was = new Set(before[list]);
    const is = new Set(after[list]);
    for (const item of is) if (!was.has(item)) differences.push(`${list}: ${item} added`);
    for (const item of was) if (!is.has(item)) differences.push(`${list}: ${item} removed`);
  }
  return differences;
}
