// Drives Debian's Chromium headless through the web viewer: usage
//   node tests/browser/viewer.mjs BASE_URL [SCREENSHOT.png]
// Prints one JSON line: console errors, HTTP errors, rendered feature counts per layer (label
// symbol layers included), works by state on two dates, glyph requests, the route tool's
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
const out = { consoleErrors: [], pageErrors: [], requestsFailed: [], httpErrors: [], external: [], glyphs: [] };
// A bound on the whole run, so that a map that never settles fails the test instead of hanging.
setTimeout(() => { out.fatal = 'timed out after 180 s'; console.log(JSON.stringify(out)); process.exit(1); }, 180000).unref();
const idle = (page) => page.evaluate(() => window.jz.idle());
// Symbols are placed over several frames after a re-layout, and on a loaded machine the idle
// event can come before the last label is placed: wait (at most 30 s) until every named layer
// draws something. A layer that never does is left for the test's counts to report.
const drawn = (page, layers) => page.waitForFunction(
  (ls) => ls.every((l) => window.jz.map.queryRenderedFeatures({ layers: [l] }).length > 0),
  layers, { timeout: 30000 }).catch(() => {});
const LABELS = ['road-labels', 'district-labels', 'hotspot-numbers'];
try {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  const page = await ctx.newPage();
  page.on('console', (m) => { if (m.type() === 'error') out.consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => out.pageErrors.push(String(e)));
  page.on('requestfailed', (r) => out.requestsFailed.push(r.url()));
  page.on('request', (r) => { if (!r.url().startsWith(base) && !/^(data|blob):/.test(r.url())) out.external.push(r.url()); });
  page.on('response', (r) => {
    if (r.status() >= 400) out.httpErrors.push(`${r.status()} ${r.url()}`);
    if (r.url().includes('/fonts/')) out.glyphs.push(`${r.status()} ${decodeURIComponent(r.url().slice(base.length))}`);
  });
  // A date when works were on site, so closures show.
  await page.goto(`${base}/?date=2022-06-15`, { waitUntil: 'load' });
  await page.waitForFunction(() => window.jz && window.jz.ready, null, { timeout: 60000 });
  await idle(page);
  await drawn(page, ['road-labels', 'river-labels', 'poi-labels', 'district-labels']);
  out.counts = await page.evaluate(() => window.jz.counts());
  out.hasDetours = await page.evaluate(() => window.jz.hasDetours);
  // The 15 choke points are not all in the opening view (one model choke point is on the port
  // road, 35 km south of the centre): judge them in a view that holds them all, then come back.
  const allHotspots = async (fn) => {
    const view = await page.evaluate(async () => {
      const m = window.jz.map;
      const v = { center: m.getCenter(), zoom: m.getZoom() };
      const g = await (await fetch('/collections/hotspots/items?limit=100', { headers: { Accept: 'application/geo+json' } })).json();
      const xy = g.features.map((f) => f.geometry.coordinates);
      const xs = xy.map((c) => c[0]), ys = xy.map((c) => c[1]);
      m.fitBounds([[Math.min(...xs), Math.min(...ys)], [Math.max(...xs), Math.max(...ys)]], { padding: 80, animate: false });
      return v;
    });
    await idle(page);
    const r = await page.evaluate(fn);
    await page.evaluate((v) => window.jz.map.jumpTo(v), view);
    await idle(page);
    return r;
  };
  Object.assign(out, await allHotspots(() => ({
    hotspotStates: window.jz.hotspotStates(),
    hotspotNumbers: [...new Set(window.jz.map.queryRenderedFeatures({ layers: ['hotspot-numbers'] })
      .map((f) => f.properties.number))].sort((a, b) => a - b),
    hotspotsRendered: new Set(window.jz.map.queryRenderedFeatures({ layers: ['hotspots'] })
      .map((f) => f.properties.id)).size,
  })));
  out.htmlMarkers = await page.evaluate(() => document.querySelectorAll('.maplibregl-marker').length);
  // Popups, by a real click: a choke point, then a work line at a vertex where nothing else
  // clickable is drawn.
  const popup = async (where) => {
    if (!where) return null;
    await page.mouse.click(where[0], where[1]);
    const el = await page.waitForSelector('.maplibregl-popup-content', { timeout: 15000 });
    const text = await el.innerText();
    await page.evaluate(() => document.querySelectorAll('.maplibregl-popup').forEach((p) => p.remove()));
    return text;
  };
  out.hotspotPopup = await popup(await page.evaluate(() => {
    const m = window.jz.map;
    const f = m.queryRenderedFeatures({ layers: ['hotspots'] })[0];
    const p = m.project(f.geometry.coordinates);
    return [p.x, p.y];
  }));
  // A point of a line layer where nothing else clickable is drawn (null if there is none).
  const alone = (layer) => page.evaluate((id) => {
    const m = window.jz.map;
    const clickable = ['works-line', 'works-fill', 'works-point', 'closures', 'removed-roads', 'new-links', 'hotspots', 'detours', 'detours-none']
      .filter((l) => m.getLayer(l));
    const c = m.getCanvas();
    for (const f of m.queryRenderedFeatures({ layers: [id] })) {
      for (const xy of f.geometry.type === 'LineString' ? f.geometry.coordinates : f.geometry.coordinates.flat()) {
        const p = m.project(xy);
        if (p.x < 360 || p.y < 20 || p.x > c.clientWidth - 60 || p.y > c.clientHeight - 60) continue;
        const here = m.queryRenderedFeatures([[p.x - 4, p.y - 4], [p.x + 4, p.y + 4]], { layers: clickable });
        if (here.length && here.every((h) => h.layer.id === id)) return [p.x, p.y];
      }
    }
    return null;
  }, layer);
  out.workPopup = await popup(await alone('works-line'));
  out.detourPopup = out.hasDetours ? await popup(await alone('detours')) : null;
  // Works follow the slider: their states on two dates.
  out.works = {};
  for (const d of ['2023-01-01', '2030-12-31']) {
    await page.evaluate((x) => window.jz.setDate(x), d);
    await idle(page);
    const hotspots = await allHotspots(() => window.jz.hotspotStates());
    out.works[d] = await page.evaluate((hotspots) => ({
      shown: window.jz.shownDate,
      byState: window.jz.worksByState(),
      hotspots,
      paintUsesDate: JSON.stringify(window.jz.map.getPaintProperty('works-line', 'line-color')).includes(window.jz.shownDate),
      newLinks: window.jz.map.queryRenderedFeatures({ layers: ['new-links'] }).length,
      removed: window.jz.map.queryRenderedFeatures({ layers: ['removed-roads'] }).length
    }), hotspots);
  }
  // Work names appear from zoom 13.5.
  const view = await page.evaluate(() => ({ center: window.jz.map.getCenter(), zoom: window.jz.map.getZoom() }));
  await page.evaluate(() => window.jz.map.jumpTo({ center: [121.125, 41.115], zoom: 14.5 }));
  await idle(page);
  out.workLabelsZoomed = await page.evaluate(() =>
    window.jz.map.queryRenderedFeatures({ layers: ['work-labels', 'work-labels-line'] }).length);
  await page.evaluate((v) => window.jz.map.jumpTo(v), view);
  // The route tool, as two clicks would call it: across the Xiaoling river, on 2022-06-15.
  await page.evaluate(() => window.jz.setDate('2022-06-15'));
  out.route = await page.evaluate(async () => {
    const r = await window.jz.route([121.10, 41.125], [121.15, 41.085]);
    const brief = (x) => x && { distance_m: x.distance_m, duration_s: x.duration_s };
    return { date: r.date, error: r.error, onDate: brief(r.onDate), today: brief(r.today), detour_s: r.detour_s };
  });
  await page.waitForFunction(() => window.jz.map.queryRenderedFeatures({ layers: ['route'] }).length > 0, null, { timeout: 20000 });
  out.routeRendered = await page.evaluate(() => window.jz.map.queryRenderedFeatures({ layers: ['route'] }).length);
  // The language toggle switches the labels.
  const roadLabel = () => page.evaluate(() => {
    const f = window.jz.map.queryRenderedFeatures({ layers: ['road-labels'] })[0];
    return f ? window.jz.map.getLayoutProperty('road-labels', 'text-field')[2][1][1] : null;
  });
  out.labelFieldBefore = await roadLabel();
  await page.click('#lang');
  out.langAfterToggle = await page.evaluate(() => window.jz.lang);
  out.labelFieldAfter = await roadLabel();
  await idle(page);
  await drawn(page, LABELS);
  out.countsEn = await page.evaluate(() => window.jz.counts());
  out.mapErrors = await page.evaluate(() => window.jz.errors);
  if (shot) {
    // Back in Chinese (scripts/screenshot.sh installs the CJK font the labels need), on a
    // date when some works are done, some on site and some not started.
    await page.click('#lang');
    await page.evaluate(() => window.jz.setDate('2022-08-20'));
    await page.waitForFunction(() => window.jz.routeResult && window.jz.routeResult.date === '2022-08-20', null, { timeout: 20000 });
    await idle(page);
    await page.waitForTimeout(500);
    await page.screenshot({ path: shot });
  }
} catch (e) {
  out.fatal = String(e);
} finally {
  await browser.close();
}
console.log(JSON.stringify(out));
