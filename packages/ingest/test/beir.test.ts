import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { beirSource, collectAll, isRejection, loadAll } from '../src/index.js';
import { DATASETS } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'winnow-ingest-beir-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('beirSource', () => {
  it('streams the gzipped SciFact corpus: 5,183 passages, title joined to the text', async () => {
    let count = 0;
    let first: { id: string; title?: string; text: string; uri: string } | undefined;
    const ids = new Set<string>();
    for await (const result of loadAll(beirSource(join(DATASETS, 'scifact')))) {
      if (!result.ok) throw new Error(result.failure.message);
      count += 1;
      ids.add(result.document.id);
      first ??= result.document;
    }
    expect(count).toBe(5183);
    expect(ids.size).toBe(5183);
    expect(first?.id).toBe('4983');
    expect(first?.uri).toBe('beir:scifact#4983');
    expect(first?.title).toMatch(/^Microstructural development of human newborn cerebral white matter/);
    expect(first?.text.startsWith(`${first?.title} Alterations of the architecture`)).toBe(true);
  });

  it('reads ADI (plain corpus.jsonl) and keeps the title apart when joinTitle is false', async () => {
    const { documents, failures } = await collectAll(
      beirSource(join(DATASETS, 'adi', 'corpus.jsonl'), { joinTitle: false }),
    );
    expect(failures).toEqual([]);
    expect(documents).toHaveLength(82);
    const doc = documents.find((d) => d.id === '1');
    expect(doc?.title).toMatch(/^the ibm dsd technical information center/);
    expect(doc?.text).toMatch(/^the ibm data systems division technical information center \(tic\)/);
    expect(doc?.metadata).toMatchObject({ corpus: 'adi', title: doc?.title });
    expect(doc?.blocks).toHaveLength(1);
  });

  it('reports malformed records with their line numbers and reads the rest', async () => {
    const lines = [
      JSON.stringify({ _id: 'a', title: 'T', text: 'first', metadata: { year: 2020 } }),
      '{not json',
      JSON.stringify({ title: 'no id', text: 'x' }),
      '',
      JSON.stringify({ _id: 'a', text: 'again' }),
      JSON.stringify({ _id: 'b', text: 42 }),
      JSON.stringify({ _id: 7, text: 'numeric id' }),
    ];
    const file = join(dir, 'corpus.jsonl.gz');
    writeFileSync(file, gzipSync(`${lines.join('\n')}\n`));
    const items = [];
    for await (const item of beirSource(dir, { name: 'mini' })) items.push(item);
    const rejected = items.filter(isRejection).map((r) => [r.rejected.id, r.rejected.code, r.rejected.message]);
    expect(rejected).toEqual([
      ['line 2', 'E_DATASET_INVALID', expect.stringMatching(/corpus\.jsonl\.gz.*line 2: not valid JSON/)],
      ['line 3', 'E_DATASET_INVALID', expect.stringMatching(/field _id.*line 3/)],
      ['line 5', 'E_DATASET_INVALID', expect.stringMatching(/line 5: duplicate id "a"/)],
      ['line 6', 'E_DATASET_INVALID', expect.stringMatching(/field text.*line 6: text must be a string/)],
    ]);
    const docs = items.filter((i) => !isRejection(i));
    expect(docs.map((d) => (isRejection(d) ? '' : [d.id, d.text, d.metadata]))).toEqual([
      ['a', 'T first', { year: 2020, corpus: 'mini', title: 'T' }],
      ['7', 'numeric id', { corpus: 'mini' }],
    ]);
  });

  it('fails clearly when there is no corpus, or the gzip stream is damaged', async () => {
    const none = beirSource(join(dir, 'missing'));
    await expect(collectAll(none)).rejects.toMatchObject({ code: 'E_FILE_NOT_FOUND' });
    const broken = join(dir, 'broken.jsonl.gz');
    const records = Array.from({ length: 2000 }, (_, i) =>
      JSON.stringify({ _id: String(i), text: `passage ${i * 7919}` }),
    );
    const gz = gzipSync(`${records.join('\n')}\n`);
    writeFileSync(broken, gz.subarray(0, gz.length >> 1));
    await expect(collectAll(beirSource(broken))).rejects.toMatchObject({
      code: 'E_DATASET_INVALID',
      message: expect.stringContaining('broken.jsonl.gz'),
    });
  });

  it('reads a corpus whose first line starts with a UTF-8 byte-order mark, and CRLF lines', async () => {
    const file = join(dir, 'bom', 'corpus.jsonl');
    mkdirSync(join(dir, 'bom'));
    const lines = ['{"_id":"d1","text":"first record"}', '{"_id":"d2","text":"second record"}'];
    writeFileSync(file, `\ufeff${lines.join('\r\n')}\r\n`);
    const { documents, failures } = await collectAll(beirSource(file));
    expect(failures).toEqual([]);
    expect(documents.map((doc) => [doc.id, doc.text])).toEqual([
      ['d1', 'first record'],
      ['d2', 'second record'],
    ]);
  });

  it('skips a record over the size limit and stops a gzip bomb at the decompressed-size cap', async () => {
    const file = join(dir, 'long.jsonl.gz');
    const huge = JSON.stringify({ _id: 'huge', text: 'x'.repeat(200_000) });
    writeFileSync(file, gzipSync(['{"_id":"a","text":"before"}', huge, '{"_id":"b","text":"after"}', ''].join('\n')));
    const { documents, failures } = await collectAll(beirSource(file, { maxRecordBytes: 100_000 }));
    expect(documents.map((doc) => doc.id)).toEqual(['a', 'b']);
    expect(failures).toEqual([
      expect.objectContaining({
        id: 'line 2',
        code: 'E_FILE_TOO_LARGE',
        message: expect.stringMatching(
          /long\.jsonl\.gz.*setting ingest\.maxFileBytes.*line 2 is 200\d\d\d bytes, over the limit of 100000/,
        ),
      }),
    ]);
    // 200 MB of one repeated line compress to about 200 KB: reading stops at the cap, after the records before it.
    const bomb = join(dir, 'bomb.jsonl.gz');
    writeFileSync(
      bomb,
      gzipSync(Buffer.concat([Buffer.from('{"_id":"first","text":"kept"}\n'), Buffer.alloc(200_000_000, 'z')])),
    );
    const seen: string[] = [];
    const reading = (async () => {
      for await (const item of beirSource(bomb, { maxDecompressedBytes: 10_000_000 })) {
        seen.push(isRejection(item) ? item.rejected.code : item.id);
      }
    })();
    await expect(reading).rejects.toMatchObject({
      code: 'E_FILE_TOO_LARGE',
      message: expect.stringMatching(/bomb\.jsonl\.gz.*setting ingest\.maxDecompressedBytes.*more than 10000000 bytes/),
    });
    expect(seen).toEqual(['first']);
  });
});
