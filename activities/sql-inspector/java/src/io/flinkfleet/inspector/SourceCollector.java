package io.flinkfleet.inspector;

import org.apache.calcite.rel.RelNode;
import org.apache.calcite.rel.core.TableScan;
import org.apache.calcite.rex.RexShuttle;
import org.apache.calcite.rex.RexSubQuery;
import org.apache.flink.table.catalog.ContextResolvedTable;
import org.apache.flink.table.planner.plan.schema.TableSourceTable;

import java.util.ArrayList;
import java.util.List;

/**
 * Every table a converted query reads. A scan's TableSourceTable is what CatalogSourceTable#toRel
 * built, so its options already include the scan's OPTIONS hint and whatever `LIKE` merged in, and
 * a view is already expanded into the scans of its own query. Sub-queries stay as RexSubQuery in
 * Flink's conversion, so expressions are searched too. A scan of anything else is reported as
 * opaque (no connector), which every policy refuses: the walk fails closed.
 */
final class SourceCollector {

    private final List<TableUse> sources = new ArrayList<>();

    static List<TableUse> sourcesOf(RelNode root) {
        SourceCollector collector = new SourceCollector();
        collector.visit(root);
        return collector.sources;
    }

    private void visit(RelNode node) {
        if (node instanceof TableScan) {
            TableScan scan = (TableScan) node;
            TableSourceTable table = scan.getTable().unwrap(TableSourceTable.class);
            String name = String.join(".", scan.getTable().getQualifiedName());
            if (table == null) {
                sources.add(TableUse.opaque("source", name));
            } else {
                ContextResolvedTable resolved = table.contextResolvedTable();
                sources.add(TableUse.of("source", resolved.getIdentifier().asSummaryString(), resolved.getResolvedTable().getOptions()));
            }
        }
        node.accept(new RexShuttle() {
            @Override
            public org.apache.calcite.rex.RexNode visitSubQuery(RexSubQuery subQuery) {
                visit(subQuery.rel);
                return super.visitSubQuery(subQuery);
            }
        });
        for (RelNode input : node.getInputs()) visit(input);
    }
}
