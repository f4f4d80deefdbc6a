package io.flinkfleet.inspector;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** What the inspector says about one statement; Main turns it into the answer's JSON. */
final class StatementReport {
    final int index;
    final int line;
    final int column;
    final String text;
    /** The simple name of Flink's Operation class: the statement's kind as the planner decided it. */
    String operation;
    Boolean temporary;
    /** SET and RESET: the key (null for a bare SET or RESET) and SET's value. */
    String key;
    String value;
    /** ADD JAR / REMOVE JAR path, CREATE CATALOG / LOAD MODULE name. */
    String target;
    Map<String, String> options;
    /** CREATE FUNCTION: its language and the resources (jars) it loads. */
    String functionLanguage;
    final List<String> functionResources = new ArrayList<>();
    final List<TableUse> tables = new ArrayList<>();
    /** Operations inside this one (a statement set's INSERTs, EXPLAIN's statement). */
    final List<String> children = new ArrayList<>();

    StatementReport(int index, int line, int column, String text) {
        this.index = index;
        this.line = line;
        this.column = column;
        this.text = text;
    }
}
