// A compound: its governance network (expand a node on click, a date slider over the links'
// since/until), its findings and its ties.

import { gql } from "../gql.js";
import { h, saveBlob, table } from "../dom.js";
import { label, lang, pct, t } from "../i18n.js";
import { NetworkView } from "../netgraph.js";
import { asOf, asOfShown, section, severityBadge } from "./common.js";

const KINDS = "[COVERS, REPRESENTS, MANAGES, SERVES, HOLDS_POST]";
const NET = `nodes { id kind name distance } links { id kind source target role since until }`;
const RATIO = "{ count total rate }";

const QUERY = `query Compound($id: ID!, $asOf: Date, $detail: Boolean!) {
  row: coverageSummary(level: COMPOUND, scope: $id, asOf: $asOf, first: 1) {
    items { place name parent branch ${RATIO} ownersCommittee ${RATIO} propertyService ${RATIO}
      serviceStation ${RATIO} partyGroups ${RATIO} crossAppointment ${RATIO} findings { severity count } }
  }
  net: egoNetwork(id: $id, depth: 2, asOf: $asOf, first: 100, linkKinds: ${KINDS}) @include(if: $detail) { center ${NET} }
  gaps: coverageGaps(scope: $id, asOf: $asOf, first: 100) {
    asOf totalCount findings @include(if: $detail) { id rule severity subject subjectKind subjectName explanationZh explanationEn responsible responsibleEn }
  }
  cross: crossAppointments(scope: $id, asOf: $asOf) @include(if: $detail) {
    items { name seats crossAppointed rate secretaryChairs }
  }
  conflicts: conflictsOfInterest(scope: $id, asOf: $asOf) @include(if: $detail) {
    items { person personName committeeName companyName seatRole jobRole }
  }
}`;

const EGO = `query Ego($id: ID!, $asOf: Date, $depth: Int!) {
  egoNetwork(id: $id, depth: $depth, asOf: $asOf, first: 100, linkKinds: ${KINDS}) { center ${NET} }
}`;

/** Month ends from the data's first to its last day, for the slider. */
function months(first, last) {
  const out = [];
  if (!first || !last) return out;
  let y = Number(first.slice(0, 4)), m = Number(first.slice(5, 7));
  for (;;) {
    const end = new Date(Date.UTC(y, m, 0)).toISOString().slice(0, 10);
    if (end >= last) break;
    out.push(end);
    m += 1;
    if (m > 12) { m = 1; y += 1; }
  }
  out.push(last);
  return out;
}

