package io.flinkfleet.inspector;

import org.apache.calcite.sql.SqlNodeList;
import org.apache.calcite.sql.parser.SqlAbstractParserImpl;
import org.apache.calcite.sql.parser.SqlParser;
import org.apache.flink.sql.parser.impl.FlinkSqlParserImpl;
import org.apache.flink.sql.parser.impl.FlinkSqlParserImplConstants;
import org.apache.flink.sql.parser.impl.Token;
import org.apache.flink.table.planner.parse.CalciteParser;

import java.io.StringReader;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits a script into statements the way Flink reads it, classifying no character itself: Flink's
 * own lexer (FlinkSqlParserImpl's token manager, in the session's lexical state) turns the script
 * into tokens, so comments of every syntax, hints and every string-literal form are whatever Flink
 * says they are; a statement is the tokens up to a `;` token, extended to the next one while Flink's
 * parser cannot read it as one statement (as Flink's SqlDriver does for `EXECUTE STATEMENT SET
 * BEGIN ...; ...; END`). The pieces must then add up to exactly what Flink's parser reads in the
 * whole script, statement by statement. What is inspected and what later runs are these pieces.
 *
 * Calcite's own node positions are no help here: SHOW TABLES starts at TABLES, a CREATE VIEW ends
 * after CREATE.
 */
final class ScriptSplitter {

    /** One statement: its 1-based line and column, and its text from its first token to its `;`. */
    record Piece(int line, int column, String text) {}

    /**
     * The statements, and the whole script rebuilt from Flink's tokens alone: no comment left, each
     * token on the line it was on. Flink's SqlDriver splits a pipeline's script with a character
     * scanner of its own, which reads some comments differently from Flink's lexer (it closes a
     * comment at the `/` of `/*&#47;`); without comments, the two agree on where statements end.
     */
    record Split(List<Piece> pieces, String tokensOnly) {}

    static final class Unsplittable extends RuntimeException {
        final int line;

        Unsplittable(String message, int line, Throwable cause) {
            super(message, cause);
            this.line = line;
        }
    }

    private final SqlParser.Config config;
    private final CalciteParser parser;

    ScriptSplitter(SqlParser.Config config, CalciteParser parser) {
        this.config = config;
        this.parser = parser;
    }

    Split split(String script) {
        LineIndex lines = new LineIndex(script);
        List<Token> tokens = tokens(script);
        List<Piece> pieces = new ArrayList<>();
        int first = 0;
        while (first < tokens.size()) {
            Token start = tokens.get(first);
            int from = lines.offset(start.beginLine, start.beginColumn);
            Exception firstFailure = null;
            int last = nextSemicolon(tokens, first);
            for (;;) {
                Token end = tokens.get(last);
                String text = script.substring(from, lines.offset(end.endLine, end.endColumn) + 1);
                Exception failure = oneStatement(text);
                if (failure == null) {
                    pieces.add(new Piece(start.beginLine, start.beginColumn, text));
                    break;
                }
                if (firstFailure == null) firstFailure = failure;
                if (last == tokens.size() - 1) {
                    throw new Unsplittable("statement " + (pieces.size() + 1) + ": " + firstFailure.getMessage(), start.beginLine, firstFailure);
                }
                last = nextSemicolon(tokens, last + 1);
            }
            first = last + 1;
        }
        requireSameAsWholeScript(script, pieces);
        return new Split(pieces, tokensOnly(script, lines, tokens));
    }

    private static String tokensOnly(String script, LineIndex lines, List<Token> tokens) {
        StringBuilder text = new StringBuilder();
        int line = 1;
        for (Token token : tokens) {
            if (text.length() > 0) text.append(token.beginLine > line ? "" : " ");
            for (; line < token.beginLine; line++) text.append('\n');
            text.append(script, lines.offset(token.beginLine, token.beginColumn), lines.offset(token.endLine, token.endColumn) + 1);
            line = token.endLine;
        }
        return text.toString();
    }

    /** Null when Flink's parser reads the text as exactly one statement; else why not. */
    private Exception oneStatement(String text) {
        try {
            SqlNodeList nodes = parser.parseSqlList(text);
            return nodes.size() == 1 ? null : new IllegalStateException("Flink's parser read " + nodes.size() + " statements in one piece");
        } catch (Exception e) {
            return e;
        }
    }

    private static int nextSemicolon(List<Token> tokens, int from) {
        for (int i = from; i < tokens.size(); i++) {
            if (tokens.get(i).kind == FlinkSqlParserImplConstants.SEMICOLON) return i;
        }
        return tokens.size() - 1;
    }

    /** Flink's lexer, set up as SqlParser#create sets it up; comments never become tokens. */
    private List<Token> tokens(String script) {
        SqlAbstractParserImpl lexer = config.parserFactory().getParser(new StringReader(script));
        lexer.setTabSize(1);
        lexer.setQuotedCasing(config.quotedCasing());
        lexer.setUnquotedCasing(config.unquotedCasing());
        lexer.setIdentifierMaxLength(config.identifierMaxLength());
        lexer.setConformance(config.conformance());
        lexer.switchTo(SqlAbstractParserImpl.LexicalState.forConfig(config));
        FlinkSqlParserImpl flinkLexer = (FlinkSqlParserImpl) lexer;
        List<Token> tokens = new ArrayList<>();
        for (Token token = flinkLexer.getNextToken(); token.kind != FlinkSqlParserImplConstants.EOF; token = flinkLexer.getNextToken()) {
            tokens.add(token);
        }
        return tokens;
    }

    /** The pieces, one by one, are the statements Flink's parser reads in the whole script, in order. */
    private void requireSameAsWholeScript(String script, List<Piece> pieces) {
        SqlNodeList whole = parser.parseSqlList(script);
        if (whole.size() != pieces.size()) {
            throw new Unsplittable("Flink's parser reads " + whole.size() + " statements in the script, not " + pieces.size(), 1, null);
        }
        for (int i = 0; i < pieces.size(); i++) {
            if (!parser.parseSqlList(pieces.get(i).text()).get(0).toString().equals(whole.get(i).toString())) {
                throw new Unsplittable("statement " + (i + 1) + " reads differently on its own than in the script", pieces.get(i).line(), null);
            }
        }
    }

    /** Maps the lexer's 1-based line and column (tab = 1 column, as set above) to an offset. */
    static final class LineIndex {
        private final List<Integer> lineStarts = new ArrayList<>();

        LineIndex(String text) {
            lineStarts.add(0);
            for (int i = 0; i < text.length(); i++) {
                char c = text.charAt(i);
                // JavaCC counts \r\n as one line break, and a lone \r or \n as one too.
                if (c == '\r' && i + 1 < text.length() && text.charAt(i + 1) == '\n') {
                    i++;
                    lineStarts.add(i + 1);
                } else if (c == '\n' || c == '\r') {
                    lineStarts.add(i + 1);
                }
            }
        }

        int offset(int line, int column) {
            if (line < 1 || line > lineStarts.size() || column < 1) {
                throw new Unsplittable("position line " + line + ", column " + column + " is outside the script", line, null);
            }
            return lineStarts.get(line - 1) + column - 1;
        }
    }
}
