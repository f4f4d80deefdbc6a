import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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

/**
 * What Flink's own BashJavaUtils answers for `role` (one JVM, about 1.5 s of CPU), computed once per
 * sizing in this process: a pool's TaskManagers all share one answer.
 */
export function resourceParams(java: string, flinkHome: string, distJar: string, role: JvmRole, options: FlinkOptions, args: readonly string[]): Promise<ResourceParams> {
  const command = RESOURCE_COMMANDS[role];
  if (!command) throw new Error(`a ${role} is not sized by Flink's launcher`);
  const sizing = sizingOptions(options);
  const dynamic = sizingArgs(args);
  const key = JSON.stringify([java, flinkHome, distJar, command, renderFlinkConfig(sizing), dynamic]);
  let answer = computed.get(key);
  if (!answer) {
    answer = run(java, flinkHome, distJar, command, sizing, dynamic);
    // A failure is not kept: the next start asks again.
    answer.catch(() => computed.delete(key));
    computed.set(key, answer);
  }
  return answer;
}

async function run(java: string, flinkHome: string, distJar: string, command: string, sizing: FlinkOptions, dynamic: readonly string[]): Promise<ResourceParams> {
  const conf = mkdtempSync(join(tmpdir(), 'flink-fleet-sizing-'));
  try {
    writeFileSync(join(conf, 'config.yaml'), renderFlinkConfig(sizing));
    const classpath = `${join(flinkHome, 'bin', 'bash-java-utils.jar')}:${distJar}`;
    const { stdout } = await execFileAsync(java, ['-classpath', classpath, 'org.apache.flink.runtime.util.bash.BashJavaUtils', command, '--configDir', conf, ...dynamic], { maxBuffer: 16 * 1024 * 1024 });
    return parseResourceParams(stdout);
  } finally {
    rmSync(conf, { recursive: true, force: true });
  }
}
