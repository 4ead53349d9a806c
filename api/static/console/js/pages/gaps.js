// Where the gaps are: city → township → community → compound, with the places below, the
// ranking of uncovered communities and the findings, filtered by rule and severity. Data with
// one city opens on its townships; with several, on the cities.

import { gql } from "../gql.js";
import { base64Blob, h, saveBlob, table, toCSV } from "../dom.js";
import { label, lang, pct, t, vocab } from "../i18n.js";
import { asOf, asOfBar, asOfShown, paramsOf, section, severityBadge } from "./common.js";

const CHILD = { city: "TOWNSHIP", town: "COMMUNITY", comm: "COMPOUND" };
const RATIO = "{ count total rate }";
const ROW = `place name parent compounds branch ${RATIO} partyGroups ${RATIO} ownersCommittee ${RATIO}
  propertyService ${RATIO} serviceStation ${RATIO} findings { severity count }`;
const FINDING = `id rule check severity subject subjectKind subjectName compound community township
  explanationZh explanationEn source responsible responsibleEn deadlineDays`;

const QUERY = `query Gaps($level: PlaceLevel!, $scope: ID, $asOf: Date, $rules: [String!], $severities: [Severity!],
    $town: ID, $comm: ID, $hasTown: Boolean!, $hasComm: Boolean!, $detail: Boolean!, $top: Boolean!) {
  places: coverageSummary(level: $level, scope: $scope, asOf: $asOf, first: 100) { totalCount items { ${ROW} } }
  cities: coverageSummary(level: CITY, asOf: $asOf, first: 100) @include(if: $top) { items { ${ROW} } }
  townRow: coverageSummary(level: TOWNSHIP, scope: $town, asOf: $asOf, first: 1) @include(if: $hasTown) { items { place name } }
  commRow: coverageSummary(level: COMMUNITY, scope: $comm, asOf: $asOf, first: 1) @include(if: $hasComm) { items { place name } }
  ranking: uncoveredCommunities(scope: $scope, asOf: $asOf, rules: $rules, first: 10) {
    totalCount items { rank community name township compounds gaps findings reasons { rule check severity titleZh titleEn count } }
  }
  gaps: coverageGaps(scope: $scope, asOf: $asOf, rules: $rules, severities: $severities, first: 50) {
    asOf totalCount bySeverity { severity count }
    findings @include(if: $detail) { ${FINDING} }
    pageInfo @include(if: $detail) { hasNextPage endCursor }
  }
}`;

const MORE = `query More($scope: ID, $asOf: Date, $rules: [String!], $severities: [Severity!], $after: String) {
  coverageGaps(scope: $scope, asOf: $asOf, rules: $rules, severities: $severities, first: 50, after: $after) {
    findings { ${FINDING} } pageInfo { hasNextPage endCursor }
  }
}`;

const LIST = `query Rectification($scope: ID!, $asOf: Date) {
  rectificationList(scope: $scope, asOf: $asOf) { filename mediaType base64 rows }
}`;

const explanation = (f) => (lang() === "en" ? f.explanationEn : f.explanationZh);
const responsible = (f) => (lang() === "en" ? f.responsibleEn : f.responsible);

