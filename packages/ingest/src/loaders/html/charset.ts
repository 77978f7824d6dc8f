import { type DecodedText, decodeDetected, decoderFor } from '../../decode.js';
import { byteOrderMark } from '../../detect.js';

/**
 * The charset an HTML document declares in its first kilobyte (as the HTML standard's prescan does):
 * `<meta charset>`, `<meta http-equiv="Content-Type" content="…; charset=…">`, or an XML declaration.
 */
export function declaredCharset(bytes: Uint8Array): string | undefined {
  const head = Buffer.from(bytes.subarray(0, 1024)).toString('latin1');
  const meta = /<meta\s[^>]*?charset\s*=\s*["']?\s*([\w:.-]+)/i.exec(head)?.[1];
  const xml = /^\s*<\?xml[^>]*?encoding\s*=\s*["']([\w:.-]+)["']/i.exec(head)?.[1];
  const label = (meta ?? xml)?.toLowerCase();
  if (!label) return undefined;
  // A meta tag cannot truthfully declare UTF-16 (it would not be readable as ASCII): the standard says UTF-8.
  if (label.startsWith('utf-16')) return 'utf-8';
  return decoderFor(label) ? label : undefined;
}

/**
 * Decodes an HTML file: BOM, then a forced encoding (`ingest.encoding`), then the declared charset (strictly:
 * invalid bytes are E_ENCODING), else UTF-8, else the encoding detected from the bytes (where browsers would
 * assume windows-1252, detection also reads Cyrillic, Greek or Japanese pages that declare nothing).
 */
export function decodeHtml(bytes: Uint8Array, file: string, forced?: string): DecodedText {
  const declared = byteOrderMark(bytes) ? undefined : declaredCharset(bytes);
  return decodeDetected(bytes, file, { forced, declared });
}
