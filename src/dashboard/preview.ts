/** How much of a payload or result a page shows; the rest is counted, never sent. */
export const PREVIEW_CHARS = 4_096;
export const PREVIEW_HEX_BYTES = 512;
/** Larger values are shown as text rather than parsed as JSON: the page stays fast whatever a task carries. */
const JSON_PARSE_MAX = 256 * 1024;

export interface Preview {
  kind: 'empty' | 'json' | 'text' | 'hex';
  text: string;
  /** Bytes in the value. */
  size: number;
  truncated: boolean;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * A value as a person can read it: JSON pretty-printed, UTF-8 text, or else a hex dump. Truncated by characters
 * (never inside a UTF-8 sequence, since the whole value is decoded first) or, for hex, by bytes. Escaping is left
 * to the HTML template, like everything else.
 */
export function preview(value: Buffer | undefined): Preview {
  const size = value?.length ?? 0;
  if (value === undefined || size === 0) return { kind: 'empty', text: '', size: 0, truncated: false };
  let text: string | undefined;
  try {
    text = utf8.decode(value);
  } catch {
    text = undefined;
  }
  // Text with control characters other than whitespace is binary that happens to decode.
  // eslint-disable-next-line no-control-regex
  if (text !== undefined && !/[\u0000-\u0008\u000e-\u001f\u007f]/.test(text)) {
    let kind: Preview['kind'] = 'text';
    if (size <= JSON_PARSE_MAX && /^\s*[[{"\d\-tfn]/.test(text)) {
      try {
        text = JSON.stringify(JSON.parse(text) as unknown, null, 2);
        kind = 'json';
      } catch {
        // Not JSON: shown as the text it is.
      }
    }
    const chars = Array.from(text.slice(0, PREVIEW_CHARS * 2)).slice(0, PREVIEW_CHARS);
    const cut = chars.join('');
    return { kind, text: cut, size, truncated: cut.length < text.length };
  }
  const shown = value.subarray(0, PREVIEW_HEX_BYTES);
  const lines: string[] = [];
  for (let offset = 0; offset < shown.length; offset += 16) {
    const row = shown.subarray(offset, offset + 16);
    const hex = [...row].map((b) => b.toString(16).padStart(2, '0')).join(' ');
    const ascii = [...row].map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
    lines.push(`${offset.toString(16).padStart(8, '0')}  ${hex.padEnd(47)}  ${ascii}`);
  }
  return { kind: 'hex', text: lines.join('\n'), size, truncated: size > PREVIEW_HEX_BYTES };
}
