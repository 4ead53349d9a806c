// What several pages share: the as-of date bar and the severity badge.

import { h } from "../dom.js";
import { label, t } from "../i18n.js";

/** The day a page analyses: the URL's, else the latest date the data holds. */
export function asOf(ctx) {
  return ctx.params.get("asOf") || ctx.span.last || new Date().toISOString().slice(0, 10);
}

/** The as-of date input; changing it rewrites the URL (the page then renders again). */
export function asOfBar(ctx, page, extra = {}) {
  const day = asOf(ctx);
  const input = h("input", {
    type: "date", id: "asof", value: day, min: ctx.span.first ?? null, max: ctx.span.last ?? null,
    onchange: (e) => ctx.go(page, { ...paramsOf(ctx), ...extra, asOf: e.target.value }),
  });
  const note = !ctx.params.get("asOf") && ctx.span.last === day ? `（${t("asOf.note")}）` : "";
  return h("label", { for: "asof" }, `${t("asOf")}${note}`, input);
}

/** "As of: day", and the day analysed when the role reads it otherwise (a researcher's or the
 *  public's: the end of its year, or the data's last day in its last year). */
export function asOfShown(day, used) {
  const read = used && used !== day ? `（${t("asOf.read", { day: used })}）` : "";
  return h("span", { class: "muted", id: "as-of-shown" }, `${t("asOf")}：${day}${read}`);
}

export function paramsOf(ctx) {
  return Object.fromEntries(ctx.params.entries());
}

export function severityBadge(code) {
  return h("span", { class: `sev sev-${code}` }, label.severity(code));
}

export function section(title, ...children) {
  return h("section", { class: "panel", "aria-label": title }, h("h2", null, title), ...children);
}

/** The city picker of data with several cities: "all" and each city (rows: place, name). */
export function citySelect(ctx, page, rows, chosen) {
  return h("label", { for: "f-city" }, t("level.CITY"),
    h("select", { id: "f-city", onchange: (e) => ctx.go(page, { ...paramsOf(ctx), city: e.target.value }) },
      h("option", { value: "" }, t("ov.allCities")),
      rows.map((r) => h("option", { value: r.place, selected: r.place === chosen }, r.name ?? r.place))));
}
