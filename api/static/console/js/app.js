// The console's shell: navigation, sign-in, language, and a router that keeps every page's
// state in the URL (#/page?key=value), so any view can be bookmarked and sent on.

import { credentials, gql, patiently, setCredentials } from "./gql.js";
import { h } from "./dom.js";
import { lang, loadVocabulary, setLang, t } from "./i18n.js";
import * as overview from "./pages/overview.js";
import * as gaps from "./pages/gaps.js";
import * as compound from "./pages/compound.js";
import * as ties from "./pages/ties.js";
import * as whatif from "./pages/whatif.js";
import * as search from "./pages/search.js";

const PAGES = { overview, gaps, compound, ties, whatif, search };
const NAV = ["overview", "gaps", "ties", "whatif", "search"];

const state = { role: "public", span: { first: null, last: null }, started: false };

export function route() {
  const [path, query] = location.hash.replace(/^#\/?/, "").split("?");
  const page = PAGES[path] ? path : "overview";
  return { page, params: new URLSearchParams(query ?? "") };
}

/** Go to a page with these parameters (empty values left out). */
export function go(page, params = {}) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v != null && v !== "") p.set(k, String(v));
  const q = p.toString();
  location.hash = `#/${page}${q ? `?${q}` : ""}`;
}

function renderNav(current) {
  const nav = document.getElementById("nav");
  nav.replaceChildren(
    ...NAV.map((p) => h("a", { href: `#/${p}`, "aria-current": p === current ? "page" : null }, t(`nav.${p}`))),
    h("a", { href: "/graphql", target: "_blank", rel: "noopener" }, t("nav.graphiql")),
  );
  document.getElementById("brand").textContent = `${t("title")} · ${t("subtitle")}`;
  document.title = `${t("title")} · ${t(`nav.${current}`)}`;
  document.getElementById("foot").textContent = t("foot");
}

function renderSession() {
  const box = document.getElementById("session");
  const signedIn = credentials() != null;
  box.replaceChildren(
    h("span", { "data-role": state.role }, `${t("session.role")}：${t(`role.${state.role}`)}`),
    signedIn
      ? h("button", { type: "button", onclick: signOut }, t("session.signout"))
      : h("button", { type: "button", onclick: openSignIn }, t("session.signin")),
    h(
      "button",
      { type: "button", "aria-label": `${t("lang")} · ${t("lang.name")}`, onclick: () => { setLang(lang() === "en" ? "zh" : "en"); rerender(); } },
      t("lang"),
    ),
  );
}

function openSignIn() {
  const key = h("input", { id: "signin-key", type: "password", autocomplete: "off" });
  const jwt = h("textarea", { id: "signin-jwt", rows: 3 });
  const problem = h("p", { class: "error", role: "alert", hidden: true });
  const dialog = h(
    "dialog",
    { "aria-labelledby": "signin-title" },
    h("h2", { id: "signin-title" }, t("signin.title")),
    h("p", { class: "muted" }, t("signin.hint")),
    h("label", { for: "signin-key" }, t("signin.key")), key,
    h("label", { for: "signin-jwt" }, t("signin.jwt")), jwt,
    problem,
    h("div", { class: "bar" },
      h("button", { type: "button", class: "primary", onclick: async () => {
        const creds = key.value.trim()
          ? { kind: "key", value: key.value.trim() }
          : jwt.value.trim() ? { kind: "jwt", value: jwt.value.trim() } : null;
        setCredentials(creds);
        try {
          await whoAmI();
        } catch {
          setCredentials(null);
          problem.hidden = false;
          problem.textContent = t("signin.bad");
          return;
        }
        dialog.close();
        dialog.remove();
        rerender();
      } }, t("signin.go")),
      h("button", { type: "button", onclick: () => { dialog.close(); dialog.remove(); } }, t("signin.cancel")),
    ),
  );
  document.body.append(dialog);
  dialog.showModal();
  key.focus();
}

async function signOut() {
  setCredentials(null);
  await whoAmI();
  rerender();
}

async function whoAmI() {
  const data = await gql(WHO);
  state.role = data.viewer.role;
  loadVocabulary(data.vocabulary);
}

async function rerender() {
  const { page, params } = route();
  renderNav(page);
  renderSession();
  const view = document.getElementById("view");
  const el = h("div", null, h("p", { class: "muted" }, t("loading")));
  view.replaceChildren(el);
  const ctx = { params, go, role: state.role, span: state.span, rerender };
  const shown = location.hash;
  try {
    const content = await patiently(() => PAGES[page].render(ctx), (n, s) => {
      if (location.hash === shown) el.replaceChildren(preparing(n, s));
    });
    if (location.hash === shown) el.replaceChildren(content);
  } catch (err) {
    el.replaceChildren(h("p", { class: "error", role: "alert" }, `${t("error")}: ${err.message}`));
  }
}

/** What a page shows while the service is still working out its analyses. */
function preparing(attempt, seconds) {
  return h("p", { class: "muted", role: "status", id: "preparing" }, t("preparing", { attempt, seconds }));
}

// the rules a role may ask for differ (a researcher is not given P8 or O4): read again at sign-in
const VOCABULARY = `vocabulary {
    nodeKinds { code zh en } linkKinds { code zh en } choices { code zh en }
    severities { code zh en } rules { id titleZh titleEn source national }
    choiceSets { owner codes }
  }`;
const WHO = `{ viewer { role } ${VOCABULARY} }`;
const START = `{ viewer { role } dataSpan { first last } ${VOCABULARY} }`;

async function start() {
  setLang(lang());
  const view = document.getElementById("view");
  const ask = () => patiently(() => gql(START), (n, s) => view.replaceChildren(preparing(n, s)));
  const data = await ask().catch((err) => {
    // stored credentials that no longer work: fall back to the public role
    if (!err.codes?.includes("UNAUTHENTICATED") && !err.codes?.includes("HTTP_401")) throw err;
    setCredentials(null);
    return ask();
  });
  state.role = data.viewer.role;
  state.span = data.dataSpan;
  loadVocabulary(data.vocabulary);
  window.addEventListener("hashchange", rerender);
  await rerender();
  document.body.dataset.ready = "1";
}

start().catch((err) => {
  document.getElementById("view").replaceChildren(h("p", { class: "error", role: "alert" }, `${t("error")}: ${err.message}`));
});
