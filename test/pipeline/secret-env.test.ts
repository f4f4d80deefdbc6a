import assert from 'node:assert/strict';
import { problemsOf } from './fixtures';

function withEnv(...names: string[]): unknown {
  return { tenant: 'acme', name: 'orders', job: { kind: 'sql', script: 'SELECT 1' },
    secretEnv: names.map((env) => ({ env, secretName: 'creds', key: 'value' })) };
}

describe('spec.secretEnv names', () => {
  it('accepts a connector\'s own credentials', () => {
    assert.deepEqual(problemsOf(withEnv('KAFKA_PASSWORD', 'DB_USER', 'AWS_ACCESS_KEY_ID', 'API_TOKEN')), []);
  });

  for (const name of [
    // the JVM
    'JAVA_TOOL_OPTIONS', 'JDK_JAVA_OPTIONS', '_JAVA_OPTIONS', 'JAVA_HOME', 'JAVA_OPTS', 'CLASSPATH', 'JVM_ARGS',
    // the dynamic loader and libc
    'LD_PRELOAD', 'LD_LIBRARY_PATH', 'GLIBC_TUNABLES', 'MALLOC_CONF', 'GCONV_PATH',
    // the shell
    'PATH', 'HOME', 'SHELL', 'ENV', 'BASH_ENV', 'BASH_FUNC_X', 'IFS', 'PS4', 'SHELLOPTS', 'TZ', 'TMPDIR',
    // Flink's launch scripts and image entrypoint
    'FLINK_ENV_JAVA_OPTS', 'FLINK_CONF_DIR', 'FLINK_PROPERTIES', 'FLINK_PLUGINS_DIR', 'ENABLE_BUILT_IN_PLUGINS', 'DISABLE_JEMALLOC',
    'JOB_MANAGER_RPC_ADDRESS', 'HIGH_AVAILABILITY', 'MAX_LOG_FILE_NUMBER',
    // Hadoop, Kubernetes, the fleet's own variables, logging, proxies
    'HADOOP_CONF_DIR', 'HADOOP_CLASSPATH', 'YARN_CONF_DIR', 'HBASE_CONF_DIR', 'KUBERNETES_SERVICE_HOST', 'POD_IP', 'POD_NAME',
    'LOG4J_CONFIGURATION_FILE', 'LOG4J2_LEVEL', 'HTTPS_PROXY', 'NO_PROXY', 'PYTHONPATH', 'PYFLINK_CLIENT_EXECUTABLE',
  ]) {
    it(`refuses ${name}, naming the field`, () => {
      const problems = problemsOf(withEnv('DB_USER', name));
      assert.equal(problems.length, 1, JSON.stringify(problems));
      assert.match(problems[0] ?? '', new RegExp(`^spec\\.secretEnv\\.1\\.env: ${name} is read by `));
    });
  }

  it('refuses a name given twice, naming the second', () => {
    assert.deepEqual(problemsOf(withEnv('DB_USER', 'DB_PASSWORD', 'DB_USER')), ['spec.secretEnv.2.env: DB_USER is already set by secretEnv[0]']);
  });
});
