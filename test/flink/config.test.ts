import assert from 'node:assert/strict';
import { BASE_OPTIONS, JAVA_17_OPENS, renderFlinkConfig } from '../../activities/flink/config';

describe('renderFlinkConfig', () => {
  it('writes one flattened key per line, sorted, so the same options give the same text', () => {
    const text = renderFlinkConfig({ 'rest.port': 8081, 'jobmanager.rpc.address': '127.0.0.1', 'state.backend.incremental': true });
    assert.equal(text, 'jobmanager.rpc.address: "127.0.0.1"\nrest.port: 8081\nstate.backend.incremental: true\n');
  });

  it('quotes strings so YAML cannot read them as another type or as syntax', () => {
    const text = renderFlinkConfig({ 'pipeline.name': 'a: b # c', 'x.flag': 'true' });
    assert.equal(text, 'pipeline.name: "a: b # c"\nx.flag: "true"\n');
  });

  it('carries the JVM flags Flink needs on Java 17 and memory sizes for every process', () => {
    assert.equal(BASE_OPTIONS['env.java.opts.all'], JAVA_17_OPENS);
    assert.match(JAVA_17_OPENS, /--add-opens=java.base\/java.util=ALL-UNNAMED/);
    assert.equal(BASE_OPTIONS['jobmanager.memory.process.size'], '1024m');
    assert.equal(BASE_OPTIONS['taskmanager.memory.process.size'], '1024m');
    assert.equal(BASE_OPTIONS['taskmanager.numberOfTaskSlots'], 1);
  });
});
