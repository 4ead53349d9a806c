// Two small SVG charts drawn by hand (no chart library to ship): lines over months, and bars.

const NS = "http://www.w3.org/2000/svg";

function s(tag, attrs = {}, text) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text != null) el.textContent = text;
  return el;
}

export const PALETTE = ["#0b5cad", "#b42318", "#1a7f37", "#8a6100", "#6e2a8c", "#0e7490", "#c2410c"];

/**
 * Lines of rates (0..1) over labelled points.
 * @param {{labels: string[], series: {name: string, values: (number|null)[]}[], title: string}} d
 */
export function lineChart({ labels, series, title }) {
  const W = 760, H = 260, L = 44, R = 12, T = 12, B = 36;
  const svg = s("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": title });
  svg.append(s("title", {}, title));
  const x = (i) => L + (labels.length < 2 ? 0 : (i * (W - L - R)) / (labels.length - 1));
  const y = (v) => T + (1 - v) * (H - T - B);
  for (const v of [0, 0.25, 0.5, 0.75, 1]) {
    svg.append(s("line", { x1: L, x2: W - R, y1: y(v), y2: y(v), stroke: "#d0d7de" }));
    svg.append(s("text", { x: L - 6, y: y(v) + 4, "text-anchor": "end", "font-size": 11, fill: "#57606a" }, `${v * 100}%`));
  }
  const every = Math.max(1, Math.ceil(labels.length / 12));
  labels.forEach((lab, i) => {
    const last = labels.length - 1;
    // every few months, and the last one, unless a regular one would crowd it
    if (i === last || (i % every === 0 && last - i >= every / 2)) {
      svg.append(s("text", { x: x(i), y: H - 14, "text-anchor": "middle", "font-size": 11, fill: "#57606a" }, lab));
    }
  });
  series.forEach((ser, k) => {
    const pts = ser.values.map((v, i) => (v == null ? null : `${x(i)},${y(v)}`)).filter(Boolean);
    if (!pts.length) return;
    const line = s("polyline", { points: pts.join(" "), fill: "none", stroke: PALETTE[k % PALETTE.length], "stroke-width": 2 });
    line.append(s("title", {}, ser.name));
    svg.append(line);
  });
  return svg;
}

/** Horizontal bars: [{label, value, cls}] */
export function bars(items, title) {
  const W = 420, row = 26, L = 90;
  const max = Math.max(1, ...items.map((i) => i.value));
  const svg = s("svg", { viewBox: `0 0 ${W} ${row * items.length + 4}`, role: "img", "aria-label": title });
  svg.append(s("title", {}, title));
  items.forEach((it, i) => {
    const w = ((W - L - 50) * it.value) / max;
    svg.append(s("text", { x: L - 6, y: i * row + 17, "text-anchor": "end", "font-size": 13, fill: "#1f2328" }, it.label));
    svg.append(s("rect", { x: L, y: i * row + 4, width: Math.max(w, 1), height: row - 8, fill: it.color ?? "#0b5cad", rx: 2 }));
    svg.append(s("text", { x: L + w + 6, y: i * row + 17, "font-size": 13, fill: "#1f2328" }, String(it.value)));
  });
  return svg;
}
