package io.flinkfleet.inspector;

import java.util.Map;
import java.util.TreeMap;

/**
 * A table a statement creates, reads or writes, with its options as Flink will use them: after
 * `LIKE`, after dynamic-option hints, after a view is expanded. `connector` is null when Flink
 * gives the table no connector option (a table the inspector could not see into counts as that).
 */
record TableUse(String role, String table, String connector, Map<String, String> options) {

    static TableUse of(String role, String table, Map<String, String> options) {
        return new TableUse(role, table, options.get("connector"), new TreeMap<>(options));
    }

    /** A relation Flink reads through something other than a catalog table's connector. */
    static TableUse opaque(String role, String table) {
        return new TableUse(role, table, null, Map.of());
    }
}
