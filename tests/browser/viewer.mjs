// Drives Debian's Chromium headless through the web viewer: usage
//   node tests/browser/viewer.mjs BASE_URL [SCREENSHOT.png]
// Prints one JSON line: console errors, rendered feature counts per layer, the route tool's
// result. The Rust test (tests/it/browser.rs) judges it.
import { chromium } from 'playwright-core';

const [base, shot] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--no-first-run', '--disable-component-update', '--disable-sync',
    // WebGL without a GPU: SwiftShader (software), which MapLibre needs.
    '--use-angle=swiftshader', '--enable-unsafe-swiftshader'],
});
const out = { consoleErrors: [], pageErrors: [], requestsFailed: [], external: [] };
try {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  const page = await ctx.newPage();
  page.on('console', (m) => { if (m.type() === 'error') out.consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => out.pageErrors.push(String(e)));
  page.on('requestfailed', (r) => out.requestsFailed.push(r.url()));
  page.on('request', (r) => { if (!r.url().startsWith(base) && !/^(data|blob):/.test(r.url())) out.external.push(r.url()); });
  // A date when works were on site, so closures show.
  await page.goto(`${base}/?date=2022-06-15`, { waitUntil: 'load' });
  await page.waitForFunction(() => window.jz && window.jz.ready, null, { timeout: 60000 });
  out.counts = await page.evaluate(() => window.jz.counts());
  out.hotspotMarkers = await page.evaluate(() => document.querySelectorAll('.hs').length);
  out.labels = await page.evaluate(() => document.querySelectorAll('.lbl').length);
  // The route tool, as two clicks would call it: across the Xiaoling river.
  out.route = await page.evaluate(() => window.jz.route([121.10, 41.125], [121.15, 41.085]));
  await page.waitForFunction(() => window.jz.map.queryRenderedFeatures({ layers: ['route'] }).length > 0, null, { timeout: 20000 });
  out.routeRendered = await page.evaluate(() => window.jz.map.queryRenderedFeatures({ layers: ['route'] }).length);
  // The language toggle switches the labels.
  await page.click('#lang');
  out.langAfterToggle = await page.evaluate(() => window.jz.lang);
  out.mapErrors = await page.evaluate(() => window.jz.errors);
  if (shot) {
    // In English: the test machine may lack CJK fonts (Debian fonts-noto-cjk).
    await page.waitForTimeout(300);
    await page.screenshot({ path: shot });
  }
} catch (e) {
  out.fatal = String(e);
} finally {
  await browser.close();
}
console.log(JSON.stringify(out));
