/**
 * Issue 16, access control: an app serving many users must never retrieve a chunk a user may not see. A corpus of
 * three tenants (documents restricted to groups or open to their tenant, some with no or a malformed access list,
 * some whose chunk metadata lies about access) is searched by thousands of random (principal, query, filter) cases
 * — dense, lexical, hybrid, MMR, exact, through the store and the retriever — on PGlite and on the server; none
 * may return a chunk outside the principal's access. A collection with access control on refuses a search without
 * a principal. On the server, a reader role that connects with plain SQL sees only the rows of the principal its
 * transaction names (row-level security), and cannot turn it off.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  canAccess,
  chunkId,
  type DocumentAccess,
  type EmbeddedChunk,
  type Embedder,
  type Filter,
  isWinnowError,
  type Principal,
  type SearchRequest,
  type StoredDocumentWrite,
  textHash,
} from '@winnow/core';
import {
  createPgDriver,
  createPgliteDriver,
  GROUPS_SETTING,
  openPgVectorStore,
  type PgVectorStore,
  type SqlDriver,
  TENANT_SETTING,
} from '@winnow/pgvector';
import { createRetriever } from '@winnow/pipeline';
import fc from 'fast-check';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const DIMENSIONS = 8;
const TENANTS = ['acme', 'globex', 'initech'];
const GROUPS = ['hr', 'eng', 'sales', 'exec'];
const WORDS = ['salary', 'roadmap', 'merger', 'budget', 'launch', 'hiring', 'audit', 'pricing', 'secret', 'memo'];
const TIERS = ['public', 'internal', 'restricted'];
/** Property cases per driver: each is one search (or one retrieval) against the same small corpus. */
const RUNS = 1_500;

/** A tiny seeded generator, so the corpus is the same on every run and driver. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

interface CorpusDocument {
  write: StoredDocumentWrite;
  /** What the store must treat as the document's access: undefined when missing or malformed. */
  access: DocumentAccess | undefined;
}

function vectorOf(next: () => number): Float32Array {
  return Float32Array.from({ length: DIMENSIONS }, () => next() * 2 - 1);
}

/** 90 documents × 2 chunks. Access lists: tenant only, tenant + 1–2 groups, none, or malformed (never visible). */
function corpus(): CorpusDocument[] {
  const next = random(16);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)] as T;
  const documents: CorpusDocument[] = [];
  for (let d = 0; d < 90; d++) {
    const id = `doc-${String(d).padStart(3, '0')}`;
    const tenant = TENANTS[d % TENANTS.length] as string;
    const kind = d % 9;
    let stored: unknown;
    let access: DocumentAccess | undefined;
    if (kind === 7) {
      stored = undefined; // no access list: nobody
    } else if (kind === 8) {
      // Malformed lists must never widen access: groups not a list, an empty tenant, a bare string.
      stored = pick([{ tenant, groups: 'hr' }, { tenant: '', groups: [] }, tenant, { groups: ['hr'] }]);
    } else {
      const groups = kind < 3 ? [] : [...new Set([pick(GROUPS), ...(next() < 0.4 ? [pick(GROUPS)] : [])])].sort();
      access = { tenant, groups };
      stored = access;
    }
    const chunks: EmbeddedChunk[] = [0, 1].map((ordinal) => {
      const text = `${pick(WORDS)} ${pick(WORDS)} ${pick(WORDS)} report ${id} part ${ordinal}`;
      const hash = textHash(text);
      return {
        id: chunkId(id, ordinal, hash),
        documentId: id,
        ordinal,
        text,
        headingPath: [],
        provenance: { charStart: 0, charEnd: text.length },
        // A chunk's metadata claims the first tenant's open access: the store must read the document's list only.
        metadata: { access: { tenant: 'acme', groups: [] }, part: ordinal },
        tokenCount: 8,
        hash,
        embedding: vectorOf(next),
      };
    });
    const metadata = { tier: TIERS[d % TIERS.length] as string, ...(stored === undefined ? {} : { access: stored }) };
    documents.push({
      write: { document: { id, uri: `file:///${tenant}/${id}.md`, contentHash: id, metadata } as never, chunks },
      access,
    });
  }
  return documents;
}

