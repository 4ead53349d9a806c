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
