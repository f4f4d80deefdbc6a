import assert from 'node:assert/strict';
import { previewRowJson } from '../../client/cli/preview-commands';

describe('a preview row printed with --json', () => {
  it('carries the exact value of a BIGINT beyond 2^53 and the column names', () => {
    const line = previewRowJson({ kind: 'INSERT', fields: ['9007199254740993', 42, null] },
      [{ name: 'big', type: 'BIGINT' }, { name: 'small', type: 'BIGINT' }, { name: 'label', type: 'VARCHAR' }]);
    assert.deepEqual(JSON.parse(line), {
      kind: 'INSERT', fields: ['9007199254740993', 42, null], row: { big: '9007199254740993', small: 42, label: null },
    });
  });
});
