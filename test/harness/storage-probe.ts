import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { nodeBinary } from '../../scripts/install/kubernetes-node';
import { toolchain, type Toolchain } from '../../scripts/toolchain';
import { fixtureJar } from './fixture-jar';

/**
 * A Java probe that tries object storage from inside a Flink pod with only what the pod has: its
 * environment's credentials, its config (FLINK_CONF_DIR) and Flink's own S3 file system from the
 * image's plugins folder. Its source is test/fixtures/storage-probe.
 */
const MAIN = 'io.flinkfleet.probe.StorageProbe';
/** Written there through `kubectl exec`'s stdin: the image has no other way in, and /tmp is writable by the flink user. */
const JAR_IN_POD = '/tmp/storage-probe.jar';

export type StorageOp = 'list' | 'read' | 'write' | 'sink' | 'delete';

export interface StorageAttempt {
  readonly op: StorageOp;
  readonly uri: string;
}

export type StorageOutcome =
  | { readonly ok: true; readonly got: string }
  | { readonly ok: false; readonly exception: string; readonly message: string };

/** The probe's jar (test/fixtures/storage-probe), compiled on first use. */
export function storageProbeJar(tools: Toolchain = toolchain()): string {
  return fixtureJar('storage-probe', tools);
}

/** The probe's answer to each attempt, in order; a line that is not the probe's (a log line) is skipped. */
export function parseProbeOutput(stdout: string): (StorageAttempt & { readonly outcome: StorageOutcome })[] {
  return stdout.split('\n').filter((line) => line.startsWith('probe\t')).map((line) => {
    const [, op, uri, result, ...rest] = line.split('\t');
    if (result === 'ok') return { op: op as StorageOp, uri: uri ?? '', outcome: { ok: true, got: rest.join('\t') } };
    if (result === 'failed') return { op: op as StorageOp, uri: uri ?? '', outcome: { ok: false, exception: rest[0] ?? '', message: rest.slice(1).join('\t') } };
    throw new Error(`not a probe line: ${line}`);
  });
}

export interface PodContainer {
  readonly kubeconfigPath: string;
  readonly namespace: string;
  readonly pod: string;
  readonly container: string;
}

/** Runs kubectl with `input` on its stdin; resolves with its stdout, rejects with its stderr. */
function kubectl(args: readonly string[], input?: Buffer, timeoutMs = 300_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(nodeBinary(toolchain(), 'kubectl'), args, { stdio: ['pipe', 'pipe', 'pipe'], timeout: timeoutMs });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) resolve(Buffer.concat(out).toString('utf8'));
      else reject(new Error(`kubectl ${args.join(' ')} ended with ${signal ?? `exit code ${code}`}: ${Buffer.concat(err).toString('utf8')}`));
    });
    child.stdin.end(input);
  });
}

function execArgs(target: PodContainer, command: readonly string[], stdin = false): string[] {
  return ['--kubeconfig', target.kubeconfigPath, 'exec', ...(stdin ? ['-i'] : []), '-n', target.namespace, target.pod, '-c', target.container, '--', ...command];
}

/**
 * Puts the probe into the container and runs every attempt in one JVM, as the container's user with
 * the container's environment. The JVM is kept small: it shares the container's memory limit with
 * the Flink process already running there.
 */
export async function probeStorageInPod(target: PodContainer, attempts: readonly StorageAttempt[]): Promise<ReturnType<typeof parseProbeOutput>> {
  await kubectl(execArgs(target, ['bash', '-c', `cat > ${JAR_IN_POD}`], true), readFileSync(storageProbeJar()));
  const java = ['env', 'FLINK_PLUGINS_DIR=/opt/flink/plugins', 'java', '-Xmx96m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1',
    '-cp', `/opt/flink/lib/*:${JAR_IN_POD}`, MAIN, ...attempts.map(({ op, uri }) => `${op} ${uri}`)];
  const answers = parseProbeOutput(await kubectl(execArgs(target, java)));
  const asked = attempts.map(({ op, uri }) => `${op} ${uri}`);
  const answered = answers.map(({ op, uri }) => `${op} ${uri}`);
  if (JSON.stringify(asked) !== JSON.stringify(answered)) throw new Error(`the probe answered ${answered.join(', ')} to ${asked.join(', ')}`);
  return answers;
}
