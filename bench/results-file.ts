import { existsSync, readFileSync, writeFileSync } from 'node:fs';

/**
 * bench/RESULTS.md holds one section per benchmark, each between its own markers, so that each
 * benchmark rewrites its figures and leaves the others' alone.
 */
const open = (name: string): string => `<!-- bench:${name} -->`;
const close = (name: string): string => `<!-- /bench:${name} -->`;

/** Pure: `document` with the section `name` replaced by `markdown`, or appended when it has none. */
export function withSection(document: string, name: string, markdown: string): string {
  const block = `${open(name)}\n${markdown.trimEnd()}\n${close(name)}`;
  const start = document.indexOf(open(name));
  const end = document.indexOf(close(name));
  if (start === -1 || end === -1 || end < start) return `${document.trimEnd()}${document.trim() ? '\n\n' : ''}${block}\n`;
  return `${document.slice(0, start)}${block}${document.slice(end + close(name).length)}`;
}

export function writeSection(file: string, name: string, markdown: string): void {
  writeFileSync(file, withSection(existsSync(file) ? readFileSync(file, 'utf8') : '', name, markdown));
}
