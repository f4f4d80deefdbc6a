import { z } from 'zod';

/**
 * What the SQL inspector (activities/sql-inspector) answers about a script: Flink's own reading of it,
 * statement by statement. The schema validates the JVM's answer at the edge; the policies
 * (workflows/preview/policy.ts, workflows/pipeline/sql-policy.ts) judge the typed result.
 */
const tableUseSchema = z.object({
  /** `created` by a CREATE TABLE, read as a `source` by a query, written as a `sink`. */
  role: z.enum(['created', 'source', 'sink']),
  table: z.string(),
  /** Null when Flink gives the table no connector, or the inspector could not see into a relation. */
  connector: z.string().nullable(),
  /** Every option as Flink will use it: after LIKE, OPTIONS hints and view expansion. */
  options: z.record(z.string(), z.string()),
});

const statementSchema = z.object({
  index: z.number().int().min(1),
  line: z.number().int().min(1),
  column: z.number().int().min(1),
  /** The statement as Flink delimited it, from its first token to its `;`: what runs, if it may. */
  text: z.string(),
  /** The simple name of Flink's Operation class, e.g. CreateTableOperation, PlannerQueryOperation. */
  operation: z.string(),
  temporary: z.boolean().optional(),
  key: z.string().optional(),
  value: z.string().optional(),
  target: z.string().optional(),
  options: z.record(z.string(), z.string()).optional(),
  functionLanguage: z.string().optional(),
  functionResources: z.array(z.string()).optional(),
  children: z.array(z.string()).optional(),
  tables: z.array(tableUseSchema),
});

export const sqlInspectionSchema = z.discriminatedUnion('ok', [
  z.object({
    id: z.number().optional(), ok: z.literal(true), statements: z.array(statementSchema),
    /**
     * The script rebuilt from Flink's tokens alone, each on its line: no comments. What a pipeline
     * runs, because Flink's SqlDriver finds statement ends with a character scanner of its own that
     * reads some comments differently from Flink's lexer (`/*&#47;` closes a comment for it).
     */
    tokensOnly: z.string(),
  }),
  z.object({
    id: z.number().optional(), ok: z.literal(false),
    error: z.object({ message: z.string(), statement: z.number().int().optional(), line: z.number().int().optional() }),
    /** The statements Flink read before the one it refused. */
    statements: z.array(statementSchema).default([]),
  }),
]);

export type SqlInspection = z.output<typeof sqlInspectionSchema>;
export type InspectedStatement = z.output<typeof statementSchema>;
export type TableUse = z.output<typeof tableUseSchema>;

const SNIPPET_LENGTH = 60;

/** How a refusal names a statement: its number, its line and the start of its text. */
export function describeStatement(statement: Pick<InspectedStatement, 'index' | 'line' | 'text'>): string {
  const oneLine = statement.text.replace(/\s+/g, ' ').trim();
  const snippet = oneLine.length > SNIPPET_LENGTH ? `${oneLine.slice(0, SNIPPET_LENGTH - 1)}…` : oneLine;
  return `statement ${statement.index} (line ${statement.line}: ${snippet})`;
}

/** Flink could not read the script: its own message, located where Flink located it. */
export function describeInspectionError(error: Extract<SqlInspection, { ok: false }>['error']): string {
  const where = [error.statement !== undefined ? `statement ${error.statement}` : undefined, error.line !== undefined ? `line ${error.line}` : undefined]
    .filter(Boolean).join(', ');
  return `Flink cannot run the script${where ? ` (${where})` : ''}: ${error.message}`;
}
