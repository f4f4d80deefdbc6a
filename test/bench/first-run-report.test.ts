import assert from 'node:assert/strict';
import { renderFirstRun, type FirstRunFigures } from '../../bench/first-run-report';

const figures: FirstRunFigures = {
  date: '2026-11-27', machine: '2 cores, 24 GB', commit: 'abc1234', npmInstallSeconds: 40, demoSeconds: 130, cacheMegabytes: 900,
  targetSeconds: 180, loadAverage: [3.04, 5.5],
  install: {
    needs: ['demo'], cache: '/c', seconds: 70,
    steps: [{ step: 'temporal', seconds: 20, installed: true }, { step: 'flink', seconds: 45, installed: true }, { step: 'sql-inspector', seconds: 5, installed: false }],
  },
};

describe('the first-run section of bench/RESULTS.md', () => {
  it('counts npm install and the whole npm run demo, and breaks the demo into its install steps and the rest', () => {
    const markdown = renderFirstRun(figures);
    assert.match(markdown, /\*\*2 min 50 s\*\* in all, against a target of 3 min 00 s: met\./);
    const rows = markdown.split('\n').filter((line) => line.startsWith('| ') && !line.startsWith('| what'));
    assert.deepEqual(rows, [
      '| `npm install` | 40 s |',
      '| install step `temporal` | 20 s |',
      '| install step `flink` | 45 s |',
      '| install step `sql-inspector` (found in the cache) | 5 s |',
      '| the demo itself (stack up, pipeline, preview, savepoint, stack down) | 1 min 00 s |',
      '| **total** | **2 min 50 s** |',
    ]);
    assert.match(markdown, /load average was 3\.0 when the run started and 5\.5 when it ended/);
  });

  it('says plainly when the target is missed', () => {
    assert.match(renderFirstRun({ ...figures, demoSeconds: 141 }), /\*\*3 min 01 s\*\* in all, against a target of 3 min 00 s: NOT met\./);
  });
});
