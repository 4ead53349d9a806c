/*
 * Minimal in-process Neo4j Community launcher for development and tests.
 *
 * ops/neo4j_local.py compiles this file once (javac, into a jar in the jar cache) and runs it;
 * it also runs as is in Java's source-launch mode, against the jars fetched by pom.xml:
 *
 *   java -Xmx1g -cp '<lib>/*' \
 *        --add-opens=java.base/java.nio=ALL-UNNAMED \
 *        --add-opens=java.base/sun.nio.ch=ALL-UNNAMED \
 *        --add-opens=java.base/java.io=ALL-UNNAMED \
 *        --add-opens=java.base/java.lang=ALL-UNNAMED \
 *        Launcher.java <home-dir> <bolt-port> [--watch-stdin | --warm-up] [key=value ...]
 *
 * <home-dir>     Neo4j home; databases go to <home-dir>/data, logs to <home-dir>/logs.
 * <bolt-port>    Bolt listens on 127.0.0.1:<bolt-port> (auth disabled, no TLS).
 * --watch-stdin  Also shut down when standard input is closed or a line "stop" is read
 *                (for a launcher that should die with its parent). Without it stdin is ignored,
 *                so a background server with stdin at /dev/null keeps running.
 * --warm-up      Run a small workload of every sort of statement the project sends (schema,
 *                writes, reads, full-text search, transaction listing), then shut down and exit
 *                with status 0. ops/neo4j_local.py runs this once with
 *                -XX:ArchiveClassesAtExit, so that the class archive it records holds the
 *                classes a server loads to answer queries, not only those it loads to start.
 * key=value      Any Neo4j setting, overriding the defaults below; unknown keys are an error,
 *                e.g. server.memory.pagecache.size=512m.
 *
 * Prints exactly one line "GOVGRAPH-NEO4J READY bolt://127.0.0.1:<port>" to stdout once the
 * default database is available. SIGTERM/SIGINT stop the DBMS cleanly via a shutdown hook,
 * after which "GOVGRAPH-NEO4J STOPPED" is printed. Start-up failures print
 * "GOVGRAPH-NEO4J FAILED <reason>" and exit with status 1 (status 2 for bad arguments).
 */

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.neo4j.configuration.Config;
import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.SettingImpl;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.graphdb.GraphDatabaseService;
import org.neo4j.graphdb.config.Setting;
import org.neo4j.logging.Level;
import org.neo4j.logging.log4j.Log4jLogProvider;

public final class Launcher {
    private static final String PREFIX = "GOVGRAPH-NEO4J";
    private static final long DB_AVAILABLE_TIMEOUT_MS = 300_000L;

