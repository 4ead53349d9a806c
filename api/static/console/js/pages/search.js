// Search by name (Chinese included); a result opens its page: a compound its own, a place the
// gaps at that level.

import { gql } from "../gql.js";
import { h } from "../dom.js";
import { label, t } from "../i18n.js";

const QUERY = `query Search($text: String!) {
  search(text: $text, first: 30) {
    __typename entityId
    ... on Compound { name } ... on Community { name } ... on Township { name }
    ... on PartyBranch { name } ... on OwnersCommittee { name } ... on PropertyCompany { name }
    ... on ServiceStation { name } ... on Person { name }
  }
}`;

/** Where a result leads, by its kind. */
function target(node) {
  const id = node.entityId;
  switch (node.__typename) {
    case "Compound": return `#/compound?id=${encodeURIComponent(id)}`;
    case "Township": return `#/gaps?town=${encodeURIComponent(id)}`;
    case "Community": return `#/gaps?comm=${encodeURIComponent(id)}`;
    case "Person": return `#/whatif?person=${encodeURIComponent(id)}`;
    default: return `#/whatif?body=${encodeURIComponent(id)}`;
  }
}

export async function render(ctx) {
  const text = ctx.params.get("q") ?? "";
  const input = h("input", { type: "search", id: "search-text", value: text, placeholder: t("search.placeholder"), "aria-label": t("search.title") });
  const form = h("form", { class: "bar", role: "search", onsubmit: (e) => { e.preventDefault(); ctx.go("search", { q: input.value.trim() }); } },
    input, h("button", { type: "submit", class: "primary" }, t("search.go")));
  const parts = [h("h1", null, t("search.title")), form];
  if (ctx.role === "public") parts.push(h("p", { class: "muted" }, t("public.only")));
  else if (text) {
    const found = (await gql(QUERY, { text })).search;
    parts.push(found.length
      ? h("ul", { id: "search-results" }, found.map((n) => h("li", null,
        h("span", { class: "pill" }, label.kind(n.__typename)), " ",
        h("a", { href: target(n) }, n.name ?? n.entityId), " ", h("small", { class: "muted" }, n.entityId))))
      : h("p", { id: "search-results" }, t("search.none")));
  }
  queueMicrotask(() => input.focus());
  return h("div", { "data-page": "search" }, parts);
}
