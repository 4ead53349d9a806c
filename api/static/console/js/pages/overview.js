// Overview: coverage cards for the as-of day, findings by severity, red-property grades and
// the month-by-month trend of the coverage rates (a researcher's and the public's: year by year,
// at each year's end), for one city or (data with several) all of them together.

import { gql, patiently } from "../gql.js";
import { h } from "../dom.js";
import { bars, lineChart, PALETTE } from "../charts.js";
import { label, pct, t } from "../i18n.js";
import { asOf, asOfBar, asOfShown, citySelect, paramsOf, section } from "./common.js";

export const RATES = [
  "branch", "partyGroups", "ownersCommittee", "propertyService", "serviceStation", "crossAppointment", "appealsReplied",
];
const RATIO = "{ count total rate }";

// red-property grades: the GraphQL alias and the filter of each
const GRADES = [
  ["gradeA", 'grade: { eq: "A" }'], ["gradeB", 'grade: { eq: "B" }'], ["gradeC", 'grade: { eq: "C" }'], ["gold", "gold: { eq: true }"],
];

// every city's row: one city's cards are its row, all cities' the sum of the rows (as the
// trend sums them); the findings of all come from coverageGaps (some have no city)
const QUERY = `query Overview($asOf: Date, $year: Int, $before: Int) {
  coverageSummary(level: CITY, asOf: $asOf, first: 100) {
    items { place name compounds findings { severity count } ${RATES.map((r) => `${r} ${RATIO}`).join(" ")} }
  }
  coverageGaps(asOf: $asOf) { asOf totalCount bySeverity { severity count } }
  aggregate(groupBy: CITY) {
${GRADES.map(([alias, where]) => `    ${alias}: evaluations(where: { ${where}, year: { eq: $year } }, first: 100) { places { entityId count } }
    ${alias}Before: evaluations(where: { ${where}, year: { eq: $before } }, first: 100) { places { entityId count } }`).join("\n")}
  }
}`;

// its own request: 24 monthly roll-ups may take a while on a cold start, the cards need not wait
const TREND = `query Trend($asOf: Date, $scope: ID) {
  coverageTrend(months: 24, until: $asOf, scope: $scope) { date ${RATES.map((r) => `${r} { rate }`).join(" ")} }
}`;

const sumRatios = (rows, r) => {
  const count = rows.reduce((a, row) => a + row[r].count, 0);
  const all = rows.reduce((a, row) => a + row[r].total, 0);
  return { count, total: all, rate: all ? count / all : null };
};

/** The cards' figures: the chosen city's row, or every row summed. */
function figures(rows, city) {
  if (city) return rows.find((row) => row.place === city) ?? null;
  if (!rows.length) return null;
  const sum = { compounds: rows.reduce((a, row) => a + row.compounds, 0) };
  for (const r of RATES) sum[r] = sumRatios(rows, r);
  return sum;
}

