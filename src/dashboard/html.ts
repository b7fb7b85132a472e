/**
 * HTML built by one tagged template that escapes every interpolated value, so a queue name, metadata or a payload
 * preview can never become markup. Only values that are themselves `Html` (made by this template) pass through.
 */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

export type Part = Html | string | number | boolean | undefined | null | readonly Part[];

function render(part: Part): string {
  if (part === undefined || part === null || part === false || part === true) return '';
  if (part instanceof Html) return part.text;
  if (Array.isArray(part)) return (part as readonly Part[]).map(render).join('');
  return escapeHtml(String(part));
}

export function html(strings: TemplateStringsArray, ...values: Part[]): Html {
  let out = strings[0] ?? '';
  values.forEach((value, i) => {
    out += render(value) + (strings[i + 1] ?? '');
  });
  return new Html(out);
}

/** A path segment: queue names and task ids may hold characters that mean something in a URL. */
export function seg(value: string): string {
  return encodeURIComponent(value);
}

/** A URL with query parameters; empty values are left out. */
export function href(path: string, query: Record<string, string | number | undefined> = {}): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined && value !== '') params.set(key, String(value));
  const text = params.toString();
  return text === '' ? path : `${path}?${text}`;
}

export function ago(ms: number | undefined, now = Date.now()): string {
  return ms === undefined ? '—' : `${duration(now - ms)} ago`;
}

export function duration(ms: number | undefined): string {
  if (ms === undefined) return '—';
  const abs = Math.abs(ms);
  const sign = ms < 0 ? '-' : '';
  if (abs < 1_000) return `${sign}${Math.round(abs)}ms`;
  if (abs < 60_000) return `${sign}${(abs / 1_000).toFixed(1)}s`;
  if (abs < 3_600_000) return `${sign}${Math.floor(abs / 60_000)}m${Math.floor((abs % 60_000) / 1_000)}s`;
  if (abs < 86_400_000) return `${sign}${Math.floor(abs / 3_600_000)}h${Math.floor((abs % 3_600_000) / 60_000)}m`;
  return `${sign}${Math.floor(abs / 86_400_000)}d${Math.floor((abs % 86_400_000) / 3_600_000)}h`;
}

export function time(ms: number | undefined): Html {
  if (ms === undefined) return html`—`;
  const iso = new Date(ms).toISOString();
  return html`<time datetime="${iso}" title="${iso}">${iso.replace('T', ' ').slice(0, 23)}</time>`;
}
