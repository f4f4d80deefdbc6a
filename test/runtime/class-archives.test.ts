import assert from 'node:assert/strict';
import { renderFlinkConfig } from '../../activities/flink/config';
import { classArchiveFile, classArchiveOptions, classArchiveTrainingOptions } from '../../activities/runtime/local/class-archives';

describe('class archive options', () => {
  it('give each role its own archive, never stopping a JVM whose archive no longer fits', () => {
    const options = classArchiveOptions({ jobmanager: '/a/jobmanager.jsa', taskmanager: '/a/taskmanager.jsa', 'sql-gateway': '/a/sql-gateway.jsa' });
    assert.deepEqual(options, {
      'env.java.opts.jobmanager': '-XX:SharedArchiveFile=/a/jobmanager.jsa -Xshare:auto',
      'env.java.opts.taskmanager': '-XX:SharedArchiveFile=/a/taskmanager.jsa -Xshare:auto',
      'env.java.opts.sql-gateway': '-XX:SharedArchiveFile=/a/sql-gateway.jsa -Xshare:auto',
    });
  });

  it('leave a role without an archive on its launcher\'s defaults', () => {
    assert.deepEqual(classArchiveOptions({ taskmanager: '/a/taskmanager.jsa' }), { 'env.java.opts.taskmanager': '-XX:SharedArchiveFile=/a/taskmanager.jsa -Xshare:auto' });
    assert.deepEqual(classArchiveOptions({}), {});
  });

  it('make each role of the training run write its archive at exit, where the fleet later reads it', () => {
    const training = classArchiveTrainingOptions('/cache/archives');
    assert.equal(classArchiveFile('/cache/archives', 'sql-gateway'), '/cache/archives/sql-gateway.jsa');
    assert.equal(renderFlinkConfig(training), [
      'env.java.opts.jobmanager: "-XX:ArchiveClassesAtExit=/cache/archives/jobmanager.jsa"',
      'env.java.opts.sql-gateway: "-XX:ArchiveClassesAtExit=/cache/archives/sql-gateway.jsa"',
      'env.java.opts.taskmanager: "-XX:ArchiveClassesAtExit=/cache/archives/taskmanager.jsa"',
      '',
    ].join('\n'));
  });
});
