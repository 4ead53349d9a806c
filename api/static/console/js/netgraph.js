// netgraph.js: the interactive drawing of a compound's governance network (党支部+业委会+物业).
//
// Self-contained ES module: no dependencies, nothing loaded from another origin. It draws the
// answer of the GraphQL field
//   egoNetwork(id, depth, asOf) { center nodes { id kind name distance }
//                                 links { id kind source target role since until } }
//
// Public API
//   new NetworkView(container, options)
//     container  HTMLElement; the view fills it (give it a height; 360 px at least otherwise)
//     options    { label(kind) -> 中文 kind label, linkLabel(kind) -> 中文 link label,
//                  onExpand?(id), onSelect?(id), title?: string }
//   view.setData({center, nodes, links})  replace the data; nodes already drawn keep their
//                                         positions, new ones appear next to a neighbour
//   view.merge({nodes, links})            add nodes and links, remove none; existing nodes stay
//   view.toSVG()        -> string         standalone SVG document (title, legend, no CSS/refs)
//   await view.toPNG(scale = 2) -> Blob   image/png of that SVG drawn onto a canvas
//   view.destroy()
//   view.fit()                            show the whole drawing (the 适应 button)
//
// Interaction: drag the background to pan, the wheel or the +/− buttons to zoom, drag a node to
// move it (it then stays where it was put). Click or Space selects a node (onSelect); a
// double-click, Enter or the 展开 button expands it (onExpand). Clicking the background clears
// the highlight without calling onSelect. Links whose `until` is set are dashed.
//
// CSP: the module never sets a `style` attribute or inserts a <style> element (only CSSOM and
// SVG presentation attributes), so it works under `style-src 'self'`; toPNG loads the SVG from a
// data: URL, so it needs `img-src 'self' data:`.

const NS = 'http://www.w3.org/2000/svg';
export const FONT_STACK =
  "'Noto Sans CJK SC', 'Source Han Sans SC', 'PingFang SC', 'Microsoft YaHei', system-ui, sans-serif";
const TEXT = '#1f2937'; // 14.7:1 on white
const LINK = '#64748b'; // 4.8:1 on white: links stay visible as "non-text" graphics (≥ 3:1)
const FOCUS = '#1d4ed8';
const MAX_LABEL = 14; // characters drawn under a node; the full name is in the aria-label

// Colour, shape and radius per kind. Every colour has ≥ 4.5:1 against white, so the shapes pass
// WCAG's 3:1 for graphics and could carry text; the labels themselves are dark grey on a halo.
const KINDS = {
  Compound: ['#1d4ed8', 'hexagon', 18],
  PartyCommittee: ['#7f1d1d', 'star', 17],
  PartyBranch: ['#b91c1c', 'star', 16],
  PartyGroup: ['#c2410c', 'triangle', 13],
  OwnersAssembly: ['#065f46', 'diamond', 15],
  OwnersCommittee: ['#047857', 'diamond', 15],
  PropertyCompany: ['#92400e', 'square', 14],
  PropertyManagementCommittee: ['#78350f', 'square', 14],
  ServiceStation: ['#6d28d9', 'pentagon', 14],
  ServiceCenter: ['#5b21b6', 'pentagon', 14],
  Person: ['#475569', 'circle', 10],
  Building: ['#0e7490', 'square', 11],
  Unit: ['#155e75', 'square', 8],
  Community: ['#1e40af', 'hexagon', 17],
  Township: ['#1e3a8a', 'hexagon', 17],
  City: ['#172554', 'hexagon', 17],
};
const OTHER_KIND = ['#57534e', 'circle', 12];
const kindStyle = (kind) => KINDS[kind] || OTHER_KIND;

/** SVG path of a shape of "radius" r centred on 0,0. */
function shapePath(shape, r) {
  const poly = (n, rad, rot = -Math.PI / 2, inner = 0) => {
    const pts = [];
    for (let i = 0; i < n * (inner ? 2 : 1); i++) {
      const a = rot + (i * Math.PI * 2) / (n * (inner ? 2 : 1));
      const k = inner && i % 2 ? inner : 1;
      pts.push(`${(Math.cos(a) * rad * k).toFixed(2)} ${(Math.sin(a) * rad * k).toFixed(2)}`);
    }
    return `M${pts.join('L')}Z`;
  };
  switch (shape) {
    case 'square': return `M${-r * 0.9} ${-r * 0.9}h${r * 1.8}v${r * 1.8}h${-r * 1.8}Z`;
    case 'diamond': return poly(4, r * 1.2);
    case 'triangle': return poly(3, r * 1.3);
    case 'pentagon': return poly(5, r * 1.1);
    case 'hexagon': return poly(6, r * 1.05, 0);
    case 'star': return poly(5, r * 1.3, -Math.PI / 2, 0.5);
    default: return `M${-r} 0a${r} ${r} 0 1 0 ${2 * r} 0a${r} ${r} 0 1 0 ${-2 * r} 0Z`;
  }
}

