package io.flinkfleet.inspector;

import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.JsonNode;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.node.ArrayNode;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.BufferedReader;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * The SQL inspector: one JSON request per stdin line ({"id": n, "script": "..."}), one JSON answer
 * per stdout line, in order, for as long as stdin stays open. After start-up (and a warm-up, so the
 * first tenant does not pay for class loading) it prints {"ready": true}.
 *
 * An answer is {"id", "ok": true, "statements": [...], "tokensOnly": "the script without comments"} or {"id", "ok": false, "error": {"message",
 * "statement"?, "line"?}, "statements"?: [those before the one Flink refused]}.
 */
public final class Main {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_MESSAGE = 2000;
    private static final String WARM_UP =
            "CREATE TEMPORARY TABLE w (n INT) WITH ('connector' = 'datagen');\n"
                    + "CREATE TEMPORARY VIEW v AS SELECT n FROM w /*+ OPTIONS('rows-per-second' = '1') */;\n"
                    + "SELECT n FROM v WHERE n IN (SELECT n FROM w)";

    public static void main(String[] args) throws Exception {
        // Answers own stdout; anything a library prints (log4j's default console logger) goes to stderr.
        PrintStream answers = new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8);
        System.setOut(System.err);
        warmUp();
        answers.println("{\"ready\":true}");
        BufferedReader requests = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line = requests.readLine(); line != null; line = requests.readLine()) {
            if (line.isBlank()) continue;
            ObjectNode result;
            try {
                result = inspect(JSON.readTree(line));
            } catch (Exception e) {
                result = failure(null, "the inspector could not read the request: " + e.getMessage(), null, null);
            }
            answers.println(JSON.writeValueAsString(result));
        }
    }

    /** Loads and JIT-warms the planner's classes; its answer is only logged when it fails. */
    private static void warmUp() {
        ObjectNode answer = inspect(JSON.createObjectNode().put("script", WARM_UP));
        if (!answer.path("ok").asBoolean()) System.err.println("warm-up inspection failed: " + answer);
    }

    static ObjectNode inspect(JsonNode request) {
        JsonNode id = request.get("id");
        JsonNode script = request.get("script");
        if (script == null || !script.isTextual()) return failure(id, "the request has no \"script\" string", null, null);
        try {
            ScriptInspector.Inspection inspection = new ScriptInspector().inspect(script.asText());
            ObjectNode result = JSON.createObjectNode();
            if (id != null) result.set("id", id);
            result.put("ok", true);
            ArrayNode statements = result.putArray("statements");
            for (StatementReport report : inspection.statements()) statements.add(toJson(report));
            result.put("tokensOnly", inspection.tokensOnly());
            return result;
        } catch (ScriptInspector.StatementFailed e) {
            ObjectNode result = failure(id, messageOf(e.getCause()), e.index, e.line);
            ArrayNode before = result.putArray("statements");
            for (StatementReport report : e.before) before.add(toJson(report));
            return result;
        } catch (ScriptSplitter.Unsplittable e) {
            return failure(id, messageOf(e), null, e.line);
        } catch (Throwable e) {
            // Flink's lexer throws TokenMgrError and a deep query StackOverflowError: answers, not a
            // dead inspector. Only a JVM out of memory is left to end the process (the client restarts it).
            if (e instanceof VirtualMachineError && !(e instanceof StackOverflowError)) throw e;
            return failure(id, messageOf(e), null, null);
        }
    }

    private static ObjectNode toJson(StatementReport report) {
        ObjectNode node = JSON.createObjectNode();
        node.put("index", report.index).put("line", report.line).put("column", report.column).put("text", report.text);
        node.put("operation", report.operation);
        if (report.temporary != null) node.put("temporary", report.temporary);
        if (report.key != null) node.put("key", report.key);
        if (report.value != null) node.put("value", report.value);
        if (report.target != null) node.put("target", report.target);
        if (report.options != null) node.set("options", stringMap(report.options));
        if (report.functionLanguage != null) node.put("functionLanguage", report.functionLanguage);
        if (!report.functionResources.isEmpty()) report.functionResources.forEach(node.putArray("functionResources")::add);
        if (!report.children.isEmpty()) report.children.forEach(node.putArray("children")::add);
        ArrayNode tables = node.putArray("tables");
        for (TableUse use : report.tables) {
            ObjectNode table = tables.addObject().put("role", use.role()).put("table", use.table());
            if (use.connector() == null) table.putNull("connector");
            else table.put("connector", use.connector());
            table.set("options", stringMap(use.options()));
        }
        return node;
    }

    private static ObjectNode stringMap(Map<String, String> map) {
        ObjectNode node = JSON.createObjectNode();
        new java.util.TreeMap<>(map).forEach(node::put);
        return node;
    }

    private static ObjectNode failure(JsonNode id, String message, Integer statement, Integer line) {
        ObjectNode result = JSON.createObjectNode();
        if (id != null) result.set("id", id);
        result.put("ok", false);
        ObjectNode error = result.putObject("error").put("message", message);
        if (statement != null) error.put("statement", statement);
        if (line != null) error.put("line", line);
        return result;
    }

    /** Flink wraps the useful part ("Could not find any factory...", the parser's line and column) in causes. */
    static String messageOf(Throwable error) {
        Set<String> parts = new LinkedHashSet<>();
        for (Throwable t = error; t != null && parts.size() < 6; t = t.getCause()) {
            String message = t.getMessage() == null ? "" : t.getMessage().trim();
            if (!message.isEmpty() && parts.stream().noneMatch(p -> p.contains(message))) parts.add(message);
            if (t.getCause() == t) break;
        }
        String joined = parts.isEmpty() ? error.getClass().getName() : String.join("\nCaused by: ", parts);
        return joined.length() > MAX_MESSAGE ? joined.substring(0, MAX_MESSAGE) + "..." : joined;
    }
}
