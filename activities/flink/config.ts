/**
 * Renders Flink's `config.yaml` (Flink 2.x reads no other config file). Pure: the same options give
 * the same text, so both runtimes (a local conf folder, a Kubernetes ConfigMap) share one renderer.
 */
export type FlinkOptionValue = string | number | boolean;
export type FlinkOptions = Readonly<Record<string, FlinkOptionValue>>;

/**
 * The JVM flags Flink's own default config.yaml carries: without them Flink 2.x fails on Java 17
 * with InaccessibleObjectException as soon as Kryo or the RPC layer reflects into java.base.
 */
export const JAVA_17_OPENS = [
  '--add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED',
  '--add-exports=jdk.compiler/com.sun.tools.javac.api=ALL-UNNAMED',
  '--add-exports=jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED',
  '--add-exports=jdk.compiler/com.sun.tools.javac.parser=ALL-UNNAMED',
  '--add-exports=jdk.compiler/com.sun.tools.javac.tree=ALL-UNNAMED',
  '--add-exports=jdk.compiler/com.sun.tools.javac.util=ALL-UNNAMED',
  '--add-exports=java.security.jgss/sun.security.krb5=ALL-UNNAMED',
  ...['java.lang', 'java.net', 'java.io', 'java.nio', 'sun.nio.ch', 'java.lang.reflect', 'java.text', 'java.time',
    'java.util', 'java.util.concurrent', 'java.util.concurrent.atomic', 'java.util.concurrent.locks']
    .map((pkg) => `--add-opens=java.base/${pkg}=ALL-UNNAMED`),
].join(' ');

/**
 * Memory figures for one-machine clusters (2 cores, 24 GB shared by many JVMs). A JobManager needs
 * about 1 GB. A single-slot TaskManager at 1 GB keeps ~150 MB of task heap once managed memory is
 * capped, which is plenty for SQL previews and the example jobs.
 */
export const MEMORY_DEFAULTS: FlinkOptions = {
  'jobmanager.memory.process.size': '1024m',
  'taskmanager.memory.process.size': '1024m',
  'taskmanager.memory.managed.size': '128m',
  'taskmanager.memory.network.min': '32m',
  'taskmanager.memory.network.max': '32m',
};

export const BASE_OPTIONS: FlinkOptions = {
  'env.java.opts.all': JAVA_17_OPENS,
  'jobmanager.execution.failover-strategy': 'region',
  'parallelism.default': 1,
  'taskmanager.numberOfTaskSlots': 1,
  ...MEMORY_DEFAULTS,
};

/**
 * What a session cluster, shared by every tenant's previews, adds: no OPTIONS hints, so a query can
 * never change a table's connector or path, whatever slipped past the inspector (defence in depth;
 * the SQL inspector already judges every source's options after hints).
 */
export const SESSION_OPTIONS: FlinkOptions = {
  'table.dynamic-table-options.enabled': false,
};

function renderValue(value: FlinkOptionValue): string {
  if (typeof value !== 'string') return String(value);
  // Quote everything that YAML could read as another type or that holds YAML syntax.
  return JSON.stringify(value);
}

/** Flink's YAML parser accepts flattened keys, which keeps the output one line per option. */
export function renderFlinkConfig(options: FlinkOptions): string {
  return Object.keys(options)
    .sort()
    .map((key) => `${key}: ${renderValue(options[key] as FlinkOptionValue)}`)
    .join('\n')
    .concat('\n');
}

/** Reads back what renderFlinkConfig wrote (one `key: value` line per option, strings as JSON). */
export function parseFlinkConfig(text: string): FlinkOptions {
  const options: Record<string, FlinkOptionValue> = {};
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const colon = line.indexOf(': ');
    if (colon <= 0) throw new Error(`not a line renderFlinkConfig writes: ${line}`);
    const raw = line.slice(colon + 2);
    options[line.slice(0, colon)] = raw.startsWith('"') ? JSON.parse(raw) as string : raw === 'true' || raw === 'false' ? raw === 'true' : Number(raw);
  }
  return options;
}