    private Launcher() {}

    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            usage("expected <home-dir> <bolt-port>");
        }
        Path home = Path.of(args[0]).toAbsolutePath().normalize();
        int port;
        try {
            port = Integer.parseInt(args[1]);
        } catch (NumberFormatException e) {
            usage("bolt port is not a number: " + args[1]);
            return;
        }
        if (port < 1 || port > 65535) {
            usage("bolt port out of range: " + port);
        }

        String listen = "127.0.0.1:" + port;
        // Defaults suited to a small (2-core) development machine; key=value args override them.
        Map<String, String> raw = new LinkedHashMap<>();
        raw.put("server.bolt.enabled", "true");
        raw.put("server.bolt.listen_address", listen);
        raw.put("server.bolt.advertised_address", listen);
        raw.put("dbms.security.auth_enabled", "false");
        raw.put("server.memory.pagecache.size", "256m");
        raw.put("db.tx_log.preallocate", "false");
        raw.put("dbms.usage_report.enabled", "false");
        raw.put("db.logs.query.enabled", "OFF");
        raw.put("db.memory.pagecache.warmup.enable", "false");
        raw.put("server.bolt.thread_pool_min_size", "2");
        raw.put("server.bolt.thread_pool_max_size", "64");
        // Keep-alive NOOPs only while a result streams: with ALL (the default) the server hints
        // a receive timeout, and the Python driver then times every socket read (~25% of its
        // CPU a query); the service's own deadlines bound a request.
        raw.put("server.bolt.connection_keep_alive_for_requests", "STREAMING");
        // Bolt waits a netty "quiet period" (default 5 s, twice) on shutdown; not needed locally.
        raw.put("internal.dbms.bolt.netty_server_shutdown_quiet_period", "0");

        boolean watchStdin = false;
        boolean warmUp = false;
        for (int i = 2; i < args.length; i++) {
            String arg = args[i];
            if (arg.equals("--watch-stdin")) {
                watchStdin = true;
                continue;
            }
            if (arg.equals("--warm-up")) {
                warmUp = true;
                continue;
            }
            int eq = arg.indexOf('=');
            if (eq <= 0) {
                usage("expected key=value, got: " + arg);
            }
            raw.put(arg.substring(0, eq).trim(), arg.substring(eq + 1).trim());
        }

        Map<Setting<?>, Object> settings;
        try {
            settings = parseSettings(raw);
        } catch (IllegalArgumentException e) {
            fail("bad setting: " + e.getMessage(), null);
            return;
        }

        Files.createDirectories(home);
        Log4jLogProvider userLog = new Log4jLogProvider(System.err, Level.INFO);

        DatabaseManagementService dbms;
        try {
            dbms = new DatabaseManagementServiceBuilder(home)
                    .setConfig(settings)
                    .setUserLogProvider(userLog)
                    .build();
        } catch (Throwable t) {
            fail("could not start the DBMS: " + t, t);
            return;
        }

        CountDownLatch stopped = new CountDownLatch(1);
        AtomicBoolean shuttingDown = new AtomicBoolean(false);
        Runnable shutdown = () -> {
            if (!shuttingDown.compareAndSet(false, true)) {
                return;
            }
            try {
                dbms.shutdown();
                System.out.println(PREFIX + " STOPPED");
                System.out.flush();
            } catch (Throwable t) {
                System.err.println(PREFIX + " error during shutdown: " + t);
                t.printStackTrace(System.err);
            } finally {
                stopped.countDown();
            }
        };
        Thread hook = new Thread(shutdown, "govgraph-neo4j-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);

        String dbName = Config.defaults().get(GraphDatabaseSettings.initial_default_database);
        Object configured = settings.get(GraphDatabaseSettings.initial_default_database);
        if (configured instanceof String name) {
            dbName = name;
        }
        try {
            GraphDatabaseService db = dbms.database(dbName);
            if (!db.isAvailable(DB_AVAILABLE_TIMEOUT_MS)) {
                throw new IllegalStateException(
                        "database '" + dbName + "' not available after " + DB_AVAILABLE_TIMEOUT_MS + " ms");
            }
            if (warmUp) {
                warmUp(db);
            }
        } catch (Throwable t) {
            System.out.println(PREFIX + " FAILED " + oneLine(t.toString()));
            System.out.flush();
            t.printStackTrace(System.err);
            System.exit(1); // runs the shutdown hook
            return;
        }

        if (warmUp) {
            System.out.println(PREFIX + " WARMED UP");
            System.out.flush();
            System.exit(0); // runs the shutdown hook
        }
        System.out.println(PREFIX + " READY bolt://" + listen);
        System.out.flush();

        if (watchStdin) {
            Thread watcher = new Thread(() -> {
                try (BufferedReader in = new BufferedReader(
                        new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = in.readLine()) != null) {
                        if (line.trim().equalsIgnoreCase("stop")) {
                            break;
                        }
                    }
                } catch (Throwable ignored) {
                    // treat a broken stdin like a closed one
                }
                System.err.println(PREFIX + " stdin closed or 'stop' received; shutting down");
                System.exit(0); // runs the shutdown hook
            }, "govgraph-neo4j-stdin");
            watcher.setDaemon(true);
            watcher.start();
        }

        // Park the main thread until the shutdown hook has finished.
        while (!stopped.await(1, TimeUnit.HOURS)) {
            // keep waiting
        }
    }

    /** Statements of each sort the project sends, so that their classes are loaded (--warm-up). */
    private static void warmUp(GraphDatabaseService db) {
        String[] statements = {
            "CREATE CONSTRAINT warm_id IF NOT EXISTS FOR (n:Warm) REQUIRE n.id IS UNIQUE",
            "CREATE CONSTRAINT warm_link IF NOT EXISTS FOR ()-[r:WARM_TO]-() REQUIRE r.id IS UNIQUE",
            "CREATE INDEX warm_name IF NOT EXISTS FOR (n:Warm) ON (n.name)",
            "CREATE FULLTEXT INDEX warm_names IF NOT EXISTS FOR (n:Warm) ON EACH [n.name] "
                    + "OPTIONS {indexConfig: {`fulltext.analyzer`: 'cjk'}}",
            "CALL db.awaitIndexes(300)",
            "UNWIND range(0, 99) AS i MERGE (n:Warm {id: 'w' + i}) "
                    + "SET n += {name: '示例小区' + i, kind: 'Warm', size: i, at: date('2024-01-01')}",
            "UNWIND range(1, 99) AS i MATCH (a:Warm {id: 'w' + i}), (b:Warm {id: 'w' + (i / 10)}) "
                    + "MERGE (a)-[r:WARM_TO {id: a.id + '|' + b.id}]->(b) SET r.since = date('2024-01-01')",
            "MATCH (n:Warm) WHERE n.size >= $min AND n.name STARTS WITH $prefix "
                    + "OPTIONAL MATCH (n)-[r:WARM_TO]->(m) "
                    + "RETURN n.id AS id, n.size AS size, properties(n) AS props, labels(n) AS kinds, "
                    + "collect(m.id) AS to ORDER BY size DESC, id SKIP 1 LIMIT 20",
            "MATCH (n:Warm) WITH n.size % 3 AS bucket, count(*) AS c RETURN bucket, c ORDER BY bucket",
            "MATCH p = (a:Warm {id: 'w42'})-[:WARM_TO*1..3]-(b) RETURN count(DISTINCT b) AS reach",
            "CALL db.index.fulltext.queryNodes('warm_names', $q) YIELD node, score "
                    + "RETURN node.id AS id, score LIMIT 5",
            "SHOW TRANSACTIONS YIELD status, activeLockCount, currentQuery RETURN *",
            "SHOW INDEXES YIELD name, state RETURN *",
            "MATCH (n:Warm) DETACH DELETE n",
            "DROP INDEX warm_names IF EXISTS",
            "DROP INDEX warm_name IF EXISTS",
            "DROP CONSTRAINT warm_link IF EXISTS",
            "DROP CONSTRAINT warm_id IF EXISTS",
        };
        Map<String, Object> params = Map.of("min", 5L, "prefix", "示例", "q", "示例小区");
        for (String statement : statements) {
            db.executeTransactionally(statement, params, result -> {
                result.accept(row -> true);
                return null;
            });
        }
    }

    /** Resolves raw key=value strings against Neo4j's declared settings (strict, like neo4j.conf). */
    @SuppressWarnings("unchecked")
    private static Map<Setting<?>, Object> parseSettings(Map<String, String> raw) {
        Map<String, Setting<Object>> declared = Config.defaults().getDeclaredSettings();
        Map<Setting<?>, Object> result = new HashMap<>();
        for (Map.Entry<String, String> e : raw.entrySet()) {
            Setting<Object> setting = declared.get(e.getKey());
            if (setting == null) {
                throw new IllegalArgumentException("unknown Neo4j setting '" + e.getKey() + "'");
            }
            if (!(setting instanceof SettingImpl<?>)) {
                throw new IllegalArgumentException("cannot parse setting '" + e.getKey() + "'");
            }
            try {
                result.put(setting, ((SettingImpl<Object>) setting).parse(e.getValue()));
            } catch (RuntimeException ex) {
                throw new IllegalArgumentException(
                        e.getKey() + "=" + e.getValue() + ": " + ex.getMessage(), ex);
            }
        }
        return result;
    }

    private static String oneLine(String s) {
        return s.replace('\r', ' ').replace('\n', ' ');
    }

    private static void fail(String message, Throwable t) {
        System.out.println(PREFIX + " FAILED " + oneLine(message));
        System.out.flush();
        if (t != null) {
            t.printStackTrace(System.err);
        }
        System.exit(1);
    }

    private static void usage(String message) {
        System.err.println("error: " + message);
        System.err.println(
                "usage: java -cp '<lib>/*' Launcher.java <home-dir> <bolt-port> "
                        + "[--watch-stdin | --warm-up] [key=value ...]");
        System.out.println(PREFIX + " FAILED " + oneLine(message));
        System.out.flush();
        System.exit(2);
    }
}