/** createElementNS with attributes; `parent` gets the element appended. */
function el(tag, attrs = {}, parent = null, ns = NS) {
  const e = ns ? document.createElementNS(ns, tag) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) if (v != null) e.setAttribute(k, String(v));
  if (parent) parent.appendChild(e);
  return e;
}

const html = (tag, attrs, parent) => el(tag, attrs, parent, null);
const GOLDEN = Math.PI * (3 - Math.sqrt(5)); // spreads successive angles evenly, deterministically
let instances = 0;

export class NetworkView {
  /**
   * @param {HTMLElement} container
   * @param {{label:(kind:string)=>string, linkLabel:(kind:string)=>string,
   *          onExpand?:(id:string)=>void, onSelect?:(id:string)=>void, title?:string}} options
   */
  constructor(container, options = {}) {
    this.options = options;
    this.title = options.title || '治理关系网络';
    this.uid = `ng${++instances}`;
    /** @type {Map<string, {id:string, kind:string, name:?string, distance:?number, x:number, y:number, r:number, el?:SVGGElement}>} */
    this.nodes = new Map();
    /** @type {Map<string, {id:string, kind:string, source:string, target:string, role:?string, since:?string, until:?string, bend:number, el?:SVGGElement}>} */
    this.links = new Map();
    this.center = null;
    this.selected = null;
    this.drag = null;
    this.lastClick = { id: null, t: 0 };
    this.vb = { x: -200, y: -150, w: 400, h: 300 };
    this.fitW = 400;
    this._build(container);
  }

  kindLabel(kind) { return (this.options.label && this.options.label(kind)) || kind; }
  linkLabel(kind) { return (this.options.linkLabel && this.options.linkLabel(kind)) || kind; }
  nodeText(n) { return n.name == null || n.name === '' ? n.id : String(n.name); }

  // ---- DOM --------------------------------------------------------------------------------

