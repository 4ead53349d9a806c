// The anchor of bench/api_bench.py --anchor: the Neo4j GraphQL Library (v7) on Apollo Server,
// over the same Neo4j (and data) that govgraph serves. Environment: NEO4J_URI (bolt://...),
// PORT (default 4000), NEO4J_USER / NEO4J_PASSWORD (optional; the local Neo4j has no auth).
// Prints "ANCHOR READY <url>" once it listens. `node server.mjs --print-schema` prints the
// generated SDL and exits (no database needed).
import { readFileSync } from "node:fs";
import { ApolloServer } from "@apollo/server";
import { startStandaloneServer } from "@apollo/server/standalone";
import { Neo4jGraphQL } from "@neo4j/graphql";
import neo4j from "neo4j-driver";
import { printSchema } from "graphql";

// ANCHOR_LABELS=kind drops the shared Entity label from every type (MATCH (n:Compound) instead
// of MATCH (n:Compound:Entity)): label counts come from the count store, id lookups scan a label.
let typeDefs = readFileSync(new URL("./typedefs.graphql", import.meta.url), "utf8");
if (process.env.ANCHOR_LABELS === "kind") typeDefs = typeDefs.replaceAll(', "Entity"]', "]");
const uri = process.env.NEO4J_URI ?? "bolt://127.0.0.1:7687";
const auth = process.env.NEO4J_PASSWORD
  ? neo4j.auth.basic(process.env.NEO4J_USER ?? "neo4j", process.env.NEO4J_PASSWORD)
  : undefined;
const driver = neo4j.driver(uri, auth, { disableLosslessIntegers: true });

const neoSchema = new Neo4jGraphQL({ typeDefs, driver });
const schema = await neoSchema.getSchema();
if (process.argv.includes("--print-schema")) {
  process.stdout.write(printSchema(schema));
  await driver.close();
  process.exit(0);
}
await neoSchema.assertIndexesAndConstraints({ options: { create: false } }).catch(() => {});

const server = new ApolloServer({ schema, introspection: true });
const { url } = await startStandaloneServer(server, {
  listen: { host: "127.0.0.1", port: Number(process.env.PORT ?? 4000) },
  context: async () => ({}),
});
console.log(`ANCHOR READY ${url}`);

for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, async () => {
    setTimeout(() => process.exit(0), 2000).unref(); // do not hang on a database that is gone
    await server.stop();
    await driver.close();
    process.exit(0);
  });
}
