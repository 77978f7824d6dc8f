import { mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assembleDocument, findProvenanceViolation, resolveModel } from '../src/index.js';

describe('assembleDocument', () => {
  it('fills offsets so every block slices back out of the text', () => {
    const doc = assembleDocument(
      { id: 'a.pdf', uri: 'file:///a.pdf', mediaType: 'application/pdf', metadata: {}, contentHash: 'h' },
      [
        { kind: 'pageBreak', page: 1, text: '', provenance: { page: 1 } },
        { kind: 'heading', level: 1, text: 'Intro', provenance: { page: 1 } },
        { kind: 'paragraph', text: 'First paragraph.', provenance: { page: 1 } },
        { kind: 'paragraph', text: '', provenance: { page: 1 } },
        { kind: 'pageBreak', page: 2, text: '', provenance: { page: 2 } },
        { kind: 'list', ordered: false, items: ['one', 'two'], text: 'one\ntwo', provenance: { page: 2 } },
      ],
    );
    expect(doc.text).toBe('Intro\n\nFirst paragraph.\n\none\ntwo');
    expect(doc.blocks.map((b) => b.kind)).toEqual(['pageBreak', 'heading', 'paragraph', 'pageBreak', 'list']);
    expect(findProvenanceViolation(doc)).toBeUndefined();
    expect(doc.blocks[4]?.provenance).toMatchObject({ page: 2, charStart: 25, charEnd: 32 });
  });

  it('findProvenanceViolation reports a broken offset', () => {
    const doc = assembleDocument({ id: 'a', uri: 'a', mediaType: 'text/plain', metadata: {}, contentHash: 'h' }, [
      { kind: 'paragraph', text: 'hello' },
    ]);
    const first = doc.blocks[0];
    if (first) first.provenance.charEnd = 3;
    expect(findProvenanceViolation(doc)).toMatch(/blocks\[0\]/);
  });
});

describe('resolveModel', () => {
  it('finds a model folder under WINNOW_MODELS by name or by hub id', async () => {
    const root = await mkdtemp(join(tmpdir(), 'winnow-models-'));
    await mkdir(join(root, 'all-MiniLM-L6-v2'));
    expect(resolveModel('all-MiniLM-L6-v2', { modelsDir: root, searchFrom: root })).toEqual({
      kind: 'local',
      dir: join(root, 'all-MiniLM-L6-v2'),
      requested: 'all-MiniLM-L6-v2',
    });
    expect(resolveModel('Xenova/all-MiniLM-L6-v2', { modelsDir: root, searchFrom: root })).toMatchObject({
      kind: 'local',
      dir: join(root, 'all-MiniLM-L6-v2'),
    });
  });

  it('finds shared/models beside a checkout when WINNOW_MODELS is unset', async () => {
    const base = await mkdtemp(join(tmpdir(), 'winnow-checkout-'));
    await mkdir(join(base, 'shared', 'models', 'bge-small-en-v1.5'), { recursive: true });
    await mkdir(join(base, 'main', 'packages'), { recursive: true });
    expect(
      resolveModel('bge-small-en-v1.5', { modelsDir: '', searchFrom: join(base, 'main', 'packages') }),
    ).toMatchObject({
      kind: 'local',
      dir: join(base, 'shared', 'models', 'bge-small-en-v1.5'),
    });
  });

  it('maps the bare names of the default models to their hub ids when no folder has them', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'winnow-nomodels-'));
    expect(resolveModel('ms-marco-MiniLM-L-12-v2', { modelsDir: empty, searchFrom: empty })).toEqual({
      kind: 'hub',
      id: 'Xenova/ms-marco-MiniLM-L-12-v2',
      requested: 'ms-marco-MiniLM-L-12-v2',
    });
    expect(resolveModel('all-MiniLM-L6-v2', { modelsDir: empty, searchFrom: empty })).toMatchObject({
      id: 'Xenova/all-MiniLM-L6-v2',
    });
  });

  it('falls back to the hub for an unknown name, and takes explicit paths as local', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'winnow-empty-'));
    expect(resolveModel('Xenova/ms-marco-MiniLM-L-6-v2', { modelsDir: empty, searchFrom: empty })).toEqual({
      kind: 'hub',
      id: 'Xenova/ms-marco-MiniLM-L-6-v2',
      requested: 'Xenova/ms-marco-MiniLM-L-6-v2',
    });
    expect(resolveModel('/opt/models/mine', { modelsDir: empty, searchFrom: empty })).toMatchObject({
      kind: 'local',
      dir: '/opt/models/mine',
    });
  });
});
