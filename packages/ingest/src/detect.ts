/**
 * Media type detection from the bytes (magic numbers, byte-order marks, HTML sniffing) and the file name.
 * The bytes win: a `.pdf` that holds HTML is `text/html`, and the disagreement is reported so the caller can
 * note it or reject the file (see `TypeMismatchPolicy`).
 */
import { extname } from 'node:path';
import { TextDecoder } from 'node:util';

export const MEDIA_TYPES = {
  pdf: 'application/pdf',
  html: 'text/html',
  markdown: 'text/markdown',
  text: 'text/plain',
  /** One retrieval passage (a BEIR record): indexed whole, never split into paragraphs. */
  passage: 'text/x-passage',
  binary: 'application/octet-stream',
} as const;

/** What to do with a file whose bytes contradict its extension: load it as what it is, or fail it. */
export type TypeMismatchPolicy = 'load' | 'reject';

export interface Detection {
  mediaType: string;
  /** The type the extension claims, when the bytes say otherwise. */
  claimed?: string;
}

const BY_EXTENSION: Record<string, string> = {
  '.pdf': MEDIA_TYPES.pdf,
  '.html': MEDIA_TYPES.html,
  '.htm': MEDIA_TYPES.html,
  '.xhtml': MEDIA_TYPES.html,
  '.md': MEDIA_TYPES.markdown,
  '.markdown': MEDIA_TYPES.markdown,
  '.mdown': MEDIA_TYPES.markdown,
  '.mkd': MEDIA_TYPES.markdown,
  '.mdx': MEDIA_TYPES.markdown,
  '.txt': MEDIA_TYPES.text,
  '.text': MEDIA_TYPES.text,
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.tif': 'image/tiff',
  '.tiff': 'image/tiff',
  '.gz': 'application/gzip',
  '.zip': 'application/zip',
  '.docx': 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  '.xlsx': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  '.pptx': 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  '.epub': 'application/epub+zip',
  '.odt': 'application/vnd.oasis.opendocument.text',
};

const ZIP_CONTAINERS = new Set(['.docx', '.xlsx', '.pptx', '.epub', '.odt', '.jar', '.zip']);

interface Magic {
  offset: number;
  bytes: readonly number[];
  type: string;
}

const ascii = (text: string) => [...text].map((c) => c.charCodeAt(0));

/** Binary formats recognised by their first bytes. */
const MAGIC: readonly Magic[] = [
  { offset: 0, bytes: [0x1f, 0x8b], type: 'application/gzip' },
  { offset: 0, bytes: [0x50, 0x4b, 0x03, 0x04], type: 'application/zip' },
  { offset: 0, bytes: [0x50, 0x4b, 0x05, 0x06], type: 'application/zip' },
  { offset: 0, bytes: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], type: 'image/png' },
  { offset: 0, bytes: [0xff, 0xd8, 0xff], type: 'image/jpeg' },
  { offset: 0, bytes: ascii('GIF8'), type: 'image/gif' },
  { offset: 8, bytes: ascii('WEBP'), type: 'image/webp' },
  { offset: 0, bytes: [0x49, 0x49, 0x2a, 0x00], type: 'image/tiff' },
  { offset: 0, bytes: [0x4d, 0x4d, 0x00, 0x2a], type: 'image/tiff' },
  { offset: 4, bytes: ascii('ftyp'), type: 'video/mp4' },
  { offset: 0, bytes: ascii('OggS'), type: 'audio/ogg' },
  { offset: 0, bytes: ascii('ID3'), type: 'audio/mpeg' },
  { offset: 0, bytes: ascii('fLaC'), type: 'audio/flac' },
  { offset: 0, bytes: [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c], type: 'application/x-7z-compressed' },
  { offset: 0, bytes: ascii('Rar!'), type: 'application/vnd.rar' },
  { offset: 0, bytes: [0x28, 0xb5, 0x2f, 0xfd], type: 'application/zstd' },
  { offset: 0, bytes: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], type: 'application/x-xz' },
  { offset: 0, bytes: ascii('BZh'), type: 'application/x-bzip2' },
  { offset: 0, bytes: [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1], type: 'application/x-ole-storage' },
  { offset: 0, bytes: [0x7f, 0x45, 0x4c, 0x46], type: 'application/x-executable' },
  { offset: 0, bytes: [0x00, 0x61, 0x73, 0x6d], type: 'application/wasm' },
  { offset: 0, bytes: ascii('SQLite format 3'), type: 'application/vnd.sqlite3' },
  { offset: 0, bytes: ascii('%!PS'), type: 'application/postscript' },
];

