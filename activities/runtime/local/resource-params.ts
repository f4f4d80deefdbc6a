import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rm, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { renderFlinkConfig, type FlinkOptions } from '../../flink/config';
import { RESOURCE_COMMANDS, type JvmRole, type ResourceParams } from './jvm-command';

/**
 * The options Flink sizes a process from (TaskExecutorProcessUtils, JobManagerProcessUtils): memory,
 * CPU cores (slots by default) and external resources. Nothing else in a config changes the answer,
 * so clusters that differ only in ports and folders share one.
 */
const SIZING_KEY = /^(taskmanager\.memory\.|jobmanager\.memory\.|taskmanager\.heap\.|jobmanager\.heap\.|taskmanager\.cpu\.cores$|taskmanager\.numberOfTaskSlots$|external-resource)/;

export function sizingOptions(options: FlinkOptions): FlinkOptions {
  return Object.fromEntries(Object.entries(options).filter(([key]) => SIZING_KEY.test(key)));
}

/** `-Dkey=value` arguments a launcher would pass on to the sizing: only those that change it. */
export function sizingArgs(args: readonly string[]): string[] {
  return args.filter((arg) => arg.startsWith('-D') && SIZING_KEY.test(arg.slice(2)));
}

const PREFIX = 'BASH_JAVA_UTILS_EXEC_RESULT:';

/** BashJavaUtils' answer: two result lines, JVM flags then `-D key=value` pairs. */
export function parseResourceParams(output: string): ResourceParams {
  const results = output.split('\n').filter((line) => line.startsWith(PREFIX)).map((line) => line.slice(PREFIX.length));
  if (results.length !== 2) throw new Error(`Flink's BashJavaUtils gave ${results.length} result lines, not 2:\n${output.slice(-2000)}`);
  const [jvm, dynamic] = results as [string, string];
  const dynamicWords = dynamic.split(/\s+/).filter((w) => w !== '');
  const dynamicConfigs = dynamicWords.filter((_, i) => i % 2 === 1);
  if (dynamicWords.some((w, i) => i % 2 === 0 && w !== '-D')) throw new Error(`unexpected dynamic configs from BashJavaUtils: ${dynamic}`);
  return { jvmParams: jvm.split(/\s+/).filter((w) => w !== ''), dynamicConfigs };
}

const execFileAsync = promisify(execFile);
const computed = new Map<string, Promise<ResourceParams>>();

export interface SizingQuestion {
  readonly java: string;
  readonly flinkHome: string;
  readonly distJar: string;
  readonly role: JvmRole;
  readonly options: FlinkOptions;
  readonly args: readonly string[];
  /** A folder that keeps the answers for other processes (the worker restarted, the CLI's, a test's); memory only without it. */
  readonly cacheDir?: string;
}

/**
 * What Flink's own BashJavaUtils answers for `role` (one JVM, about 1.5 s of CPU), computed once per
 * sizing: in this process a pool's TaskManagers all share one answer, and with `cacheDir` so do later
 * processes. The key holds everything the answer depends on: the sizing options, the Java and the
 * flink-dist jar (its size and time, so that another Flink in the same place is asked again).
 */
export function resourceParams(question: SizingQuestion): Promise<ResourceParams> {
  const command = RESOURCE_COMMANDS[question.role];
  if (!command) throw new Error(`a ${question.role} is not sized by Flink's launcher`);
  const sizing = sizingOptions(question.options);
  const dynamic = sizingArgs(question.args);
  const key = JSON.stringify([question.java, fileIdentity(question.java), question.flinkHome, question.distJar, fileIdentity(question.distJar), command, renderFlinkConfig(sizing), dynamic]);
  let answer = computed.get(key);
  if (!answer) {
    const { cacheDir } = question;
    answer = cacheDir === undefined
      ? run(question, command, sizing, dynamic)
      : Promise.resolve(readKept(cacheDir, key)).then((kept) => kept ?? run(question, command, sizing, dynamic).then((fresh) => keep(cacheDir, key, fresh)));
    // A failure is not kept: the next start asks again.
    answer.catch(() => computed.delete(key));
    computed.set(key, answer);
  }
  return answer;
}

function fileIdentity(path: string): string {
  const stat = statSync(path);
  return `${stat.size}@${stat.mtimeMs}`;
}

function keptFile(cacheDir: string, key: string): string {
  return join(cacheDir, `${createHash('sha256').update(key).digest('hex')}.json`);
}

/** The answer kept under `key`, if any: the file names its whole key, so only an exact match counts. */
export function readKept(cacheDir: string, key: string): ResourceParams | undefined {
  let kept: { key?: unknown; params?: ResourceParams };
  try {
    kept = JSON.parse(readFileSync(keptFile(cacheDir, key), 'utf8')) as typeof kept;
  } catch {
    return undefined;
  }
  return kept.key === key ? kept.params : undefined;
}

/** Written whole then renamed, so that a process reading at the same time sees all of it or nothing. */
export function keep(cacheDir: string, key: string, params: ResourceParams): ResourceParams {
  const file = keptFile(cacheDir, key);
  const partial = `${file}.${process.pid}.partial`;
  try {
    mkdirSync(cacheDir, { recursive: true });
    writeFileSync(partial, JSON.stringify({ key, params }));
    renameSync(partial, file);
  } catch {
    // Keeping is only a saving: an unwritable folder means the next process asks Flink again.
    rm(partial, { force: true }, () => undefined);
  }
  return params;
}

async function run(question: SizingQuestion, command: string, sizing: FlinkOptions, dynamic: readonly string[]): Promise<ResourceParams> {
  const conf = mkdtempSync(join(tmpdir(), 'flink-fleet-sizing-'));
  try {
    writeFileSync(join(conf, 'config.yaml'), renderFlinkConfig(sizing));
    const classpath = `${join(question.flinkHome, 'bin', 'bash-java-utils.jar')}:${question.distJar}`;
    const { stdout } = await execFileAsync(question.java, ['-classpath', classpath, 'org.apache.flink.runtime.util.bash.BashJavaUtils', command, '--configDir', conf, ...dynamic], { maxBuffer: 16 * 1024 * 1024 });
    return parseResourceParams(stdout);
  } finally {
    rmSync(conf, { recursive: true, force: true });
  }
}
