// The console's only way to data: POST /graphql on this origin, with the signed-in user's
// credentials. The server applies the role; the console never sees more than it returns.

const STORE_KEY = "govgraph.session";

/** @typedef {{kind: "key"|"jwt", value: string}} Credentials */

/** @returns {Credentials|null} */
export function credentials() {
  try {
    const raw = sessionStorage.getItem(STORE_KEY);
    return raw ? JSON.parse(raw) : null;
  } catch {
    return null;
  }
}

/** @param {Credentials|null} creds */
export function setCredentials(creds) {
  if (creds) sessionStorage.setItem(STORE_KEY, JSON.stringify(creds));
  else sessionStorage.removeItem(STORE_KEY);
}

export class GraphQLFailure extends Error {
  /** @param {string} message @param {string[]} codes */
  constructor(message, codes) {
    super(message);
    this.codes = codes;
  }
}

function headers() {
  const h = { "content-type": "application/json", accept: "application/json" };
  const c = credentials();
  if (c?.kind === "key") h["x-api-key"] = c.value;
  if (c?.kind === "jwt") h.authorization = `Bearer ${c.value}`;
  return h;
}

/**
 * Run one GraphQL document; resolves to `data`, rejects with every error's message and code.
 * @param {string} query @param {Record<string, unknown>} [variables]
 */
export async function gql(query, variables = {}) {
  let response;
  try {
    response = await fetch("/graphql", {
      method: "POST",
      headers: headers(),
      body: JSON.stringify({ query, variables }),
    });
  } catch (err) {
    throw new GraphQLFailure(`network: ${err}`, ["NETWORK"]);
  }
  let body;
  try {
    body = await response.json();
  } catch {
    throw new GraphQLFailure(`HTTP ${response.status}`, [`HTTP_${response.status}`]);
  }
  if (body.errors?.length) {
    const codes = body.errors.map((e) => e.extensions?.code ?? "ERROR");
    throw new GraphQLFailure(body.errors.map((e) => e.message).join("; "), codes);
  }
  if (!response.ok || body.data == null) {
    throw new GraphQLFailure(body.detail ?? `HTTP ${response.status}`, [`HTTP_${response.status}`]);
  }
  return body.data;
}

/** Codes that mean "not now": the service is still working out its analyses, or is busy. */
const BUSY = ["TIMEOUT", "STORE_BUSY", "TOO_MANY_REQUESTS", "HTTP_503"];

export const isBusy = (err) => err instanceof GraphQLFailure && err.codes.some((c) => BUSY.includes(c));

/**
 * `work()` again while the service answers "busy" (a cold start works out every analysis
 * once, which can outlast the request deadline), with `waiting(attempt, seconds)` called
 * before each pause so the page can say so; other errors go through at once.
 */
export async function patiently(work, waiting, { pause = 5, attempts = 60 } = {}) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (err) {
      if (!isBusy(err) || attempt >= attempts) throw err;
      waiting(attempt, pause);
      await new Promise((resolve) => setTimeout(resolve, pause * 1000));
    }
  }
}
