// The live graph page: one self-contained HTML document (no CDN, no library: nothing to fetch
// from the internet). The script lays the graph out in layers (each resource one layer below
// its deepest parent; a wide layer wraps onto several rows), draws it as SVG, colours each resource by state, follows /events, and
// shows a resource's last events and error when it is clicked. All text goes in as textContent.

const style = `
body { font: 14px system-ui, sans-serif; margin: 0; color: #222; background: #fafafa; }
header { padding: 10px 16px; background: #263238; color: #eceff1; display: flex; gap: 24px; align-items: baseline; }
header h1 { font-size: 16px; margin: 0; }
#counts span { margin-right: 12px; }
main { display: flex; align-items: flex-start; }
#graph { flex: 1; overflow: auto; padding: 12px; }
#detail { width: 360px; padding: 12px 16px; border-left: 1px solid #ddd; min-height: 80vh; background: #fff; }
#detail pre { white-space: pre-wrap; word-break: break-word; background: #f4f4f4; padding: 6px; font-size: 12px; }
#detail ol { padding-left: 20px; font-size: 12px; }
g.node { cursor: pointer; }
g.node rect { stroke: #37474f; stroke-width: 1; rx: 6; }
g.node.selected rect { stroke-width: 3; }
g.node text { font-size: 12px; pointer-events: none; }
.s-pending rect { fill: #cfd8dc; } .s-running rect { fill: #fff59d; } .s-retrying rect { fill: #ffcc80; }
.s-ok rect { fill: #a5d6a7; } .s-failed rect { fill: #ef9a9a; }
path.edge { fill: none; stroke: #78909c; stroke-width: 1.2; } path.edge.notify { stroke-width: 2.5; } path.edge.auto { stroke-dasharray: 4 3; } path.edge.far { stroke-opacity: 0.3; }
.legend span { display: inline-block; padding: 1px 6px; margin-right: 4px; color: #eceff1; font-size: 12px; }
#live { font-size: 12px; }
`;

