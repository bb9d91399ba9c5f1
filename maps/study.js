// jzplan viewer: "Study a closure" panel and the traffic-flows toggle. Runs after app.js and
// uses its map (window.jz). A study is one POST /api/v1/studies; the map draws its features
// from /api/v1/studies/{id}/map.geojson; the panel lists the headline numbers. A closure is a
// street or a work picked on the map (or typed), or a stretch drawn on a street: two clicks on
// it give the stretch's from and to.
(function init() {
  'use strict';
  // app.js makes the map after its first request: wait for it.
  if (!window.jz || !window.jz.map) { setTimeout(init, 50); return; }
  const jz = window.jz;
  const map = jz.map;
  const $ = (id) => document.getElementById(id);
  const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
  const zh = () => jz.lang === 'zh';
  const T = (a, b) => (zh() ? a : b);
  jz.study = null;
  jz.studyError = null;

  const EMPTY = { type: 'FeatureCollection', features: [] };
  const layer = (name) => ['==', ['get', 'layer'], name];
  function addLayers() {
    if (map.getSource('study')) return;
    map.addSource('study', { type: 'geojson', data: EMPTY });
    map.addSource('study-stretch', { type: 'geojson', data: EMPTY });
    map.addSource('flows', { type: 'vector', tiles: [flowsUrl()], minzoom: 0, maxzoom: 16 });
    const before = map.getLayer('road-labels') ? 'road-labels' : undefined;
    map.addLayer({ id: 'flows', type: 'line', source: 'flows', 'source-layer': 'flows',
      layout: { visibility: 'none', 'line-cap': 'round' },
      paint: {
        'line-color': ['interpolate', ['linear'], ['get', 'vc'], 0, '#1a9850', 0.6, '#fee08b', 0.9, '#f46d43', 1.1, '#a50026'],
        'line-width': ['interpolate', ['linear'], ['get', 'volume_vph'], 0, 0.5, 1000, 3, 3000, 8],
        'line-offset': 2
      } }, before);
    map.addLayer({ id: 'study-diff', type: 'line', source: 'study', filter: layer('flow_difference'),
      layout: { 'line-cap': 'round' },
      paint: {
        'line-color': ['case', ['>', ['get', 'delta_vph'], 0], '#d7301f', '#2b6cb0'],
        'line-width': ['interpolate', ['linear'], ['abs', ['get', 'delta_vph']], 0, 1.5, 200, 4, 1000, 14],
        'line-opacity': 0.85, 'line-offset': 2
      } }, before);
    map.addLayer({ id: 'study-detour', type: 'line', source: 'study', filter: layer('detour'),
      paint: { 'line-color': '#0f9d8a', 'line-width': 3, 'line-dasharray': [3, 1.5] } }, before);
    map.addLayer({ id: 'study-closure', type: 'line', source: 'study', filter: layer('closure'),
      paint: { 'line-color': '#111', 'line-width': 6 } }, before);
    map.addLayer({ id: 'study-conflict', type: 'line', source: 'study', filter: layer('conflict'),
      paint: { 'line-color': '#f59e0b', 'line-width': 4, 'line-dasharray': [1, 1] } }, before);
    map.addLayer({ id: 'study-stretch-line', type: 'line', source: 'study-stretch',
      filter: ['==', ['geometry-type'], 'LineString'],
      paint: { 'line-color': '#7c3aed', 'line-width': 5, 'line-opacity': 0.8 } });
    map.addLayer({ id: 'study-stretch-ends', type: 'circle', source: 'study-stretch',
      filter: ['==', ['geometry-type'], 'Point'],
      paint: { 'circle-radius': 6, 'circle-color': '#7c3aed', 'circle-stroke-color': '#fff', 'circle-stroke-width': 2 } });
    map.addLayer({ id: 'study-choke', type: 'circle', source: 'study', filter: layer('choke_point'),
      paint: {
        'circle-radius': 8, 'circle-stroke-color': '#fff', 'circle-stroke-width': 2,
        'circle-color': ['interpolate', ['linear'], ['coalesce', ['get', 'delta_vc'], 0],
          -0.1, '#3b82f6', 0, '#9ca3af', 0.05, '#f97316', 0.2, '#dc2626', 0.5, '#7f1d1d']
      } });
  }
  const flowsUrl = () => `${location.origin}/tiles/flows/{z}/{x}/{y}.mvt?date=${jz.date()}`;

  // The panel.
  const box = document.createElement('div');
  box.id = 'study';
  box.innerHTML = `
    <div class="row"><b id="study-title"></b></div>
    <div class="row">
      <select id="study-kind"><option value="street"></option><option value="work"></option></select>
      <input id="study-target" size="12" placeholder="锦州街 / P1">
      <button id="study-pick"></button>
      <button id="study-draw"></button>
    </div>
    <div class="row small" id="study-stretch"></div>
    <div class="row"><input id="study-start" type="date" value="2022-05-01"> …
      <input id="study-end" type="date" value="2022-10-31"></div>
    <div class="row"><label><input id="study-night" type="checkbox"> <span id="study-night-label"></span></label></div>
    <div class="row"><button id="study-run"></button><button id="study-clear"></button><span id="study-status" class="small"></span></div>
    <div id="study-result" class="small"></div>
    <div class="row"><label><input id="flows-toggle" type="checkbox"> <span id="flows-label"></span></label></div>`;
  $('panel').insertBefore(box, $('legend'));

  function labels() {
    $('study-title').textContent = T('研究封闭', 'Study a closure');
    $('study-kind').options[0].textContent = T('街道', 'street');
    $('study-kind').options[1].textContent = T('工程', 'work');
    $('study-pick').textContent = T('地图上选', 'Pick on map');
    $('study-draw').textContent = T('画路段', 'Draw a stretch');
    showStretch();
    $('study-night-label').textContent = T('仅夜间施工 22–06', 'night only 22–06');
    $('study-run').textContent = T('运行', 'Run');
    $('study-clear').textContent = T('清除', 'Clear');
    $('flows-label').textContent = T('显示交通流量（早高峰，v/c）', 'Show traffic flows (AM peak, v/c)');
    if (jz.study) showResult(jz.study);
  }
  $('lang').addEventListener('click', labels);

  // Pick a street (road) or a work on the map.
  $('study-pick').addEventListener('click', () => {
    jz.picking = !jz.picking;
    jz.drawing = false;
    $('study-pick').classList.toggle('active', jz.picking);
    $('study-draw').classList.remove('active');
  });
  // Draw a stretch: two clicks on one street; the street's name and the two points (lon, lat)
  // become the closure {street, from, to} (the server snaps them to the street's junctions).
  jz.stretch = null;
  $('study-draw').addEventListener('click', () => {
    jz.drawing = !jz.drawing;
    jz.picking = false;
    if (jz.drawing) jz.stretch = null;
    $('study-draw').classList.toggle('active', jz.drawing);
    $('study-pick').classList.remove('active');
    showStretch();
  });
  const round6 = (x) => Math.round(x * 1e6) / 1e6;
  function showStretch() {
    const st = jz.stretch;
    let t = '';
    if (jz.drawing && !st) t = T('点击街道上的起点', 'Click the stretch\'s start on a street');
    else if (st && !st.to) t = T(`${st.street}：点击终点`, `${st.street}: click its end`);
    else if (st) t = `${T('路段', 'Stretch')}: ${st.street} ${st.from.map((x) => x.toFixed(5)).join(',')} → ${st.to.map((x) => x.toFixed(5)).join(',')}`;
    $('study-stretch').textContent = t;
    if (!map.getSource('study-stretch')) return;
    const fs = [];
    if (st) {
      fs.push({ type: 'Feature', properties: {}, geometry: { type: 'Point', coordinates: st.from } });
      if (st.to) {
        fs.push({ type: 'Feature', properties: {}, geometry: { type: 'Point', coordinates: st.to } });
        fs.push({ type: 'Feature', properties: {}, geometry: { type: 'LineString', coordinates: [st.from, st.to] } });
      }
    }
    map.getSource('study-stretch').setData({ type: 'FeatureCollection', features: fs });
  }
  const roadAt = (e) => {
    const b = [[e.point.x - 4, e.point.y - 4], [e.point.x + 4, e.point.y + 4]];
    return map.queryRenderedFeatures(b, { layers: ['roads'] }).find((f) => f.properties.name_zh || f.properties.name_en);
  };
  map.on('click', (e) => {
    if (jz.drawing) {
      addLayers();
      const f = roadAt(e);
      const p = [round6(e.lngLat.lng), round6(e.lngLat.lat)];
      if (!f) { $('study-stretch').textContent = T('请点击街道', 'Click on a street'); return; }
      const street = f.properties.name_zh || f.properties.name_en;
      if (!jz.stretch) {
        jz.stretch = { street, from: p };
      } else if (street !== jz.stretch.street) {
        $('study-stretch').textContent = T(`终点须在${jz.stretch.street}上`, `The end must be on ${jz.stretch.street}`);
        return;
      } else {
        jz.stretch.to = p;
        jz.drawing = false;
        $('study-draw').classList.remove('active');
        $('study-kind').value = 'street';
        $('study-target').value = street;
      }
      showStretch();
      return;
    }
    if (!jz.picking) return;
    const f = $('study-kind').value === 'work'
      ? map.queryRenderedFeatures([[e.point.x - 4, e.point.y - 4], [e.point.x + 4, e.point.y + 4]], { layers: ['works-line', 'works-point', 'works-fill'] })[0]
      : roadAt(e);
    if (f) {
      $('study-target').value = $('study-kind').value === 'work' ? f.properties.id : (f.properties.name_zh || f.properties.name_en);
      jz.stretch = null;
      showStretch();
    }
    jz.picking = false;
    $('study-pick').classList.remove('active');
  });

  function request() {
    const target = $('study-target').value.trim();
    const closure = $('study-kind').value === 'work' ? { work: target } : { street: target };
    const st = jz.stretch;
    if (closure.street && st && st.to && st.street === target) { closure.from = st.from; closure.to = st.to; }
    const body = { closures: [closure], window: { start: $('study-start').value, end: $('study-end').value } };
    if ($('study-night').checked) body.hours = '22-06';
    return body;
  }
  jz.studyRequest = request;

  const num = (x, d = 0) => (x == null ? '–' : (x > 0 ? '+' : '') + x.toFixed(d));
  function showResult(s) {
    const hl = s.periods.find((p) => p.period.id === s.headline_period);
    const w = s.window_totals;
    const cut = s.detours.filter((d) => d.outcome === 'cut_off').length;
    const streets = s.streets.filter((c) => c.delta_vph > 0).slice(0, 5);
    const chokes = s.choke_points.filter((c) => (c.delta_vc || 0) > 0.005).slice(0, 3);
    const m = s.mitigation;
    const best = m.starts[m.best];
    let h = `<div class="study-head">${esc(s.title)}</div>`;
    h += `<div>${T('基准', 'Baseline')}: ${esc(s.baseline.name)}</div>`;
    h += `<div id="study-vht"><b>${num(w.delta_vht)} ${T('车·小时', 'veh-h')}</b> ${T('（整个时段，', '(over the window, ')}${w.weekdays} ${T('个工作日', 'weekdays')}, ${w.weekend_days} ${T('个周末日）', 'weekend days)')}</div>`;
    h += `<div class="small">${T('时段系数', 'Period factors')}: ${esc(w.factors.join(', '))}</div>`;
    h += `<div>${T('绕行', 'Detours')}: ${s.detours.length}${cut ? `, <b>${cut} ${T('无路可绕', 'cut off')}</b>` : ''}</div>`;
    h += `<div>${T('流量增加最多', 'Most extra traffic')} (${esc(hl ? hl.period.label : '')}):</div><ol id="study-streets">`;
    for (const c of streets) h += `<li>${esc(c.name_zh)} ${esc(c.direction)} <b>${num(c.delta_vph)}</b> veh/h, v/c ${c.vc_before.toFixed(2)}→${c.vc_after.toFixed(2)}</li>`;
    h += '</ol>';
    if (chokes.length) {
      h += `<div>${T('堵点恶化', 'Choke points worse')}: ${chokes.map((c) => `${esc(c.id)} ${esc(c.name_zh)} v/c ${num(c.delta_vc, 2)}${c.crosses.length ? ' ⚠' : ''}`).join('; ')}</div>`;
    }
    h += `<div>${T('次生冲突', 'Secondary conflicts')}: ${s.conflicts.length}</div><ul id="study-conflicts">`;
    for (const c of s.conflicts.slice(0, 6)) h += `<li>${esc(c.work)} ${esc(c.name_zh)}: ${num(c.delta_vph)} veh/h${c.on_detours.length ? T('，在绕行路线上', ', on a detour') : ''}</li>`;
    h += '</ul>';
    if (best) h += `<div>${T('最佳开工', 'Best start')}: ${esc(best.window.start)} (${num(best.delta_vht)} veh-h); ${T('夜间施工节省', 'night works save')} ${m.night_saving_vht.toFixed(0)} veh-h</div>`;
    h += `<div><a id="study-report" target="_blank" href="/api/v1/studies/${esc(s.id)}/report.html">${T('完整报告', 'Full report')} (HTML)</a></div>`;
    $('study-result').innerHTML = h;
  }

  jz.runStudy = async function (body) {
    addLayers();
    $('study-status').textContent = T('计算中…', 'running…');
    jz.studyError = null;
    try {
      const r = await fetch('/api/v1/studies', { method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify(body || request()) });
      const j = await r.json();
      if (!r.ok) throw new Error(j.detail || r.statusText);
      const fc = await (await fetch(`/api/v1/studies/${j.id}/map.geojson`)).json();
      map.getSource('study').setData(fc);
      dimWorks(true);
      jz.study = j;
      showResult(j);
      $('study-status').textContent = '';
      // Frame the closure, its detours and the works in conflict.
      const pts = fc.features.filter((f) => ['closure', 'detour', 'conflict'].includes(f.properties.layer)).flatMap((f) => f.geometry.type === 'Point' ? [f.geometry.coordinates]
        : f.geometry.type === 'LineString' ? f.geometry.coordinates : f.geometry.coordinates.flat());
      if (pts.length) {
        const xs = pts.map((p) => p[0]), ys = pts.map((p) => p[1]);
        map.fitBounds([[Math.min(...xs), Math.min(...ys)], [Math.max(...xs), Math.max(...ys)]], { padding: 40, duration: 0 });
      }
      return j;
    } catch (e) {
      jz.studyError = e.message;
      $('study-status').textContent = e.message;
      $('study-result').textContent = '';
      return null;
    }
  };
  // While a study is shown the works are drawn faint, so that its layers read.
  function dimWorks(on) {
    if (!map.getLayer('works-line')) return;
    if (on && !jz.savedWorks) {
      jz.savedWorks = [map.getPaintProperty('works-line', 'line-opacity'), map.getPaintProperty('works-fill', 'fill-opacity')];
      map.setPaintProperty('works-line', 'line-opacity', 0.15);
      map.setPaintProperty('works-fill', 'fill-opacity', 0.03);
    } else if (!on && jz.savedWorks) {
      map.setPaintProperty('works-line', 'line-opacity', jz.savedWorks[0]);
      map.setPaintProperty('works-fill', 'fill-opacity', jz.savedWorks[1]);
      jz.savedWorks = null;
    }
  }
  $('study-run').addEventListener('click', () => jz.runStudy());
  $('study-clear').addEventListener('click', () => {
    if (map.getSource('study')) map.getSource('study').setData(EMPTY);
    jz.stretch = null;
    jz.drawing = false;
    showStretch();
    dimWorks(false);
    jz.study = null;
    $('study-result').textContent = '';
  });
  $('flows-toggle').addEventListener('change', () => {
    addLayers();
    map.getSource('flows').setTiles([flowsUrl()]);
    map.setLayoutProperty('flows', 'visibility', $('flows-toggle').checked ? 'visible' : 'none');
  });
  $('date').addEventListener('change', () => {
    if (map.getSource('flows')) map.getSource('flows').setTiles([flowsUrl()]);
  });
  labels();
  if (map.loaded()) addLayers(); else map.on('load', addLayers);
  jz.studyReady = true;
})();
