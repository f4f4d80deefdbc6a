import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { sqlInspectionSchema, type SqlInspection } from '../../workflows/sql/inspection';
import { JAVA_17_OPENS } from '../flink/config';
import { SQL_INSPECTOR_MAIN } from './classpath';

export interface SqlInspectorOptions {
  readonly classpath: readonly string[];
  readonly java?: string;
  /** JVM start, planner warm-up included; seconds on a loaded machine. */
  readonly startTimeoutMs?: number;
  /** One inspection once warm: milliseconds normally, so this only catches a script that makes the planner spin. */
  readonly requestTimeoutMs?: number;
}

/** The JVM did not answer in time or died; the next call starts a new one. */
export class SqlInspectorUnavailable extends Error {
  override readonly name = 'SqlInspectorUnavailable';
}

/** A warm inspector took longer than its budget on this script; the script is the likely cause. */
export class SqlInspectionTimeout extends Error {
  override readonly name = 'SqlInspectionTimeout';
}

const STDERR_LINES_KEPT = 20;

/**
 * The inspector's JVM flags besides Java 17's opens. C1 only: measured here over 400 requests of a
 * windowed aggregation, ready after 3.6 s of CPU instead of 5.6-6.0 s, 18 ms a request instead of 21
 * after 300, and half the CPU in all (C2 kept compiling Calcite's planner for little gain).
 */
const SQL_INSPECTOR_JVM_FLAGS = ['-Xmx512m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1'] as const;

interface Running {
  readonly child: ChildProcessWithoutNullStreams;
  readonly lines: AsyncIterator<string>;
  readonly stderr: string[];
  readonly ready: Promise<void>;
}

/**
 * A client of the SQL inspector JVM (activities/sql-inspector/java): started on first use and kept
 * warm, asked one script at a time over stdin/stdout, restarted when it died or timed out. Its
 * process is unreferenced, so it never keeps a worker alive, and it exits by itself when its stdin
 * closes with the worker.
 */
export class SqlInspector {
  private running: Running | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private nextId = 1;

  constructor(private readonly options: SqlInspectorOptions) {}

  inspect(script: string): Promise<SqlInspection> {
    const turn = this.queue.then(() => this.ask(script));
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  /**
   * Starts the JVM now instead of at the first request; resolves once it is ready, which is after it
   * has inspected a representative script (Main.java's WARM_UP). A failure here is the next request's
   * to meet: that request starts a new JVM.
   */
  async warmUp(): Promise<void> {
    const running = this.running ?? this.start();
    await this.within(running, running.ready, this.options.startTimeoutMs ?? 120_000, (ms) => new SqlInspectorUnavailable(`the SQL inspector did not start within ${ms} ms`));
  }

  async close(): Promise<void> {
    const running = this.running;
    this.running = undefined;
    if (!running || running.child.exitCode !== null || running.child.signalCode !== null) return;
    const exited = new Promise((resolve) => running.child.once('exit', resolve));
    running.child.stdin.end();
    const timer = setTimeout(() => running.child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }

  private async ask(script: string): Promise<SqlInspection> {
    const running = this.running ?? this.start();
    await this.within(running, running.ready, this.options.startTimeoutMs ?? 120_000, (ms) => new SqlInspectorUnavailable(`the SQL inspector did not start within ${ms} ms`));
    const id = this.nextId++;
    running.child.stdin.write(`${JSON.stringify({ id, script })}\n`);
    const line = await this.within(running, nextLine(running.lines, running.stderr), this.options.requestTimeoutMs ?? 20_000,
      (ms) => new SqlInspectionTimeout(`Flink took longer than ${ms} ms to read the script`));
    const answer = sqlInspectionSchema.safeParse(JSON.parse(line));
    if (!answer.success || answer.data.id !== id) {
      this.stop(running);
      throw new SqlInspectorUnavailable(`the SQL inspector answered out of turn or in an unknown shape: ${line.slice(0, 300)}`);
    }
    return answer.data;
  }

  private start(): Running {
    const child = spawn(this.options.java ?? 'java', [
      ...JAVA_17_OPENS.split(' '), ...SQL_INSPECTOR_JVM_FLAGS, '-cp', this.options.classpath.join(':'), SQL_INSPECTOR_MAIN,
    ], { stdio: ['pipe', 'pipe', 'pipe'] });
    const stderr: string[] = [];
    const keep = (line: string): void => {
      stderr.push(line);
      if (stderr.length > STDERR_LINES_KEPT) stderr.shift();
    };
    // A failed spawn or a write to a dead JVM must not crash the worker; `within` reports the exit.
    child.on('error', (error) => keep(`spawn: ${error.message}`));
    child.stdin.on('error', () => undefined);
    // A JVM that died between requests is replaced by the next request, not reported to it.
    child.once('exit', () => {
      if (this.running?.child === child) this.running = undefined;
    });
    child.unref();
    for (const stream of [child.stdin, child.stdout, child.stderr]) (stream as unknown as { unref?: () => void }).unref?.();
    createInterface({ input: child.stderr }).on('line', keep);
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    const ready = nextLine(lines, stderr).then((line) => {
      if (line !== '{"ready":true}') throw new SqlInspectorUnavailable(`the SQL inspector said ${line.slice(0, 300)} instead of ready`);
    });
    // Awaited by the first request; until then a failed start must not count as an unhandled rejection.
    ready.catch(() => undefined);
    this.running = { child, lines, stderr, ready };
    return this.running;
  }

  /** Awaits `work`, unless the JVM exits first or the time runs out; either way that JVM is done. */
  private async within<T>(running: Running, work: Promise<T>, ms: number, timedOut: (ms: number) => Error): Promise<T> {
    // The loser of the race settles later (a killed JVM ends its output); nobody waits for it then.
    work.catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    let onExit: (code: number | null) => void = () => undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(timedOut(ms)), ms);
    });
    const exited = new Promise<never>((_, reject) => {
      onExit = (code) => reject(new SqlInspectorUnavailable(`the SQL inspector exited (${code ?? 'killed'}): ${running.stderr.join('\n').slice(-2_000)}`));
      if (running.child.exitCode !== null || running.child.signalCode !== null) onExit(running.child.exitCode);
      running.child.once('exit', onExit);
    });
    try {
      return await Promise.race([work, deadline, exited]);
    } catch (error) {
      this.stop(running);
      throw error;
    } finally {
      clearTimeout(timer);
      running.child.removeListener('exit', onExit);
    }
  }

  private stop(running: Running): void {
    if (this.running === running) this.running = undefined;
    running.child.kill('SIGKILL');
  }
}

async function nextLine(lines: AsyncIterator<string>, stderr: readonly string[]): Promise<string> {
  const next = await lines.next();
  if (next.done) throw new SqlInspectorUnavailable(`the SQL inspector closed its output: ${stderr.join('\n').slice(-2_000)}`);
  return next.value as string;
}