const script = `
const W = 190, H = 34, GX = 24, GY = 56, colours = {};
let resources = new Map(), selected = null;
const $ = (id) => document.getElementById(id);
const svgEl = (name, attrs) => { const e = document.createElementNS('http://www.w3.org/2000/svg', name); for (const k in attrs) e.setAttribute(k, attrs[k]); return e; };
const short = (s) => s.length > 26 ? s.slice(0, 25) + '\\u2026' : s;

async function load() {
  const st = await (await fetch('/api/state')).json();
  $('title').textContent = 'rxmgmt' + (st.graph ? ': ' + st.graph : '') + ' on ' + st.host + (st.noop ? ' (noop)' : '');
  resources = new Map(st.resources.map((r) => [r.key, r]));
  draw(st.resources, st.edges);
  counts();
  if (selected) show(selected);
}

function draw(list, edges) {
  const parents = new Map(list.map((r) => [r.key, []]));
  for (const e of edges) if (parents.has(e.to)) parents.get(e.to).push(e.from);
  // The list is in topological order: each layer is one below the deepest parent's.
  const layer = new Map();
  for (const r of list) layer.set(r.key, Math.max(-1, ...parents.get(r.key).map((p) => layer.get(p) ?? -1)) + 1);
  const layers = [];
  for (const r of list) (layers[layer.get(r.key)] ??= []).push(r.key);
  // A wide layer (1 000 files side by side) wraps onto several rows.
  const perRow = Math.max(2, Math.floor(($('graph').clientWidth - GX) / (W + GX)));
  const rows = [];
  for (const l of layers) for (let i = 0; i < l.length; i += perRow) rows.push(l.slice(i, i + perRow));
  const pos = new Map();
  rows.forEach((row, y) => row.forEach((k, x) => pos.set(k, { x: GX + x * (W + GX), y: GY / 2 + y * (H + GY) })));
  const width = Math.max(...rows.map((r) => r.length), 1) * (W + GX) + GX, height = rows.length * (H + GY) + GY / 2;
  const svg = svgEl('svg', { width, height, id: 'svg', role: 'img' });
  const defs = svgEl('defs', {}), marker = svgEl('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto' });
  marker.appendChild(svgEl('path', { d: 'M0,0 L10,5 L0,10 z', fill: '#78909c' }));
  defs.appendChild(marker); svg.appendChild(defs);
  for (const e of edges) {
    const a = pos.get(e.from), b = pos.get(e.to);
    if (!a || !b) continue;
    const x1 = a.x + W / 2, y1 = a.y + H, x2 = b.x + W / 2, y2 = b.y, my = (y1 + y2) / 2;
    // An edge that passes over rows (into a wrapped layer) runs down the left gutter and
    // along the gap above its target's row, faint: it must not look like a chain.
    const far = y2 - y1 > GY + 1;
    const gx = GX / 2, ya = a.y + H / 2, gap = y2 - GY / 2;
    const d = far
      ? 'M' + a.x + ',' + ya + ' L' + gx + ',' + ya + ' L' + gx + ',' + gap + ' L' + x2 + ',' + gap + ' L' + x2 + ',' + y2
      : 'M' + x1 + ',' + y1 + ' C' + x1 + ',' + my + ' ' + x2 + ',' + my + ' ' + x2 + ',' + y2;
    svg.appendChild(svgEl('path', { class: 'edge' + (e.notify ? ' notify' : '') + (e.auto ? ' auto' : '') + (far ? ' far' : ''), d, 'marker-end': 'url(#arrow)' }));
  }
  for (const r of list) {
    const p = pos.get(r.key);
    const g = svgEl('g', { class: 'node s-' + r.state, transform: 'translate(' + p.x + ',' + p.y + ')', 'data-key': r.key, 'data-state': r.state });
    g.appendChild(svgEl('rect', { width: W, height: H }));
    const t = svgEl('text', { x: 8, y: 21 });
    t.textContent = short(r.key);
    const tip = svgEl('title', {}); tip.textContent = r.key;
    g.appendChild(t); g.appendChild(tip);
    g.addEventListener('click', () => show(r.key));
    svg.appendChild(g);
  }
  $('graph').replaceChildren(svg);
}

function counts() {
  const n = { pending: 0, running: 0, retrying: 0, ok: 0, failed: 0 };
  for (const r of resources.values()) n[r.state]++;
  const box = $('counts'); box.replaceChildren();
  for (const s in n) { const e = document.createElement('span'); e.textContent = s + ' ' + n[s]; e.dataset.state = s; box.appendChild(e); }
}

function paint(key) {
  const r = resources.get(key), g = document.querySelector('g.node[data-key="' + CSS.escape(key) + '"]');
  if (!r || !g) return;
  g.setAttribute('class', 'node s-' + r.state + (key === selected ? ' selected' : ''));
  g.setAttribute('data-state', r.state);
}

let shown = 0;
async function show(key) {
  const old = selected; selected = key;
  if (old) paint(old);
  paint(key);
  // Events can ask for the panel again before an answer arrives: only the latest request fills it.
  const seq = ++shown;
  const res = await fetch('/api/resource?key=' + encodeURIComponent(key));
  const r = res.ok ? await res.json() : null;
  if (seq !== shown) return;
  const d = document.createDocumentFragment();
  const add = (tag, text, id) => { const e = document.createElement(tag); e.textContent = text; if (id) e.id = id; d.appendChild(e); return e; };
  try { fill(key, r, add); } finally { $('detail').replaceChildren(d); }
}

function fill(key, r, add) {
  if (!r) { add('p', key + ': no longer in the graph'); return; }
  add('h2', r.key, 'detail-key');
  add('p', 'state ' + r.state + ', ' + r.checkApplies + ' CheckApply, last ' + (r.lastResult ?? 'none') + ' (' + r.durationMs.last + ' ms)', 'detail-state');
  if (r.lastError) { add('h3', 'last error'); add('pre', r.lastError, 'detail-error'); }
  const ch = r.pending.length ? ['pending changes', r.pending] : r.changes.length ? ['last changes', r.changes] : null;
  if (ch) { add('h3', ch[0]); add('pre', ch[1].map((c) => c.diff ?? (c.field + ': ' + (c.from ?? '(none)') + ' -> ' + (c.to ?? '(none)'))).join('\\n')); }
  add('h3', 'last events');
  const ol = add('ol', '', 'detail-events');
  for (const e of r.recent.slice().reverse()) {
    const li = document.createElement('li');
    li.textContent = new Date(e.at ?? e.startedAt).toISOString().slice(11, 23) + ' ' + (e.type === 'state' ? 'state ' + e.state : 'run ' + e.result + ' in ' + e.durationMs + ' ms' + (e.error ? ': ' + e.error : ''));
    ol.appendChild(li);
  }
}

function follow() {
  const es = new EventSource('/events');
  es.addEventListener('open', () => { $('live').textContent = 'live'; load(); });
  es.addEventListener('error', () => { $('live').textContent = 'disconnected, retrying'; });
  es.addEventListener('graph', () => load());
  es.addEventListener('resources', (m) => {
    for (const u of JSON.parse(m.data)) {
      const r = resources.get(u.key);
      if (!r) continue;
      Object.assign(r, { state: u.state, outcome: u.outcome, lastError: u.lastError });
      paint(u.key);
      if (u.key === selected) show(u.key);
    }
    counts();
  });
}
follow();
`;

const legend = ['pending', 'running', 'retrying', 'ok', 'failed'].map((s) => `<span class="s-${s}"><svg width="10" height="10"><rect width="10" height="10"/></svg> ${s}</span>`).join('');

const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>rxmgmt</title><style>${style}</style></head>
<body><header><h1 id="title">rxmgmt</h1><div id="counts"></div><div class="legend">${legend}</div><div id="live">connecting</div></header>
<main><div id="graph"></div><aside id="detail"><p>Click a resource to see its last events and error.</p></aside></main>
<script>${script}</script></body></html>
`;

export const graphPage = (): string => html;