const CORPUS = corpus();
const visibleTo = (principal: Principal) =>
  CORPUS.filter((doc) => canAccess(doc.access, principal)).flatMap((doc) => doc.write.chunks.map((c) => c.id));

/** A query embedder for the retriever: a vector from the text's characters. */
const embedder: Embedder = {
  modelId: 'access-control-test',
  dimensions: DIMENSIONS,
  maxTokens: 512,
  async embed(texts) {
    const vectors = texts.map((t) => {
      const next = random([...t].reduce((sum, ch) => sum * 31 + ch.charCodeAt(0), 7));
      return vectorOf(next);
    });
    return { vectors, truncated: [], tokens: texts.length };
  },
};

const principalArb: fc.Arbitrary<Principal> = fc.record({
  // 'umbrella' has no documents; a tenant named like a group must not match groups.
  tenant: fc.constantFrom(...TENANTS, 'umbrella', 'hr'),
  groups: fc.uniqueArray(fc.constantFrom(...GROUPS, 'acme', 'it', "o'brien"), { maxLength: 4 }),
});

/** Filters, including ones that try to widen access through the metadata key the store reads. */
const filterArb: fc.Arbitrary<Filter | undefined> = fc.oneof(
  fc.constant(undefined),
  fc.constantFrom(...TIERS).map((tier): Filter => ({ field: 'metadata.tier', op: 'eq', value: tier })),
  fc.constantFrom(...TENANTS).map((tenant): Filter => ({ field: 'metadata.access.tenant', op: 'eq', value: tenant })),
  fc.constant<Filter>({
    or: [
      { field: 'metadata.access', op: 'exists' },
      { field: 'metadata.access', op: 'notExists' },
    ],
  }),
  fc.constant<Filter>({ not: { field: 'metadata.tier', op: 'eq', value: 'nothing' } }),
  fc.constantFrom(...TENANTS).map((tenant): Filter => ({ field: 'uri', op: 'ne', value: `file:///${tenant}/x.md` })),
);

type Mode = 'dense' | 'lexical' | 'hybrid' | 'mmr' | 'exact';

const caseArb = fc.record({
  principal: principalArb,
  mode: fc.constantFrom<Mode>('dense', 'lexical', 'hybrid', 'mmr', 'exact'),
  words: fc.array(fc.constantFrom(...WORDS, 'report', 'nothing'), { minLength: 1, maxLength: 4 }),
  vector: fc.array(fc.float({ min: -1, max: 1, noNaN: true }), { minLength: DIMENSIONS, maxLength: DIMENSIONS }),
  k: fc.integer({ min: 1, max: 60 }),
  filter: filterArb,
  viaRetriever: fc.boolean(),
});

type Case = typeof caseArb extends fc.Arbitrary<infer T> ? T : never;

function request(c: Case): SearchRequest {
  const vector = Float32Array.from(c.vector.map((x, i) => (i === 0 ? x + 1.5 : x)));
  const text = c.words.join(' ');
  const base = { k: c.k, principal: c.principal, ...(c.filter === undefined ? {} : { filter: c.filter }) };
  switch (c.mode) {
    case 'lexical':
      return { ...base, mode: 'lexical', text };
    case 'hybrid':
      return { ...base, mode: 'hybrid', text, vector };
    case 'mmr':
      return { ...base, mode: 'dense', vector, mmr: { lambda: 0.5 } };
    case 'exact':
      return { ...base, mode: 'dense', vector, exact: true };
    default:
      return { ...base, mode: 'dense', vector };
  }
}

