import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type ErrorCode, findProvenanceViolation, isWinnowError, type ParsedDocument } from '@winnow/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { PdfLoader } from '../src/index.js';
import { CORPORA, normalizeForMatch, pageText, sourceOf } from './helpers.js';

interface ExpectedPdf {
  file: string;
  pages: number | null;
  hasText: boolean;
  snippet: string | null;
  rowSnippet?: string;
  snippetPage?: number;
  snippetMatch?: string;
  password?: string;
  requiresPassword: boolean;
}

const PDF_DIR = join(CORPORA, 'pdf');
const expected = JSON.parse(readFileSync(join(PDF_DIR, 'expected.json'), 'utf8')) as ExpectedPdf[];
const passwords = Object.fromEntries(expected.filter((e) => e.password).map((e) => [e.file, e.password as string]));
const loader = new PdfLoader({ passwords });

type Outcome = { doc: ParsedDocument } | { code: ErrorCode; message: string };
const outcomes = new Map<string, Outcome>();

async function attempt(pdf: PdfLoader, file: string): Promise<Outcome> {
  try {
    return { doc: await pdf.load(sourceOf(join(PDF_DIR, file), file)) };
  } catch (error) {
    if (!isWinnowError(error)) throw error;
    return { code: error.code, message: error.message };
  }
}

function docOf(file: string): ParsedDocument {
  const outcome = outcomes.get(file);
  if (!outcome || !('doc' in outcome)) throw new Error(`${file} did not load: ${JSON.stringify(outcome)}`);
  return outcome.doc;
}

beforeAll(async () => {
  for (const entry of expected) outcomes.set(entry.file, await attempt(loader, entry.file));
});

describe('PdfLoader on the PDF corpus', () => {
  const withText = expected.filter((e) => e.snippet !== null);

  it.each(withText.map((e) => [e.file, e] as const))('finds the snippets of %s on their page', (_file, entry) => {
    const doc = docOf(entry.file);
    const page = normalizeForMatch(pageText(doc, entry.snippetPage ?? 1), entry.snippetMatch);
    expect(page).toContain(normalizeForMatch(entry.snippet ?? '', entry.snippetMatch));
    if (entry.rowSnippet) expect(page).toContain(normalizeForMatch(entry.rowSnippet, entry.snippetMatch));
  });

  it.each(withText.map((e) => [e.file, e] as const))(
    'gives %s one page break per page and sound offsets',
    (_f, entry) => {
      const doc = docOf(entry.file);
      const breaks = doc.blocks.filter((b) => b.kind === 'pageBreak');
      expect(breaks.map((b) => (b.kind === 'pageBreak' ? b.page : 0))).toEqual(
        Array.from({ length: entry.pages ?? 0 }, (_, i) => i + 1),
      );
      expect(doc.metadata.pages).toBe(entry.pages);
      for (const block of doc.blocks) expect(block.provenance.page).toBeGreaterThanOrEqual(1);
      expect(findProvenanceViolation(doc)).toBeUndefined();
    },
  );

  it('reports image-only and blank PDFs as E_PDF_NO_TEXT', () => {
    const noText = expected.filter((e) => !e.hasText && e.pages !== null);
    expect(noText.length).toBeGreaterThanOrEqual(4);
    for (const entry of noText) {
      const outcome = outcomes.get(entry.file);
      expect(outcome, entry.file).toMatchObject({ code: 'E_PDF_NO_TEXT' });
      expect((outcome as { message: string }).message).toContain(entry.file);
    }
  });

  it('reports damaged PDFs as E_PDF_CORRUPT, naming the file', () => {
    const corrupt = expected.filter((e) => e.pages === null);
    expect(corrupt.map((e) => e.file).sort()).toEqual([
      'corrupt-header-eof-only.pdf',
      'pdf-parse-03-invalid-truncated.pdf',
    ]);
    for (const entry of corrupt) {
      expect(outcomes.get(entry.file)).toMatchObject({
        code: 'E_PDF_CORRUPT',
        message: expect.stringContaining(entry.file),
      });
    }
  });

  it('opens password-protected PDFs only with the configured password', async () => {
    const locked = expected.filter((e) => e.requiresPassword);
    expect(locked.length).toBe(2);
    const bare = new PdfLoader();
    const wrong = new PdfLoader({ passwords: { '*.pdf': 'not-the-password' } });
    const byGlob = new PdfLoader({ passwords: { '**/libreoffice-*.pdf': 'openpassword', 'aes-*.pdf': 'baz' } });
    for (const entry of locked) {
      expect(await attempt(bare, entry.file)).toMatchObject({ code: 'E_PDF_ENCRYPTED' });
      expect(await attempt(wrong, entry.file)).toMatchObject({ code: 'E_PDF_BAD_PASSWORD' });
      expect(await attempt(byGlob, entry.file)).toHaveProperty('doc');
    }
  });

  it('opens permission-only encryption (empty user password) without a password', () => {
    for (const file of [
      'dmca-summary-permissions-encrypted-18p.pdf',
      'kampo-japanese-gazette-permissions-encrypted.pdf',
    ]) {
      expect(docOf(file).metadata.encrypted).toBe(true);
    }
  });
});

