import {
  type CallOptions,
  type DraftBlock,
  type Loader,
  type Metadata,
  type ParsedDocument,
  type SourceDocument,
  throwIfAborted,
  WinnowError,
} from '@winnow/core';
import type { PDFDocumentProxy } from 'pdfjs-dist';
import type { TextItem } from 'pdfjs-dist/types/src/display/api.js';
import { assembleNormalized } from '../normalize.js';
import { type PasswordTable, passwordFor } from '../passwords.js';
import { type PageLayout, removeFurniture, removeOverlays } from './furniture.js';
import { buildBlocks, joinTableRows, orderBlocks } from './layout.js';
import { buildSegments } from './lines.js';
import { separateMargins } from './margins.js';
import { pdfMetadata } from './metadata.js';
import { openPdf } from './open.js';
import { HyphenEvidence, pageDrafts, styleStats } from './paragraphs.js';
import { type PdfFontStyle, pageRuns } from './runs.js';

export interface PdfLoaderOptions {
  /** Passwords for encrypted PDFs by document id or glob (core config `ingest.pdfPasswords`). */
  passwords?: PasswordTable;
}

/**
 * Loads PDFs: text per page in reading order (columns followed, tables read by rows), paragraphs rebuilt,
 * line-end hyphens repaired, running headers/footers and page numbers removed; one `pageBreak` block per
 * page and `provenance.page` on every block.
 */
export class PdfLoader implements Loader {
  readonly name = 'pdf';
  readonly mediaTypes = ['application/pdf'] as const;
  readonly #passwords: PasswordTable;

  constructor(options: PdfLoaderOptions = {}) {
    this.#passwords = options.passwords ?? {};
  }

  async load(source: SourceDocument, options: CallOptions = {}): Promise<ParsedDocument> {
    const file = source.uri;
    if (!source.bytes) {
      throw new WinnowError('E_PDF_CORRUPT', 'a PDF source must carry bytes, not text', { file });
    }
    throwIfAborted(options.signal, `loading ${file}`);
    const { parser, document } = await openPdf(source.bytes, file, passwordFor(source.id, this.#passwords));
    try {
      const info = await parser.getInfo();
      const layouts = await readPages(document, file, options.signal);
      removeFurniture(layouts);
      removeOverlays(layouts);
      const stats = styleStats(layouts.flatMap((p) => p.blocks.flatMap((b) => b.lines)));
      const evidence = HyphenEvidence.fromLines(layouts.flatMap((p) => p.blocks.map((b) => b.lines)));
      const drafts: DraftBlock[] = [];
      let textChars = 0;
      for (const layout of layouts) {
        drafts.push({ kind: 'pageBreak', page: layout.page, text: '', provenance: { page: layout.page } });
        const pageBlocks = pageDrafts(layout.blocks, stats, layout.page, evidence);
        for (const stray of layout.strays)
          pageBlocks.push({ kind: 'paragraph', text: stray, provenance: { page: layout.page } });
        for (const block of pageBlocks) textChars += block.text.replace(/[\s\p{P}]/gu, '').length;
        drafts.push(...pageBlocks);
      }
      if (textChars === 0) {
        throw new WinnowError('E_PDF_NO_TEXT', `none of its ${layouts.length} page(s) has a text layer`, {
          file,
          hint: 'the PDF is image-only or blank; run OCR on it first',
        });
      }
      const metadata: Metadata = { ...source.metadata, ...pdfMetadata(info), pages: document.numPages };
      const title = typeof metadata.title === 'string' ? metadata.title : largestHeading(drafts);
      return assembleNormalized(
        {
          id: source.id,
          uri: source.uri,
          mediaType: source.mediaType,
          ...(title === undefined ? {} : { title }),
          metadata,
          contentHash: source.contentHash,
        },
        drafts,
      );
    } finally {
      await parser.destroy().catch(() => undefined);
    }
  }
}

/** Without a title in the document information, the largest-print heading of page 1 stands in. */
function largestHeading(drafts: readonly DraftBlock[]): string | undefined {
  let best: { level: number; text: string } | undefined;
  for (const draft of drafts) {
    if (draft.provenance?.page !== 1) continue;
    if (draft.kind === 'heading' && (!best || draft.level < best.level)) best = draft;
  }
  return best?.text;
}

async function readPages(document: PDFDocumentProxy, file: string, signal?: AbortSignal): Promise<PageLayout[]> {
  const layouts: PageLayout[] = [];
  for (let number = 1; number <= document.numPages; number++) {
    throwIfAborted(signal, `loading ${file}`);
    let page: Awaited<ReturnType<PDFDocumentProxy['getPage']>>;
    let content: Awaited<ReturnType<typeof page.getTextContent>>;
    try {
      page = await document.getPage(number);
      content = await page.getTextContent();
    } catch (error) {
      throw new WinnowError('E_PDF_CORRUPT', `page ${number} cannot be read: ${(error as Error).message}`, {
        file,
        cause: error,
      });
    }
    const viewport = page.getViewport({ scale: 1 });
    const runs = pageRuns({
      width: viewport.width,
      height: viewport.height,
      viewportTransform: viewport.transform,
      items: content.items.filter((item): item is TextItem => 'str' in item),
      styles: content.styles as Record<string, PdfFontStyle>,
    });
    const { body, notes } = separateMargins(joinTableRows(buildSegments(runs.runs), runs.width), runs.width);
    layouts.push({
      page: number,
      height: runs.height,
      blocks: orderBlocks(buildBlocks(body)),
      strays: [...runs.strays, ...notes],
    });
    page.cleanup();
  }
  return layouts;
}
