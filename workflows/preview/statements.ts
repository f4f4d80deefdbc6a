/**
 * Splits a SQL script into statements and decides whether a preview may run it. Pure and
 * deterministic: it runs at the client and again at the workflow's start, before anything is claimed.
 *
 * Only what the splitter sees outside string literals, quoted identifiers and comments counts, so a
 * `;` or a keyword inside `'...'`, `"..."`, `` `...` ``, `-- ...` or `/* ... *\/` neither ends a
 * statement nor makes it look like another kind.
 */
export interface SqlStatement {
  /** 1-based position in the script, as a person counts them. */
  readonly index: number;
  /** 1-based line of the statement's first character. */
  readonly line: number;
  /** The statement as written, without the `;` and the surrounding blanks. */
  readonly text: string;
  /** `text` with literals, quoted identifiers and comments blanked out (same length): for classifying. */
  readonly skeleton: string;
}

type Mode = 'code' | 'single' | 'double' | 'backtick' | 'line-comment' | 'block-comment';

const CLOSERS: Partial<Record<Mode, string>> = { single: "'", double: '"', backtick: '`' };

/** The mode a character opens, if it opens one in code. */
function opening(char: string, next: string | undefined): Mode | undefined {
  if (char === "'") return 'single';
  if (char === '"') return 'double';
  if (char === '`') return 'backtick';
  if (char === '-' && next === '-') return 'line-comment';
  if (char === '/' && next === '*') return 'block-comment';
  return undefined;
}

class Splitter {
  readonly statements: SqlStatement[] = [];
  private text = '';
  private skeleton = '';
  private startLine = 1;
  private line = 1;

  push(char: string, masked: boolean): void {
    if (this.text.trim() === '' && /\s/.test(char) && !masked) {
      if (char === '\n') this.line += 1;
      return;
    }
    if (this.text === '') this.startLine = this.line;
    this.text += char;
    this.skeleton += masked && char !== '\n' ? ' ' : char;
    if (char === '\n') this.line += 1;
  }

  end(): void {
    const leading = this.text.length - this.text.trimStart().length;
    const text = this.text.trim();
    const skeleton = this.skeleton.slice(leading, leading + text.length);
    // A statement of comments only is nothing to run.
    if (skeleton.trim() !== '') {
      this.statements.push({ index: this.statements.length + 1, line: this.startLine, text, skeleton });
    }
    this.text = '';
    this.skeleton = '';
  }
}

export class UnterminatedSql extends Error {
  override readonly name = 'UnterminatedSql';
}

/** Splits at `;` outside literals and comments. Throws UnterminatedSql for an open quote or comment. */
export function splitStatements(script: string): SqlStatement[] {
  const out = new Splitter();
  let mode: Mode = 'code';
  for (let i = 0; i < script.length; i++) {
    const char = script[i] as string;
    const next = script[i + 1];
    if (mode === 'code') {
      if (char === ';') {
        out.end();
        continue;
      }
      mode = opening(char, next) ?? 'code';
      out.push(char, mode !== 'code');
      continue;
    }
    out.push(char, true);
    const closer = CLOSERS[mode];
    if (closer !== undefined && char === closer) {
      // SQL escapes a quote by doubling it: '' inside '...' stays inside.
      if (next === closer) {
        out.push(next, true);
        i += 1;
      } else {
        mode = 'code';
      }
    } else if (mode === 'line-comment' && char === '\n') {
      mode = 'code';
    } else if (mode === 'block-comment' && char === '*' && next === '/') {
      out.push('/', true);
      i += 1;
      mode = 'code';
    }
  }
  if (mode !== 'code' && mode !== 'line-comment') throw new UnterminatedSql(`the script ends inside ${OPEN_DESCRIPTIONS[mode]}`);
  out.end();
  return out.statements;
}

const OPEN_DESCRIPTIONS: Record<Exclude<Mode, 'code' | 'line-comment'>, string> = {
  single: "a '...' string", double: 'a "..." identifier', backtick: 'a `...` identifier', 'block-comment': 'a /* comment',
};
