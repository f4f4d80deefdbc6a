import assert from 'node:assert/strict';
import { BASE_OPTIONS, parseFlinkConfig, renderFlinkConfig } from '../../activities/flink/config';
import { parseResourceParams, sizingArgs, sizingOptions } from '../../activities/runtime/local/resource-params';

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
