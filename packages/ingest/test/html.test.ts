import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { contentHash, findProvenanceViolation, type ParsedDocument, type SourceDocument } from '@winnow/core';
import { describe, expect, it } from 'vitest';
import { HtmlLoader } from '../src/index.js';
import { CORPORA, normalizeForMatch, sourceOf } from './helpers.js';

interface ExpectedPage {
  file: string;
  mainHeading: string;
  bodySentence: string;
  bodySentenceMatch: string;
  boilerplate: string;
  moreBoilerplate: string[];
}

const HTML_DIR = join(CORPORA, 'html');
const expected = JSON.parse(readFileSync(join(HTML_DIR, 'expected.json'), 'utf8')) as ExpectedPage[];
const loader = new HtmlLoader();

function load(file: string): Promise<ParsedDocument> {
  return loader.load(sourceOf(join(HTML_DIR, file), file));
}

function fixture(html: string, id = 'page.html'): SourceDocument {
  const bytes = new TextEncoder().encode(html);
  return {
    id,
    uri: `file:///fixtures/${id}`,
    mediaType: 'text/html',
    bytes,
    metadata: {},
    contentHash: contentHash(bytes),
  };
}

describe('HtmlLoader on the Apache manual', () => {
  it.each(expected.map((e) => [e.file, e] as const))(
    'keeps the content and drops the chrome of %s',
    async (_f, page) => {
      const doc = await load(page.file);
      const text = normalizeForMatch(doc.text, page.bodySentenceMatch);
      expect(doc.blocks.find((b) => b.kind === 'heading')).toMatchObject({ level: 1, text: page.mainHeading });
      expect(text).toContain(normalizeForMatch(page.bodySentence, page.bodySentenceMatch));
      for (const chrome of [page.boilerplate, ...page.moreBoilerplate]) {
        expect(text).not.toContain(normalizeForMatch(chrome, page.bodySentenceMatch));
      }
      expect(findProvenanceViolation(doc)).toBeUndefined();
    },
  );

  it('decodes the declared legacy charsets (EUC-KR, ISO-8859-1)', async () => {
    const ko = await load('ko/howto/htaccess.html');
    expect(ko.metadata).toMatchObject({ encoding: 'euc-kr', lang: 'ko' });
    expect(ko.title).toContain('아파치 투토리얼');
    expect(ko.text).not.toContain('\ufffd');
    const de = await load('de/bind.html');
    expect(de.metadata).toMatchObject({ encoding: 'windows-1252', lang: 'de' });
    expect(de.text).toContain('Übersetzung');
  });

  it('keeps headings, code with its language, tables and line ranges', async () => {
    const doc = await load('en/howto/htaccess.html');
    const source = readFileSync(join(HTML_DIR, 'en/howto/htaccess.html'), 'utf8').split('\n');
    const code = doc.blocks.find((b) => b.kind === 'code');
    expect(code).toMatchObject({ language: 'config', text: 'AccessFileName ".config"' });
    expect(doc.blocks.some((b) => b.kind === 'heading' && b.level === 2 && b.text === 'Troubleshooting')).toBe(true);
    for (const block of doc.blocks.filter((b) => b.kind === 'heading')) {
      const line = source[(block.provenance.lineStart ?? 0) - 1] ?? '';
      expect(line.replace(/<[^>]+>/g, ''), block.text).toContain(block.text.slice(0, 12));
    }
  });

  it('keeps the link lists of a page that is nothing but links', async () => {
    const doc = await load('en/sitemap.html');
    expect(doc.blocks.filter((b) => b.kind === 'list').length).toBeGreaterThan(5);
    expect(doc.text).toContain('Upgrading to 2.4 from 2.2');
    expect(doc.text).not.toContain('This is not a Q&A section');
  });
});

