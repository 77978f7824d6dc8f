/**
 * Text normalisation shared by every loader, applied to each block as the document is assembled: what any
 * loader produces reaches the chunker and the store in one form.
 *
 * - Line breaks: CRLF and lone CR become LF; vertical tab and form feed (page breaks in old text files) too.
 * - C0 and C1 control characters (and DEL) are removed; tab and line feed are kept. NUL never reaches the store.
 * - Spacing accents that stand where a combining accent was meant (PDF text layers draw `´` beside the letter:
 *   `caf´e`, `´etude`, Greek `΄Ενα`) are joined to their letter, when letter and accent compose to one character.
 *   An accent between two letters is left alone (`l´eau`, `don´t`: typed as an apostrophe).
 * - Unicode NFC.
 */
import { assembleDocument, type DocumentHeader, type DraftBlock, type ParsedDocument } from '@winnow/core';

/** Control characters (C0, DEL, C1: general category Cc) other than tab and line feed. */
const CONTROLS = /[^\P{Cc}\t\n]/gu;
const LINE_BREAKS = /\r\n?|\v|\f/gu;

/** Spacing accent → the combining mark(s) it stands for. */
const COMBINING: Record<string, string> = {
  '\u00b4': '\u0301', // ´ acute
  '\u02ca': '\u0301', // ˊ modifier acute
  '\u0384': '\u0301', // ΄ Greek tonos
  '\u1ffd': '\u0301', // ´ Greek oxia
  '\u02cb': '\u0300', // ˋ modifier grave
  '\u1fef': '\u0300', // ` Greek varia
  '\u00a8': '\u0308', // ¨ diaeresis
  '\u0385': '\u0308\u0301', // ΅ Greek dialytika tonos
  '\u02c6': '\u0302', // ˆ circumflex
  '\u02dc': '\u0303', // ˜ tilde
  '\u00af': '\u0304', // ¯ macron
  '\u02d8': '\u0306', // ˘ breve
  '\u02d9': '\u0307', // ˙ dot above
  '\u02da': '\u030a', // ˚ ring above
  '\u02dd': '\u030b', // ˝ double acute
  '\u02c7': '\u030c', // ˇ caron
  '\u00b8': '\u0327', // ¸ cedilla
  '\u02db': '\u0328', // ˛ ogonek
};
const ACCENTS = Object.keys(COMBINING).join('');
const ACCENT_BEFORE = new RegExp(`(?<!\\p{L})([${ACCENTS}])(\\p{L})`, 'gu');
const ACCENT_AFTER = new RegExp(`(\\p{L})([${ACCENTS}])(?!\\p{L})`, 'gu');

/** Whether a text is only spacing accents (a glyph a PDF places over a letter by itself). */
export function isSpacingAccents(text: string): boolean {
  const trimmed = text.trim();
  return trimmed.length > 0 && [...trimmed].every((char) => COMBINING[char] !== undefined);
}

/** The letter with the accent's combining form, when they compose to one character; else undefined. */
export function composed(letter: string, accent: string): string | undefined {
  const joined = `${letter}${COMBINING[accent] ?? ''}`.normalize('NFC');
  return [...joined].length === 1 ? joined : undefined;
}

/** Joins detached spacing accents to the letter they belong to (see the module comment). */
export function repairSpacingAccents(text: string): string {
  if (!/[\u00a8\u00af\u00b4\u00b8\u02c6-\u02dd\u0384\u0385\u1fef\u1ffd]/u.test(text)) return text;
  return text
    .replace(ACCENT_BEFORE, (match, accent: string, letter: string) => composed(letter, accent) ?? match)
    .replace(ACCENT_AFTER, (match, letter: string, accent: string) => composed(letter, accent) ?? match);
}

export interface NormalizeOptions {
  /** Repair detached accents (prose); off for code, where `¨` or `´` may be meant literally. */
  accents?: boolean;
}

/** Normalises one text as every loader's output is (see the module comment). */
export function normalizeText(text: string, options: NormalizeOptions = {}): string {
  const clean = text.replace(LINE_BREAKS, '\n').replace(CONTROLS, '');
  return (options.accents === false ? clean : repairSpacingAccents(clean)).normalize('NFC');
}

function normalizeDraft(draft: DraftBlock): DraftBlock {
  switch (draft.kind) {
    case 'pageBreak':
      return draft;
    case 'code':
      return { ...draft, text: normalizeText(draft.text, { accents: false }) };
    case 'list':
      return { ...draft, text: normalizeText(draft.text), items: draft.items.map((item) => normalizeText(item)) };
    case 'table':
      return {
        ...draft,
        text: normalizeText(draft.text),
        rows: draft.rows.map((row) => row.map((cell) => normalizeText(cell))),
      };
    default:
      return { ...draft, text: normalizeText(draft.text) };
  }
}

/**
 * `assembleDocument` with every block's text normalised first (blocks left with no text are dropped), and the
 * title too: the one way loaders build their `ParsedDocument`.
 */
export function assembleNormalized(header: DocumentHeader, drafts: readonly DraftBlock[]): ParsedDocument {
  const blocks = drafts
    .map(normalizeDraft)
    .filter((draft) => draft.kind === 'pageBreak' || draft.text.trim().length > 0);
  const title = header.title === undefined ? undefined : normalizeText(header.title).trim();
  // A forced charset travels as a media type parameter; the document's type is the bare type.
  const { title: _, ...rest } = { ...header, mediaType: (header.mediaType.split(';')[0] ?? '').trim() };
  return assembleDocument(title ? { ...rest, title } : rest, blocks);
}