export async function render(ctx) {
  const day = asOf(ctx);
  const p = paramsOf(ctx);
  const thisYear = Number(day.slice(0, 4));
  const data = await gql(QUERY, { asOf: day, year: thisYear, before: thisYear - 1 });
  const rows = data.coverageSummary.items;
  // one city: it is the page's; several: the one in the URL, else all of them
  const only = rows.length === 1 ? rows[0].place : null;
  const cityId = p.city || only;
  const city = figures(rows, cityId);
  // a city picked among several: its row's findings; else the whole data's (the one city's)
  const picked = p.city || null;
  const findingsTotal = picked
    ? (city?.findings ?? []).reduce((a, f) => a + f.count, 0)
    : data.coverageGaps.totalCount;
  const bySeverity = picked ? (city?.findings ?? []) : data.coverageGaps.bySeverity;
  const total = (counts) => counts.places
    .filter((pl) => !cityId || pl.entityId === cityId)
    .reduce((a, pl) => a + pl.count, 0);
  const cards = h(
    "div",
    { class: "cards", id: "coverage-cards" },
    h("div", { class: "card", "data-figure": "compounds" }, h("div", { class: "k" }, t("ov.compounds")), h("div", { class: "v" }, city?.compounds ?? 0)),
    h("div", { class: "card", "data-figure": "findings" }, h("div", { class: "k" }, t("ov.findings")), h("div", { class: "v" }, findingsTotal)),
    RATES.map((r) =>
      h(
        "div",
        { class: "card", "data-figure": r },
        h("div", { class: "k" }, t(`cov.${r}`)),
        h("div", { class: "v" }, pct(city?.[r])),
        h("div", { class: "s" }, city ? `${city[r].count} / ${city[r].total}` : ""),
      ),
    ),
  );
  const sev = bySeverity.map((s) => ({
    label: label.severity(s.severity), value: s.count, color: getComputedStyle(document.documentElement).getPropertyValue(`--sev-${s.severity.toLowerCase()}`).trim() || "#0b5cad",
  }));
  // this year's evaluations once there are any, else last year's
  const current = GRADES.some(([alias]) => total(data.aggregate[alias]) > 0);
  const year = current ? thisYear : thisYear - 1;
  const count = (alias) => total(data.aggregate[current ? alias : `${alias}Before`]);
  const grades = h(
    "div",
    { class: "cards", id: "red-property", "data-year": year },
    ["A", "B", "C"].map((g) =>
      h("div", { class: "card", "data-figure": `grade-${g}` }, h("div", { class: "k" }, label.choice(g)), h("div", { class: "v" }, count(`grade${g}`))),
    ),
    h("div", { class: "card", "data-figure": "gold" }, h("div", { class: "k" }, t("ov.gold")), h("div", { class: "v" }, count("gold"))),
  );
  const chartBox = h("div", { class: "chart", id: "trend-chart" }, h("p", { class: "muted" }, t("loading")));
  // anyone but the department reads dates by year: the API gives them a point per year, at its
  // 31 December (docs/graphql.md, coverageTrend), labelled by the year
  const yearly = ctx.role !== "department";
  const trendTitle = t(yearly ? "ov.trendYearly" : "ov.trend");
  // the trend reads every month's links: after a start or a write it can outlast the request
  // deadline, and the page asks again until it comes (the service keeps working on it)
  patiently(() => gql(TREND, { asOf: day, scope: picked }), () => chartBox.replaceChildren(h("p", { class: "muted", role: "status" }, t("ov.trendPreparing"))))
    .then(({ coverageTrend: trend }) => chartBox.replaceChildren(lineChart({
      title: trendTitle,
      labels: trend.map((p) => p.date.slice(0, yearly ? 4 : 7)),
      series: RATES.map((r) => ({ name: t(`cov.${r}`), values: trend.map((p) => p[r].rate) })),
    })))
    .catch((err) => chartBox.replaceChildren(h("p", { class: "error", role: "alert" }, `${t("error")}: ${err.message}`)));
  const legend = h("div", { class: "legend" }, RATES.map((r, k) => h("span", null, h("i", { class: `c${k % PALETTE.length}` }), t(`cov.${r}`))));
  return h(
    "div",
    { "data-page": "overview", "data-as-of": day },
    h("h1", null, `${t("ov.title")} · ${city?.name ?? t("ov.allCities")}`),
    h("div", { class: "bar" },
      asOfBar(ctx, "overview"),
      !only && rows.length > 1 && citySelect(ctx, "overview", rows, cityId),
      asOfShown(day, data.coverageGaps.asOf)),
    section(t("ov.cards"), cards),
    h("div", { class: "grid2" },
      section(t("ov.severity"), h("div", { class: "chart", id: "severity-chart" }, bars(sev, t("ov.severity")))),
      section(`${t("ov.red")}（${t("ov.year")} ${year}）`, grades)),
    section(trendTitle, chartBox, legend),
  );
}
