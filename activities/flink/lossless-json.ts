/**
 * JSON.parse, except that an integer literal a double cannot hold exactly (beyond ±2^53 - 1) comes
 * back as a string of its exact digits. Flink's SQL Gateway writes BIGINT values as bare JSON numbers,
 * and JSON.parse would round 9007199254740993 to ...992 without a word; Node 20 has no reviver access
 * to the source text, so the few such literals are quoted in the text before JSON.parse reads it.
 * Fractions and exponents stay doubles: a DOUBLE column is a double already.
 */
const NUMBER = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;

function quoteUnsafeIntegers(text: string): string {
  let out = '';
  let copiedUpTo = 0;
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (c === '"') {
      // Skip the string, escapes included: digits inside it are text, not numbers.
      i += 1;
      while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
      i += 1;
    } else if (c === '-' || (c >= '0' && c <= '9')) {
      NUMBER.lastIndex = i;
      const match = NUMBER.exec(text);
      // Not a number JSON allows: leave it for JSON.parse to refuse.
      if (!match) return text;
      const literal = match[0];
      if (match[1] === undefined && match[2] === undefined && !Number.isSafeInteger(Number(literal))) {
        out += `${text.slice(copiedUpTo, i)}"${literal}"`;
        copiedUpTo = i + literal.length;
      }
      i += literal.length;
    } else {
      i += 1;
    }
  }
  return out + text.slice(copiedUpTo);
}

export function parseJsonLossless(text: string): unknown {
  return JSON.parse(quoteUnsafeIntegers(text));
}