export async function render(ctx) {
  const p = paramsOf(ctx);
  const day = asOf(ctx);
  const scope = p.comm || p.town || p.city || null;
  const detail = ctx.role !== "public";
  // the top asks for the townships and the cities: with one city its townships are shown
  const top = !p.town && !p.comm;
  const depth = p.comm ? "comm" : p.town ? "town" : "city";
  const vars = {
    level: CHILD[depth], scope, asOf: day,
    rules: p.rule ? [p.rule] : null, severities: p.severity ? [p.severity] : null,
    town: p.town ?? null, comm: p.comm ?? null, hasTown: !!p.town, hasComm: !!p.comm, detail, top,
  };
  const data = await gql(QUERY, vars);
  const cityName = data.cities?.items.find((c) => c.place === p.city)?.name ?? p.city;
  const townName = data.townRow?.items[0]?.name ?? p.town;
  const commName = data.commRow?.items[0]?.name ?? p.comm;
  const several = (data.cities?.items.length ?? 2) > 1;
  const atCities = several && top && !p.city;

  const link = (text, params) => h("a", { href: "#", onclick: (e) => { e.preventDefault(); ctx.go("gaps", { ...p, ...params }); } }, text);
  const crumbs = h("nav", { class: "crumbs", "aria-label": t("gaps.place") },
    several ? link(t("ov.allCities"), { city: null, town: null, comm: null }) : link(t("gaps.city"), { town: null, comm: null }),
    several && p.city && [h("span", { class: "sep" }, "›"), link(cityName, { town: null, comm: null })],
    p.town && [h("span", { class: "sep" }, "›"), link(townName, { comm: null })],
    p.comm && [h("span", { class: "sep" }, "›"), h("span", { "aria-current": "page" }, commName)],
  );

  const filters = h("div", { class: "bar" },
    asOfBar(ctx, "gaps"),
    h("label", { for: "f-rule" }, t("gaps.rule"),
      h("select", { id: "f-rule", onchange: (e) => ctx.go("gaps", { ...p, rule: e.target.value }) },
        h("option", { value: "" }, t("gaps.all")),
        Object.keys(vocab.rules).map((id) => h("option", { value: id, selected: p.rule === id }, label.rule(id))))),
    h("label", { for: "f-sev" }, t("gaps.severity"),
      h("select", { id: "f-sev", onchange: (e) => ctx.go("gaps", { ...p, severity: e.target.value }) },
        h("option", { value: "" }, t("gaps.all")),
        vocab.severityOrder.map((s) => h("option", { value: s, selected: p.severity === s }, label.severity(s))))),
    asOfShown(day, data.gaps.asOf),
  );

  const childLevel = atCities ? "CITY" : CHILD[depth];
  const openPlace = (row) => {
    if (childLevel === "CITY") ctx.go("gaps", { ...p, city: row.place, town: null, comm: null });
    else if (childLevel === "TOWNSHIP") ctx.go("gaps", { ...p, town: row.place, comm: null });
    else if (childLevel === "COMMUNITY") ctx.go("gaps", { ...p, comm: row.place });
    else ctx.go("compound", { id: row.place, asOf: p.asOf });
  };
  const nFindings = (row) => row.findings.reduce((a, f) => a + f.count, 0);
  const places = table(
    [
      { title: t(`level.${childLevel}`), cell: (r) => r.name ?? r.place },
      { title: t("ov.compounds"), num: true, cell: (r) => r.compounds },
      { title: t("cov.branch"), num: true, cell: (r) => pct(r.branch) },
      { title: t("cov.ownersCommittee"), num: true, cell: (r) => pct(r.ownersCommittee) },
      { title: t("cov.propertyService"), num: true, cell: (r) => pct(r.propertyService) },
      { title: t("cov.serviceStation"), num: true, cell: (r) => pct(r.serviceStation) },
      { title: t("cov.partyGroups"), num: true, cell: (r) => pct(r.partyGroups) },
      { title: t("ov.findings"), num: true, cell: (r) => nFindings(r) },
    ],
    atCities ? data.cities.items : data.places.items,
    openPlace,
  );
  places.id = "places";

  const ranking = table(
    [
      { title: t("gaps.rank"), num: true, cell: (r) => r.rank },
      { title: t("level.COMMUNITY"), cell: (r) => r.name ?? r.community },
      { title: t("gaps.gaps"), num: true, cell: (r) => r.gaps },
      { title: t("ov.findings"), num: true, cell: (r) => r.findings },
      { title: t("gaps.reasons"), cell: (r) => r.reasons.slice(0, 4).map((x) => h("span", { class: "pill" }, `${lang() === "en" ? x.titleEn : x.titleZh} ${x.count}`)) },
    ],
    data.ranking.items,
    (r) => ctx.go("gaps", { ...p, town: r.township, comm: r.community }),
  );
  ranking.id = "ranking";

  const content = h("div", { "data-page": "gaps", "data-as-of": day },
    h("h1", null, t("gaps.title")), crumbs, filters,
    section(t("gaps.places"), places),
    section(t("gaps.ranking"), ranking),
    findingsSection(ctx, data.gaps, { scope, day, vars, townName: commName ?? townName }),
  );
  return content;
}

function findingsSection(ctx, gaps, { scope, day, vars, townName }) {
  const counts = h("p", { id: "finding-counts" }, `${t("ov.findings")}：${gaps.totalCount}　`,
    gaps.bySeverity.filter((s) => s.count).map((s) => h("span", { class: "pill" }, severityBadge(s.severity), ` ${s.count}`)));
  if (!gaps.findings) return section(t("gaps.findings"), counts, h("p", { class: "muted" }, t("public.only")));

  const rows = [...gaps.findings];
  const columns = [
    { title: t("gaps.severity"), cell: (f) => severityBadge(f.severity) },
    { title: t("gaps.rule"), cell: (f) => label.rule(f.rule) },
    { title: t("gaps.subject"), cell: (f) => f.subjectKind === "Compound"
      ? h("a", { href: `#/compound?id=${encodeURIComponent(f.subject)}&asOf=${day}` }, f.subjectName ?? f.subject)
      : `${label.kind(f.subjectKind)} ${f.subjectName ?? f.subject}` },
    { title: t("gaps.explanation"), cell: (f) => explanation(f) },
    { title: t("gaps.responsible"), cell: (f) => responsible(f) },
    { title: t("gaps.source"), cell: (f) => h("small", null, f.source) },
  ];
  const holder = h("div", { id: "findings" }, table(columns, rows));
  let page = gaps.pageInfo;
  const more = h("button", { type: "button", hidden: !page.hasNextPage, onclick: async () => {
    more.disabled = true;
    const next = await gql(MORE, { scope: vars.scope, asOf: day, rules: vars.rules, severities: vars.severities, after: page.endCursor });
    rows.push(...next.coverageGaps.findings);
    page = next.coverageGaps.pageInfo;
    holder.replaceChildren(table(columns, rows));
    more.hidden = !page.hasNextPage;
    more.disabled = false;
  } }, t("more"));

  const csv = h("button", { type: "button", id: "download-csv", onclick: () => {
    const header = [t("gaps.severity"), t("gaps.rule"), t("gaps.subject"), t("gaps.explanation"), t("gaps.responsible"), t("gaps.deadline"), t("gaps.source")];
    const body = rows.map((f) => [label.severity(f.severity), label.rule(f.rule), f.subjectName ?? f.subject, explanation(f), responsible(f), f.deadlineDays ?? "", f.source]);
    saveBlob(`findings-${scope ?? "all"}-${day}.csv`, toCSV(header, body));
  } }, t("gaps.csv"));

  const excel = scope && h("button", { type: "button", id: "download-excel", class: "primary", onclick: async () => {
    excel.disabled = true;
    try {
      const d = (await gql(LIST, { scope, asOf: day })).rectificationList;
      saveBlob(d.filename, base64Blob(d.base64, d.mediaType));
    } finally {
      excel.disabled = false;
    }
  } }, `${t("gaps.excel")}${townName ? ` · ${townName}` : ""}`);

  return section(t("gaps.findings"), counts, h("div", { class: "bar" }, csv, excel), holder, more);
}
