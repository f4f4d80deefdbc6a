/**
 * The metric names a PromQL expression selects, read simply but correctly: an identifier that is
 * followed by a selector `{`, a range `[`, an operator, a parenthesis or the end, and is neither a
 * function (followed by `(`), a keyword or aggregation modifier, a label name inside `{...}` or the
 * argument list of `by`/`without`/`on`/`ignoring`/`group_left`/`group_right`, a string, a number or
 * a duration.
 */
const AGGREGATIONS = ['sum', 'min', 'max', 'avg', 'group', 'stddev', 'stdvar', 'count', 'count_values', 'bottomk', 'topk', 'quantile', 'limitk', 'limit_ratio'];
const KEYWORDS = new Set([...AGGREGATIONS, 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'offset', 'and', 'or', 'unless', 'atan2', 'inf', 'nan']);
const LABEL_LIST_KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right']);

/** Removes what cannot hold a metric name: strings, label matchers, ranges and subqueries. */
function stripNonNames(expr: string): string {
  return expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, ' ')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ');
}

export function promqlMetricNames(expr: string): Set<string> {
  const text = stripNonNames(expr);
  const names = new Set<string>();
  const identifier = /[a-zA-Z_:][a-zA-Z0-9_:]*/g;
  for (let match = identifier.exec(text); match; match = identifier.exec(text)) {
    const name = match[0];
    const before = text.slice(0, match.index);
    const after = text.slice(match.index + name.length);
    // A number's exponent or a duration's unit (1e3, 5m) is not a name.
    if (/[0-9.]$/.test(before)) continue;
    if (/^\s*\(/.test(after)) {
      // A function call, or the label list of by/without/on/...: skip the list itself.
      if (LABEL_LIST_KEYWORDS.has(name.toLowerCase())) identifier.lastIndex = match.index + name.length + after.indexOf(')') + 1;
      continue;
    }
    if (KEYWORDS.has(name.toLowerCase())) continue;
    names.add(name);
  }
  return names;
}