function startsWith(bytes: Uint8Array, magic: Magic): boolean {
  if (bytes.length < magic.offset + magic.bytes.length) return false;
  return magic.bytes.every((b, i) => bytes[magic.offset + i] === b);
}

/** PDF readers accept junk before the header within the first kilobyte. */
function isPdf(bytes: Uint8Array): boolean {
  const head = Buffer.from(bytes.subarray(0, 1024)).toString('latin1');
  return head.includes('%PDF-');
}

export type ByteOrderMark = 'utf-8' | 'utf-16le' | 'utf-16be';

export function byteOrderMark(bytes: Uint8Array): ByteOrderMark | undefined {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return 'utf-8';
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return 'utf-16le';
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return 'utf-16be';
  return undefined;
}

/** Text has no NUL bytes (UTF-16 is recognised by its byte-order mark before this test). */
function looksBinary(bytes: Uint8Array): boolean {
  const sample = bytes.subarray(0, 8192);
  return sample.includes(0);
}

/** The start of a document as text, for sniffing markup; the encoding does not matter for ASCII tags. */
function head(bytes: Uint8Array, bom: ByteOrderMark | undefined): string {
  const sample = bytes.subarray(0, 2048);
  if (bom === 'utf-16le' || bom === 'utf-16be') return new TextDecoder(bom).decode(sample);
  return Buffer.from(sample).toString('latin1');
}

const HTML_START = /^\s*(?:<\?xml[^>]*>\s*)?(?:<!--[\s\S]*?-->\s*)*<(?:!doctype\s+html|html[\s>]|head[\s>]|body[\s>])/i;

export function looksLikeHtml(text: string): boolean {
  return HTML_START.test(text.replace(/^\ufeff/, ''));
}

function fromExtension(fileName: string): string | undefined {
  return BY_EXTENSION[extname(fileName).toLowerCase()];
}

/** Detects a file's media type from its bytes, using the name only where the bytes leave a choice. */
export function detectMediaType(bytes: Uint8Array, fileName: string): Detection {
  const claimed = fromExtension(fileName);
  const ext = extname(fileName).toLowerCase();
  const verdict = (mediaType: string): Detection =>
    claimed === undefined || claimed === mediaType ? { mediaType } : { mediaType, claimed };

  if (isPdf(bytes)) return verdict(MEDIA_TYPES.pdf);
  for (const magic of MAGIC) {
    if (!startsWith(bytes, magic)) continue;
    // Office documents and EPUBs are zip files: the extension names which.
    if (magic.type === 'application/zip' && ZIP_CONTAINERS.has(ext) && claimed) return { mediaType: claimed };
    return verdict(magic.type);
  }
  const bom = byteOrderMark(bytes);
  if (!bom && looksBinary(bytes)) {
    // No magic number and not text: trust the extension, so e.g. a damaged PDF reaches the PDF loader,
    // which names the damage.
    return { mediaType: claimed ?? MEDIA_TYPES.binary };
  }
  if (looksLikeHtml(head(bytes, bom))) return verdict(MEDIA_TYPES.html);
  if (claimed === MEDIA_TYPES.markdown || claimed === MEDIA_TYPES.html || claimed === MEDIA_TYPES.text) {
    return { mediaType: claimed };
  }
  return verdict(MEDIA_TYPES.text);
}
