// jzplan web viewer: our own layers only (no external basemap), vector tiles from /tiles,
// labels as MapLibre symbol layers with glyphs from /fonts (Latin; the browser draws Chinese).
(async function () {
  'use strict';
  const O = location.origin;
  // Works on the chosen date, from their dates (the schedule) and their catalogued status.
  const STATE_COLOURS = {
    not_started: '#9e9e9e', under_construction: '#ef6c00', completed: '#2e7d32',
    suspended: '#c62828', cancelled: '#616161'
  };
  const STATE_NAMES = {
    not_started: ['未开工', 'not started'], under_construction: ['在建', 'under construction'],
    completed: ['已完工', 'completed'], suspended: ['暂停', 'suspended'], cancelled: ['取消', 'cancelled']
  };
  const STATUS_NAMES = {
    proposed: ['规划', 'proposed'], preliminary_work: ['前期工作', 'preliminary work'],
    design: ['设计', 'design'], under_construction: ['在建', 'under construction'],
    completed: ['完工', 'completed'], suspended: ['暂停', 'suspended'], cancelled: ['取消', 'cancelled']
  };
  const CAUSE_NAMES = { construction: ['施工封闭', 'closed while works are on site'],
    removed: ['已拆除（改线）', 'removed for good (new alignment)'], new_link: ['新通道路', 'new link open'] };
  const HS_COLOURS = { congested: '#d32f2f', being_opened: '#f9a825', opened: '#388e3c' };
  const HS_NAMES = {
    congested: ['拥堵点', 'choke point: congested'], being_opened: ['打通中', 'choke point: being opened'],
    opened: ['已打通', 'choke point: opened']
  };
  const DETOUR_COLOUR = '#00838f';
  const NO_DETOUR_COLOUR = '#6a1b9a';
  const MORATORIUM_COLOUR = '#8d6e63';
  const OUTCOMES = { detour: ['有绕行路线', 'detour'], cut_off: ['无路可绕', 'cut off: no way around'],
    dead_end: ['尽头路，无需绕行', 'dead end: nothing to divert'] };
  const REGULAR = ['Noto Sans Regular'];
  const BOLD = ['Noto Sans Bold'];
  const DAY0 = Date.UTC(2022, 0, 1);
  const jz = { errors: [], ready: false, lang: 'zh', routeResult: null, hasDetours: false };
  window.jz = jz;

  const params = new URLSearchParams(location.search);
  const isoDay = (ms) => new Date(ms).toISOString().slice(0, 10);
  const dayIndex = (iso) => Math.round((Date.parse(iso + 'T00:00:00Z') - DAY0) / 86400000);
  const slider = document.getElementById('date');
  const startDate = params.get('date') || isoDay(Date.now());
  slider.value = String(Math.max(0, Math.min(+slider.max, dayIndex(startDate))));
  jz.date = () => isoDay(DAY0 + (+slider.value) * 86400000);
  if (params.get('lang') === 'en') jz.lang = 'en';

  const CATALOGUED = ['under_construction', 'completed', 'suspended'];
  // State of a work on a date, as Work::phase_on in the engine: a cancelled work never
  // happens, a suspended one keeps its site from its start on, the others follow their dates.
  // A work without dates keeps its catalogued status.
  function stateOn(p, date) {
    if (p.status === 'cancelled') return 'cancelled';
    if (!p.start || !p.end) return CATALOGUED.includes(p.status) ? p.status : 'not_started';
    if (date < p.start) return 'not_started';
    if (p.status === 'suspended') return 'suspended';
    return date <= p.end ? 'under_construction' : 'completed';
  }
  jz.stateOn = stateOn;
  // The same rule as a style expression (ISO dates compare as strings).
  function stateExpr(date) {
    const start = ['to-string', ['get', 'start']];
    const end = ['to-string', ['get', 'end']];
    return ['case',
      ['==', ['get', 'status'], 'cancelled'], 'cancelled',
      ['any', ['==', start, ''], ['==', end, '']],
      ['match', ['get', 'status'], CATALOGUED, ['get', 'status'], 'not_started'],
      ['<', date, start], 'not_started',
      ['==', ['get', 'status'], 'suspended'], 'suspended',
      ['<=', date, end], 'under_construction',
      'completed'];
  }
  // A choke point on a date follows the work that opens it (`opened_by`): opened once that
  // work is completed, being opened while it is on site, congested before; a choke point
  // without such a work keeps its catalogued status. jz.works holds the works' properties.
  function hotspotStateOn(p, date) {
    const w = p.opened_by && jz.works[p.opened_by];
    if (!w) return p.status;
    const s = stateOn(w, date);
    return s === 'completed' ? 'opened' : s === 'under_construction' ? 'being_opened' : 'congested';
  }
  jz.works = {};
  function hotspotColour(date) {
    const groups = { opened: [], being_opened: [], congested: [] };
    for (const id of Object.keys(jz.works)) groups[hotspotStateOn({ opened_by: id, status: '' }, date)].push(id);
    const status = ['match', ['get', 'status'], ...Object.entries(HS_COLOURS).flat(), '#d32f2f'];
    const arms = Object.entries(groups).filter(([, ids]) => ids.length).flatMap(([k, ids]) => [ids, HS_COLOURS[k]]);
    return arms.length ? ['match', ['to-string', ['get', 'opened_by']], ...arms, status] : status;
  }
  const stateColour = (date) => ['match', stateExpr(date), ...Object.entries(STATE_COLOURS).flat(), '#000'];
  // Works not yet started on the date are drawn faint: they are plans, not sites.
  const stateOpacity = (date, on, off) => ['case', ['==', stateExpr(date), 'not_started'], off, on];

  // A label in the chosen language, falling back to the other one.
  function nameExpr(lang) {
    const [a, b] = lang === 'zh' ? ['name_zh', 'name_en'] : ['name_en', 'name_zh'];
    return ['let', 'n', ['to-string', ['get', a]],
      ['case', ['!=', ['var', 'n'], ''], ['var', 'n'], ['to-string', ['get', b]]]];
  }
  const halo = (colour) => ({ 'text-color': colour, 'text-halo-color': 'rgba(255,255,255,0.92)', 'text-halo-width': 1.6, 'text-halo-blur': 0.3 });
  const tileUrl = (layers, q) => `${O}/tiles/${layers}/{z}/{x}/{y}.mvt${q || ''}`;
  // The dated `detours` layer joins the dated source when the server has it (it is optional).
  try {
    const c = await getJson('/collections');
    jz.hasDetours = c.collections.some((x) => x.id === 'detours');
    jz.hasMoratoria = c.collections.some((x) => x.id === 'moratoria');
  } catch (e) { jz.errors.push('collections: ' + e.message); }
  // A detour is drawn along the roads it takes; a closed stretch with no way around (outcome
  // cut_off or dead_end) is drawn itself, in another style.
  const NONE = ['match', ['get', 'outcome'], ['cut_off', 'dead_end'], true, false];
  const detoursUnder = !jz.hasDetours ? [] : [
    { id: 'detours-none', type: 'line', source: 'state', 'source-layer': 'detours',
      filter: NONE, layout: { 'line-cap': 'round' },
      paint: { 'line-color': NO_DETOUR_COLOUR, 'line-width': 9, 'line-opacity': 0.45 } }];
  const detoursOver = !jz.hasDetours ? [] : [
    { id: 'detours-casing', type: 'line', source: 'state', 'source-layer': 'detours',
      filter: ['!', NONE], layout: { 'line-join': 'round', 'line-cap': 'round' },
      paint: { 'line-color': '#ffffff', 'line-width': 7, 'line-opacity': 0.8 } },
    { id: 'detours', type: 'line', source: 'state', 'source-layer': 'detours',
      filter: ['!', NONE], layout: { 'line-join': 'round' },
      paint: { 'line-color': DETOUR_COLOUR, 'line-width': 4, 'line-dasharray': [3, 1] } }];
  // Dig-bans in force on the date: protected from the day after a work ends (ISO dates compare
  // as strings).
  const moratoriaFilter = (d) => ['all', ['<=', ['get', 'from'], d], ['>=', ['get', 'until'], d]];
  const moratoriaLayers = (d) => !jz.hasMoratoria ? [] : [
    { id: 'moratoria', type: 'line', source: 'jz', 'source-layer': 'moratoria',
      filter: moratoriaFilter(d), layout: { 'line-cap': 'round' },
      paint: { 'line-color': MORATORIUM_COLOUR, 'line-width': 10, 'line-opacity': 0.3 } }];
  const stateUrl = () => tileUrl(jz.hasDetours ? 'closures,detours' : 'closures', '?date=' + jz.date());
  const date0 = jz.date();
  jz.stateTilesUrl = stateUrl();
  function refreshState() {
    const u = stateUrl();
    if (u !== jz.stateTilesUrl) { jz.stateTilesUrl = u; jz.map.getSource('state').setTiles([u]); }
  }

  const map = new maplibregl.Map({
    container: 'map',
    center: [121.12, 41.11],
    zoom: 12,
    hash: false,
    attributionControl: false,
    // Chinese glyphs are drawn by the browser (the /fonts PBFs hold Latin ranges only).
    localIdeographFontFamily: '"Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", sans-serif',
    style: {
      version: 8,
      glyphs: `${O}/fonts/{fontstack}/{range}.pbf`,
      sources: {
        jz: { type: 'vector', tiles: [tileUrl('districts,coastline,rivers,roads,works,hotspots,pois' + (jz.hasMoratoria ? ',moratoria' : ''))],
          minzoom: 0, maxzoom: 16, attribution: 'jzplan · coastline © OpenStreetMap contributors (ODbL) · Noto Sans (OFL)' },
        state: { type: 'vector', tiles: [jz.stateTilesUrl], minzoom: 0, maxzoom: 16 },
        places: { type: 'geojson', data: { type: 'FeatureCollection', features: [] } },
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
          paint: { 'line-color': '#7fb6e6', 'line-width': ['interpolate', ['linear'], ['zoom'], 9, 1.5, 14, 6] } },
        // Area works (greening, wetlands) under the roads, so that streets stay readable.
        { id: 'works-fill', type: 'fill', source: 'jz', 'source-layer': 'works',
          filter: ['==', ['geometry-type'], 'Polygon'],
          paint: { 'fill-color': stateColour(date0), 'fill-opacity': stateOpacity(date0, 0.12, 0.05), 'fill-outline-color': stateColour(date0) } },
        { id: 'roads-casing', type: 'line', source: 'jz', 'source-layer': 'roads',
          filter: ['all', ['!=', ['get', 'planned'], true], ['match', ['get', 'class'], ['expressway', 'trunk', 'primary'], true, false]],
          layout: { 'line-join': 'round', 'line-cap': 'round' },
          paint: { 'line-color': '#b0a08a', 'line-gap-width': ['interpolate', ['linear'], ['zoom'], 9,
            ['match', ['get', 'class'], 'expressway', 2, 'trunk', 1.6, 1.2], 15,
            ['match', ['get', 'class'], 'expressway', 7, 'trunk', 6, 5]], 'line-width': 0.8 } },
        { id: 'roads', type: 'line', source: 'jz', 'source-layer': 'roads',
          filter: ['!=', ['get', 'planned'], true],
          layout: { 'line-join': 'round', 'line-cap': 'round' },
          paint: {
            'line-color': ['match', ['get', 'class'], 'expressway', '#e8a33d', 'trunk', '#f2c46b', 'primary', '#fff8e1', '#ffffff'],
            'line-width': ['interpolate', ['linear'], ['zoom'], 9,
              ['match', ['get', 'class'], 'expressway', 2, 'trunk', 1.6, 'primary', 1.2, 0.6], 15,
              ['match', ['get', 'class'], 'expressway', 7, 'trunk', 6, 'primary', 5, 3]]
          } },
        { id: 'roads-minor-edge', type: 'line', source: 'jz', 'source-layer': 'roads',
          filter: ['all', ['!=', ['get', 'planned'], true], ['!', ['match', ['get', 'class'], ['expressway', 'trunk', 'primary'], true, false]]],
          minzoom: 12,
          paint: { 'line-color': '#cfc6b8', 'line-width': 0.6, 'line-gap-width': ['interpolate', ['linear'], ['zoom'], 12, 1.2, 15, 3] } },
        ...moratoriaLayers(date0),
        { id: 'roads-planned', type: 'line', source: 'jz', 'source-layer': 'roads',
          filter: ['==', ['get', 'planned'], true],
          paint: { 'line-color': '#7e57c2', 'line-width': 2, 'line-dasharray': [2, 2] } },
        { id: 'works-line', type: 'line', source: 'jz', 'source-layer': 'works',
          filter: ['==', ['geometry-type'], 'LineString'],
          layout: { 'line-cap': 'round' },
          paint: { 'line-color': stateColour(date0), 'line-width': ['interpolate', ['linear'], ['zoom'], 10, 3, 15, 7],
            'line-opacity': stateOpacity(date0, 0.85, 0.45) } },
        { id: 'works-point', type: 'circle', source: 'jz', 'source-layer': 'works',
          filter: ['==', ['geometry-type'], 'Point'],
          paint: { 'circle-color': stateColour(date0), 'circle-radius': 5, 'circle-stroke-color': '#fff', 'circle-stroke-width': 1.5,
            'circle-opacity': stateOpacity(date0, 1, 0.5) } },
        ...detoursUnder,
        // Roads taken out for good by a completed work (a road moved to a new alignment): grey,
        // not the red of a closure that ends with the works.
        { id: 'removed-roads', type: 'line', source: 'state', 'source-layer': 'closures',
          filter: ['==', ['get', 'cause'], 'removed'],
          paint: { 'line-color': '#616161', 'line-width': 3, 'line-dasharray': [0.5, 1.5] } },
        { id: 'closures', type: 'line', source: 'state', 'source-layer': 'closures',
          filter: ['all', ['==', ['get', 'change'], 'closed'], ['!=', ['get', 'cause'], 'removed']],
          paint: { 'line-color': '#d50000', 'line-width': 5, 'line-dasharray': [1, 1] } },
        { id: 'new-links', type: 'line', source: 'state', 'source-layer': 'closures',
          filter: ['==', ['get', 'change'], 'opened'],
          paint: { 'line-color': '#00c853', 'line-width': 5 } },
        ...detoursOver,
        { id: 'route-today', type: 'line', source: 'route', filter: ['==', ['get', 'which'], 'today'],
          paint: { 'line-color': '#546e7a', 'line-width': 4, 'line-dasharray': [2, 1.5] } },
        { id: 'route', type: 'line', source: 'route', filter: ['==', ['get', 'which'], 'date'],
          paint: { 'line-color': '#1565c0', 'line-width': 5, 'line-opacity': 0.85 } },
        // Labels, lowest priority first (later symbol layers win collisions).
        { id: 'road-labels', type: 'symbol', source: 'jz', 'source-layer': 'roads', minzoom: 12,
          filter: ['!=', ['get', 'class'], 'ramp'],
          layout: { 'symbol-placement': 'line', 'text-field': nameExpr(jz.lang), 'text-font': REGULAR,
            'text-size': ['interpolate', ['linear'], ['zoom'], 12, 10, 16, 13], 'symbol-spacing': 350,
            'text-max-angle': 30, 'text-padding': 4 },
          paint: halo('#4e4a44') },
        { id: 'river-labels', type: 'symbol', source: 'jz', 'source-layer': 'rivers',
          layout: { 'symbol-placement': 'line', 'text-field': nameExpr(jz.lang), 'text-font': REGULAR,
            'text-size': 13, 'symbol-spacing': 500, 'text-letter-spacing': 0.1, 'text-max-angle': 35 },
          paint: halo('#2b6cb0') },
        { id: 'work-labels', type: 'symbol', source: 'jz', 'source-layer': 'works', minzoom: 13.5,
          filter: ['!=', ['geometry-type'], 'LineString'],
          layout: { 'text-field': nameExpr(jz.lang), 'text-font': REGULAR, 'text-size': 11,
            'text-offset': [0, 1.1], 'text-anchor': 'top', 'text-max-width': 10, 'text-optional': true },
          paint: halo(stateColour(date0)) },
        { id: 'work-labels-line', type: 'symbol', source: 'jz', 'source-layer': 'works', minzoom: 13.5,
          filter: ['==', ['geometry-type'], 'LineString'],
          layout: { 'symbol-placement': 'line', 'text-field': nameExpr(jz.lang), 'text-font': REGULAR,
            'text-size': 11, 'symbol-spacing': 400, 'text-offset': [0, 1] },
          paint: halo(stateColour(date0)) },
        { id: 'pois', type: 'circle', source: 'jz', 'source-layer': 'pois', minzoom: 11,
          paint: { 'circle-radius': 3, 'circle-color': '#37474f', 'circle-stroke-color': '#fff', 'circle-stroke-width': 1 } },
        { id: 'poi-labels', type: 'symbol', source: 'jz', 'source-layer': 'pois', minzoom: 11,
          layout: { 'text-field': nameExpr(jz.lang), 'text-font': REGULAR, 'text-size': 11,
            'text-anchor': 'left', 'text-offset': [0.6, 0], 'text-max-width': 9, 'text-optional': true },
          paint: halo('#37474f') },
        { id: 'district-labels', type: 'symbol', source: 'places',
          layout: { 'text-field': nameExpr(jz.lang), 'text-font': BOLD, 'text-size': ['interpolate', ['linear'], ['zoom'], 10, 13, 14, 18],
            'text-letter-spacing': 0.15, 'text-max-width': 8 },
          paint: halo('#795548') },
        // The 15 choke points: a numbered disc, always drawn.
        { id: 'hotspots', type: 'circle', source: 'jz', 'source-layer': 'hotspots',
          paint: { 'circle-radius': ['interpolate', ['linear'], ['zoom'], 10, 7, 14, 11],
            'circle-color': hotspotColour(date0),
            'circle-stroke-color': '#fff', 'circle-stroke-width': 2 } },
        { id: 'hotspot-numbers', type: 'symbol', source: 'jz', 'source-layer': 'hotspots',
          layout: { 'text-field': ['to-string', ['get', 'number']], 'text-font': BOLD,
            'text-size': ['interpolate', ['linear'], ['zoom'], 10, 9, 14, 12],
            'text-allow-overlap': true, 'text-ignore-placement': true },
          paint: { 'text-color': '#ffffff', 'text-halo-color': 'rgba(0,0,0,0.35)', 'text-halo-width': 0.6 } }
      ]
    }
  });
  jz.map = map;
  // Keep the city clear of the panel on wide screens: the centre is that of the visible part.
  if (window.innerWidth > 900) map.setPadding({ left: 320, top: 0, right: 0, bottom: 0 });
  map.addControl(new maplibregl.NavigationControl(), 'top-right');
  map.addControl(new maplibregl.ScaleControl(), 'bottom-right');
  map.addControl(new maplibregl.AttributionControl({ compact: false }), 'bottom-right');
  map.on('error', (e) => { jz.errors.push(String(e && e.error ? e.error.message || e.error : e)); });

  const LABEL_LAYERS = ['road-labels', 'river-labels', 'work-labels', 'work-labels-line', 'poi-labels', 'district-labels'];
  const WORK_LAYERS = ['works-line', 'works-fill', 'works-point'];
  const name = (p) => (jz.lang === 'zh' ? (p.name_zh || p.name_en) : (p.name_en || p.name_zh)) || p.id || '';
  const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));

  function applyLang() {
    document.documentElement.lang = jz.lang;
    document.querySelectorAll('[data-zh]').forEach((el) => { el.textContent = el.dataset[jz.lang]; });
    document.getElementById('lang').textContent = jz.lang === 'zh' ? 'EN' : '中文';
    if (jz.styleReady) {
      for (const id of LABEL_LAYERS) map.setLayoutProperty(id, 'text-field', nameExpr(jz.lang));
    }
    legend();
    dateLabel();
    if (jz.lastRoute) showRouteInfo(jz.lastRoute);
  }

  function applyDate() {
    const d = jz.date();
    if (!jz.styleReady) return;
    map.setPaintProperty('works-fill', 'fill-color', stateColour(d));
    map.setPaintProperty('works-fill', 'fill-outline-color', stateColour(d));
    map.setPaintProperty('works-fill', 'fill-opacity', stateOpacity(d, 0.12, 0.05));
    map.setPaintProperty('works-line', 'line-color', stateColour(d));
    map.setPaintProperty('works-line', 'line-opacity', stateOpacity(d, 0.85, 0.45));
    map.setPaintProperty('works-point', 'circle-color', stateColour(d));
    map.setPaintProperty('works-point', 'circle-opacity', stateOpacity(d, 1, 0.5));
    map.setPaintProperty('work-labels', 'text-color', stateColour(d));
    map.setPaintProperty('work-labels-line', 'text-color', stateColour(d));
    map.setPaintProperty('hotspots', 'circle-color', hotspotColour(d));
    if (jz.hasMoratoria) map.setFilter('moratoria', moratoriaFilter(d));
    refreshState();
    jz.shownDate = d;
  }

  function legend() {
    const zh = jz.lang === 'zh';
    const item = (cls, colour, text) => {
      const style = cls.includes('dash') ? `border-top:3px dashed ${colour};height:0` : `background:${colour}`;
      return `<div class="item"><span class="${cls}" style="${style}"></span>${text}</div>`;
    };
    let h = `<b>${zh ? '工程（按所选日期）' : 'Works on the chosen date'}</b>`;
    for (const [k, c] of Object.entries(STATE_COLOURS)) h += item('sw', c, STATE_NAMES[k][zh ? 0 : 1]);
    h += `<div class="note">${zh ? '按各工程的开工、完工日期（多为估计）；无日期者按登记状态。'
      : 'From each work\'s start and end dates (mostly estimates); works without dates keep their catalogued status.'}</div>`;
    h += `<b>${zh ? '路网（所选日期）' : 'Network on the date'}</b>`;
    h += item('sw dash', '#d50000', zh ? '施工封闭路段' : 'Closed while works are on site');
    h += item('sw dash', '#616161', zh ? '已拆除（改线后的旧路）' : 'Removed for good (old alignment)');
    h += item('sw', '#00c853', zh ? '新通道路' : 'New link open');
    if (jz.hasDetours) {
      h += item('sw dash', DETOUR_COLOUR, zh ? '绕行路线（封闭路段两端之间）' : 'Detour around a closed stretch');
      h += item('sw', NO_DETOUR_COLOUR, zh ? '无绕行可走的封闭路段' : 'Closed stretch with no way around');
    }
    if (jz.hasMoratoria) {
      h += item('sw', MORATORIUM_COLOUR, zh ? '禁挖期内的道路（新建、改建 5 年，大修 3 年）' : 'Dig-ban in force (5 years after a new or rebuilt road, 3 after resurfacing)');
    }
    h += item('sw dash', '#7e57c2', zh ? '规划道路（未建）' : 'Planned road (not built)');
    h += item('sw', '#7fb6e6', zh ? '河流' : 'River');
    h += `<b>${zh ? '堵点（编号 1–15，按所选日期）' : 'Choke points (1–15) on the date'}</b>`;
    for (const [k, c] of Object.entries(HS_COLOURS)) h += item('dot', c, HS_NAMES[k][zh ? 0 : 1]);
    h += `<div class="note">${zh ? '按打通该堵点的工程的日期。' : 'From the dates of the work that opens each one.'}</div>`;
    h += `<b>${zh ? '路线' : 'Route'}</b>`;
    h += item('sw', '#1565c0', zh ? '所选日期路线' : 'Route on the date');
    h += item('sw dash', '#546e7a', zh ? '今日路线' : 'Route today');
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

  // Label point of a district: the vertex mean of its outer ring is enough for these compact
  // outlines (tiles would label every tile's piece of a polygon).
  function labelPoint(geom) {
    const ring = geom.type === 'Polygon' ? geom.coordinates[0] : geom.coordinates[0][0];
    let x = 0, y = 0;
    ring.forEach((c) => { x += c[0]; y += c[1]; });
    return [x / ring.length, y / ring.length];
  }

  async function loadWorks() {
    const w = await getJson('/collections/works/items?limit=1000');
    jz.works = Object.fromEntries(w.features.map((f) => [f.properties.id, f.properties]));
  }

  async function places() {
    const d = await getJson('/collections/districts/items?limit=100');
    map.getSource('places').setData({
      type: 'FeatureCollection',
      features: d.features.map((f) => ({ type: 'Feature', properties: f.properties,
        geometry: { type: 'Point', coordinates: labelPoint(f.geometry) } }))
    });
  }

  async function stateSummary() {
    const d = jz.date();
    try {
      const all = await getJson(`/collections/closures/items?date=${d}&limit=10000`);
      const count = (pred) => all.features.filter((f) => pred(f.properties)).length;
      const closed = count((p) => p.change === 'closed' && p.cause !== 'removed');
      const removed = count((p) => p.cause === 'removed');
      const opened = count((p) => p.change === 'opened');
      await jz.worksLoaded;
      const n = { not_started: 0, under_construction: 0, completed: 0 };
      Object.values(jz.works).forEach((p) => { const s = stateOn(p, d); if (s in n) n[s] += 1; });
      if (d !== jz.date()) return; // the slider moved on meanwhile
      document.getElementById('state-summary').textContent = jz.lang === 'zh'
        ? `${d}：施工封闭 ${closed} 段，已拆除 ${removed} 段，新通 ${opened} 段；工程在建 ${n.under_construction}，已完工 ${n.completed}，未开工 ${n.not_started}`
        : `${d}: ${closed} segments closed by works, ${removed} removed, ${opened} new open; works: ${n.under_construction} on site, ${n.completed} done, ${n.not_started} not started`;
    } catch (e) { jz.errors.push('state: ' + e.message); }
  }

  slider.addEventListener('input', dateLabel);
  slider.addEventListener('change', () => {
    applyDate();
    stateSummary();
    if (jz.routeEnds && jz.routeEnds.length === 2) jz.route(jz.routeEnds[0], jz.routeEnds[1]);
  });
  jz.setDate = function (iso) {
    slider.value = String(Math.max(0, Math.min(+slider.max, dayIndex(iso))));
    slider.dispatchEvent(new Event('change'));
    dateLabel();
  };
  document.getElementById('lang').addEventListener('click', () => {
    jz.lang = jz.lang === 'zh' ? 'en' : 'zh';
    applyLang();
    stateSummary();
  });

  // Popups: works (status, state on the date, dates, source), closures, detours, choke points.
  map.on('click', (e) => {
    if (jz.routing || jz.drawing || jz.picking) return;
    const layers = [...WORK_LAYERS, 'closures', 'removed-roads', 'new-links', 'hotspots'].concat(jz.hasDetours ? ['detours', 'detours-none'] : []);
    const fs = map.queryRenderedFeatures(e.point, { layers });
    if (!fs.length) return;
    const f = fs.find((x) => x.layer.id === 'hotspots') || fs.find((x) => x.layer.id.startsWith('detours')) || fs[0];
    const p = f.properties;
    const zh = jz.lang === 'zh';
    const tr = (t) => (t ? t[zh ? 0 : 1] : '');
    let rows;
    if (f.layer.id.startsWith('works')) {
      rows = [[zh ? '工程' : 'Work', `${esc(p.id)} ${esc(name(p))}`],
        [zh ? '登记状态' : 'Status', esc(tr(STATUS_NAMES[p.status]) || p.status)],
        [jz.date(), esc(tr(STATE_NAMES[stateOn(p, jz.date())]))],
        [zh ? '日期' : 'Dates', `${esc(p.start)} – ${esc(p.end)}${p.estimated ? (zh ? '（估计）' : ' (estimate)') : ''}`],
        [zh ? '来源' : 'Source', esc(p.source)], [zh ? '日期来源' : 'Dates from', esc(p.dates_source)]];
    } else if (f.layer.id.startsWith('detours')) {
      const min = (x) => (x != null && x !== '' ? esc((x / 60).toFixed(1) + ' min') : '–');
      rows = [[zh ? '绕行' : 'Detour', `${esc(p.id || '')} ${esc(p.name_zh || p.name_en ? name(p) : (p.name || ''))}`],
        [zh ? '工程' : 'Work', esc(p.work || '')], [zh ? '多用时' : 'Extra time', min(p.extra_s)],
        [zh ? '封闭' : 'Closed', esc(p.closed_streets || '')], [zh ? '经由' : 'Via', esc(p.via_streets || '')],
        [zh ? '结果' : 'Outcome', esc([tr(OUTCOMES[p.outcome]) || p.outcome, p.reason].filter(Boolean).join(': '))],
        [zh ? '来源' : 'Source', esc(p.source || '')]];
    } else if (f.layer.id === 'hotspots') {
      rows = [[zh ? '堵点' : 'Choke point', `${esc(p.number)} · ${esc(name(p))}`],
        [zh ? '登记状态' : 'Status', esc(tr(HS_NAMES[p.status]) || p.status)],
        [jz.date(), esc(tr(HS_NAMES[hotspotStateOn(p, jz.date())]))],
        [zh ? '打通工程' : 'Opened by', esc(p.opened_by || '')], [zh ? '依据' : 'Evidence', esc(p.evidence || '')]];
    } else {
      rows = [[zh ? '路段' : 'Road', esc(name(p))], [zh ? '变化' : 'Change', esc(CAUSE_NAMES[p.cause] ? CAUSE_NAMES[p.cause][zh ? 0 : 1] : p.change)],
        [zh ? '工程' : 'Works', esc(p.works || '')], [zh ? '日期' : 'Date', esc(p.date)]];
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
      // "Today" is today's network (works in force today), as the dated layers take it;
      // without a date the API answers on the base network, with no works at all.
      const [onDate, today] = await Promise.all([getJson(`/api/v1/route?${q}&date=${date}`),
        getJson(`/api/v1/route?${q}&date=${isoDay(Date.now())}`)]);
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

  // Rendered features per layer (what the browser test checks).
  jz.counts = function () {
    const out = {};
    for (const l of map.getStyle().layers) {
      if (l.type !== 'background') out[l.id] = map.queryRenderedFeatures({ layers: [l.id] }).length;
    }
    return out;
  };
  // Rendered works by their state on the shown date (one count per work id).
  jz.worksByState = function () {
    const seen = new Map();
    for (const f of map.queryRenderedFeatures({ layers: WORK_LAYERS })) seen.set(f.properties.id, f.properties);
    const out = {};
    for (const p of seen.values()) { const s = stateOn(p, jz.shownDate); out[s] = (out[s] || 0) + 1; }
    return out;
  };
  // Rendered choke points by their state on the shown date.
  jz.hotspotStates = function () {
    const seen = new Map();
    for (const f of map.queryRenderedFeatures({ layers: ['hotspots'] })) seen.set(f.properties.id, f.properties);
    const out = {};
    for (const p of seen.values()) { const s = hotspotStateOn(p, jz.shownDate); out[s] = (out[s] || 0) + 1; }
    return out;
  };
  // Resolves when the map has drawn everything it asked for.
  jz.idle = () => new Promise((resolve) => {
    if (map.loaded() && map.areTilesLoaded()) resolve(); else map.once('idle', () => resolve());
  });

  jz.shownDate = date0;
  jz.worksLoaded = loadWorks().catch((e) => jz.errors.push('works: ' + e.message));
  applyLang();
  stateSummary();
  map.on('load', () => {
    jz.styleReady = true;
    applyLang();
    applyDate();
    Promise.all([places(), jz.worksLoaded.then(applyDate)])
      .catch((e) => jz.errors.push('load: ' + e.message))
      .then(() => {
        map.once('idle', () => { jz.ready = true; });
        map.triggerRepaint();
      });
  });
})();
