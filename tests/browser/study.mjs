// Drives Debian's Chromium headless through the viewer's "Study a closure" panel: usage
//   node tests/browser/study.mjs BASE_URL [SCREENSHOT.png]
// Types a work into the panel, picks the dates, runs the study, and reports what the map and
// the panel show (one JSON line; tests/it/browser.rs judges it). Also turns on the flows layer.
// Then draws a stretch of 锦州街 with two clicks, prints the request the panel will send
// (`STRETCH {json}`), waits for a line on stdin (the harness computes that study meanwhile),
// runs it and reports what the map shows.
import { chromium } from 'playwright-core';
import readline from 'node:readline';

const [base, shot] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--no-first-run', '--disable-component-update', '--disable-sync',
    '--use-angle=swiftshader', '--enable-unsafe-swiftshader'],
});
const out = { consoleErrors: [], pageErrors: [], httpErrors: [], external: [] };
setTimeout(() => { out.fatal = 'timed out after 480 s'; console.log(JSON.stringify(out)); process.exit(1); }, 480000).unref();
const idle = (page) => page.evaluate(() => window.jz.idle());
try {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await ctx.newPage();
  page.on('console', (m) => { if (m.type() === 'error') out.consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => out.pageErrors.push(String(e)));
  page.on('request', (r) => { if (!r.url().startsWith(base) && !/^(data|blob):/.test(r.url())) out.external.push(r.url()); });
  page.on('response', (r) => { if (r.status() >= 400) out.httpErrors.push(`${r.status()} ${r.url()}`); });
  const posted = [];
  page.on('request', (r) => { if (r.method() === 'POST' && r.url().endsWith('/api/v1/studies')) posted.push(r.postDataJSON()); });
  await page.goto(`${base}/?date=2022-06-15`, { waitUntil: 'load' });
  await page.waitForFunction(() => window.jz && window.jz.ready && window.jz.studyReady, null, { timeout: 60000 });
  // The panel, as a person fills it in.
  await page.selectOption('#study-kind', 'work');
  await page.fill('#study-target', 'P1');
  await page.fill('#study-start', '2022-05-01');
  await page.fill('#study-end', '2022-10-31');
  await page.click('#study-run');
  await page.waitForFunction(() => window.jz.study || window.jz.studyError, null, { timeout: 120000 });
  out.studyError = await page.evaluate(() => window.jz.studyError);
  await idle(page);
  await page.waitForTimeout(300);
  out.study = await page.evaluate(() => {
    const m = window.jz.map;
    const n = (id) => m.queryRenderedFeatures({ layers: [id] }).length;
    const diff = m.queryRenderedFeatures({ layers: ['study-diff'] });
    return {
      id: window.jz.study && window.jz.study.id,
      diff: diff.length,
      diffUp: diff.filter((f) => f.properties.delta_vph > 0).length,
      diffDown: diff.filter((f) => f.properties.delta_vph < 0).length,
      closure: n('study-closure'), detour: n('study-detour'), choke: n('study-choke'), conflict: n('study-conflict'),
      streets: [...document.querySelectorAll('#study-streets li')].map((li) => li.textContent),
      conflicts: [...document.querySelectorAll('#study-conflicts li')].map((li) => li.textContent),
      vht: (document.getElementById('study-vht') || {}).textContent,
      report: (document.getElementById('study-report') || {}).href,
    };
  });
  if (out.study.report) {
    const r = await page.request.get(out.study.report);
    out.reportStatus = r.status();
    out.reportHasMap = (await r.text()).includes('<svg');
  }
  // The flows toggle draws the model's traffic on the date.
  await page.check('#flows-toggle');
  await page.waitForFunction(() => window.jz.map.queryRenderedFeatures({ layers: ['flows'] }).length > 0, null, { timeout: 120000 });
  out.flows = await page.evaluate(() => window.jz.map.queryRenderedFeatures({ layers: ['flows'] }).length);
  await page.uncheck('#flows-toggle');
  await idle(page);

  // Draw a stretch of 锦州街 (north of the river) with two clicks on the street.
  await page.click('#study-clear');
  await page.evaluate(() => window.jz.map.jumpTo({ center: [121.105, 41.12], zoom: 14 }));
  await idle(page);
  await page.waitForTimeout(300);
  const at = (lon, lat) => page.evaluate(([x, y]) => {
    const m = window.jz.map; const p = m.project([x, y]); const r = m.getCanvas().getBoundingClientRect();
    return { x: r.left + p.x, y: r.top + p.y };
  }, [lon, lat]);
  await page.click('#study-draw');
  const a = await at(121.105, 41.1125);
  await page.mouse.click(a.x, a.y);
  out.stretchHalf = await page.evaluate(() => document.getElementById('study-stretch').textContent);
  const b = await at(121.105, 41.1275);
  await page.mouse.click(b.x, b.y);
  await idle(page);
  out.stretchDrawn = await page.evaluate(() => ({
    text: document.getElementById('study-stretch').textContent,
    target: document.getElementById('study-target').value,
    kind: document.getElementById('study-kind').value,
    ends: window.jz.map.queryRenderedFeatures({ layers: ['study-stretch-ends'] }).length,
    line: window.jz.map.queryRenderedFeatures({ layers: ['study-stretch-line'] }).length,
  }));
  await page.check('#study-night');
  const body = await page.evaluate(() => window.jz.studyRequest());
  console.log('STRETCH ' + JSON.stringify(body));
  // The harness answers when the study is ready in the server's cache.
  const rl = readline.createInterface({ input: process.stdin });
  await rl[Symbol.asyncIterator]().next();
  rl.close();
  const before = await page.evaluate(() => window.jz.study && window.jz.study.id);
  await page.evaluate(() => { window.jz.study = null; });
  await page.click('#study-run');
  await page.waitForFunction(() => window.jz.study || window.jz.studyError, null, { timeout: 120000 });
  await idle(page);
  await page.waitForTimeout(300);
  out.stretchPosted = posted[posted.length - 1];
  out.stretch = await page.evaluate((prev) => {
    const m = window.jz.map;
    const n = (id) => m.queryRenderedFeatures({ layers: [id] }).length;
    const s = window.jz.study;
    return {
      error: window.jz.studyError, id: s && s.id, newStudy: !!s && s.id !== prev,
      closures: s && s.closures.map((c) => c.label), edges: s && s.closures[0].edges.length,
      closure: n('study-closure'), diff: n('study-diff'),
      vht: (document.getElementById('study-vht') || {}).textContent,
    };
  }, before);
  if (shot) {
    await page.waitForTimeout(500);
    await page.screenshot({ path: shot });
  }
} catch (e) {
  out.fatal = String(e);
} finally {
  await browser.close();
}
console.log(JSON.stringify(out));
process.exit(out.fatal ? 1 : 0);
