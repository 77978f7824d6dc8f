import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { WinnowError } from '@winnow/core';
import { PDFParse } from 'pdf-parse';
import type { PDFDocumentProxy } from 'pdfjs-dist';

/** Folders of pdf.js data files, from the pdfjs-dist that pdf-parse itself uses (same pinned version). */
function pdfjsDataFolders(): { cMapUrl: string; standardFontDataUrl: string } {
  const require = createRequire(import.meta.url);
  const root = dirname(require.resolve('pdfjs-dist/package.json'));
  // pdf.js's Node factories read these with fs, so plain paths with a trailing slash are what they expect.
  return { cMapUrl: `${join(root, 'cmaps')}/`, standardFontDataUrl: `${join(root, 'standard_fonts')}/` };
}

let dataFolders: { cMapUrl: string; standardFontDataUrl: string } | undefined;

export interface OpenedPdf {
  parser: PDFParse;
  document: PDFDocumentProxy;
}

/** A file URL is friendlier than a bare path in messages about where pdf.js data lives. */
export function pdfjsDataLocation(): string {
  dataFolders ??= pdfjsDataFolders();
  return pathToFileURL(dataFolders.cMapUrl).href;
}

/**
 * Opens a PDF with pdf-parse (which configures pdf.js for Node and normalises its errors) and returns the
 * pdf.js document as well: the loader needs positioned text items, which pdf-parse's `getText()` flattens.
 * pdf-parse 2.4.5 keeps the document behind its `load()` method (private in its typings, cached, public at
 * run time); the version is pinned exactly and the loader's tests exercise this path.
 */
export async function openPdf(bytes: Uint8Array, file: string, password: string | undefined): Promise<OpenedPdf> {
  dataFolders ??= pdfjsDataFolders();
  const parser = new PDFParse({
    // pdf.js takes ownership of (detaches) the buffer it is given, so it gets a copy.
    data: new Uint8Array(bytes),
    ...(password === undefined ? {} : { password }),
    cMapUrl: dataFolders.cMapUrl,
    cMapPacked: true,
    standardFontDataUrl: dataFolders.standardFontDataUrl,
    isEvalSupported: false,
    verbosity: 0,
  });
  const loader = parser as unknown as { load(): Promise<PDFDocumentProxy> };
  try {
    const document = await loader.load();
    return { parser, document };
  } catch (error) {
    await parser.destroy().catch(() => undefined);
    throw classifyOpenError(error, file, password !== undefined);
  }
}

function passwordCode(error: Error): number | undefined {
  const cause = (error as { cause?: unknown }).cause;
  const code = (cause as { code?: unknown } | undefined)?.code ?? (error as { code?: unknown }).code;
  return typeof code === 'number' ? code : undefined;
}

// pdf.js PasswordResponses: 1 = a password is needed, 2 = the given password is wrong.
const NEED_PASSWORD = 1;
const INCORRECT_PASSWORD = 2;

function classifyOpenError(error: unknown, file: string, passwordGiven: boolean): WinnowError {
  const err = error instanceof Error ? error : new Error(String(error));
  if (err.name === 'PasswordException') {
    const code = passwordCode(err);
    if (code === INCORRECT_PASSWORD || (code !== NEED_PASSWORD && passwordGiven)) {
      return new WinnowError('E_PDF_BAD_PASSWORD', 'the configured PDF password is wrong', {
        file,
        setting: 'ingest.pdfPasswords',
        cause: err,
      });
    }
    return new WinnowError('E_PDF_ENCRYPTED', 'the PDF is password-protected and no password is configured for it', {
      file,
      setting: 'ingest.pdfPasswords',
      hint: 'add its document id or a glob to ingest.pdfPasswords',
      cause: err,
    });
  }
  return new WinnowError('E_PDF_CORRUPT', `the PDF cannot be read: ${err.message}`, { file, cause: err });
}
