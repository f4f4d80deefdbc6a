import { join } from 'node:path';
import type { FlinkOptions } from '../../flink/config';

/**
 * The command line Flink's launcher scripts (bin/jobmanager.sh, taskmanager.sh, standalone-job.sh,
 * sql-gateway.sh, all ending in flink-console.sh) would exec, built without them. The scripts spend
 * about 6 s of CPU per JVM before it starts: they source config.sh twice and each sourcing, like the
 * memory sizing, runs a JVM of its own (BashJavaUtils). test/runtime/jvm-command-flink.test.ts runs
 * the scripts and checks that this builds the same command.
 */
export type JvmRole = 'jobmanager' | 'standalone-job' | 'taskmanager' | 'sql-gateway';

/** What Flink's BashJavaUtils computes from the memory options: JVM flags and the `-D` settings it derived. */
export interface ResourceParams {
  readonly jvmParams: readonly string[];
  readonly dynamicConfigs: readonly string[];
}

interface Entrypoint {
  readonly service: string;
  readonly mainClass: string;
  /** Which `env.java.(default-)opts.<role>` pair the launcher adds to the `all` ones. */
  readonly optsRole: 'jobmanager' | 'taskmanager' | 'sql-gateway';
}

const ENTRYPOINTS: Record<JvmRole, Entrypoint> = {
  jobmanager: { service: 'standalonesession', mainClass: 'org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint', optsRole: 'jobmanager' },
  'standalone-job': { service: 'standalonejob', mainClass: 'org.apache.flink.container.entrypoint.StandaloneApplicationClusterEntryPoint', optsRole: 'jobmanager' },
  taskmanager: { service: 'taskexecutor', mainClass: 'org.apache.flink.runtime.taskexecutor.TaskManagerRunner', optsRole: 'taskmanager' },
  'sql-gateway': { service: 'sql-gateway', mainClass: 'org.apache.flink.table.gateway.SqlGateway', optsRole: 'sql-gateway' },
};

/** The roles whose launcher sizes the JVM's memory through BashJavaUtils, and by which of its commands. */
export const RESOURCE_COMMANDS: Partial<Record<JvmRole, 'GET_JM_RESOURCE_PARAMS' | 'GET_TM_RESOURCE_PARAMS'>> = {
  jobmanager: 'GET_JM_RESOURCE_PARAMS',
  'standalone-job': 'GET_JM_RESOURCE_PARAMS',
  taskmanager: 'GET_TM_RESOURCE_PARAMS',
};

export interface JvmCommandInput {
  readonly role: JvmRole;
  readonly flinkHome: string;
  readonly confDir: string;
  readonly logDir: string;
  /** FLINK_IDENT_STRING: names the log file. */
  readonly ident: string;
  readonly hostname: string;
  /** The cluster's config.yaml, as the JVM will read it. */
  readonly options: FlinkOptions;
  /** For the roles in RESOURCE_COMMANDS. */
  readonly resources?: ResourceParams;
  /** The jars of lib/ (any order) other than flink-dist, flink-dist itself and, for the SQL Gateway, the gateway's and flink-python's jars of opt/. */
  readonly libJars: readonly string[];
  readonly distJar: string;
  readonly gatewayJars?: readonly string[];
  /** The JVM's `java.specification.version` major number. */
  readonly javaVersion: number;
  readonly args?: readonly string[];
}

function words(value: unknown): string[] {
  return typeof value === 'string' ? value.split(/\s+/).filter((w) => w !== '') : [];
}

/** config.sh: the `all` options, each role's own after them. */
function javaOpts(options: FlinkOptions, role: Entrypoint['optsRole'], javaVersion: number): string[] {
  const all = options['env.java.opts.all'] ?? options['env.java.opts'];
  return [
    '-XX:+IgnoreUnrecognizedVMOptions',
    ...words(options['env.java.default-opts.all']),
    ...words(all),
    ...(javaVersion > 17 ? ['-Djava.security.manager=allow'] : []),
    ...(role === 'sql-gateway' ? [] : words(options[`env.java.default-opts.${role}`])),
    ...words(options[`env.java.opts.${role}`]),
  ];
}

/** constructFlinkClassPath: lib/'s jars sorted, flink-dist last. */
function classpath(input: JvmCommandInput): string {
  return [...[...input.libJars].sort(), input.distJar, ...(input.gatewayJars ?? [])].join(':');
}

/** The launcher's arguments after the main class: the derived `-D` settings, --configDir and the caller's. */
function mainArgs(input: JvmCommandInput): string[] {
  const dynamic = (input.resources?.dynamicConfigs ?? []).flatMap((setting) => ['-D', setting]);
  const configDir = ['--configDir', input.confDir];
  const args = input.args ?? [];
  switch (input.role) {
    case 'jobmanager': return [...dynamic, ...configDir, ...args];
    case 'standalone-job':
    case 'taskmanager': return [...configDir, ...dynamic, ...args];
    case 'sql-gateway': return [...args];
  }
}

/** java's arguments, in the launcher's order. */
export function flinkJvmCommand(input: JvmCommandInput): string[] {
  const entry = ENTRYPOINTS[input.role];
  if (RESOURCE_COMMANDS[input.role] && !input.resources) throw new Error(`a ${input.role} needs its resource parameters`);
  const log = join(input.logDir, `flink-${input.ident}-${entry.service}-0-${input.hostname}.log`);
  const consoleConfig = join(input.confDir, 'log4j-console.properties');
  return [
    ...(input.resources?.jvmParams ?? []),
    ...javaOpts(input.options, entry.optsRole, input.javaVersion),
    `-Dlog.file=${log}`,
    `-Dlog4j.configuration=file:${consoleConfig}`,
    `-Dlog4j.configurationFile=file:${consoleConfig}`,
    `-Dlogback.configurationFile=file:${join(input.confDir, 'logback-console.xml')}`,
    '-classpath', classpath(input),
    entry.mainClass,
    ...mainArgs(input),
  ];
}

/** The environment the launcher hands the JVM: Flink finds its plugins and libraries through it. */
export function flinkJvmEnvironment(flinkHome: string, paths: { conf: string; log: string; run: string }, ident: string, options: FlinkOptions): Record<string, string> {
  return {
    FLINK_HOME: flinkHome,
    FLINK_BIN_DIR: join(flinkHome, 'bin'),
    FLINK_LIB_DIR: join(flinkHome, 'lib'),
    FLINK_OPT_DIR: join(flinkHome, 'opt'),
    FLINK_PLUGINS_DIR: join(flinkHome, 'plugins'),
    FLINK_CONF_DIR: paths.conf,
    FLINK_LOG_DIR: paths.log,
    FLINK_PID_DIR: paths.run,
    FLINK_IDENT_STRING: ident,
    // Read by log4j-console.properties.
    MAX_LOG_FILE_NUMBER: String(options['env.log.max'] ?? 10),
    ROOT_LOG_LEVEL: String(options['env.log.level'] ?? 'INFO'),
  };
}
