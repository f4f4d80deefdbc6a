import assert from 'node:assert/strict';
import { lostItsPort, startupFailureFromLog } from '../../activities/runtime/local/startup-failure';

const portTaken = [
  '2026-11-28 17:10:01,100 INFO  org.apache.flink.runtime.rest.RestServerEndpoint [] - Starting rest endpoint.',
  '2026-11-28 17:10:02,200 ERROR org.apache.flink.runtime.entrypoint.ClusterEntrypoint [] - Could not start cluster entrypoint StandaloneApplicationClusterEntryPoint.',
  'org.apache.flink.runtime.entrypoint.ClusterEntrypointException: Failed to initialize the cluster entrypoint StandaloneApplicationClusterEntryPoint.',
  '\tat org.apache.flink.runtime.entrypoint.ClusterEntrypoint.startCluster(ClusterEntrypoint.java:261)',
  'Caused by: java.net.BindException: Could not start rest endpoint on any port in port range 21460',
  '\tat org.apache.flink.runtime.rest.RestServerEndpoint.start(RestServerEndpoint.java:286)',
].join('\n');

const jarMissing = [
  '2026-11-28 17:10:02,200 ERROR org.apache.flink.runtime.entrypoint.ClusterEntrypoint [] - Could not start cluster entrypoint StandaloneApplicationClusterEntryPoint.',
  'org.apache.flink.client.program.ProgramInvocationException: The program\'s entry point class \'a.B\' was not found in the jar file.',
  '\tat org.apache.flink.client.program.PackagedProgram.loadMainClass(PackagedProgram.java:481)',
].join('\n');

describe('why a local Flink JVM died while starting, from its console log', () => {
  it('tells a port bound by another process (a BindException anywhere in the last error\'s chain) from any other failure', () => {
    assert.equal(lostItsPort(portTaken), true);
    assert.equal(lostItsPort(jarMissing), false);
    assert.equal(lostItsPort(`${portTaken}\n${jarMissing}`), false, 'only the last error counts');
    assert.equal(lostItsPort(''), false);
  });

  it('names the program\'s own failure first, else the root cause', () => {
    assert.equal(startupFailureFromLog(jarMissing), 'The program\'s entry point class \'a.B\' was not found in the jar file.');
    assert.equal(startupFailureFromLog(portTaken), 'BindException: Could not start rest endpoint on any port in port range 21460');
    assert.equal(startupFailureFromLog('2026-11-28 17:10:01,100 INFO  nothing wrong'), undefined);
  });
});
