import { type Loader, WinnowError } from '@winnow/core';
import { HtmlLoader } from './loaders/html/loader.js';
import { MarkdownLoader } from './loaders/markdown.js';
import { PassageLoader, TextLoader } from './loaders/text.js';
import type { PasswordTable } from './passwords.js';
import { PdfLoader } from './pdf/loader.js';

/** Loaders by media type. A later registration for a media type replaces an earlier one. */
export class LoaderRegistry {
  readonly #byType = new Map<string, Loader>();

  constructor(loaders: Iterable<Loader> = []) {
    for (const loader of loaders) this.register(loader);
  }

  register(loader: Loader): this {
    if (loader.mediaTypes.length === 0) {
      throw new WinnowError('E_CONFIG_INVALID', `loader ${JSON.stringify(loader.name)} declares no media types`, {
        field: 'mediaTypes',
      });
    }
    for (const type of loader.mediaTypes) this.#byType.set(type.toLowerCase(), loader);
    return this;
  }

  /** The loader for a media type (parameters such as `; charset=` are ignored), or undefined. */
  get(mediaType: string): Loader | undefined {
    const type = (mediaType.split(';')[0] ?? '').trim().toLowerCase();
    return this.#byType.get(type);
  }

  get mediaTypes(): string[] {
    return [...this.#byType.keys()].sort();
  }
}

export interface DefaultLoaderOptions {
  /** Passwords for encrypted PDFs by document id or glob (core config `ingest.pdfPasswords`). */
  pdfPasswords?: PasswordTable;
}

/** PDF, Markdown, HTML, plain text and passages (BEIR records). */
export function defaultLoaders(options: DefaultLoaderOptions = {}): LoaderRegistry {
  return new LoaderRegistry([
    new PdfLoader({ passwords: options.pdfPasswords ?? {} }),
    new MarkdownLoader(),
    new HtmlLoader(),
    new TextLoader(),
    new PassageLoader(),
  ]);
}
