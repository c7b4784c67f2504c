// Vigie's status page: reads /api/feeds, /api/alerts and /api/activity and
// draws them, again every 15 seconds, without reloading the page. Data is
// only ever written as text (never as HTML): feed titles and alert titles
// come from the outside world.
'use strict';
(() => {
  const TOKEN_KEY = 'vigie.token';
  const PAGE_SIZE = 50;
  const REFRESH_MS = 15000;
  const ALERTS = 50;
  const STATES = ['failing', 'backing_off', 'not_read', 'ok'];
  const STATE_WORDS = { failing: 'failing', backing_off: 'backing off', not_read: 'not yet read', ok: 'ok' };
  const LANG_COLORS = {
    en: '#1f77b4', fr: '#d62728', es: '#ff7f0e', ru: '#2ca02c', zh: '#9467bd',
    ar: '#8c564b', vi: '#e377c2', ja: '#17becf', de: '#7f7f7f', pt: '#bcbd22', und: '#aaaaaa',
  };
  const EXTRA_COLORS = ['#393b79', '#637939', '#8c6d31', '#843c39', '#7b4173', '#3182bd'];

  const view = {
    feeds: [], page: 0, state: '', lang: '', text: '',
    charts: {}, timer: null, authRequired: document.body.dataset.auth === 'token',
  };
  const $ = (id) => document.getElementById(id);

  // el builds an element; children are nodes or strings (set as text).
  function el(tag, props, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(props || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') e.className = v;
      else if (k === 'text') e.textContent = v;
      else if (k.startsWith('data-')) e.setAttribute(k, v);
      else e[k] = v;
    }
    for (const c of children) {
      if (c === null || c === undefined || c === false) continue;
      e.append(typeof c === 'string' || typeof c === 'number' ? String(c) : c);
    }
    return e;
  }

  class AuthError extends Error {}

  async function api(path) {
    const headers = { Accept: 'application/json' };
    const token = sessionStorage.getItem(TOKEN_KEY);
    if (token) headers.Authorization = 'Bearer ' + token;
    const resp = await fetch(path, { headers, cache: 'no-store' });
    if (resp.status === 401) throw new AuthError('unauthorized');
    if (!resp.ok) {
      let msg = resp.status + ' ' + resp.statusText;
      try { msg = (await resp.json()).error || msg; } catch (_) { /* not JSON */ }
      throw new Error(msg);
    }
    return resp.json();
  }

  // Times

  function ago(iso, now) {
    if (!iso) return '–';
    let d = (now - Date.parse(iso)) / 1000;
    const future = d < 0;
    d = Math.abs(d);
    let s;
    if (d < 60) s = Math.floor(d) + 's';
    else if (d < 3600) s = Math.floor(d / 60) + 'm';
    else if (d < 48 * 3600) s = Math.floor(d / 3600) + 'h' + String(Math.floor(d / 60) % 60).padStart(2, '0') + 'm';
    else s = Math.floor(d / 86400) + 'd';
    return future ? 'in ' + s : s + ' ago';
  }
  const fullTime = (iso) => (iso ? new Date(iso).toLocaleString() : '');

  // Sign-in

  function showLogin(message) {
    $('main').hidden = true;
    $('login').hidden = false;
    $('signout').hidden = true;
    if (message) $('login-message').textContent = message;
    $('token').focus();
    stop();
  }

  $('login-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const token = $('token').value.trim();
    if (!token) return;
    sessionStorage.setItem(TOKEN_KEY, token);
    $('token').value = '';
    $('login').hidden = true;
    refresh();
  });

  $('signout').addEventListener('click', () => {
    sessionStorage.removeItem(TOKEN_KEY);
    showLogin('Signed out. The token is needed to see this Vigie.');
  });

  // Refresh

  function stop() {
    if (view.timer) clearTimeout(view.timer);
    view.timer = null;
  }

  async function refresh() {
    stop();
    try {
      const [feeds, alerts, activity] = await Promise.all([
        api('api/feeds'), api('api/alerts?limit=' + ALERTS), api('api/activity'),
      ]);
      $('problem').hidden = true;
      $('login').hidden = true;
      $('main').hidden = false;
      $('signout').hidden = !view.authRequired;
      view.feeds = feeds.feeds;
      renderSummary();
      renderFilters();
      renderFeeds();
      renderAlerts(alerts.alerts);
      renderCharts(activity);
      $('updated').textContent = 'Updated ' + new Date().toLocaleTimeString();
    } catch (err) {
      if (err instanceof AuthError) {
        const had = sessionStorage.getItem(TOKEN_KEY);
        sessionStorage.removeItem(TOKEN_KEY);
        showLogin(had ? 'The token was refused. Try again.' : 'This Vigie asks for its access token (the content of http.token_file).');
        return;
      }
      $('problem').textContent = 'Cannot read Vigie\u2019s state: ' + err.message + '. Trying again shortly.';
      $('problem').hidden = false;
    }
    view.timer = setTimeout(refresh, REFRESH_MS);
  }

  // Summary and filters

  function counts() {
    const c = {};
    for (const f of view.feeds) c[f.state] = (c[f.state] || 0) + 1;
    return c;
  }

  function renderSummary() {
    const c = counts();
    const s = $('summary');
    s.replaceChildren(el('span', {}, view.feeds.length + ' feeds'));
    for (const st of STATES) {
      if (!c[st]) continue;
      s.append(' ', el('button', {
        type: 'button', class: 'badge state-' + st, title: 'Show only these feeds',
        onclick: () => { view.state = st; view.page = 0; renderFilters(); renderFeeds(); },
      }, c[st] + ' ' + STATE_WORDS[st]));
    }
  }

  function setOptions(select, options, value) {
    select.replaceChildren(...options.map(([v, label]) => el('option', { value: v, text: label })));
    select.value = options.some(([v]) => v === value) ? value : '';
  }

  function renderFilters() {
    const c = counts();
    setOptions($('filter-state'), [['', 'all (' + view.feeds.length + ')']].concat(
      STATES.map((s) => [s, STATE_WORDS[s] + ' (' + (c[s] || 0) + ')'])), view.state);
    const langs = [...new Set(view.feeds.map((f) => f.lang).filter(Boolean))].sort();
    setOptions($('filter-lang'), [['', 'all']].concat(langs.map((l) => [l, l])), view.lang);
    view.state = $('filter-state').value;
    view.lang = $('filter-lang').value;
  }

  $('filter-state').addEventListener('change', (e) => { view.state = e.target.value; view.page = 0; renderFeeds(); });
  $('filter-lang').addEventListener('change', (e) => { view.lang = e.target.value; view.page = 0; renderFeeds(); });
  $('filter-text').addEventListener('input', (e) => { view.text = e.target.value.trim().toLowerCase(); view.page = 0; renderFeeds(); });
  $('prev').addEventListener('click', () => { view.page--; renderFeeds(); });
  $('next').addEventListener('click', () => { view.page++; renderFeeds(); });

  // Feeds

  function filtered() {
    return view.feeds.filter((f) =>
      (!view.state || f.state === view.state) &&
      (!view.lang || f.lang === view.lang) &&
      (!view.text || f.id.includes(view.text) || (f.host || '').includes(view.text) ||
        (f.title || '').toLowerCase().includes(view.text)));
  }

  function renderFeeds() {
    const list = filtered();
    const pages = Math.max(1, Math.ceil(list.length / PAGE_SIZE));
    view.page = Math.min(Math.max(view.page, 0), pages - 1);
    const from = view.page * PAGE_SIZE;
    const shown = list.slice(from, from + PAGE_SIZE);
    const now = Date.now();
    $('feeds').tBodies[0].replaceChildren(...shown.map((f) => el('tr', { 'data-feed': f.id, 'data-state': f.state },
      el('td', { class: 'feed', title: f.url }, el('strong', {}, f.id), f.title ? el('span', { class: 'title' }, f.title) : null),
      el('td', {}, f.host),
      el('td', {}, f.lang || '–'),
      el('td', {}, el('span', { class: 'badge state-' + f.state }, STATE_WORDS[f.state] || f.state),
        f.consecutive_failures > 1 ? el('span', { class: 'failures' }, ' ×' + f.consecutive_failures) : null),
      el('td', { title: fullTime(f.last_fetch) }, ago(f.last_fetch, now)),
      el('td', { title: fullTime(f.next_fetch) }, ago(f.next_fetch, now)),
      el('td', { class: 'error', title: f.error_detail || '' }, f.last_error || ''),
      el('td', { class: 'num' }, f.items_24h),
      el('td', { class: 'num' }, f.alerts_24h))));
    if (shown.length === 0) {
      $('feeds').tBodies[0].append(el('tr', {}, el('td', { colSpan: 9, class: 'empty' }, 'No feed matches.')));
    }
    $('page-info').textContent = list.length === 0 ? '0 feeds'
      : (from + 1) + '\u2013' + (from + shown.length) + ' of ' + list.length;
    $('prev').disabled = view.page === 0;
    $('next').disabled = view.page >= pages - 1;
  }

  // Alerts

  const safeURL = (u) => (typeof u === 'string' && /^https?:\/\//i.test(u) ? u : null);

  function renderAlerts(alerts) {
    const list = $('alerts');
    if (!alerts.length) {
      list.replaceChildren(el('li', { class: 'empty' }, 'No alert yet.'));
      return;
    }
    const now = Date.now();
    list.replaceChildren(...alerts.map(({ alert: a, deliveries, stored }) => {
      const url = safeURL(a.url);
      const when = a.published || stored;
      const ents = a.entities || {};
      const entity = [];
      if (ents.states && ents.states.length) entity.push('States: ' + ents.states.join(', '));
      if (ents.orgs && ents.orgs.length) entity.push('Bodies: ' + ents.orgs.join(', '));
      return el('li', { class: 'alert', 'data-alert': a.id + '.' + a.classifier },
        el('div', { class: 'alert-head' },
          el('time', { dateTime: when, title: fullTime(when) }, ago(when, now)),
          url ? el('a', { class: 'alert-title', href: url, target: '_blank', rel: 'noopener noreferrer' }, a.title || url)
            : el('span', { class: 'alert-title' }, a.title || '(no title)')),
        el('div', { class: 'alert-meta' },
          el('span', { class: 'feed' }, a.feed ? a.feed.id : ''),
          el('span', { class: 'lang' }, a.lang),
          el('span', { class: 'classifier' }, a.classifier),
          el('span', { class: 'score' }, 'score ' + Number(a.score).toFixed(1)),
          entity.length ? el('span', { class: 'entities' }, entity.join(' \u00b7 ')) : null,
          a.story && a.story.id ? el('span', { class: 'story' }, 'story ' + (a.story.title || a.story.id)) : null),
        el('ul', { class: 'evidence' }, ...(a.topics || []).map((t) => el('li', {},
          el('span', { class: 'topic' }, t.id), ' ',
          (t.evidence || []).map((e) => e.term + ' (' + e.field + (e.count > 1 ? ' \u00d7' + e.count : '') + ')').join(', ')))),
        deliveries.length ? el('ul', { class: 'deliveries' }, ...deliveries.map((d) => el('li', {
          class: 'delivery delivery-' + d.state, 'data-route': d.route,
          title: [d.attempts ? d.attempts + ' attempt' + (d.attempts > 1 ? 's' : '') : '', d.status ? 'HTTP ' + d.status : '', d.error || '', d.at ? fullTime(d.at) : '']
            .filter(Boolean).join(' \u00b7 '),
        }, d.route + ': ' + d.state))) : null);
    }));
  }

  // Charts (uPlot, embedded)

  function colorOf(lang, i) {
    return LANG_COLORS[lang] || EXTRA_COLORS[i % EXTRA_COLORS.length];
  }

  function chartWidth(div) {
    return Math.max(280, div.clientWidth || div.parentElement.clientWidth || 400);
  }

  function drawChart(key, series, xs, ys, bars) {
    const div = $('chart-' + key);
    const sig = series.map((s) => s.label).join(',');
    const data = [xs].concat(ys);
    const old = view.charts[key];
    if (old && old.sig === sig) {
      old.chart.setData(data);
      return;
    }
    if (old) old.chart.destroy();
    div.replaceChildren();
    const opts = {
      width: chartWidth(div), height: 170,
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true }, y: { range: (u, min, max) => [0, Math.max(1, max)] } },
      axes: [{}, { size: 40 }],
      series: [{}].concat(series.map((s) => Object.assign({ width: 2, points: { show: true, size: 4 } }, s,
        bars ? { paths: uPlot.paths.bars({ size: [0.7, 40] }), fill: s.stroke + '99', points: { show: false } } : {}))),
      legend: { live: false },
    };
    view.charts[key] = { sig, chart: new uPlot(opts, data, div) };
  }

  function renderCharts(a) {
    const xs = [];
    const start = Date.parse(a.start) / 1000;
    for (let i = 0; i < a.hours; i++) xs.push(start + i * 3600);
    const zero = () => new Array(a.hours).fill(0);
    const langs = a.langs.length ? a.langs : [];
    const byLang = (m) => langs.map((l) => (m[l] || zero()));
    const langSeries = langs.map((l, i) => ({ label: l, stroke: colorOf(l, i) }));
    drawChart('items', langSeries, xs, byLang(a.items), false);
    drawChart('alerts', langSeries, xs, byLang(a.alerts), false);
    drawChart('errors', [{ label: 'failed fetches', stroke: '#c0392b' }], xs, [a.errors], true);
  }

  window.addEventListener('resize', () => {
    for (const key of Object.keys(view.charts)) {
      const div = $('chart-' + key);
      view.charts[key].chart.setSize({ width: chartWidth(div), height: 170 });
    }
  });

  if (view.authRequired && !sessionStorage.getItem(TOKEN_KEY)) {
    showLogin();
  } else {
    refresh();
  }
})();
