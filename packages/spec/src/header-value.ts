// RFC 9110 §5.5: field-value = *field-content, built from VCHAR (0x21-0x7E), obs-text (0x80-0xFF),
// SP and HTAB. Anything else (NUL, CR, LF, other controls, characters beyond Latin-1) cannot be
// sent, so Node and undici refuse every request that carries it.
const BAD_FIELD_VALUE_CHAR = /[^\t\x20-\x7E\x80-\xFF]/u;

/** Names a character for a message: `U+000A (line feed)`. */
function describeChar(char: string): string {
  const code = char.codePointAt(0) ?? 0;
  const hex = `U+${code.toString(16).toUpperCase().padStart(4, "0")}`;
  const names: Record<number, string> = {
    0: "NUL",
    10: "line feed",
    13: "carriage return",
    127: "DEL",
  };
  const name = names[code] ?? (code < 0x20 ? "a control character" : JSON.stringify(char));
  return `${hex} (${name})`;
}

/**
 * Explains why `value` cannot be an HTTP header value (RFC 9110 field-value: visible ASCII,
 * Latin-1, spaces and tabs), or returns undefined when it can.
 */
export function explainBadHeaderValue(value: string): string | undefined {
  const match = BAD_FIELD_VALUE_CHAR.exec(value);
  if (!match) return undefined;
  return `header values may hold only visible ASCII, Latin-1, spaces and tabs (RFC 9110); found ${describeChar(match[0])} at character ${match.index + 1}`;
}
