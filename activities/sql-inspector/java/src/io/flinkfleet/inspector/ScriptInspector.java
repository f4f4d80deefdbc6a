package io.flinkfleet.inspector;

import org.apache.flink.table.api.EnvironmentSettings;
import org.apache.flink.table.api.internal.TableEnvironmentImpl;
import org.apache.flink.table.catalog.CatalogFunction;
import org.apache.flink.table.operations.CreateTableASOperation;
import org.apache.flink.table.operations.ExplainOperation;
import org.apache.flink.table.operations.LoadModuleOperation;
import org.apache.flink.table.operations.ModifyOperation;
import org.apache.flink.table.operations.Operation;
import org.apache.flink.table.operations.QueryOperation;
import org.apache.flink.table.operations.SinkModifyOperation;
import org.apache.flink.table.operations.StatementSetOperation;
import org.apache.flink.table.operations.UseDatabaseOperation;
import org.apache.flink.table.operations.command.AddJarOperation;
import org.apache.flink.table.operations.command.RemoveJarOperation;
import org.apache.flink.table.operations.command.ResetOperation;
import org.apache.flink.table.operations.command.SetOperation;
import org.apache.flink.table.operations.ddl.AlterDatabaseOperation;
import org.apache.flink.table.operations.ddl.AlterTableOperation;
import org.apache.flink.table.operations.ddl.AlterViewOperation;
import org.apache.flink.table.operations.ddl.CreateCatalogFunctionOperation;
import org.apache.flink.table.operations.ddl.CreateCatalogOperation;
import org.apache.flink.table.operations.ddl.CreateDatabaseOperation;
import org.apache.flink.table.operations.ddl.CreateTableOperation;
import org.apache.flink.table.operations.ddl.CreateTempSystemFunctionOperation;
import org.apache.flink.table.operations.ddl.CreateViewOperation;
import org.apache.flink.table.operations.ddl.DropDatabaseOperation;
import org.apache.flink.table.operations.ddl.DropTableOperation;
import org.apache.flink.table.operations.ddl.DropViewOperation;
import org.apache.flink.table.planner.delegation.PlannerBase;
import org.apache.flink.table.planner.operations.PlannerQueryOperation;
import org.apache.flink.table.planner.parse.CalciteParser;
import org.apache.flink.table.resource.ResourceUri;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Inspects one script in a TableEnvironment of its own, which no other request ever sees: no
 * tenant's temporary tables outlive its request. Nothing is executed; only catalog changes (tables,
 * views, databases) and SET are applied to this environment so that later statements resolve as
 * they will on the cluster. Jars, functions, catalogs and modules are never applied: that would
 * load code or reach out from the worker.
 */
final class ScriptInspector {

    /** Flink refused a statement; the ones before it are reported too, so a policy can name them first. */
    static final class StatementFailed extends RuntimeException {
        final int index;
        final int line;
        final List<StatementReport> before;

        StatementFailed(int index, int line, List<StatementReport> before, Throwable cause) {
            super(cause);
            this.index = index;
            this.line = line;
            this.before = before;
        }
    }

    private final TableEnvironmentImpl env = TableEnvironmentImpl.create(EnvironmentSettings.inStreamingMode());

    /** The statements, and the script rebuilt from Flink's tokens alone (ScriptSplitter.Split). */
    record Inspection(List<StatementReport> statements, String tokensOnly) {}

    Inspection inspect(String script) {
        PlannerBase planner = (PlannerBase) env.getPlanner();
        ScriptSplitter.Split split = new ScriptSplitter(planner.plannerContext().createFrameworkConfig().getParserConfig(),
                planner.plannerContext().createCalciteParser()).split(script);
        List<ScriptSplitter.Piece> pieces = split.pieces();
        List<StatementReport> reports = new ArrayList<>();
        for (ScriptSplitter.Piece piece : pieces) {
            StatementReport report = new StatementReport(reports.size() + 1, piece.line(), piece.column(), piece.text());
            try {
                inspectStatement(report);
            } catch (Exception e) {
                throw new StatementFailed(report.index, report.line, reports, e);
            }
            reports.add(report);
        }
        return new Inspection(reports, split.tokensOnly());
    }

    private void inspectStatement(StatementReport report) {
        List<Operation> operations = env.getParser().parse(report.text);
        if (operations.size() != 1) {
            throw new IllegalStateException("Flink read " + operations.size() + " operations in one statement");
        }
        Operation operation = operations.get(0);
        report.operation = operation.getClass().getSimpleName();
        apply(operation);
        describe(operation, report);
    }

