// jzplan web viewer: our own layers only (no external basemap), vector tiles from /tiles,
// labels as HTML markers (no glyph server exists offline, so no symbol layers).
(function () {
  'use strict';
  const O = location.origin;
  const STATUS_COLOURS = {
    proposed: '#9e9e9e', preliminary_work: '#8d6e63', design: '#7e57c2',
    under_construction: '#ef6c00', completed: '#2e7d32', suspended: '#c62828', cancelled: '#616161'
  };
  const STATUS_NAMES = {
    proposed: ['规划', 'proposed'], preliminary_work: ['前期工作', 'preliminary work'],
    design: ['设计', 'design'], under_construction: ['在建', 'under construction'],
    completed: ['完工', 'completed'], suspended: ['暂停', 'suspended'], cancelled: ['取消', 'cancelled']
  };
  const HS_COLOURS = { congested: '#d32f2f', being_opened: '#f9a825', opened: '#388e3c' };
  const DAY0 = Date.UTC(2022, 0, 1);
  const jz = { errors: [], ready: false, lang: 'zh', markers: [], routeResult: null };
  window.jz = jz;

  const params = new URLSearchParams(location.search);
  const isoDay = (ms) => new Date(ms).toISOString().slice(0, 10);
  const dayIndex = (iso) => Math.round((Date.parse(iso + 'T00:00:00Z') - DAY0) / 86400000);
  const slider = document.getElementById('date');
  const startDate = params.get('date') || isoDay(Date.now());
  slider.value = String(Math.max(0, Math.min(+slider.max, dayIndex(startDate))));
  jz.date = () => isoDay(DAY0 + (+slider.value) * 86400000);

  const statusColour = ['match', ['get', 'status'],
    ...Object.entries(STATUS_COLOURS).flat(), '#000'];
  const tileUrl = (layers, q) => `${O}/tiles/${layers}/{z}/{x}/{y}.mvt${q || ''}`;

  const map = new maplibregl.Map({
    container: 'map',
    center: [121.12, 41.10],
    zoom: 11.3,
    hash: false,
    attributionControl: false,
    style: {
      version: 8,
      sources: {
        jz: { type: 'vector', tiles: [tileUrl('districts,coastline,rivers,roads,works,hotspots')],
          minzoom: 0, maxzoom: 16, attribution: 'jzplan · coastline © OpenStreetMap contributors (ODbL)' },
        state: { type: 'vector', tiles: [tileUrl('closures', '?date=' + jz.date())], minzoom: 0, maxzoom: 16 },
        route: { type: 'geojson', data: { type: 'FeatureCollection', features: [] } }
      },
      layers: [
        { id: 'background', type: 'background', paint: { 'background-color': '#f4f1ea' } },
        { id: 'districts-fill', type: 'fill', source: 'jz', 'source-layer': 'districts',
          paint: { 'fill-color': ['match', ['get', 'kind'], 'area', '#fff3e0', '#efebe9'], 'fill-opacity': 0.6 } },
        { id: 'districts-line', type: 'line', source: 'jz', 'source-layer': 'districts',
          paint: { 'line-color': '#a1887f', 'line-width': 1.2, 'line-dasharray': [3, 2] } },
        { id: 'coastline', type: 'line', source: 'jz', 'source-layer': 'coastline',
          paint: { 'line-color': '#4f83b5', 'line-width': 1.5 } },
        { id: 'rivers', type: 'line', source: 'jz', 'source-layer': 'rivers',
          paint: { 'line-color': '#64a6e0', 'line-width': ['interpolate', ['linear'], ['zoom'], 9, 1.5, 14, 5] } },
        { id: 'roads', type: 'line', source: 'jz', 'source-layer': 'roads',
          filter: ['!=', ['get', 'planned'], true],
          paint: {
            'line-color': ['match', ['get', 'class'], 'expressway', '#e8a33d', 'trunk', '#f2c46b', '#9e9e9e'],
            'line-width': ['interpolate', ['linear'], ['zoom'], 9,
              ['match', ['get', 'class'], 'expressway', 2, 'trunk', 1.6, 'primary', 1.2, 0.6], 15,
              ['match', ['get', 'class'], 'expressway', 7, 'trunk', 6, 'primary', 5, 3]]
          } },
        { id: 'roads-planned', type: 'line', source: 'jz', 'source-layer': 'roads',
          filter: ['==', ['get', 'planned'], true],
          paint: { 'line-color': '#7e57c2', 'line-width': 2, 'line-dasharray': [2, 2] } },
        { id: 'works-fill', type: 'fill', source: 'jz', 'source-layer': 'works',
          filter: ['==', ['geometry-type'], 'Polygon'],
          paint: { 'fill-color': statusColour, 'fill-opacity': 0.35, 'fill-outline-color': statusColour } },
        { id: 'works-line', type: 'line', source: 'jz', 'source-layer': 'works',
          filter: ['==', ['geometry-type'], 'LineString'],
          paint: { 'line-color': statusColour, 'line-width': 4, 'line-opacity': 0.85 } },
        { id: 'works-point', type: 'circle', source: 'jz', 'source-layer': 'works',
          filter: ['==', ['geometry-type'], 'Point'],
          paint: { 'circle-color': statusColour, 'circle-radius': 6, 'circle-stroke-color': '#fff', 'circle-stroke-width': 1.5 } },
        { id: 'closures', type: 'line', source: 'state', 'source-layer': 'closures',
          filter: ['==', ['get', 'change'], 'closed'],
          paint: { 'line-color': '#d50000', 'line-width': 5, 'line-dasharray': [1, 1] } },
        { id: 'new-links', type: 'line', source: 'state', 'source-layer': 'closures',
          filter: ['==', ['get', 'change'], 'opened'],
          paint: { 'line-color': '#00c853', 'line-width': 5 } },
        { id: 'hotspots', type: 'circle', source: 'jz', 'source-layer': 'hotspots',
          paint: { 'circle-radius': 11, 'circle-opacity': 0.25,
            'circle-color': ['match', ['get', 'status'], ...Object.entries(HS_COLOURS).flat(), '#d32f2f'] } },
        { id: 'route-today', type: 'line', source: 'route', filter: ['==', ['get', 'which'], 'today'],
          paint: { 'line-color': '#546e7a', 'line-width': 4, 'line-dasharray': [2, 1.5] } },
        { id: 'route', type: 'line', source: 'route', filter: ['==', ['get', 'which'], 'date'],
          paint: { 'line-color': '#1565c0', 'line-width': 5, 'line-opacity': 0.85 } }
      ]
    }
  });
  jz.map = map;
  map.addControl(new maplibregl.NavigationControl(), 'top-right');
  map.addControl(new maplibregl.ScaleControl(), 'bottom-right');
  map.addControl(new maplibregl.AttributionControl({ compact: false }), 'bottom-right');
  map.on('error', (e) => { jz.errors.push(String(e && e.error ? e.error.message || e.error : e)); });

  const name = (p) => (jz.lang === 'zh' ? (p.name_zh || p.name_en) : (p.name_en || p.name_zh)) || p.id || '';
  const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));

  function applyLang() {
    document.documentElement.lang = jz.lang;
    document.querySelectorAll('[data-zh]').forEach((el) => { el.textContent = el.dataset[jz.lang]; });
    document.getElementById('lang').textContent = jz.lang === 'zh' ? 'EN' : '中文';
    jz.markers.forEach((m) => { m.el.textContent = m.text(); m.el.title = m.title ? m.title() : ''; });
    legend();
    dateLabel();
    if (jz.lastRoute) showRouteInfo(jz.lastRoute);
  }

  function legend() {
    const zh = jz.lang === 'zh';
    let h = `<b>${zh ? '工程状态' : 'Work status'}</b>`;
    for (const [k, c] of Object.entries(STATUS_COLOURS)) {
      h += `<div class="item"><span class="sw" style="background:${c}"></span>${STATUS_NAMES[k][zh ? 0 : 1]}</div>`;
    }
    h += `<div class="item"><span class="sw" style="background:#d50000"></span>${zh ? '当日封闭路段' : 'Closed on the date'}</div>`;
    h += `<div class="item"><span class="sw" style="background:#00c853"></span>${zh ? '当日新通道路' : 'New link open on the date'}</div>`;
    h += `<div class="item"><span class="sw" style="background:#7e57c2"></span>${zh ? '规划道路（未建）' : 'Planned road (not built)'}</div>`;
    h += `<div class="item"><span class="sw" style="background:#64a6e0"></span>${zh ? '河流' : 'River'}</div>`;
    for (const [k, c] of Object.entries(HS_COLOURS)) {
      const t = { congested: ['拥堵点', 'choke point: congested'], being_opened: ['打通中', 'choke point: being opened'], opened: ['已打通', 'choke point: opened'] }[k];
      h += `<div class="item"><span class="dot" style="background:${c}"></span>${t[zh ? 0 : 1]}</div>`;
    }
    h += `<div class="item"><span class="sw" style="background:#1565c0"></span>${zh ? '所选日期路线' : 'Route on the date'}</div>`;
    h += `<div class="item"><span class="sw" style="background:#546e7a"></span>${zh ? '今日路线' : 'Route today'}</div>`;
    document.getElementById('legend').innerHTML = h;
  }

  function dateLabel() {
    document.getElementById('date-label').textContent = jz.date();
  }

  async function getJson(url) {
    const r = await fetch(url, { headers: { Accept: 'application/json' } });
    const j = await r.json();
    if (!r.ok) throw new Error(j.detail || j.message || r.statusText);
    return j;
  }

  function centroid(geom) {
    const ring = geom.type === 'Polygon' ? geom.coordinates[0] : geom.coordinates[0][0];
    let x = 0, y = 0;
    ring.forEach((c) => { x += c[0]; y += c[1]; });
    return [x / ring.length, y / ring.length];
  }

  function addLabel(lngLat, cls, text, title) {
    const el = document.createElement('div');
    el.className = cls;
    const m = { el, text, title };
    el.textContent = text();
    jz.markers.push(m);
    new maplibregl.Marker({ element: el }).setLngLat(lngLat).addTo(map);
  }

  async function labels() {
    const [d, p, h] = await Promise.all([
      getJson('/collections/districts/items?limit=100'),
      getJson('/collections/pois/items?limit=1000'),
      getJson('/collections/hotspots/items?limit=100').catch(() => ({ features: [] }))
    ]);
    d.features.forEach((f) => addLabel(centroid(f.geometry), 'lbl district', () => name(f.properties)));
    p.features.forEach((f) => addLabel(f.geometry.coordinates, 'lbl poi', () => name(f.properties)));
    h.features.forEach((f) => {
      const el = document.createElement('div');
      el.className = 'hs';
      el.style.background = HS_COLOURS[f.properties.status] || '#d32f2f';
      const m = { el, text: () => String(f.properties.number), title: () => name(f.properties) };
      el.textContent = m.text();
      el.title = m.title();
      jz.markers.push(m);
      new maplibregl.Marker({ element: el }).setLngLat(f.geometry.coordinates).addTo(map);
    });
    jz.hotspotCount = h.features.length;
  }

  async function stateSummary() {
    const d = jz.date();
    try {
      const j = await getJson(`/collections/closures/items?date=${d}&limit=1`);
      const all = await getJson(`/collections/closures/items?date=${d}&limit=10000`);
      const closed = all.features.filter((f) => f.properties.change === 'closed').length;
      const opened = j.numberMatched - closed;
      document.getElementById('state-summary').textContent = jz.lang === 'zh'
        ? `${d}：封闭 ${closed} 段，新通 ${opened} 段` : `${d}: ${closed} segments closed, ${opened} new open`;
    } catch (e) { jz.errors.push('state: ' + e.message); }
  }

  slider.addEventListener('input', dateLabel);
  slider.addEventListener('change', () => {
    map.getSource('state').setTiles([tileUrl('closures', '?date=' + jz.date())]);
    stateSummary();
    if (jz.routeEnds && jz.routeEnds.length === 2) jz.route(jz.routeEnds[0], jz.routeEnds[1]);
  });
  document.getElementById('lang').addEventListener('click', () => {
    jz.lang = jz.lang === 'zh' ? 'en' : 'zh';
    applyLang();
    stateSummary();
  });

  // Works: popup with status, dates and source.
  map.on('click', (e) => {
    if (jz.routing) return;
    const fs = map.queryRenderedFeatures(e.point, { layers: ['works-line', 'works-fill', 'works-point', 'closures', 'new-links'] });
    if (!fs.length) return;
    const p = fs[0].properties;
    const zh = jz.lang === 'zh';
    let rows;
    if (fs[0].layer.id.startsWith('works')) {
      const st = STATUS_NAMES[p.status] ? STATUS_NAMES[p.status][zh ? 0 : 1] : p.status;
      rows = [[zh ? '工程' : 'Work', `${esc(p.id)} ${esc(name(p))}`], [zh ? '状态' : 'Status', esc(st)],
        [zh ? '日期' : 'Dates', `${esc(p.start)} – ${esc(p.end)}${p.estimated ? (zh ? '（估计）' : ' (estimate)') : ''}`],
        [zh ? '来源' : 'Source', esc(p.source)], [zh ? '日期来源' : 'Dates from', esc(p.dates_source)]];
    } else {
      rows = [[zh ? '路段' : 'Road', esc(name(p))], [zh ? '变化' : 'Change', esc(p.change)], [zh ? '日期' : 'Date', esc(p.date)]];
    }
    new maplibregl.Popup().setLngLat(e.lngLat)
      .setHTML('<table>' + rows.map((r) => `<tr><td><b>${r[0]}</b></td><td>${r[1]}</td></tr>`).join('') + '</table>')
      .addTo(map);
  });

  // Route tool: two clicks, route on the chosen date and today, detour = difference.
  const routeBtn = document.getElementById('route-btn');
  routeBtn.addEventListener('click', () => {
    jz.routing = !jz.routing;
    routeBtn.classList.toggle('active', jz.routing);
    jz.clicks = [];
  });
  document.getElementById('route-clear').addEventListener('click', () => {
    map.getSource('route').setData({ type: 'FeatureCollection', features: [] });
    (jz.endMarkers || []).forEach((m) => m.remove());
    jz.routeEnds = null; jz.lastRoute = null;
    document.getElementById('route-info').textContent = '';
  });
  map.on('click', (e) => {
    if (!jz.routing) return;
    jz.clicks.push([e.lngLat.lng, e.lngLat.lat]);
    if (jz.clicks.length === 2) {
      const [a, b] = jz.clicks;
      jz.clicks = [];
      jz.route(a, b);
    }
  });

  function showRouteInfo(r) {
    const zh = jz.lang === 'zh';
    const km = (m) => (m / 1000).toFixed(2) + ' km';
    const min = (s) => (s / 60).toFixed(1) + ' min';
    let t = zh ? `${r.date}：${km(r.onDate.distance_m)}，${min(r.onDate.duration_s)}；今日：${km(r.today.distance_m)}，${min(r.today.duration_s)}；绕行 +${min(r.detour_s)}`
      : `${r.date}: ${km(r.onDate.distance_m)}, ${min(r.onDate.duration_s)}; today: ${km(r.today.distance_m)}, ${min(r.today.duration_s)}; detour +${min(r.detour_s)}`;
    if (r.error) t = r.error;
    document.getElementById('route-info').textContent = t;
  }

  jz.route = async function (a, b) {
    const q = `from=${a[0]},${a[1]}&to=${b[0]},${b[1]}`;
    const date = jz.date();
    jz.routeEnds = [a, b];
    (jz.endMarkers || []).forEach((m) => m.remove());
    jz.endMarkers = [a, b].map((p, i) => new maplibregl.Marker({ color: i ? '#c62828' : '#2e7d32' }).setLngLat(p).addTo(map));
    try {
      const [onDate, today] = await Promise.all([getJson(`/api/v1/route?${q}&date=${date}`), getJson(`/api/v1/route?${q}`)]);
      onDate.properties.which = 'date';
      today.properties.which = 'today';
      map.getSource('route').setData({ type: 'FeatureCollection', features: [today, onDate] });
      const r = { date, onDate: onDate.properties, today: today.properties,
        detour_s: onDate.properties.duration_s - today.properties.duration_s };
      jz.lastRoute = r;
      jz.routeResult = r;
      showRouteInfo(r);
      return r;
    } catch (e) {
      const r = { error: e.message };
      jz.lastRoute = r;
      jz.routeResult = r;
      showRouteInfo(r);
      return r;
    }
  };

  jz.counts = function () {
    const out = {};
    for (const id of ['districts-fill', 'rivers', 'coastline', 'roads', 'works-line', 'works-fill', 'works-point', 'hotspots', 'closures', 'new-links', 'route']) {
      out[id] = map.queryRenderedFeatures({ layers: [id] }).length;
    }
    return out;
  };

  applyLang();
  stateSummary();
  map.on('load', () => {
    labels().catch((e) => jz.errors.push('labels: ' + e.message)).then(() => {
      map.once('idle', () => { jz.ready = true; });
      map.triggerRepaint();
    });
  });
})();