/**
 * The server's JIT compiles the lexical statement (its row estimates over the small, fresh BM25 tables are far too
 * high), ~60–900 ms a query on a busy machine against ~8 ms without; the property is about which rows come back, so
 * its 1,500 server cases run with JIT off.
 */
function withoutJit(databaseUrl: string): string {
  const url = new URL(databaseUrl);
  url.searchParams.set('options', '-c jit=off');
  return url.toString();
}

async function code(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    return isWinnowError(error) ? error.code : String(error);
  }
}

describe.each(['pglite', 'postgres'] as const)('access control on %s', (name) => {
  let driver: SqlDriver;
  let store: PgVectorStore;
  let open: PgVectorStore;
  let dir: string | undefined;
  const collection = `acl_${name}_${process.pid}_${Math.random().toString(36).slice(2, 6)}`;

  beforeAll(async () => {
    if (name === 'pglite') {
      dir = await mkdtemp(join(tmpdir(), 'winnow-access-'));
      driver = await createPgliteDriver({ path: join(dir, 'db') });
    } else {
      driver = await createPgDriver({ url: withoutJit(process.env.DATABASE_URL as string), setting: 'DATABASE_URL' });
    }
    store = await openPgVectorStore({
      driver,
      collection,
      modelId: embedder.modelId,
      dimensions: DIMENSIONS,
      accessControl: true,
    });
    await store.replaceDocuments(CORPUS.map((doc) => doc.write));
    // The same corpus without access control: searches behave as before.
    open = await openPgVectorStore({
      driver,
      collection: `${collection}_open`,
      modelId: embedder.modelId,
      dimensions: DIMENSIONS,
    });
    await open.replaceDocuments(CORPUS.map((doc) => doc.write));
  });

  afterAll(async () => {
    await store?.drop();
    await open?.drop();
    await driver?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it(`${RUNS} random (principal, query, filter) cases return no chunk outside the principal's access`, async () => {
    let returned = 0;
    let searches = 0;
    await fc.assert(
      fc.asyncProperty(caseArb, async (c) => {
        const allowed = new Set(visibleTo(c.principal));
        const req = request(c);
        let ids: string[];
        if (c.viaRetriever && c.mode !== 'exact') {
          const retriever = createRetriever({
            store,
            embedder,
            recall: { ...req, mode: req.mode, k: c.k },
            dedupe: false,
            k: c.k,
          });
          const result = await retriever.retrieve(c.words.join(' '), { principal: c.principal });
          ids = result.candidates.map((candidate) => candidate.chunk.id);
        } else {
          ids = (await store.search(req)).map((candidate) => candidate.chunk.id);
        }
        searches++;
        returned += ids.length;
        const leaked = ids.filter((id) => !allowed.has(id));
        expect(leaked).toEqual([]);
      }),
      { numRuns: RUNS, seed: 1_616 },
    );
    expect(searches).toBe(RUNS);
    // The property is not met by returning nothing: the cases found many permitted chunks.
    expect(returned).toBeGreaterThan(RUNS * 2);
  });

  it('an exact search for everything returns exactly the chunks the principal may see', async () => {
    const principals: Principal[] = [
      { tenant: 'acme', groups: [] },
      { tenant: 'acme', groups: ['hr'] },
      { tenant: 'globex', groups: ['eng', 'exec'] },
      { tenant: 'initech', groups: GROUPS },
      { tenant: 'umbrella', groups: GROUPS },
    ];
    for (const principal of principals) {
      const hits = await store.search({
        mode: 'dense',
        k: 1_000,
        exact: true,
        vector: Float32Array.from({ length: DIMENSIONS }, () => 1),
        principal,
      });
      expect(hits.map((h) => h.chunk.id).sort()).toEqual(visibleTo(principal).sort());
    }
    // Documents with no or a malformed list are seen by nobody, even a principal in every group.
    const hidden = CORPUS.filter((doc) => doc.access === undefined).map((doc) => doc.write.document.id);
    expect(hidden.length).toBeGreaterThan(0);
    for (const tenant of TENANTS) {
      const hits = await store.search({
        mode: 'lexical',
        k: 1_000,
        text: 'report',
        principal: { tenant, groups: [...GROUPS, 'it'] },
      });
      expect(hits.length).toBeGreaterThan(0);
      expect(hits.filter((h) => hidden.includes(h.chunk.documentId))).toEqual([]);
    }
  });

  it('listDocuments and counts with a principal give exactly what it may see; without one, everything', async () => {
    for (const principal of [
      { tenant: 'acme', groups: [] },
      { tenant: 'globex', groups: ['eng', 'exec'] },
      { tenant: 'umbrella', groups: GROUPS },
    ]) {
      const documents = CORPUS.filter((doc) => canAccess(doc.access, principal)).map((doc) => doc.write.document.id);
      const listed = await store.listDocuments({ principal });
      expect(listed.map((d) => d.id)).toEqual(documents.sort());
      expect(await store.counts({ principal })).toEqual({
        documents: documents.length,
        chunks: visibleTo(principal).length,
      });
    }
    // The owner's listing (the indexer's) is whole.
    expect(await store.counts()).toEqual({ documents: CORPUS.length, chunks: CORPUS.length * 2 });
    expect(await code(store.listDocuments({ principal: { tenant: '', groups: [] } }))).toBe('E_PRINCIPAL_INVALID');
  });

  it('refuses a search without a principal when the collection has access control on', async () => {
    const vector = Float32Array.from({ length: DIMENSIONS }, () => 1);
    expect(await code(store.search({ mode: 'dense', k: 5, vector }))).toBe('E_PRINCIPAL_REQUIRED');
    expect(await code(store.search({ mode: 'lexical', k: 5, text: 'salary' }))).toBe('E_PRINCIPAL_REQUIRED');
    const retriever = createRetriever({ store, embedder, recall: { mode: 'hybrid', k: 10 }, k: 5 });
    expect(await code(retriever.retrieve('salary budget'))).toBe('E_PRINCIPAL_REQUIRED');
    // A malformed principal is refused as such, naming the field.
    expect(await code(store.search({ mode: 'dense', k: 5, vector, principal: { tenant: '', groups: [] } }))).toBe(
      'E_PRINCIPAL_INVALID',
    );
    // The switch is the collection's: reopened without the option, it stays on.
    const again = await openPgVectorStore({ driver, collection });
    expect(again.accessControl).toBe(true);
    expect(await code(again.search({ mode: 'dense', k: 5, vector }))).toBe('E_PRINCIPAL_REQUIRED');
  });

  it('a collection without access control answers without a principal, as before', async () => {
    const hits = await open.search({
      mode: 'dense',
      k: 1_000,
      exact: true,
      vector: Float32Array.from({ length: DIMENSIONS }, () => 1),
    });
    expect(hits).toHaveLength(CORPUS.length * 2);
    expect(open.accessControl).toBe(false);
  });
});

describe('row-level security on the server', () => {
  const role = 'winnow_test_reader';
  const password = 'winnow_test_reader';
  const collection = `acl_rls_${process.pid}_${Math.random().toString(36).slice(2, 6)}`;
  let owner: SqlDriver;
  let store: PgVectorStore;
  let readerUrl: string;

  beforeAll(async () => {
    owner = await createPgDriver({ url: process.env.DATABASE_URL as string, setting: 'DATABASE_URL' });
    // A login role without BYPASSRLS that does not own the tables (the test role may create roles: see
    // scripts/setup-postgres.sh). Created once per server; re-runs reuse it.
    await owner.query(`do $$ begin
      if not exists (select from pg_roles where rolname = '${role}') then
        create role ${role} login password '${password}' nosuperuser nobypassrls;
      end if; end $$`);
    store = await openPgVectorStore({
      driver: owner,
      collection,
      modelId: embedder.modelId,
      dimensions: DIMENSIONS,
      accessControl: true,
    });
    await store.replaceDocuments(CORPUS.map((doc) => doc.write));
    await store.grantReader(role);
    const url = new URL(process.env.DATABASE_URL as string);
    url.username = role;
    url.password = password;
    readerUrl = url.toString();
  });

  afterAll(async () => {
    await store?.drop();
    await owner?.close();
  });

  it('a reader role with plain SQL sees only the rows of the principal its transaction names', async () => {
    const client = new pg.Client({ connectionString: readerUrl });
    await client.connect();
    try {
      const chunks = `"${collection}_chunks"`;
      const documents = `"${collection}_documents"`;
      // No principal named: nothing, whatever the query asks for.
      expect((await client.query(`select count(*)::int as n from ${chunks}`)).rows[0].n).toBe(0);
      expect(
        (await client.query(`select count(*)::int as n from ${documents} where access_tenant = 'globex'`)).rows[0].n,
      ).toBe(0);
      // Row security cannot be switched off by the reader: the query fails instead of returning everything.
      await expect(client.query(`set row_security = off; select count(*) from ${chunks}`)).rejects.toThrow(
        /row-level security/,
      );
      await client.query('reset row_security');
      for (const principal of [
        { tenant: 'acme', groups: ['hr'] },
        { tenant: 'globex', groups: [] },
        { tenant: 'initech', groups: ['eng', 'sales'] },
      ] satisfies Principal[]) {
        await client.query('begin');
        await client.query('select set_config($1, $2, true), set_config($3, $4, true)', [
          TENANT_SETTING,
          principal.tenant,
          GROUPS_SETTING,
          JSON.stringify(principal.groups),
        ]);
        // A query that asks for every tenant's rows, joins and all.
        const { rows } = await client.query<{ id: string }>(
          `select c.id from ${chunks} c join ${documents} d on d.id = c.document_id
           where d.access_tenant in ('acme', 'globex', 'initech') or true`,
        );
        await client.query('commit');
        expect(rows.map((r) => r.id).sort()).toEqual(visibleTo(principal).sort());
      }
      // After the transaction its principal is gone.
      expect((await client.query(`select count(*)::int as n from ${chunks}`)).rows[0].n).toBe(0);
    } finally {
      await client.end();
    }
  });

  it('winnow opened as the reader role searches under RLS and refuses a search without a principal', async () => {
    const reader = await openPgVectorStore({ url: readerUrl, collection });
    try {
      expect(reader.accessControl).toBe(true);
      const principal = { tenant: 'globex', groups: ['exec'] };
      for (const mode of ['dense', 'lexical', 'hybrid'] as const) {
        const hits = await reader.search({
          mode,
          k: 1_000,
          text: 'report',
          vector: Float32Array.from({ length: DIMENSIONS }, () => 1),
          principal,
        });
        const allowed = new Set(visibleTo(principal));
        expect(hits.length).toBeGreaterThan(0);
        expect(hits.filter((h) => !allowed.has(h.chunk.id))).toEqual([]);
      }
      expect(await code(reader.search({ mode: 'lexical', k: 5, text: 'report' }))).toBe('E_PRINCIPAL_REQUIRED');
      // Listings as the reader: the principal's documents; without one, RLS shows nothing.
      const listed = await reader.listDocuments({ principal });
      expect(listed.map((d) => d.id)).toEqual(
        CORPUS.filter((doc) => canAccess(doc.access, principal))
          .map((doc) => doc.write.document.id)
          .sort(),
      );
      expect(await reader.counts()).toEqual({ documents: 0, chunks: 0 });

      // The reader cannot write.
      await expect(reader.deleteDocuments(['doc-000'])).rejects.toThrow();
    } finally {
      await reader.close();
    }
  });
});
