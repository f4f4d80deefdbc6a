import assert from 'node:assert/strict';
import { withSection } from '../../bench/results-file';
import { rssGrowth } from '../../bench/soak-report';

describe('bench/RESULTS.md sections', () => {
  it('appends a section a document lacks, between its markers', () => {
    assert.equal(withSection('# other\n', 'soak', '# Soak\nfigures'), '# other\n\n<!-- bench:soak -->\n# Soak\nfigures\n<!-- /bench:soak -->\n');
  });

  it('replaces only its own section and keeps the others as they were', () => {
    const document = '<!-- bench:previews -->\nold previews\n<!-- /bench:previews -->\n\n<!-- bench:soak -->\nold soak\n<!-- /bench:soak -->\n';
    assert.equal(withSection(document, 'soak', 'new soak'), '<!-- bench:previews -->\nold previews\n<!-- /bench:previews -->\n\n<!-- bench:soak -->\nnew soak\n<!-- /bench:soak -->\n');
  });
});

describe('the soak\'s worker memory verdict', () => {
  it('compares the last quarter with the second, leaving the warm-up out', () => {
    const samples = [500, 500, 200, 200, 200, 200, 260, 260].map((mb) => ({ mb }));
    assert.equal(rssGrowth(samples), 1.3);
  });

  it('has no verdict with fewer than four samples', () => {
    assert.equal(rssGrowth([{ mb: 1 }, { mb: 2 }]), undefined);
  });
});
