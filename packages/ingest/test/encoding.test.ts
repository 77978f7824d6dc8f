import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '@winnow/core';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeSingleByte } from '../../../test/fixtures/bad-input/generate.js';
import { collectAll, folderSource } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'winnow-ingest-encoding-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const FRENCH =
  "Le château était entouré d'une forêt où les élèves cherchaient des champignons.\n\nÇa n'était pas très facile, à cause de l'humidité et de la brume épaisse.\n";
const RUSSIAN =
  'Съешь же ещё этих мягких французских булок, да выпей чаю.\n\nШирокая электрификация южных губерний даст мощный толчок подъёму сельского хозяйства.\n';

writeFileSync(join(dir, 'latin1.txt'), encodeSingleByte('iso-8859-1', FRENCH));
writeFileSync(join(dir, 'cp1251.txt'), encodeSingleByte('windows-1251', RUSSIAN));
writeFileSync(join(dir, 'cp1251.md'), encodeSingleByte('windows-1251', `# Заголовок\n\n${RUSSIAN}`));
writeFileSync(
  join(dir, 'undeclared-cp1251.html'),
  encodeSingleByte(
    'windows-1251',
    `<!doctype html><html><head><title>Заголовок</title></head><body><p>${RUSSIAN}</p></body></html>`,
  ),
);
writeFileSync(
  join(dir, 'declared-latin1.html'),
  encodeSingleByte(
    'iso-8859-1',
    `<!doctype html><html><head><meta charset="iso-8859-1"></head><body><p>${FRENCH}</p></body></html>`,
  ),
);

describe('legacy encodings', async () => {
  const { documents, failures } = await collectAll(folderSource(dir));
  const byId = new Map(documents.map((doc) => [doc.id, doc]));

  it('loads every file', () => {
    expect(failures).toEqual([]);
    expect(documents).toHaveLength(5);
  });

  it('detects Latin-1 and Windows-1251 text and records the encoding and that it was detected', () => {
    expect(byId.get('latin1.txt')?.text).toBe(FRENCH.trim());
    expect(byId.get('latin1.txt')?.metadata).toMatchObject({ encoding: 'windows-1252', encodingGuessed: true });
    expect(byId.get('cp1251.txt')?.text).toBe(RUSSIAN.trim());
    expect(byId.get('cp1251.txt')?.metadata).toMatchObject({ encoding: 'windows-1251', encodingGuessed: true });
    expect(byId.get('cp1251.txt')?.metadata.encodingConfidence).toEqual(expect.any(Number));
    expect(byId.get('cp1251.md')?.blocks[0]).toMatchObject({ kind: 'heading', text: 'Заголовок' });
  });

  it('detects the encoding of HTML that declares none, and honours a declaration', () => {
    expect(byId.get('undeclared-cp1251.html')?.title).toBe('Заголовок');
    expect(byId.get('undeclared-cp1251.html')?.text).toContain('французских');
    expect(byId.get('undeclared-cp1251.html')?.metadata).toMatchObject({
      encoding: 'windows-1251',
      encodingGuessed: true,
    });
    expect(byId.get('declared-latin1.html')?.text).toContain('château');
    expect(byId.get('declared-latin1.html')?.metadata.encodingGuessed).toBeUndefined();
  });

  it('uses ingest.encoding over detection and declarations', async () => {
    const config = parseConfig({ ingest: { encoding: 'koi8-r' } });
    const { documents: forced } = await collectAll(folderSource(dir, { ...config.ingest, include: ['cp1251.txt'] }));
    // The wrong encoding, forced: the text is mojibake, and the metadata says which encoding was used.
    expect(forced[0]?.metadata.encoding).toBe('koi8-r');
    expect(forced[0]?.metadata.encodingGuessed).toBeUndefined();
    expect(forced[0]?.mediaType).toBe('text/plain');
    expect(forced[0]?.text).not.toContain('французских');
  });

  it('rejects an encoding the runtime does not know in the configuration', () => {
    expect(() => parseConfig({ ingest: { encoding: 'klingon-8' } })).toThrow(/ingest\.encoding/);
  });
});
