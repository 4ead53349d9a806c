// Small DOM helpers: elements are built with text nodes, never from HTML strings, so data
// (names typed by clerks) can never become markup.

/**
 * @param {string} tag
 * @param {Record<string, any>|null} [props]
 * @param {...any} children
 */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props ?? {})) {
    if (v == null || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else if (k in el && typeof v !== "string") el[k] = v;
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c == null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** A table: columns are {title, cell(row) -> node|string, num?}; rows may be clickable. */
export function table(columns, rows, onRow) {
  return h(
    "table",
    null,
    h("thead", null, h("tr", null, columns.map((c) => h("th", { scope: "col", class: c.num ? "num" : null }, c.title)))),
    h(
      "tbody",
      null,
      rows.map((r) =>
        h(
          "tr",
          onRow
            ? { class: "clickable", tabindex: 0, onclick: () => onRow(r), onkeydown: (e) => e.key === "Enter" && onRow(r) }
            : null,
          columns.map((c) => h("td", { class: c.num ? "num" : null }, c.cell(r))),
        ),
      ),
    ),
  );
}

export function saveBlob(filename, blob) {
  const url = URL.createObjectURL(blob);
  const a = h("a", { href: url, download: filename });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** CSV with a BOM so that Excel opens the Chinese text as UTF-8. */
export function toCSV(header, rows) {
  const cell = (v) => {
    let s = v == null ? "" : String(v);
    if (/^[=+\-@]/.test(s)) s = `'${s}`; // a cell a spreadsheet would run as a formula
    return /[",\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
  };
  const lines = [header, ...rows].map((r) => r.map(cell).join(","));
  return new Blob(["\ufeff" + lines.join("\r\n")], { type: "text/csv;charset=utf-8" });
}

export function base64Blob(b64, type) {
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  return new Blob([bytes], { type });
}