    private void describe(Operation operation, StatementReport report) {
        if (operation instanceof CreateTableOperation) {
            CreateTableOperation create = (CreateTableOperation) operation;
            report.temporary = create.isTemporary();
            report.tables.add(TableUse.of("created", create.getTableIdentifier().asSummaryString(), create.getCatalogTable().getOptions()));
        } else if (operation instanceof CreateViewOperation) {
            CreateViewOperation view = (CreateViewOperation) operation;
            report.temporary = view.isTemporary();
            // The view was applied above; reading it through the planner expands it as any later query will.
            addSources(env.getParser().parse("SELECT * FROM " + view.getViewIdentifier().asSerializableString()).get(0), report);
        } else if (operation instanceof SetOperation) {
            SetOperation set = (SetOperation) operation;
            report.key = set.getKey().orElse(null);
            report.value = set.getValue().orElse(null);
        } else if (operation instanceof ResetOperation) {
            report.key = ((ResetOperation) operation).getKey().orElse(null);
        } else if (operation instanceof StatementSetOperation) {
            for (ModifyOperation modify : ((StatementSetOperation) operation).getOperations()) {
                report.children.add(modify.getClass().getSimpleName());
                describeModify(modify, report);
            }
        } else if (operation instanceof ModifyOperation) {
            describeModify((ModifyOperation) operation, report);
        } else if (operation instanceof QueryOperation) {
            addSources(operation, report);
        } else if (operation instanceof ExplainOperation) {
            Operation child = ((ExplainOperation) operation).getChild();
            report.children.add(child.getClass().getSimpleName());
            describe(child, report);
        } else if (operation instanceof CreateCatalogFunctionOperation) {
            CreateCatalogFunctionOperation function = (CreateCatalogFunctionOperation) operation;
            report.temporary = function.isTemporary();
            describeFunction(function.getCatalogFunction(), report);
        } else if (operation instanceof CreateTempSystemFunctionOperation) {
            report.temporary = true;
            describeFunction(((CreateTempSystemFunctionOperation) operation).getCatalogFunction(), report);
        } else if (operation instanceof CreateCatalogOperation) {
            CreateCatalogOperation catalog = (CreateCatalogOperation) operation;
            report.target = catalog.getCatalogName();
            report.options = catalog.getProperties();
        } else if (operation instanceof LoadModuleOperation) {
            LoadModuleOperation module = (LoadModuleOperation) operation;
            report.target = module.getModuleName();
            report.options = module.getOptions();
        } else if (operation instanceof AddJarOperation) {
            report.target = ((AddJarOperation) operation).getPath();
        } else if (operation instanceof RemoveJarOperation) {
            report.target = ((RemoveJarOperation) operation).getPath();
        }
    }

    private void describeModify(ModifyOperation modify, StatementReport report) {
        if (modify instanceof SinkModifyOperation) {
            SinkModifyOperation sink = (SinkModifyOperation) modify;
            // An INSERT's OPTIONS hint is kept beside the table; Flink merges it over the table's options.
            Map<String, String> options = new HashMap<>(sink.getContextResolvedTable().getResolvedTable().getOptions());
            options.putAll(sink.getDynamicOptions());
            report.tables.add(TableUse.of("sink", sink.getContextResolvedTable().getIdentifier().asSummaryString(), options));
        } else if (modify instanceof CreateTableASOperation) {
            CreateTableOperation create = ((CreateTableASOperation) modify).getCreateTableOperation();
            report.temporary = create.isTemporary();
            report.tables.add(TableUse.of("sink", create.getTableIdentifier().asSummaryString(), create.getCatalogTable().getOptions()));
        } else {
            report.tables.add(TableUse.opaque("sink", modify.asSummaryString()));
        }
        addSources(modify.getChild(), report);
    }

    private static void addSources(Operation query, StatementReport report) {
        if (query instanceof PlannerQueryOperation) {
            report.tables.addAll(SourceCollector.sourcesOf(((PlannerQueryOperation) query).getCalciteTree()));
        } else {
            report.tables.add(TableUse.opaque("source", query.asSummaryString()));
        }
    }

    private static void describeFunction(CatalogFunction function, StatementReport report) {
        report.functionLanguage = function.getFunctionLanguage().name();
        for (ResourceUri resource : function.getFunctionResources()) {
            report.functionResources.add(resource.getResourceType() + " " + resource.getUri());
        }
    }

    /** Catalog changes and SET only: what later statements need to resolve, nothing that loads code. */
    private void apply(Operation operation) {
        if (operation instanceof CreateTableOperation || operation instanceof CreateViewOperation
                || operation instanceof DropTableOperation || operation instanceof DropViewOperation
                || operation instanceof AlterTableOperation || operation instanceof AlterViewOperation
                || operation instanceof CreateDatabaseOperation || operation instanceof DropDatabaseOperation
                || operation instanceof AlterDatabaseOperation || operation instanceof UseDatabaseOperation) {
            env.executeInternal(operation);
        } else if (operation instanceof CreateTableASOperation) {
            env.executeInternal(((CreateTableASOperation) operation).getCreateTableOperation());
        } else if (operation instanceof SetOperation) {
            SetOperation set = (SetOperation) operation;
            if (set.getKey().isPresent() && set.getValue().isPresent()) env.getConfig().set(set.getKey().get(), set.getValue().get());
        }
    }
}