  _build(container) {
    const root = (this.root = html('div', { class: 'ng-root' }, container));
    Object.assign(root.style, { position: 'relative', width: '100%', height: '100%', minHeight: '360px', fontFamily: FONT_STACK, color: TEXT });
    const svg = (this.svg = el('svg', { class: 'ng-svg', role: 'group', 'aria-roledescription': '关系网络图', 'font-family': FONT_STACK }, root));
    Object.assign(svg.style, { display: 'block', width: '100%', height: '100%', minHeight: '360px', background: '#fff', touchAction: 'none', userSelect: 'none', cursor: 'grab' });
    const defs = el('defs', {}, svg);
    const marker = el('marker', { id: `${this.uid}-arrow`, viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto' }, defs);
    el('path', { d: 'M0 1L9 5L0 9Z', fill: LINK }, marker);
    this.linkLayer = el('g', { class: 'ng-links' }, svg);
    this.nodeLayer = el('g', { class: 'ng-nodes' }, svg);
    // one selection ring and one focus ring, moved to their node: cheaper than two per node
    const ui = el('g', { class: 'ng-ui', 'pointer-events': 'none' }, svg);
    this.selRing = el('circle', { fill: 'none', stroke: TEXT, 'stroke-width': 3, display: 'none' }, ui);
    this.focusRing = el('circle', { fill: 'none', stroke: FOCUS, 'stroke-width': 2.5, 'stroke-dasharray': '4 3', display: 'none' }, ui);

    const bar = html('div', { class: 'ng-toolbar', role: 'toolbar', 'aria-label': '视图' }, root);
    Object.assign(bar.style, { position: 'absolute', top: '8px', right: '8px', display: 'flex', gap: '4px' });
    const button = (text, label, action) => {
      const b = html('button', { type: 'button', 'aria-label': label, title: label }, bar);
      b.textContent = text;
      Object.assign(b.style, { font: `14px ${FONT_STACK}`, minWidth: '32px', minHeight: '32px', padding: '2px 8px', color: TEXT, background: '#fff', border: '1px solid #6b7280', borderRadius: '4px', cursor: 'pointer' });
      b.addEventListener('click', action);
      return b;
    };
    button('+', '放大', () => this._zoom(1.25));
    button('−', '缩小', () => this._zoom(0.8));
    button('适应', '适应窗口', () => this.fit());
    this.expandButton = button('展开', '展开所选节点', () => this.selected && this._expand(this.selected));
    this.expandButton.disabled = true;

    // a <details>: the legend sits over the drawing, so it can be folded away
    this.legendBox = html('details', { class: 'ng-legend', open: '' }, root);
    html('summary', {}, this.legendBox).textContent = '图例';
    this.legend = html('div', { role: 'list', 'aria-label': '图例' }, this.legendBox);
    Object.assign(this.legendBox.style, { position: 'absolute', left: '8px', bottom: '8px', padding: '6px 8px', background: 'rgba(255,255,255,0.92)', border: '1px solid #cbd5e1', borderRadius: '4px', font: `12px ${FONT_STACK}`, lineHeight: '18px', maxHeight: '60%', overflowY: 'auto' });

    // listeners live on our own elements only, so destroy() needs nothing but removing the root
    this._handlers = {
      pointerdown: (e) => this._onDown(e),
      pointermove: (e) => this._onMove(e),
      pointerup: (e) => this._onUp(e),
      pointercancel: () => { this.drag = null; },
      wheel: (e) => this._onWheel(e),
      keydown: (e) => this._onKey(e),
      focusin: (e) => this._onFocus(e, true),
      focusout: (e) => this._onFocus(e, false),
    };
    for (const [type, fn] of Object.entries(this._handlers)) svg.addEventListener(type, fn, type === 'wheel' ? { passive: false } : undefined);
    this._label();
    this._applyViewBox();
  }

  _label() {
    const linkCount = [...this.links.values()].filter((l) => this._drawable(l)).length;
    this.svg.setAttribute('aria-label', `${this.title}：${this.nodes.size} 个节点，${linkCount} 条关系。Tab 键逐个访问节点，空格选中，回车展开。`);
  }

  // ---- data -------------------------------------------------------------------------------

  /** Replace the drawing's data; nodes already drawn keep their positions, new nodes appear next to a neighbour, nodes no longer present leave. */
  setData({ center = null, nodes = [], links = [] } = {}) {
    const keep = new Set(nodes.filter(Boolean).map((n) => String(n.id)));
    for (const [id, n] of this.nodes) if (!keep.has(id)) { n.el?.remove(); this.nodes.delete(id); }
    for (const l of this.links.values()) l.el?.remove();
    this.links.clear();
    if (this.selected && !this.nodes.has(this.selected)) this._select(null);
    this.center = center == null ? null : String(center);
    // the view is refitted only for a new drawing (or when new nodes fall outside it): a time
    // slider calling setData must not make the picture jump
    this._add(nodes, links, this.nodes.size === 0, true);
  }

  /** Add nodes and links (e.g. a clicked node's neighbourhood) without removing any. */
  merge({ nodes = [], links = [] } = {}) {
    this._add(nodes, links, false);
  }

  _add(nodes, links, refit, replace = false) {
    const fresh = [];
    for (const raw of nodes) {
      if (!raw || raw.id == null) continue;
      const id = String(raw.id);
      let n = this.nodes.get(id);
      if (!n) { n = { id, x: NaN, y: NaN }; this.nodes.set(id, n); fresh.push(n); }
      n.kind = raw.kind ?? n.kind ?? 'Unknown';
      // setData's answer is the truth (a name now hidden stays hidden); a merge only adds to it
      n.name = replace ? raw.name ?? null : raw.name ?? n.name ?? null;
      n.distance = replace ? raw.distance : raw.distance ?? n.distance;
    }
    for (const n of this.nodes.values()) n.r = kindStyle(n.kind)[2] * (n.id === this.center ? 1.3 : 1);
    for (const raw of links) {
      if (!raw || raw.source == null || raw.target == null) continue;
      const id = String(raw.id ?? `${raw.source}|${raw.kind}|${raw.target}`);
      const old = this.links.get(id);
      this.links.set(id, { ...raw, id, source: String(raw.source), target: String(raw.target), el: old?.el, bend: 0 });
    }
    this._bends();
    this._place(fresh);
    this._layout(fresh);
    this._render();
    this._drawLegend();
    this._label();
    if (refit || fresh.some((n) => !this._inView(n))) this.fit();
  }

  _drawable(l) { return l.source !== l.target && this.nodes.has(l.source) && this.nodes.has(l.target); }

  /** Several links between the same two nodes (a post and a membership) curve apart. */
  _bends() {
    const pairs = new Map();
    for (const l of this.links.values()) {
      if (!this._drawable(l)) continue;
      const key = l.source < l.target ? `${l.source}\n${l.target}` : `${l.target}\n${l.source}`;
      if (!pairs.has(key)) pairs.set(key, []);
      pairs.get(key).push(l);
    }
    for (const group of pairs.values())
      group.forEach((l, i) => { l.bend = (i - (group.length - 1) / 2) * 28; });
  }

  // ---- layout -----------------------------------------------------------------------------

  /** Starting positions for new nodes: a radial tree on a blank drawing, else beside a placed neighbour. */
  _place(fresh) {
    if (!fresh.length) return;
    if (fresh.length === this.nodes.size) { this._placeRadial(fresh); return; }
    const placed = (n) => Number.isFinite(n.x);
    const nbrs = this._neighbours();
    let pending = fresh, k = 0;
    while (pending.length) {
      const next = [];
      for (const n of pending) {
        const p = (nbrs.get(n.id) || []).find(placed);
        if (!p) { next.push(n); continue; }
        const a = ++k * GOLDEN;
        n.x = p.x + Math.cos(a) * 70; n.y = p.y + Math.sin(a) * 70;
      }
      if (next.length === pending.length) { // islands with no placed neighbour: around the edge
        const far = Math.max(200, ...[...this.nodes.values()].filter(placed).map((n) => Math.hypot(n.x, n.y))) + 80;
        next.forEach((n, i) => { const a = i * GOLDEN; n.x = Math.cos(a) * far; n.y = Math.sin(a) * far; });
        break;
      }
      pending = next;
    }
  }

  /**
   * A breadth-first tree from the center, each subtree in its own angular sector (sized by its
   * leaves) on rings by depth. Starting the forces from a drawing without crossings is what lets
   * a branch's groups keep their buildings and people around them instead of tangling.
   */
  _placeRadial(fresh) {
    const root = this.nodes.get(this.center) || fresh[0];
    const nbrs = this._neighbours();
    const kids = new Map([[root, []]]), depth = new Map([[root, 0]]), order = [root];
    for (let i = 0; i < order.length; i++) {
      const p = order[i];
      for (const m of nbrs.get(p.id) || []) {
        if (kids.has(m)) continue;
        kids.set(m, []); kids.get(p).push(m); depth.set(m, depth.get(p) + 1); order.push(m);
      }
    }
    const leaves = new Map(), perDepth = [];
    for (let i = order.length - 1; i >= 0; i--) {
      const n = order[i], k = kids.get(n);
      leaves.set(n, k.length ? k.reduce((sum, m) => sum + leaves.get(m), 0) : 1);
      perDepth[depth.get(n)] = (perDepth[depth.get(n)] || 0) + 1;
    }
    const radius = [0];
    for (let d = 1; d < perDepth.length; d++) radius[d] = Math.max(radius[d - 1] + 100, (perDepth[d] * 40) / (2 * Math.PI));
    const sector = new Map([[root, [0, 2 * Math.PI]]]);
    for (const n of order) { // parents come before their children
      const [a0, a1] = sector.get(n), a = (a0 + a1) / 2, r = radius[depth.get(n)];
      n.x = Math.cos(a) * r; n.y = Math.sin(a) * r;
      let from = a0;
      for (const m of kids.get(n)) {
        const span = ((a1 - a0) * leaves.get(m)) / leaves.get(n);
        sector.set(m, [from, from + span]); from += span;
      }
    }
    const far = radius[radius.length - 1] + 120; // nodes not linked to the center: outside
    fresh.filter((n) => !kids.has(n)).forEach((n, i) => { const a = i * GOLDEN; n.x = Math.cos(a) * far; n.y = Math.sin(a) * far; });
  }

  _neighbours() {
    const nbrs = new Map();
    const add = (a, b) => { if (!nbrs.has(a)) nbrs.set(a, []); nbrs.get(a).push(this.nodes.get(b)); };
    for (const l of this.links.values()) if (this._drawable(l)) { add(l.source, l.target); add(l.target, l.source); }
    return nbrs;
  }

  /**
   * Fruchterman-Reingold on the new nodes only (the others are held still, which is what keeps a
   * merge from shuffling the drawing), then a pass that pushes apart nodes still touching.
   * Synchronous and without randomness: the same input in the same order gives the same drawing.
   * O(moving × all) per iteration on typed arrays: 300 nodes × 200 iterations well under 100 ms.
   */
  _layout(fresh) {
    const all = [...this.nodes.values()], N = all.length;
    const index = new Map(all.map((n, i) => [n, i]));
    const c = this.nodes.get(this.center);
    const blank = fresh.length === N;
    // the center is pinned, unless it is itself new to a drawing that already has other nodes
    const mv = Int32Array.from(fresh.filter((n) => !(blank && n === c)), (n) => index.get(n));
    if (!mv.length) return;
    const moving = new Uint8Array(N);
    for (const i of mv) moving[i] = 1;
    const X = Float64Array.from(all, (n) => n.x), Y = Float64Array.from(all, (n) => n.y);
    const R = Float64Array.from(all, (n) => n.r);
    const FX = new Float64Array(N), FY = new Float64Array(N);
    const E = [];
    for (const l of this.links.values()) if (this._drawable(l)) E.push(index.get(this.nodes.get(l.source)), index.get(this.nodes.get(l.target)));
    const K = 80, KK = K * K; // ideal link length
    const gx = c ? c.x : 0, gy = c ? c.y : 0;
    const iterations = N > 150 ? 200 : 300;
    const t0 = blank ? K / 4 : K / 3;
    for (let t = 0; t < iterations; t++) {
      for (const i of mv) {
        let fx = (gx - X[i]) * 0.03, fy = (gy - Y[i]) * 0.03; // gravity keeps islands near
        for (let j = 0; j < N; j++) {
          if (i === j) continue;
          let dx = X[i] - X[j], dy = Y[i] - Y[j], d2 = dx * dx + dy * dy;
          if (d2 < 0.01) { dx = (i % 7) - 2.5; dy = (j % 5) - 1.5; d2 = dx * dx + dy * dy; }
          fx += (dx * KK) / d2; fy += (dy * KK) / d2; // |F| = K²/d, away from j
        }
        FX[i] = fx; FY[i] = fy;
      }
      for (let e = 0; e < E.length; e += 2) {
        const a = E[e], b = E[e + 1], dx = X[b] - X[a], dy = Y[b] - Y[a];
        const f = Math.hypot(dx, dy) / K; // |F| = d²/K, towards each other
        if (moving[a]) { FX[a] += dx * f; FY[a] += dy * f; }
        if (moving[b]) { FX[b] -= dx * f; FY[b] -= dy * f; }
      }
      const temp = t0 * (1 - t / iterations) + 0.5; // cooling: the step shrinks to a settle
      for (const i of mv) {
        const f = Math.hypot(FX[i], FY[i]);
        if (f > 0) { const s = Math.min(f, temp) / f; X[i] += FX[i] * s; Y[i] += FY[i] * s; }
      }
    }
    // push apart what still overlaps (shape + room for the label); only moving nodes move
    for (let pass = 0; pass < 50; pass++) {
      let moved = false;
      for (const i of mv) for (let j = 0; j < N; j++) {
        if (i === j) continue;
        const min = R[i] + R[j] + 18, dx = X[i] - X[j], dy = Y[i] - Y[j], d = Math.hypot(dx, dy);
        if (d >= min) continue;
        const ux = d > 0.01 ? dx / d : 1, uy = d > 0.01 ? dy / d : 0;
        const push = (min - d) * (moving[j] ? 0.5 : 1) + 0.01;
        X[i] += ux * push; Y[i] += uy * push;
        if (moving[j]) { X[j] -= ux * push; Y[j] -= uy * push; }
        moved = true;
      }
      if (!moved) break;
    }
    for (const i of mv) { all[i].x = X[i]; all[i].y = Y[i]; }
  }

  // ---- drawing ----------------------------------------------------------------------------

  _render() {
    for (const n of this.nodes.values()) {
      if (!n.el) {
        n.el = el('g', { class: 'ng-node', tabindex: 0, role: 'button', 'data-id': n.id }, this.nodeLayer);
        n.el.style.cursor = 'pointer';
        n.el.style.outline = 'none'; // our own dashed focus ring replaces the browser's box
        el('path', { class: 'ng-shape', stroke: '#fff', 'stroke-width': 1.5 }, n.el);
        el('text', { class: 'ng-label', 'text-anchor': 'middle', 'font-size': 12, fill: TEXT, stroke: '#fff', 'stroke-width': 3, 'stroke-linejoin': 'round', 'paint-order': 'stroke' }, n.el);
      }
      const [color, shape] = kindStyle(n.kind);
      const text = this.nodeText(n);
      const [path, label] = n.el.children;
      path.setAttribute('d', shapePath(shape, n.r));
      path.setAttribute('fill', color);
      label.setAttribute('y', (n.r + 15).toFixed(1));
      label.setAttribute('font-weight', n.id === this.center ? 'bold' : 'normal');
      label.textContent = text.length > MAX_LABEL ? `${text.slice(0, MAX_LABEL - 1)}…` : text;
      n.el.setAttribute('aria-label', `${this.kindLabel(n.kind)}: ${text}`);
      n.el.setAttribute('aria-pressed', String(n.id === this.selected));
      this._moveNode(n);
    }
    for (const l of this.links.values()) {
      if (!this._drawable(l)) { l.el?.remove(); l.el = undefined; continue; }
      if (!l.el) {
        l.el = el('g', { class: 'ng-link', 'data-id': l.id }, this.linkLayer);
        el('path', { class: 'ng-line', fill: 'none', stroke: LINK, 'stroke-width': 1.5, 'marker-end': `url(#${this.uid}-arrow)` }, l.el);
        // a wide invisible stroke so the thin line's tooltip can be found with a mouse
        el('path', { class: 'ng-hit', fill: 'none', stroke: '#000', 'stroke-opacity': 0, 'stroke-width': 10 }, l.el);
        el('title', {}, l.el);
      }
      const [line, , title] = l.el.children;
      if (l.until) line.setAttribute('stroke-dasharray', '6 4'); else line.removeAttribute('stroke-dasharray');
      const s = this.nodes.get(l.source), t = this.nodes.get(l.target);
      const when = l.since || l.until ? `\n${l.since || '?'} 至 ${l.until || '今'}` : '';
      title.textContent = `${this.linkLabel(l.kind)}${l.role ? `：${l.role}` : ''}\n${this.nodeText(s)} → ${this.nodeText(t)}${when}`;
      this._moveLink(l);
    }
    this._rings();
  }

  _moveNode(n) { n.el.setAttribute('transform', `translate(${n.x.toFixed(1)} ${n.y.toFixed(1)})`); }

  /** A quadratic curve from the edge of one node to the edge of the other (the arrow stays visible). */
  _moveLink(l) {
    const a = this.nodes.get(l.source), b = this.nodes.get(l.target);
    const dx = b.x - a.x, dy = b.y - a.y, d = Math.hypot(dx, dy) || 1;
    // the bend is measured on the pair's canonical direction, so A→B and B→A curve apart too
    const bend = (l.source < l.target ? 2 : -2) * l.bend;
    const cx = (a.x + b.x) / 2 - (dy / d) * bend, cy = (a.y + b.y) / 2 + (dx / d) * bend;
    const edge = (n, gap) => {
      const ex = cx - n.x, ey = cy - n.y, e = Math.hypot(ex, ey) || 1;
      return `${(n.x + (ex / e) * (n.r + gap)).toFixed(1)} ${(n.y + (ey / e) * (n.r + gap)).toFixed(1)}`;
    };
    const d2 = `M${edge(a, 1)}Q${cx.toFixed(1)} ${cy.toFixed(1)} ${edge(b, 3)}`;
    for (const p of l.el.querySelectorAll('path')) p.setAttribute('d', d2);
  }

  _rings() {
    const put = (ring, id, extra) => {
      const n = id != null && this.nodes.get(id);
      if (!n) { ring.setAttribute('display', 'none'); return; }
      ring.setAttribute('cx', n.x.toFixed(1)); ring.setAttribute('cy', n.y.toFixed(1));
      ring.setAttribute('r', (n.r * 1.35 + extra).toFixed(1));
      ring.removeAttribute('display');
    };
    put(this.selRing, this.selected, 3);
    put(this.focusRing, this.focused, 8);
  }

  _drawLegend() {
    this.legend.replaceChildren();
    this.legendBox.style.display = this.nodes.size ? '' : 'none';
    const item = (text, tag, attrs) => {
      const li = html('div', { role: 'listitem' }, this.legend);
      Object.assign(li.style, { display: 'flex', alignItems: 'center', gap: '6px' });
      el(tag, attrs, el('svg', { width: 16, height: 16, viewBox: '-8 -8 16 16', 'aria-hidden': 'true' }, li));
      html('span', {}, li).textContent = text;
    };
    for (const kind of this._kindsPresent())
      item(this.kindLabel(kind), 'path', { d: shapePath(kindStyle(kind)[1], 6), fill: kindStyle(kind)[0] });
    if ([...this.links.values()].some((l) => l.until && this._drawable(l)))
      item('虚线：已结束的关系', 'line', { x1: -8, y1: 0, x2: 8, y2: 0, stroke: LINK, 'stroke-width': 1.5, 'stroke-dasharray': '4 2' });
  }

  _kindsPresent() {
    const order = Object.keys(KINDS);
    const kinds = new Set([...this.nodes.values()].map((n) => n.kind));
    const rank = (k) => (order.includes(k) ? order.indexOf(k) : order.length);
    return [...kinds].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  }

  // ---- view -------------------------------------------------------------------------------

  _bounds() {
    let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    for (const n of this.nodes.values()) {
      const half = Math.max(n.r, Math.min(this.nodeText(n).length, MAX_LABEL) * 6.5); // label width
      x0 = Math.min(x0, n.x - half); x1 = Math.max(x1, n.x + half);
      y0 = Math.min(y0, n.y - n.r * 1.3); y1 = Math.max(y1, n.y + n.r + 20);
    }
    if (!Number.isFinite(x0)) return { x: -200, y: -150, w: 400, h: 300 };
    return { x: x0, y: y0, w: x1 - x0, h: y1 - y0 };
  }

  /** Show the whole drawing. */
  fit() {
    const b = this._bounds(), pad = 40;
    this.vb = { x: b.x - pad, y: b.y - pad, w: Math.max(b.w + 2 * pad, 200), h: Math.max(b.h + 2 * pad, 150) };
    this.vb.x -= (this.vb.w - b.w - 2 * pad) / 2; this.vb.y -= (this.vb.h - b.h - 2 * pad) / 2;
    this.fitW = this.vb.w;
    this._applyViewBox();
  }

  _inView(n) { const v = this.vb; return n.x >= v.x && n.x <= v.x + v.w && n.y >= v.y && n.y <= v.y + v.h; }

  _applyViewBox() {
    const v = this.vb;
    this.svg.setAttribute('viewBox', `${v.x.toFixed(1)} ${v.y.toFixed(1)} ${v.w.toFixed(1)} ${v.h.toFixed(1)}`);
  }

  /** Zoom by `factor` (> 1 closer) keeping the user-space point (px, py) where it is on screen. */
  _zoom(factor, px = this.vb.x + this.vb.w / 2, py = this.vb.y + this.vb.h / 2) {
    const w = Math.min(Math.max(this.vb.w / factor, this.fitW / 10), this.fitW * 5);
    const f = this.vb.w / w;
    this.vb = { x: px - (px - this.vb.x) / f, y: py - (py - this.vb.y) / f, w, h: this.vb.h / f };
    this._applyViewBox();
  }

  _toUser(e) {
    const m = this.svg.getScreenCTM();
    if (!m) return { x: 0, y: 0 };
    const p = new DOMPoint(e.clientX, e.clientY).matrixTransform(m.inverse());
    return { x: p.x, y: p.y };
  }

  // ---- interaction ------------------------------------------------------------------------

  _select(id, notify = false) {
    this.selected = id;
    for (const n of this.nodes.values()) n.el?.setAttribute('aria-pressed', String(n.id === id));
    this.expandButton.disabled = id == null;
    this._rings();
    if (notify && id != null && this.options.onSelect) this.options.onSelect(id);
  }

  _expand(id) { if (this.options.onExpand) this.options.onExpand(id); }

  _onDown(e) {
    if (e.button !== 0) return;
    const g = e.target.closest && e.target.closest('.ng-node');
    const n = g && this.nodes.get(g.dataset.id);
    const m = this.svg.getScreenCTM();
    this.drag = { n, x0: e.clientX, y0: e.clientY, moved: false, vb: { ...this.vb }, unit: m ? 1 / m.a : 1 };
    if (n) { const p = this._toUser(e); this.drag.dx = n.x - p.x; this.drag.dy = n.y - p.y; }
  }

  _onMove(e) {
    const d = this.drag;
    if (!d) return;
    if (!d.moved) {
      if (Math.hypot(e.clientX - d.x0, e.clientY - d.y0) < 4) return; // a click, not yet a drag
      d.moved = true;
      // captured only now: capturing on pointerdown would retarget the click to the <svg>
      this.svg.setPointerCapture(e.pointerId);
      this.svg.style.cursor = 'grabbing';
    }
    if (d.n) {
      const p = this._toUser(e);
      d.n.x = p.x + d.dx; d.n.y = p.y + d.dy;
      this._moveNode(d.n);
      for (const l of this.links.values()) if (l.el && (l.source === d.n.id || l.target === d.n.id)) this._moveLink(l);
      this._rings();
    } else {
      this.vb = { ...this.vb, x: d.vb.x - (e.clientX - d.x0) * d.unit, y: d.vb.y - (e.clientY - d.y0) * d.unit };
      this._applyViewBox();
    }
  }

  _onUp(e) {
    const d = this.drag;
    this.drag = null;
    this.svg.style.cursor = 'grab';
    if (!d || d.moved) return;
    if (!d.n) { this._select(null); return; }
    // our own double-click test: two clicks on one node within 400 ms
    const now = e.timeStamp;
    if (this.lastClick.id === d.n.id && now - this.lastClick.t < 400) {
      this.lastClick = { id: null, t: 0 };
      this._expand(d.n.id);
      return;
    }
    this.lastClick = { id: d.n.id, t: now };
    d.n.el.focus({ preventScroll: true });
    this._select(d.n.id, true);
  }

  _onWheel(e) {
    e.preventDefault();
    const p = this._toUser(e);
    this._zoom(Math.exp(-e.deltaY * (e.deltaMode === 1 ? 0.05 : 0.0015)), p.x, p.y);
  }

  _onKey(e) {
    const g = e.target.closest && e.target.closest('.ng-node');
    if (g && e.key === 'Enter') { e.preventDefault(); this._expand(g.dataset.id); }
    else if (g && (e.key === ' ' || e.key === 'Spacebar')) { e.preventDefault(); this._select(g.dataset.id, true); }
    else if (e.key === '+' || e.key === '=') this._zoom(1.25);
    else if (e.key === '-') this._zoom(0.8);
  }

  _onFocus(e, on) {
    const g = e.target.closest && e.target.closest('.ng-node');
    this.focused = on && g && g.matches(':focus-visible') ? g.dataset.id : null;
    const n = this.focused && this.nodes.get(this.focused);
    if (n && !this._inView(n)) { // tabbing to a node off screen brings it into view
      this.vb = { ...this.vb, x: n.x - this.vb.w / 2, y: n.y - this.vb.h / 2 };
      this._applyViewBox();
    }
    this._rings();
  }

  // ---- export -----------------------------------------------------------------------------

  /** The drawing as a standalone SVG document string (inline styles, a legend, the title; opens in a browser or Inkscape). */
  toSVG() {
    const s = this.svg.cloneNode(true);
    s.querySelector('.ng-ui')?.remove();
    s.querySelectorAll('.ng-hit').forEach((p) => p.remove());
    for (const e of [s, ...s.querySelectorAll('*')]) {
      for (const a of ['style', 'tabindex', 'role', 'aria-pressed', 'aria-roledescription', 'data-id']) e.removeAttribute(a);
      if (e !== s) e.removeAttribute('aria-label');
    }
    const b = this._bounds(), pad = 24, head = 44;
    const kinds = this._kindsPresent();
    const ended = [...this.links.values()].some((l) => l.until && this._drawable(l));
    const legendW = 190, legendH = 30 + (kinds.length + (ended ? 1 : 0)) * 22;
    const w = Math.ceil(b.w + legendW + 3 * pad), h = Math.ceil(Math.max(b.h, legendH) + head + 2 * pad);
    const x0 = b.x - pad, y0 = b.y - pad - head;
    Object.entries({ version: '1.1', width: w, height: h, viewBox: `${x0.toFixed(1)} ${y0.toFixed(1)} ${w} ${h}`, role: 'img', 'aria-label': this.title })
      .forEach(([k, v]) => s.setAttribute(k, String(v)));
    const first = s.querySelector('defs').nextSibling;
    const before = (node) => s.insertBefore(node, first);
    const title = el('title');
    title.textContent = this.title;
    s.insertBefore(title, s.firstChild);
    before(el('rect', { x: x0, y: y0, width: w, height: h, fill: '#fff' }));
    const heading = el('text', { x: b.x, y: y0 + pad + 18, 'font-size': 20, 'font-weight': 'bold', fill: TEXT }, s);
    heading.textContent = this.title;
    const lg = el('g', { transform: `translate(${(b.x + b.w + 2 * pad).toFixed(1)} ${b.y.toFixed(1)})` }, s);
    el('rect', { x: -10, y: -8, width: legendW - 10, height: legendH, fill: '#fff', stroke: '#cbd5e1', rx: 4 }, lg);
    el('text', { x: 0, y: 10, 'font-size': 13, 'font-weight': 'bold', fill: TEXT }, lg).textContent = '图例';
    kinds.forEach((kind, i) => {
      const y = 32 + i * 22;
      el('path', { d: shapePath(kindStyle(kind)[1], 7), fill: kindStyle(kind)[0], transform: `translate(8 ${y - 4})` }, lg);
      el('text', { x: 24, y, 'font-size': 12, fill: TEXT }, lg).textContent = this.kindLabel(kind);
    });
    if (ended) {
      const y = 32 + kinds.length * 22;
      el('line', { x1: 0, y1: y - 4, x2: 16, y2: y - 4, stroke: LINK, 'stroke-width': 1.5, 'stroke-dasharray': '4 2' }, lg);
      el('text', { x: 24, y, 'font-size': 12, fill: TEXT }, lg).textContent = '虚线：已结束的关系';
    }
    this._exportSize = { w, h };
    return `<?xml version="1.0" encoding="UTF-8"?>\n${new XMLSerializer().serializeToString(s)}\n`;
  }

  /** The drawing as a PNG Blob (draw the SVG onto a canvas; same origin only, no external images). */
  async toPNG(scale = 2) {
    const svg = this.toSVG();
    const { w, h } = this._exportSize;
    // canvases above ~16k px a side fail silently: shrink the scale rather than return nothing
    const k = Math.max(0.1, Math.min(scale, 16000 / w, 16000 / h));
    // a data: URL (not blob:) because the console's CSP allows img-src 'self' data:
    const img = new Image();
    img.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;
    await img.decode();
    const canvas = document.createElement('canvas');
    canvas.width = Math.round(w * k); canvas.height = Math.round(h * k);
    canvas.getContext('2d').drawImage(img, 0, 0, canvas.width, canvas.height);
    return new Promise((resolve, reject) =>
      canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error('PNG encoding failed'))), 'image/png'));
  }

  destroy() {
    this.root.remove();
    this.nodes.clear();
    this.links.clear();
    this.drag = null;
    this.options = {};
  }
}
