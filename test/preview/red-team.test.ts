import assert from 'node:assert/strict';
import type { SqlInspector } from '../../activities/sql-inspector/inspector';
import { toolchain } from '../../scripts/toolchain';
import { createSqlInspector, sqlInspectorInstall } from '../../worker/sql-inspector';
import { InvalidPreviewError, previewScriptFrom } from '../../workflows/preview/policy';
import { ALLOWED_SCRIPTS, hostileScripts } from './hostile-scripts';

/**
 * Every known way to get a preview past the old text classifier, against the real inspector JVM
 * (Flink 2.3's parser and planner) and the real preview policy.
 */
describe('the preview policy on Flink\'s own reading of hostile scripts (red team)', () => {
  let inspector: SqlInspector;
  before(() => {
    inspector = createSqlInspector(sqlInspectorInstall({ FLINK_HOME: toolchain().flinkHome }));
  });
  after(async () => {
    await inspector.close();
  });

  const cases = hostileScripts('/etc/passwd');

  it('has at least 40 distinct attempts', () => {
    assert.ok(cases.length >= 40, `${cases.length} attempts`);
    assert.equal(new Set(cases.map((c) => c.sql)).size, cases.length);
  });

  for (const attempt of cases) {
    it(`refuses ${attempt.name}`, async () => {
      const inspection = await inspector.inspect(attempt.sql);
      assert.throws(() => previewScriptFrom(inspection), (error: unknown) => {
        assert.ok(error instanceof InvalidPreviewError, String(error));
        assert.equal(error.name, 'InvalidPreview');
        assert.match(error.message, attempt.refused);
        return true;
      });
    });
  }

  for (const allowed of ALLOWED_SCRIPTS) {
    it(`runs ${allowed.name}, as the statements Flink delimited`, async () => {
      const script = previewScriptFrom(await inspector.inspect(allowed.sql));
      assert.equal(script.setup.length, allowed.setup);
      assert.equal([...script.setup, script.query].join('').replace(/\s+/g, ''), allowed.sql.replace(/--[^\n]*|\/\*[^*]*\*\/|\s+/g, ''));
    });
  }

  it('inspects a warm script in milliseconds, in a fresh environment each time', async () => {
    await inspector.inspect('SELECT 1');
    const started = Date.now();
    const first = await inspector.inspect("CREATE TEMPORARY TABLE mine (n INT) WITH ('connector' = 'datagen');\nSELECT n FROM mine");
    const elapsed = Date.now() - started;
    assert.equal(first.ok, true);
    // The next request must not see the previous one's temporary table.
    const second = await inspector.inspect('SELECT n FROM mine');
    assert.equal(second.ok, false);
    assert.match(second.ok ? '' : second.error.message, /Object 'mine' not found/);
    assert.ok(elapsed < 1_000, `${elapsed} ms`);
  });
});
