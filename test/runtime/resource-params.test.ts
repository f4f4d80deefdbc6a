import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, readdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BASE_OPTIONS, parseFlinkConfig, renderFlinkConfig } from '../../activities/flink/config';
import type { ResourceParams } from '../../activities/runtime/local/jvm-command';
import { keep, parseResourceParams, readKept, sizingArgs, sizingOptions, type SizingQuestion } from '../../activities/runtime/local/resource-params';
import { toolchain } from '../../scripts/toolchain';
import { newStateDir } from '../harness/state';

describe('sizing a Flink JVM without its launcher', () => {
  it('reads back every option type renderFlinkConfig writes', () => {
    const options = { ...BASE_OPTIONS, 'a.string': 'with: a colon and "quotes"', 'a.number': 8081, 'a.flag': false, 'a.numeric-string': '1024' };
    assert.deepEqual(parseFlinkConfig(renderFlinkConfig(options)), options);
  });

  it('keys a sizing on the memory, CPU and external resource options only', () => {
    assert.deepEqual(sizingOptions({ ...BASE_OPTIONS, 'rest.port': 8081, 'taskmanager.cpu.cores': 2, 'external-resource.gpu.amount': 1, 'jobmanager.memory.heap.size': '512m' }), {
      'jobmanager.memory.process.size': '1024m', 'taskmanager.memory.process.size': '1024m', 'taskmanager.memory.managed.size': '128m',
      'taskmanager.memory.network.min': '32m', 'taskmanager.memory.network.max': '32m', 'taskmanager.numberOfTaskSlots': 1,
      'taskmanager.cpu.cores': 2, 'external-resource.gpu.amount': 1, 'jobmanager.memory.heap.size': '512m',
    });
    assert.deepEqual(sizingArgs(['-Dtaskmanager.resource-id=tm-1', '-Dtaskmanager.memory.managed.size=96m', '--job-id', 'x']), ['-Dtaskmanager.memory.managed.size=96m']);
  });

  it('takes BashJavaUtils\' two result lines and passes its logging by', () => {
    const output = [
      'INFO  [] - Final TaskExecutor Memory configuration:',
      'BASH_JAVA_UTILS_EXEC_RESULT:-Xmx301989888 -Xms301989888 -XX:MaxDirectMemorySize=167772160',
      'BASH_JAVA_UTILS_EXEC_RESULT:-D taskmanager.cpu.cores=1.0 -D external-resources=none ',
    ].join('\n');
    assert.deepEqual(parseResourceParams(output), {
      jvmParams: ['-Xmx301989888', '-Xms301989888', '-XX:MaxDirectMemorySize=167772160'],
      dynamicConfigs: ['taskmanager.cpu.cores=1.0', 'external-resources=none'],
    });
    assert.throws(() => parseResourceParams('[ERROR] no memory configured'), /gave 0 result lines, not 2/);
  });
});

describe('Flink\'s sizing answers kept for later processes', () => {
  let dir: string;
  beforeEach(() => {
    dir = newStateDir('sizing');
  });

  it('reads back an answer only under its whole key, and keeps nothing in a folder it cannot write', () => {
    const params = { jvmParams: ['-Xmx1m'], dynamicConfigs: ['a=b'] };
    assert.deepEqual(keep(join(dir, 'kept'), 'key', params), params);
    assert.deepEqual(readKept(join(dir, 'kept'), 'key'), params);
    assert.equal(readKept(join(dir, 'kept'), 'another key'), undefined);
    assert.equal(readKept(join(dir, 'none'), 'key'), undefined);
    const blocked = join(dir, 'a file');
    writeFileSync(blocked, '');
    assert.deepEqual(keep(join(blocked, 'kept'), 'key', params), params);
    assert.equal(readKept(join(blocked, 'kept'), 'key'), undefined);
  });

  it('asks Flink once for a sizing, and a fresh process reads the kept answer without starting Java', () => {
    const realJava = realpathSync(execFileSync('sh', ['-c', 'command -v java'], { encoding: 'utf8' }).trim());
    const java = join(dir, 'java');
    writeFileSync(java, `#!/bin/sh\necho call >> "${dir}/calls"\nexec ${realJava} "$@"\n`);
    chmodSync(java, 0o755);
    const calls = (): number => (existsSync(join(dir, 'calls')) ? readFileSync(join(dir, 'calls'), 'utf8').split('\n').filter(Boolean).length : 0);
    const { flinkHome } = toolchain();
    const distJar = readdirSync(join(flinkHome, 'lib')).filter((f) => f.startsWith('flink-dist')).map((f) => join(flinkHome, 'lib', f))[0] ?? '';
    const question: SizingQuestion = { java, flinkHome, distJar, role: 'taskmanager', options: BASE_OPTIONS, args: [], cacheDir: join(dir, 'kept') };

    const first = askInAnotherProcess(question);
    assert.equal(calls(), 1);
    assert.ok(first.jvmParams.some((p) => p.startsWith('-Xmx')), `a heap size among ${first.jvmParams.join(' ')}`);
    assert.deepEqual(askInAnotherProcess({ ...question, args: ['-Dtaskmanager.resource-id=another'] }), first);
    assert.equal(calls(), 1, 'a second process with the same sizing started no Java');

    const larger = askInAnotherProcess({ ...question, options: { ...BASE_OPTIONS, 'taskmanager.memory.process.size': '1536m' } });
    assert.equal(calls(), 2, 'another sizing is asked again');
    assert.notDeepEqual(larger.jvmParams, first.jvmParams);
  });
});

/** Asks in a new process, whose answers in memory are empty: as a restarted worker would. */
function askInAnotherProcess(question: SizingQuestion): ResourceParams {
  const out = execFileSync(process.execPath, ['--require', 'tsx/cjs', join(__dirname, 'sizing-asker.ts'), JSON.stringify(question)], { encoding: 'utf8' });
  return JSON.parse(out) as ResourceParams;
}
