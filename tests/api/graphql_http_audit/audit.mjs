// The GraphQL-over-HTTP server audit (graphql-http's auditServer, the reference suite of the
// spec) against a running server: `node audit.mjs http://127.0.0.1:8000/graphql`.
// Prints one JSON object on stdout: counts per status and every audit's id, name, status, and
// for a failed one the reason and the response's status and content type. Exits 0 when the
// audit ran (tests/api/test_graphql_http_audit.py judges the result), 2 when it could not.
import { auditServer } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: node audit.mjs <url of the GraphQL endpoint>');
  process.exit(2);
}

try {
  const results = await auditServer({ url });
  const counts = { ok: 0, notice: 0, warn: 0, error: 0 };
  const audits = results.map((result) => {
    counts[result.status] += 1;
    const item = { id: result.id, name: result.name, status: result.status };
    if (result.status !== 'ok') {
      item.reason = result.reason;
      item.responseStatus = result.response.status;
      item.responseContentType = result.response.headers.get('content-type');
    }
    return item;
  });
  console.log(JSON.stringify({ url, counts, audits }, null, 2));
} catch (error) {
  console.error(`the audit could not run against ${url}: ${error?.stack ?? error}`);
  process.exit(2);
}
