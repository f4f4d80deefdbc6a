import assert from 'node:assert/strict';
import { renderJvmStart } from '../../bench/jvm-start-report';

describe('the JVM-start section of bench/RESULTS.md', () => {
  it('shows each measure\'s medians without and with the archives and their ratio', () => {
    const markdown = renderJvmStart({
      date: '2026-11-27', machine: '2 cores, 24 GB', rounds: 3, loadAverage: [2.04, 3.5],
      measures: [{ name: 'TaskManager', what: 'started → registered', withoutArchivesMs: [4000, 3000, 5000], withArchivesMs: [2000, 2400, 1000] }],
    });
    const rows = markdown.split('\n').filter((line) => line.startsWith('| ') && !line.startsWith('| what') && !line.startsWith('| ---'));
    assert.deepEqual(rows, ['| TaskManager | started → registered | 4000 ms | 2000 ms | **0.50×** |']);
    assert.match(markdown, /3 rounds/);
    assert.match(markdown, /Load average 2\.0 when the run started and 3\.5 when it ended/);
  });

  it('shows a dash, not a ratio, for a measure that has no figures on one side', () => {
    const markdown = renderJvmStart({
      date: '2026-11-27', machine: 'm', rounds: 0, loadAverage: [0, 0],
      measures: [{ name: 'JobManager', what: 'x', withoutArchivesMs: [], withArchivesMs: [1] }],
    });
    assert.ok(markdown.includes('| JobManager | x | – | 1 ms | **–** |'));
  });
});
