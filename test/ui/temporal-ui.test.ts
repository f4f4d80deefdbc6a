import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { CHROMIUM } from '../../scripts/install/chromium';
import { installOnDemand } from '../../scripts/install/on-demand';
import { fleetTestBed, type FleetTestBed } from '../harness/fleet';
import { temporalTestBed } from '../harness/global';
import { sqlPipeline } from '../pipeline/fixtures';

const OUTPUT = join(__dirname, '..', '..', 'test-output', 'ui');

/** Flags for a headless, root, offline Chromium: no sandbox, no GPU, no calls home. */
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync'];

describe('the Temporal UI', () => {
  let bed: FleetTestBed;
  let browser: Browser;
  before(async () => {
    bed = fleetTestBed('ui');
    // Run alone after a first run that installed only the demo's needs, the check brings its browser.
    await installOnDemand(['ui']);
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  });
  after(async () => {
    await browser?.close();
    await bed.cleanUp();
  });

  it('lists a running pipeline under its readable id and finds it by FleetTenant', async () => {
    const uiUrl = temporalTestBed().server.uiUrl;
    assert.ok(uiUrl, 'the test server runs its UI');
    mkdirSync(OUTPUT, { recursive: true });
    await bed.withWorker(async () => {
      await bed.client.startPipeline(sqlPipeline('uitenant', 'shown'));
      await bed.client.startPipeline(sqlPipeline('othertenant', 'hidden'));
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      await page.goto(`${uiUrl}/namespaces/default/workflows`);
      await page.getByText('pipeline/uitenant/shown').first().waitFor({ timeout: 60_000 });
      await page.screenshot({ path: join(OUTPUT, 'workflows.png') });
      const query = encodeURIComponent('FleetTenant="uitenant"');
      await page.goto(`${uiUrl}/namespaces/default/workflows?query=${query}`);
      await page.getByText('pipeline/uitenant/shown').first().waitFor({ timeout: 60_000 });
      assert.equal(await page.getByText('pipeline/othertenant/hidden').count(), 0, 'the filter leaves other tenants out');
      await page.screenshot({ path: join(OUTPUT, 'workflows-by-tenant.png') });
      for (const [tenant, name] of [['uitenant', 'shown'], ['othertenant', 'hidden']]) {
        await bed.client.stopPipeline(tenant as string, name as string, { savepoint: false, drain: false, wait: true });
      }
    });
  });
});