describe('HtmlLoader main-content rules', () => {
  it('prefers <article>, drops nav, aside, cookie banners, scripts and forms, reads metadata', async () => {
    const doc = await loader.load(
      fixture(`<!doctype html><html lang="fr"><head><title>Le titre</title>
        <link rel="canonical" href="https://example.org/a">
        <meta name="description" content="Une page.">
        <style>p { color: red }</style></head><body>
        <div id="cookie-notice">We use cookies. Accept all</div>
        <nav><a href="/">Home</a> <a href="/about">About</a></nav>
        <article><header><h1>Le titre</h1><p class="byline">Par Ana</p></header>
          <p>Premier paragraphe du contenu.</p>
          <aside>Lisez aussi ceci</aside>
          <ul><li>un</li><li>deux</li></ul>
          <table><tr><th>k</th><th>v</th></tr><tr><td>a</td><td>1</td></tr></table>
          <form><label>Email</label><input name="e"></form>
          <footer>Partager sur les réseaux</footer>
        </article>
        <div class="gdpr-consent">Manage preferences</div>
        <script>console.log("x")</script>
        </body></html>`),
    );
    expect(doc.metadata).toMatchObject({
      title: 'Le titre',
      canonicalUrl: 'https://example.org/a',
      lang: 'fr',
      description: 'Une page.',
    });
    expect(doc.blocks.map((b) => b.kind)).toEqual(['heading', 'paragraph', 'paragraph', 'list', 'table']);
    expect(doc.text).toContain('Premier paragraphe du contenu.');
    expect(doc.blocks.find((b) => b.kind === 'table')).toMatchObject({
      rows: [
        ['k', 'v'],
        ['a', '1'],
      ],
    });
    for (const chrome of ['cookies', 'Home', 'Lisez aussi', 'Email', 'Partager', 'Manage preferences', 'console']) {
      expect(doc.text).not.toContain(chrome);
    }
  });

  it('falls back to the densest container when there is no article or main', async () => {
    const paragraphs = Array.from({ length: 6 }, (_, i) => `<p>Sentence ${i} of the story, long enough to count.</p>`);
    const doc = await loader.load(
      fixture(`<html><body><div id="wrap">
        <div class="site-header"><h2>Site name</h2><a href="/">Home</a></div>
        <div class="left-sidebar"><ul><li><a href="/1">Link one</a></li><li><a href="/2">Link two</a></li></ul></div>
        <div class="story"><h1>Story</h1>${paragraphs.join('')}
          <div class="share-buttons">Share this</div></div>
        <div id="footer">Copyright someone</div>
        </div></body></html>`),
    );
    expect(doc.blocks[0]).toMatchObject({ kind: 'heading', level: 1, text: 'Story' });
    expect(doc.blocks.filter((b) => b.kind === 'paragraph')).toHaveLength(6);
    for (const chrome of ['Site name', 'Link one', 'Share this', 'Copyright']) expect(doc.text).not.toContain(chrome);
  });

  it('keeps loose text in containers and joins Japanese lines without spaces', async () => {
    const doc = await loader.load(
      fixture(
        '<html><body><main><div class="note">Loose <b>text</b>\n in a box</div><p>日本語の\n文章です。</p></main></body></html>',
      ),
    );
    expect(doc.blocks.map((b) => b.text)).toEqual(['Loose text in a box', '日本語の文章です。']);
  });

  it('reports invalid bytes in a declared charset as E_ENCODING with the offset', async () => {
    const head = '<html><head><meta charset="utf-8"></head><body><p>ok ';
    const bytes = new Uint8Array([
      ...new TextEncoder().encode(head),
      0xff,
      ...new TextEncoder().encode('</p></body></html>'),
    ]);
    const source = { ...fixture(''), bytes };
    await expect(loader.load(source)).rejects.toMatchObject({
      code: 'E_ENCODING',
      message: expect.stringContaining(`byte offset ${head.length}`),
    });
  });
});

describe('permalink anchors', () => {
  it('drops Sphinx ¶ and MkDocs icon-font anchors from headings, heading text and definition terms', async () => {
    const doc = await loader.load(
      fixture(`<!doctype html><html><body><main>
        <h1>csv — CSV File Reading<a class="headerlink" href="#module-csv" title="Link to this heading">¶</a></h1>
        <dl class="py function"><dt class="sig"><span>csv.reader(csvfile)</span><a class="headerlink" href="#csv.reader">¶</a></dt>
        <dd><p>Return a reader object.</p></dd></dl>
        <h2 id="install">Install<a class="headerlink" href="#install" title="Permanent link">\uf0c1</a></h2>
        <p>Run the installer.</p>
        <h2 id="other">Other <a href="#other">#</a></h2><p>More <a href="#install">about installing</a>.</p>
        <h3>Icon <span class="twemoji">\ue000</span>heading</h3><p>Text.</p>
      </main></body></html>`),
    );
    const headings = doc.blocks.filter((b) => b.kind === 'heading').map((b) => b.text);
    expect(headings).toEqual(['csv — CSV File Reading', 'Install', 'Other', 'Icon heading']);
    expect(doc.text).toContain('csv.reader(csvfile): Return a reader object.');
    expect(doc.text).toContain('about installing');
    expect(doc.text).not.toMatch(/[¶\p{Co}]/u);
  });
});

describe('deep nesting', () => {
  it('fails a 10,000-deep tree with E_PARSE naming the limit, not a stack overflow', async () => {
    const html = `<!doctype html><html><body>${'<div>'.repeat(10_000)}deep text${'</div>'.repeat(10_000)}</body></html>`;
    await expect(loader.load(fixture(html, 'deep.html'))).rejects.toMatchObject({
      code: 'E_PARSE',
      message: expect.stringMatching(/deep\.html.*nested more than 2000 deep, over the limit of 1000 levels/),
    });
  });

  it('counts the depth exactly between the limit and the pre-parse scan', async () => {
    const html = `<!doctype html><html><body>${'<div>'.repeat(1500)}deep text${'</div>'.repeat(1500)}</body></html>`;
    await expect(loader.load(fixture(html, 'deep.html'))).rejects.toMatchObject({
      code: 'E_PARSE',
      message: expect.stringMatching(/deep\.html.*nested 150[0-9] deep, over the limit of 1000 levels/),
    });
  });

  it('reads a page nested within the limit', async () => {
    const html = `<!doctype html><html><body>${'<div>'.repeat(900)}<p>deep text</p>${'</div>'.repeat(900)}</body></html>`;
    expect((await loader.load(fixture(html, 'deep-ok.html'))).text).toBe('deep text');
  });
});
