// Ties: cross-appointment rates by community, conflicts of interest, interlocks, brokers.

import { gql, patiently } from "../gql.js";
import { h, table } from "../dom.js";
import { label, pct, t } from "../i18n.js";
import { asOf, asOfBar, section } from "./common.js";

const QUERY = `query Ties($asOf: Date, $detail: Boolean!) {
  communities: coverageSummary(level: COMMUNITY, asOf: $asOf, first: 100) {
    items { place name parent compounds crossAppointment { count total rate } partyShare { count total rate } }
  }
  conflicts: conflictsOfInterest(asOf: $asOf, first: 50) @include(if: $detail) {
    totalCount items { person personName compound compoundName committeeName companyName seatRole jobRole }
  }
  interlocks(asOf: $asOf, minShared: 2, first: 20) @include(if: $detail) {
    totalCount items { a aKind aName b bKind bName shared }
  }
}`;

// its own request: betweenness over the whole tie graph is the slowest analysis, so it is
// estimated from 200 sources (exact when the tie graph has no more nodes than that)
const BROKER_SOURCES = 200;
const BROKERS = `query Brokers($asOf: Date, $sample: Int) {
  brokers(asOf: $asOf, first: 10, sample: $sample) { items { node kind name degree betweenness } }
}`;

export async function render(ctx) {
  const day = asOf(ctx);
  const detail = ctx.role !== "public";
  const data = await gql(QUERY, { asOf: day, detail });
  const rows = [...data.communities.items].sort((a, b) => (a.crossAppointment.rate ?? -1) - (b.crossAppointment.rate ?? -1));
  const parts = [
    h("h1", null, t("ties.title")),
    h("div", { class: "bar" }, asOfBar(ctx, "ties")),
    section(t("ties.byCommunity"), h("div", { id: "cross-by-community" }, table(
      [
        { title: t("level.COMMUNITY"), cell: (r) => r.name ?? r.place },
        { title: t("ov.compounds"), num: true, cell: (r) => r.compounds },
        { title: t("cov.crossAppointment"), num: true, cell: (r) => pct(r.crossAppointment) },
        { title: t("cov.partyShare"), num: true, cell: (r) => pct(r.partyShare) },
      ],
      rows,
      (r) => ctx.go("gaps", { town: r.parent, comm: r.place, asOf: ctx.params.get("asOf") }),
    ))),
  ];
  if (!detail) return h("div", { "data-page": "ties" }, parts, h("p", { class: "muted" }, t("public.only")));
  const name = (id, kind, n) => `${label.kind(kind)} ${n ?? id}`;
  const brokerBox = h("div", { id: "brokers" }, h("p", { class: "muted", role: "status" }, t("loading")));
  patiently(() => gql(BROKERS, { asOf: day, sample: BROKER_SOURCES }), () => brokerBox.replaceChildren(h("p", { class: "muted", role: "status" }, t("ties.brokersPreparing"))))
    .then(({ brokers }) => brokerBox.replaceChildren(table(
      [
        { title: t("ties.person"), cell: (r) => r.name ?? r.node },
        { title: t("ties.degree"), num: true, cell: (r) => r.degree },
        { title: t("ties.betweenness"), num: true, cell: (r) => r.betweenness.toFixed(4) },
      ],
      brokers.items,
    )))
    .catch((err) => brokerBox.replaceChildren(h("p", { class: "error", role: "alert" }, `${t("error")}: ${err.message}`)));
  parts.push(
    section(`${t("ties.conflicts")}（${data.conflicts.totalCount}）`, h("div", { id: "conflicts" }, table(
      [
        { title: t("ties.person"), cell: (r) => r.personName ?? r.person },
        { title: t("level.COMPOUND"), cell: (r) => h("a", { href: `#/compound?id=${encodeURIComponent(r.compound)}&asOf=${day}` }, r.compoundName ?? r.compound) },
        { title: t("ties.committee"), cell: (r) => r.committeeName ?? "" },
        { title: t("ties.seat"), cell: (r) => label.choice(r.seatRole) },
        { title: t("ties.company"), cell: (r) => r.companyName ?? "" },
        { title: t("ties.job"), cell: (r) => label.choice(r.jobRole) },
      ],
      data.conflicts.items,
    ))),
    h("div", { class: "grid2" },
      section(t("ties.interlocks"), h("div", { id: "interlocks" }, table(
        [
          { title: "A", cell: (r) => name(r.a, r.aKind, r.aName) },
          { title: "B", cell: (r) => name(r.b, r.bKind, r.bName) },
          { title: t("ties.shared"), num: true, cell: (r) => r.shared },
        ],
        data.interlocks.items,
      ))),
      section(t("ties.brokers"), brokerBox),
    ),
  );
  return h("div", { "data-page": "ties", "data-as-of": day }, parts);
}