describe('PDF text quality', () => {
  it('takes title and author from the document information', () => {
    const irs = docOf('irs-i1040nr-instructions-50p.pdf');
    expect(irs.title).toBe('2007 Instruction 1040-NR');
    expect(irs.metadata).toMatchObject({ author: 'W:CAR:MP:FP', pages: 50, created: '2007-12-06T13:01:23.000Z' });
  });

  it('removes running footers and page numbers from the three-column IRS instructions', () => {
    const irs = docOf('irs-i1040nr-instructions-50p.pdf');
    const lines = irs.blocks.filter((b) => (b.provenance.page ?? 0) >= 2).flatMap((b) => b.text.split('\n'));
    expect(lines).not.toContain('Instructions for Form 1040NR');
    expect(lines.filter((line) => /(?:^|\s)-\d{1,2}-$/.test(line))).toEqual([]);
    // The body around the footer position is still there.
    expect(pageText(irs, 2)).toContain('Items to Note');
  });

  it('drops running chapter headers that change through a long document, keeping the headings', () => {
    const notes = docOf('geotopo-lecture-notes-de-117p.pdf');
    expect(notes.text).not.toContain('2.1. TOPOLOGISCHE MANNIGFALTIGKEITEN');
    expect(notes.blocks.some((b) => b.kind === 'heading' && b.text === '2.1 Topologische Mannigfaltigkeiten')).toBe(
      true,
    );
  });

  it('drops the repeated margin stamp of the Federal Register', () => {
    const fr = docOf('federal-register-2020-17221-3col.pdf');
    expect(fr.text).not.toContain('DSKJLSW7X2PROD');
    expect(fr.text).toContain('AGENCY: Federal Aviation Administration (FAA), DOT.');
  });

  it('repairs words hyphenated at line ends', () => {
    const naacl = docOf('naacl06-shinyama-2col.pdf');
    expect(naacl.text).toContain('intervention');
    expect(naacl.text).not.toMatch(/\bin- ?tervention\b/);
    expect(naacl.text).not.toMatch(/\bEx- ?isting\b/);
  });

  it('reads vertical Japanese with CMaps, turning vertical punctuation into ordinary forms', () => {
    const jo = docOf('jo-japanese-vertical.pdf');
    expect(jo.text).toContain('わたくしといふ現象は');
    expect(jo.text).toContain('(あらゆる透明な幽霊の複合体)');
    const lines = jo.text.split('\n\n');
    expect(lines.indexOf('わたくしといふ現象は')).toBeLessThan(lines.indexOf('假定された有機交流電燈の'));
  });

  it('finds headings by font size, with levels', () => {
    const dmca = docOf('dmca-summary-permissions-encrypted-18p.pdf');
    const headings = dmca.blocks.filter((b) => b.kind === 'heading');
    expect(headings.length).toBeGreaterThan(0);
    const hasy = docOf('hasyv2-paper-2col.pdf');
    expect(hasy.blocks.find((b) => b.kind === 'heading')).toMatchObject({ text: 'The HASYv2 dataset', level: 1 });
  });

  it('reads a borderless table row by row', () => {
    const nics = docOf('nics-background-checks-2015-11-table.pdf');
    const table = nics.blocks.find((b) => b.kind === 'table');
    expect(table?.kind).toBe('table');
    const alabama = table?.kind === 'table' ? table.rows.find((row) => row[0] === 'Alabama') : undefined;
    expect(alabama?.slice(0, 6)).toEqual(['Alabama', '18,870', '23,022', '22,650', '859', '1,178']);
  });

  it('stops at once when aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    const source = sourceOf(join(PDF_DIR, 'crazyones-pdfa.pdf'));
    await expect(loader.load(source, { signal: controller.signal })).rejects.toMatchObject({ code: 'E_ABORTED' });
  });
});
