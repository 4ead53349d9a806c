// What if: the clerk drafts changes, the API evaluates the rules on the store plus the draft
// (`whatIf`, which writes nothing), and the department saves the draft as one all-or-nothing
// `applyBatch`. The draft lives in the URL, so it can be sent to a colleague.

import { gql } from "../gql.js";
import { h, table } from "../dom.js";
import { label, lang, t, vocab } from "../i18n.js";
import { asOf, asOfBar, paramsOf, section, severityBadge } from "./common.js";

const FINDING = "id rule severity subject subjectKind subjectName explanationZh explanationEn";
const WHAT_IF = `query WhatIf($changes: DraftInput!, $asOf: Date) {
  whatIf(changes: $changes, asOf: $asOf) { before after closed { ${FINDING} } opened { ${FINDING} } }
}`;
const SAVE = `mutation Save($nodes: [NodeInput!], $links: [LinkInput!]) {
  applyBatch(nodes: $nodes, links: $links) {
    __typename
    ... on WritePayload { nodesWritten linksWritten }
    ... on ValidationFailed { message } ... on NotFound { message } ... on Conflict { message } ... on Forbidden { message }
  }
}`;
const NO_BRANCH = `query NoBranch($asOf: Date) {
  coverageGaps(asOf: $asOf, rules: ["P1"], first: 100) { findings { subject subjectName } }
}`;

function readDraft(ctx) {
  try {
    return JSON.parse(ctx.params.get("draft") ?? "[]");
  } catch {
    return [];
  }
}

/** A short stable id for a drafted body, from what it is (so the same draft saves the same id). */
function draftId(prefix, text) {
  let x = 0;
  for (const ch of text) x = (Math.imul(x, 31) + ch.codePointAt(0)) >>> 0;
  return `${prefix}-${x.toString(36)}`;
}

/** The draft's changes as the write the API takes (nodes and links of applyBatch). */
export function toBatch(draft, day) {
  const nodes = [], links = [];
  for (const c of draft) {
    if (c.type === "branch") {
      const id = draftId("branch", `${c.name}|${c.compounds.join(",")}`);
      nodes.push({ kind: "PartyBranch", id, props: { name: c.name, form: "joint" } });
      for (const cmp of c.compounds) links.push({ kind: "COVERS", source: id, target: cmp, since: day });
    } else if (c.type === "appoint") {
      links.push({ kind: "HOLDS_POST", source: c.person, target: c.body, since: day, props: { role: c.role } });
    } else if (c.type === "station") {
      links.push({ kind: "SERVES", source: c.station, target: c.compound, since: day });
    }
  }
  return { nodes, links };
}

function describe(c) {
  if (c.type === "branch") return `${t("wi.branch")}：${c.name} → ${c.compounds.join("、")}`;
  if (c.type === "appoint") return `${t("wi.appoint")}：${c.person} → ${c.body}（${label.choice(c.role)}）`;
  return `${t("wi.station")}：${c.station} → ${c.compound}`;
}

export async function render(ctx) {
  const p = paramsOf(ctx);
  const day = asOf(ctx);
  const draft = readDraft(ctx);
  const setDraft = (next) => ctx.go("whatif", { ...p, draft: next.length ? JSON.stringify(next) : null });
  const add = (c) => setDraft([...draft, c]);

  const parts = [h("h1", null, t("wi.title")), h("p", { class: "muted" }, t("wi.intro")), h("div", { class: "bar" }, asOfBar(ctx, "whatif"))];
  // the answer names people and the draft takes real ids: the department's tool alone
  if (ctx.role !== "department") return h("div", { "data-page": "whatif" }, parts, h("p", { class: "muted", id: "whatif-refused" }, t("wi.onlyDept")));

  const candidates = (await gql(NO_BRANCH, { asOf: day })).coverageGaps.findings;
  parts.push(h("div", { class: "grid2" },
    section(t("wi.draft"), draftList(draft, setDraft), h("div", { class: "bar" },
      h("button", { type: "button", id: "run-whatif", class: "primary", disabled: !draft.length, onclick: () => evaluate(draft, day, result) }, t("wi.run")),
      h("button", { type: "button", id: "save-draft", disabled: !draft.length,
        onclick: (e) => save(draft, day, result, e.target) }, t("wi.save")),
      h("button", { type: "button", disabled: !draft.length, onclick: () => setDraft([]) }, t("wi.clear")))),
    h("div", null, branchForm(p, candidates, add), appointForm(p, add), stationForm(p, add)),
  ));
  const result = h("div", { id: "whatif-result", "aria-live": "polite" });
  parts.push(result);
  if (draft.length) queueMicrotask(() => evaluate(draft, day, result));
  return h("div", { "data-page": "whatif", "data-as-of": day }, parts);
}

