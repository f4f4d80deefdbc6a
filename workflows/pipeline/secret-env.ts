/**
 * Environment variable names a secret may not take. A secret's value is the tenant's, and every
 * process of its cluster starts with it in the environment: any variable that the JVM, the dynamic
 * loader, the shell, Flink's launch scripts and image entrypoint, Hadoop or a Kubernetes client reads
 * would let that value become code or configuration (`JAVA_TOOL_OPTIONS=-javaagent:...`,
 * `LD_PRELOAD`, `FLINK_PROPERTIES` appending to config.yaml, `PATH`). The names were taken from
 * Flink 2.3's bin/*.sh and the official image's docker-entrypoint.sh, and from the manuals of the
 * others. Pure.
 */
interface Reader {
  readonly reader: string;
  readonly names?: readonly string[];
  readonly prefixes?: readonly string[];
}

const READERS: readonly Reader[] = [
  { reader: 'the JVM', names: ['JAVA_TOOL_OPTIONS', 'JDK_JAVA_OPTIONS', '_JAVA_OPTIONS', 'JAVA_HOME', 'JAVA_OPTS', 'CLASSPATH', 'JAVA_RUN', 'MY_JAVA_HOME'],
    prefixes: ['JAVA_', 'JDK_', '_JAVA_'] },
  { reader: 'the dynamic loader or libc', names: ['GLIBC_TUNABLES', 'GCONV_PATH', 'NLSPATH', 'LOCPATH', 'HOSTALIASES', 'RES_OPTIONS', 'LOCALDOMAIN', 'TZ', 'TZDIR'],
    prefixes: ['LD_', 'MALLOC_', 'JEMALLOC_'] },
  { reader: 'the shell', names: ['PATH', 'HOME', 'SHELL', 'ENV', 'BASH_ENV', 'IFS', 'PS4', 'SHELLOPTS', 'BASHOPTS', 'CDPATH', 'GLOBIGNORE',
    'PROMPT_COMMAND', 'TMPDIR', 'USER', 'HOST', 'HOSTNAME', 'LANG', 'TERM'], prefixes: ['BASH_', 'LC_'] },
  { reader: "Flink's launch scripts or image entrypoint", names: ['JVM_ARGS', 'ENABLE_BUILT_IN_PLUGINS', 'DISABLE_JEMALLOC', 'JOB_MANAGER_RPC_ADDRESS',
    'TASK_MANAGER_NUMBER_OF_TASK_SLOTS', 'HIGH_AVAILABILITY', 'MAX_LOG_FILE_NUMBER', 'ROOT_LOG_LEVEL', 'STD_REDIRECT_TO_FILE', 'ZK_HEAP',
    'CC_CLASSPATH', 'EXECUTION_PREFIX', 'INTERNAL_HADOOP_CLASSPATHS', 'KEY_ENV_JAVA_HOME'], prefixes: ['FLINK_', 'DEFAULT_ENV_', 'PYFLINK_', 'PYTHON'] },
  { reader: 'Hadoop', prefixes: ['HADOOP_', 'YARN_', 'HBASE_', 'HDFS_'] },
  { reader: 'Kubernetes clients and the fleet\'s own containers', names: ['POD_IP', 'POD_NAME'], prefixes: ['KUBERNETES_', 'KUBECONFIG'] },
  { reader: 'the logging libraries', prefixes: ['LOG4J', 'LOGBACK'] },
  { reader: 'HTTP clients (as a proxy or TLS setting)', names: ['HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY', 'ALL_PROXY', 'SSL_CERT_FILE', 'SSL_CERT_DIR', 'OPENSSL_CONF'] },
];

/** Which program reads `name`, when a secret must not take it. */
export function reservedEnvReader(name: string): string | undefined {
  return READERS.find(({ names = [], prefixes = [] }) => names.includes(name) || prefixes.some((prefix) => name.startsWith(prefix)))?.reader;
}
