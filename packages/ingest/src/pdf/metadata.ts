import type { Metadata } from '@winnow/core';

/** What pdf-parse's `getInfo()` returns that is read here. */
export interface PdfInfo {
  info?: unknown;
  metadata?: { get(name: string): unknown } | null;
}

/** Parses a PDF date (`D:20071206080123-05'00'`) to ISO 8601; undefined when it is not one. */
export function pdfDate(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const m = /^(?:D:)?(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(Z|[+-]\d{2}'?\d{2}'?)?/.exec(value.trim());
  if (!m) return undefined;
  const [, year, month = '01', day = '01', hour = '00', minute = '00', second = '00', zone] = m;
  let offset = 'Z';
  if (zone && zone !== 'Z') offset = `${zone.slice(0, 3)}:${zone.replace(/'/g, '').slice(3, 5) || '00'}`;
  const date = new Date(`${year}-${month}-${day}T${hour}:${minute}:${second}${offset}`);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

function clean(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  // Some producers pad info strings with NULs or spaces.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters is the point
  const text = value.replace(/[\u0000-\u001f]/g, ' ').trim();
  return text.length > 0 ? text : undefined;
}

/** Document metadata from the info dictionary, with the XMP title as a fallback. */
export function pdfMetadata(result: PdfInfo): Metadata {
  const info = (result.info ?? {}) as Record<string, unknown>;
  const out: Metadata = {};
  const xmpTitle = clean(result.metadata?.get('dc:title'));
  const title = clean(info.Title) ?? xmpTitle;
  if (title) out.title = title;
  const fields: Array<[string, string]> = [
    ['Author', 'author'],
    ['Subject', 'subject'],
    ['Keywords', 'keywords'],
    ['Creator', 'creator'],
    ['Producer', 'producer'],
    ['Language', 'language'],
  ];
  for (const [from, to] of fields) {
    const value = clean(info[from]);
    if (value) out[to] = value;
  }
  const created = pdfDate(info.CreationDate);
  if (created) out.created = created;
  const modified = pdfDate(info.ModDate);
  if (modified) out.modified = modified;
  if (typeof info.EncryptFilterName === 'string') out.encrypted = true;
  return out;
}
