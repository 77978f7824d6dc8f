import { isWinnowError } from '@winnow/core';
import { type DecodedText, decoderFor, decodeText } from '../../decode.js';
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

export interface HtmlText extends DecodedText {
  /** True when no charset was declared and the bytes were not UTF-8, so windows-1252 was assumed. */
  guessed: boolean;
}

/**
 * Decodes an HTML file: BOM, then the declared charset (strictly: invalid bytes are E_ENCODING), else UTF-8,
 * else windows-1252 as browsers assume for undeclared legacy pages.
 */
export function decodeHtml(bytes: Uint8Array, file: string): HtmlText {
  const declared = byteOrderMark(bytes) ? undefined : declaredCharset(bytes);
  if (declared || byteOrderMark(bytes)) return { ...decodeText(bytes, file, declared), guessed: false };
  try {
    return { ...decodeText(bytes, file, 'utf-8'), guessed: false };
  } catch (error) {
    if (!isWinnowError(error, 'E_ENCODING')) throw error;
    return { ...decodeText(bytes, file, 'windows-1252'), guessed: true };
  }
}