export async function render(ctx) {
  const id = ctx.params.get("id");
  const day = asOf(ctx);
  const detail = ctx.role !== "public";
  const data = await gql(QUERY, { id, asOf: day, detail });
  const row = data.row.items[0];
  const title = row?.name ?? id;

  const facts = h("div", { class: "cards", id: "compound-cards" },
    ["branch", "ownersCommittee", "propertyService", "serviceStation", "partyGroups", "crossAppointment"].map((r) =>
      h("div", { class: "card", "data-figure": r }, h("div", { class: "k" }, t(`cov.${r}`)), h("div", { class: "v" }, row ? pct(row[r]) : "—"))));

  const parts = [
    h("h1", null, `${t("cmp.title")} · ${title}`),
    h("div", { class: "bar" },
      asOfShown(day, data.gaps.asOf),
      detail && h("button", { type: "button", id: "draft-here", onclick: () => ctx.go("whatif", { compound: id, asOf: day }) }, t("cmp.draft"))),
    section(t("ov.cards"), facts),
  ];
  if (!detail) {
    parts.push(h("p", { class: "muted" }, t("public.only")), section(t("cmp.findings"), h("p", null, `${t("ov.findings")}：${data.gaps.totalCount}`)));
    return h("div", { "data-page": "compound" }, parts);
  }

  parts.push(networkSection(ctx, id, day, data.net, title));
  const explanation = (f) => (lang() === "en" ? f.explanationEn : f.explanationZh);
  parts.push(section(t("cmp.findings"), h("div", { id: "compound-findings" }, table(
    [
      { title: t("gaps.severity"), cell: (f) => severityBadge(f.severity) },
      { title: t("gaps.rule"), cell: (f) => label.rule(f.rule) },
      { title: t("gaps.subject"), cell: (f) => `${label.kind(f.subjectKind)} ${f.subjectName ?? f.subject}` },
      { title: t("gaps.explanation"), cell: explanation },
      { title: t("gaps.responsible"), cell: (f) => (lang() === "en" ? f.responsibleEn : f.responsible) },
    ],
    data.gaps.findings,
  ))));
  parts.push(h("div", { class: "grid2" },
    section(t("cmp.cross"), table(
      [
        { title: t("ties.committee"), cell: (r) => r.name ?? "" },
        { title: "席位", num: true, cell: (r) => r.seats },
        { title: t("cov.crossAppointment"), num: true, cell: (r) => (r.rate == null ? "—" : `${(r.rate * 100).toFixed(0)}%`) },
      ],
      data.cross.items,
    )),
    section(t("cmp.conflicts"), data.conflicts.items.length
      ? table(
        [
          { title: t("ties.person"), cell: (r) => r.personName ?? r.person },
          { title: t("ties.seat"), cell: (r) => label.choice(r.seatRole) },
          { title: t("ties.company"), cell: (r) => r.companyName ?? "" },
          { title: t("ties.job"), cell: (r) => label.choice(r.jobRole) },
        ],
        data.conflicts.items,
      )
      : h("p", { class: "muted" }, t("none"))),
  ));
  return h("div", { "data-page": "compound", "data-as-of": day }, parts);
}

function networkSection(ctx, id, day, net, title) {
  const box = h("div", { class: "net", id: "network" });
  const view = new NetworkView(box, {
    label: label.kind,
    linkLabel: label.link,
    title,
    onExpand: async (nodeId) => {
      const d = await gql(EGO, { id: nodeId, asOf: slider.dataset.day, depth: 1 });
      view.merge(d.egoNetwork);
    },
  });
  requestAnimationFrame(() => view.setData(net)); // once the box is on the page and has a size
  const steps = months(ctx.span.first, ctx.span.last);
  const at = Math.max(0, steps.findIndex((d) => d >= day));
  const shown = h("output", { id: "network-day", for: "network-slider" }, day);
  const slider = h("input", {
    type: "range", id: "network-slider", min: 0, max: Math.max(0, steps.length - 1), value: at,
    "aria-label": t("cmp.day"), "aria-valuetext": day,
    oninput: () => { shown.textContent = steps[Number(slider.value)]; },
    onchange: async () => {
      const d = steps[Number(slider.value)];
      slider.dataset.day = d;
      slider.setAttribute("aria-valuetext", d);
      // the day is part of the view's state: keep it in the URL without rendering the page again
      history.replaceState(null, "", `#/compound?id=${encodeURIComponent(id)}&asOf=${d}`);
      const fresh = await gql(EGO, { id, asOf: d, depth: 2 });
      view.setData(fresh.egoNetwork);
    },
  });
  slider.dataset.day = day;
  const exportSVG = h("button", { type: "button", id: "export-svg", onclick: () => saveBlob(`${id}-${slider.dataset.day}.svg`, new Blob([view.toSVG()], { type: "image/svg+xml" })) }, t("cmp.svg"));
  const exportPNG = h("button", { type: "button", id: "export-png", onclick: async () => saveBlob(`${id}-${slider.dataset.day}.png`, await view.toPNG()) }, t("cmp.png"));
  return section(t("cmp.network"),
    h("div", { class: "bar" }, h("label", { for: "network-slider" }, t("cmp.day"), slider), shown, exportSVG, exportPNG, h("span", { class: "muted" }, t("cmp.expand"))),
    box);
}