function draftList(draft, setDraft) {
  if (!draft.length) return h("p", { class: "muted", id: "draft" }, t("wi.empty"));
  return h("ol", { class: "changes", id: "draft" }, draft.map((c, i) => h("li", null, describe(c), " ",
    h("button", { type: "button", "aria-label": `${t("wi.remove")} ${i + 1}`, onclick: () => setDraft(draft.filter((_, j) => j !== i)) }, t("wi.remove")))));
}

function branchForm(p, candidates, add) {
  const name = h("input", { id: "wi-branch-name", value: "", required: true });
  const boxes = [...new Map(candidates.map((f) => [f.subject, f])).values()];
  if (p.compound && !boxes.some((f) => f.subject === p.compound)) boxes.unshift({ subject: p.compound, subjectName: p.compound });
  const checks = boxes.map((f) => h("label", { class: "pill" },
    h("input", { type: "checkbox", value: f.subject, name: "wi-compound", checked: f.subject === p.compound }), ` ${f.subjectName ?? f.subject}`));
  return section(t("wi.branch"),
    h("label", { for: "wi-branch-name" }, t("wi.branchName")), name,
    h("fieldset", { id: "wi-compounds" }, h("legend", null, t("wi.compounds")), checks),
    h("button", { type: "button", id: "add-branch", onclick: () => {
      const picked = checks.map((c) => c.querySelector("input")).filter((i) => i.checked).map((i) => i.value);
      if (!name.value.trim() || !picked.length) return;
      add({ type: "branch", name: name.value.trim(), compounds: picked });
    } }, t("wi.add")));
}

function appointForm(p, add) {
  const person = h("input", { id: "wi-person", value: p.person ?? "" });
  const body = h("input", { id: "wi-body", value: p.body ?? "" });
  const role = h("select", { id: "wi-role" }, (vocab.choiceSets["HOLDS_POST.role"] ?? []).map((r) => h("option", { value: r }, label.choice(r))));
  return section(t("wi.appoint"),
    h("label", { for: "wi-person" }, t("wi.person")), person,
    h("label", { for: "wi-body" }, t("wi.body")), body,
    h("label", { for: "wi-role" }, t("wi.role")), role,
    h("button", { type: "button", id: "add-appoint", onclick: () => person.value && body.value && add({ type: "appoint", person: person.value.trim(), body: body.value.trim(), role: role.value }) }, t("wi.add")));
}

function stationForm(p, add) {
  const station = h("input", { id: "wi-station", value: "" });
  const compound = h("input", { id: "wi-station-compound", value: p.compound ?? "" });
  return section(t("wi.station"),
    h("label", { for: "wi-station" }, t("wi.stationId")), station,
    h("label", { for: "wi-station-compound" }, t("wi.compound")), compound,
    h("button", { type: "button", id: "add-station", onclick: () => station.value && compound.value && add({ type: "station", station: station.value.trim(), compound: compound.value.trim() }) }, t("wi.add")));
}

const findingTable = (rows) => table(
  [
    { title: t("gaps.severity"), cell: (f) => severityBadge(f.severity) },
    { title: t("gaps.rule"), cell: (f) => label.rule(f.rule) },
    { title: t("gaps.subject"), cell: (f) => `${label.kind(f.subjectKind)} ${f.subjectName ?? f.subject}` },
    { title: t("gaps.explanation"), cell: (f) => (lang() === "en" ? f.explanationEn : f.explanationZh) },
  ],
  rows,
);

async function evaluate(draft, day, result) {
  result.replaceChildren(h("p", { class: "muted" }, t("loading")));
  try {
    const w = (await gql(WHAT_IF, { changes: toBatch(draft, day), asOf: day })).whatIf;
    result.replaceChildren(
      h("p", { id: "whatif-counts" }, `${t("wi.before")}：${w.before}　${t("wi.after")}：${w.after}`),
      section(`${t("wi.closed")}（${w.closed.length}）`, h("div", { id: "closed", class: "closed" }, findingTable(w.closed))),
      section(`${t("wi.opened")}（${w.opened.length}）`, h("div", { id: "opened", class: "opened" }, findingTable(w.opened))),
    );
  } catch (err) {
    result.replaceChildren(h("p", { class: "error", role: "alert" }, `${t("error")}: ${err.message}`));
  }
}

async function save(draft, day, result, button) {
  button.disabled = true;
  const r = (await gql(SAVE, toBatch(draft, day))).applyBatch;
  const ok = r.__typename === "WritePayload";
  result.prepend(h("p", { id: "save-result", class: ok ? "ok" : "error", role: ok ? "status" : "alert" }, ok ? t("wi.saved") : r.message));
  if (!ok) button.disabled = false;
}
