/**
 * The HTML report rendered by a real headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core):
 * every chart is drawn inside its frame, the table shows what results.json holds, and the page loads nothing.
 * The results are computed without models: three golden BM25 runs on ADI are the configurations, evaluated with
 * the real metric, bootstrap and significance code; only the latencies are a seeded sample.
 */
import { existsSync } from 'node:fs';
import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseConfig } from '@winnow/core';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ConfigurationResult,
  compareWithBaseline,
  compareWithReferences,
  type EvalResults,
  evaluateRun,
  indexKey,
  REPORT_MEASURES,
  type ReferenceComparison,
  readQrels,
  readTrecRun,
  type StageTimings,
  summariseConfiguration,
  writeEvalOutputs,
} from '../src/index.js';
import { GOLDEN, type GoldenCase, goldenCases, goldenExpected } from './golden.js';

const CHROMIUM = '/usr/bin/chromium';
const LAUNCH_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const TABLE_MEASURES = ['ndcg@10', 'mrr@10', 'recall@10', 'recall@50', 'recall@100', 'map@100'];
const ADI_DOCUMENTS = 82;
/** A made-up published figure with a long label, so the references table must wrap to fit the page. */
const REFERENCE = {
  label: 'a BM25 run published elsewhere, with a label long enough to need wrapping in a narrow window',
  source: 'a paper (Table 2)',
  metrics: { 'ndcg@10': 0.3, 'recall@100': 0.9 },
};

/** Golden cases on the ADI qrels whose runs cover all 35 queries, so each can be compared with the first. */
const GOLDEN_CONFIGURATIONS = [
  { name: 'bm25', case: 'adi-bm25', k: 50 },
  { name: 'bm25 + unjudged ids', case: 'unjudged', k: 50 },
  { name: 'bm25 top-1', case: 'single', k: 1 },
];

function goldenCase(name: string): GoldenCase {
  const found = goldenCases().find((c) => c.case === name);
  if (!found) throw new Error(`${join(GOLDEN, 'cases.json')} has no case '${name}'`);
  return found;
}

/** Deterministic stand-in for measured latencies: lexical recall only (no query embedding, no reranker). */
function latencySample(queries: number, seed: number): StageTimings[] {
  let state = seed >>> 0;
  const next = () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
  return Array.from({ length: queries }, () => {
    const recall = 1.5 + 4 * next() ** 2;
    return { embed: 0, recall, rerank: 0, total: recall + 0.2 };
  });
}

interface DrawnBox {
  tag: string;
  className: string;
  fill: string;
  title: string;
  left: number;
  top: number;
  right: number;
  bottom: number;
  width: number;
  height: number;
}

async function goldenResults(): Promise<EvalResults> {
  const measures = [...REPORT_MEASURES];
  const qrels = await readQrels(join(GOLDEN, 'qrels/adi.tsv'));
  const configurations: ConfigurationResult[] = [];
  for (const [i, golden] of GOLDEN_CONFIGURATIONS.entries()) {
    const testCase = goldenCase(golden.case);
    expect(testCase.qrels).toBe('qrels/adi.tsv');
    const run = await readTrecRun(join(GOLDEN, testCase.run));
    const evaluation = evaluateRun(run, qrels, measures);
    // Golden BM25 runs: lexical recall alone, no reranker.
    const config = parseConfig({
      chunk: { split: false },
      recall: { mode: 'lexical', k: golden.k },
      rerank: { provider: 'none' },
    });
    configurations.push(
      summariseConfiguration({
        name: golden.name,
        config,
        indexKey: indexKey(config),
        evaluation,
        run,
        timings: latencySample(evaluation.queries.evaluated, 11 + i),
        index: { documents: ADI_DOCUMENTS, chunks: ADI_DOCUMENTS, embedded: 0, reused: 0, durationMs: 850 },
      }),
    );
  }
  const baseline = GOLDEN_CONFIGURATIONS[0]?.name ?? '';
  compareWithBaseline(configurations, baseline, measures);
  const first = configurations[0] as ConfigurationResult;
  first.references = compareWithReferences(first.metrics, [REFERENCE]);
  // As if the second configuration took some rerank scores from an earlier run's cache file.
  (configurations[1] as ConfigurationResult).rerankPairs = { computed: 40, cached: 10, fromEarlierRun: 10 };
  // And as if the others had been chosen in the two tuned ways, with a reranker and hybrid recall to describe.
  const second = configurations[1] as ConfigurationResult;
  second.config = parseConfig({
    chunk: { split: false },
    recall: { mode: 'hybrid', k: 50, lexicalWeight: 0.75 },
    rerank: { model: 'ce-minilm-l6-scifact', depth: 20, maxTokens: 256 },
    fusion: { method: 'rrf', weight: 0.4 },
  });
  second.chosenBy = { how: 'split', split: 'train' };
  second.tuning = {
    split: 'train',
    queries: 18,
    measure: 'ndcg@10',
    chosen: second.config.fusion,
    grid: [{ method: 'rrf', weight: 0.4, value: 0.5 }],
  };
  const third = configurations[2] as ConfigurationResult;
  third.config = parseConfig({ chunk: { split: false }, recall: { mode: 'dense', k: 1 }, rerank: { depth: 10 } });
  third.chosenBy = { how: 'k-fold', folds: 2, seed: 42 };
  const fold = (n: number, method: 'rrf' | 'interpolate', weight: number) => ({
    fold: n,
    queryIds: [],
    tuning: {
      split: 'test',
      queries: 17,
      measure: 'ndcg@10',
      chosen: { ...third.config.fusion, method, weight },
      grid: [],
    },
  });
  third.folds = [fold(1, 'rrf', 0.3), fold(2, 'interpolate', 0.5)];
  return {
    dataset: 'adi',
    split: 'test',
    createdAt: '2025-01-01T00:00:00.000Z',
    queries: qrels.size,
    baseline,
    measures,
    configurations,
  };
}

/** The little of the DOM the page functions use: tests compile without TypeScript's DOM library. */
interface DomElement {
  tagName: string;
  textContent: string | null;
  scrollWidth: number;
  getAttribute(name: string): string | null;
  querySelector(selector: string): DomElement | null;
  querySelectorAll(selector: string): Iterable<DomElement>;
  getBoundingClientRect(): { left: number; top: number; right: number; bottom: number; width: number; height: number };
}
interface BrowserWindow {
  innerWidth: number;
  document: { documentElement: DomElement };
}

/** Screen boxes of an element's drawn children (rect, polyline, line, text), with the chart's own box. */
async function chartBoxes(page: Page, chart: string): Promise<{ frame: DrawnBox; shapes: DrawnBox[] }> {
  return page.locator(`svg.chart[data-chart="${chart}"]`).evaluate((chartElement) => {
    const svg = chartElement as unknown as DomElement;
    const box = (el: DomElement) => {
      const r = el.getBoundingClientRect();
      return {
        tag: el.tagName,
        className: el.getAttribute('class') ?? '',
        fill: el.getAttribute('fill') ?? '',
        title: el.querySelector('title')?.textContent ?? '',
        left: r.left,
        top: r.top,
        right: r.right,
        bottom: r.bottom,
        width: r.width,
        height: r.height,
      };
    };
    return { frame: box(svg), shapes: [...svg.querySelectorAll('rect, polyline, line, text')].map(box) };
  });
}

/** Half a pixel of slack for anti-aliased edges and rounding. */
function expectInside(shape: DrawnBox, frame: DrawnBox, where: string): void {
  const inside =
    shape.left >= frame.left - 0.5 &&
    shape.right <= frame.right + 0.5 &&
    shape.top >= frame.top - 0.5 &&
    shape.bottom <= frame.bottom + 0.5;
  expect(inside, `${where}: ${shape.tag} '${shape.title}' drawn outside its chart`).toBe(true);
}

/** Launches Chromium on the report; fails (never skips) with a pointer to the setup script if it is missing. */
async function openReport(reportFile: string, requests: string[], consoleErrors: string[]) {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} is missing: the report test needs Debian's Chromium. Install it with 'bash scripts/setup-chromium.sh' (as root or with sudo).`,
    );
  }
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS });
  const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  const reportUrl = pathToFileURL(reportFile).href;
  page.on('request', (request) => {
    if (request.url() !== reportUrl) requests.push(request.url());
  });
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text());
  });
  await page.goto(reportUrl, { waitUntil: 'load' });
  return { browser, page };
}

describe('HTML report in headless Chromium', () => {
  let work: string;
  let results: EvalResults;
  let json: { configurations: Record<string, unknown>[] };
  let opened: Promise<{ browser: Browser; page: Page }> | undefined;
  const requests: string[] = [];
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'winnow-report-'));
    results = await goldenResults();
    await writeEvalOutputs(results, work);
    json = JSON.parse(await readFile(join(work, 'results.json'), 'utf8')) as typeof json;
  });

  afterAll(async () => {
    await (await opened?.catch(() => undefined))?.browser.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  /** Every test opens (once, shared) the page itself, so a missing browser fails each of them. */
  const inBrowser = (name: string, check: (page: Page) => Promise<void>) =>
    it(name, async () => {
      opened ??= openReport(join(work, 'report.html'), requests, consoleErrors);
      await check((await opened).page);
    });

  inBrowser('loads as one self-contained page: no other request, no console error', async (page) => {
    expect(await page.title()).toBe('winnow eval: adi test');
    expect(requests).toEqual([]);
    expect(consoleErrors).toEqual([]);
  });

  inBrowser('fits a 1100 px wide window without scrolling sideways', async (page) => {
    const widths = await page.evaluate(() => {
      const browserWindow = globalThis as unknown as BrowserWindow;
      return { page: browserWindow.document.documentElement.scrollWidth, window: browserWindow.innerWidth };
    });
    expect((await page.locator('table#results').boundingBox())?.width).toBeGreaterThan(0);
    expect(widths.page, `page ${widths.page} px wide in a ${widths.window} px window`).toBeLessThanOrEqual(
      widths.window,
    );
  });

  inBrowser('shows reference figures beside the configuration’s own, with the difference', async (page) => {
    const name = GOLDEN_CONFIGURATIONS[0]?.name ?? '';
    const stored = json.configurations[0] as Record<string, number> & { references: ReferenceComparison[] };
    const ours = stored['ndcg@10'] as number;
    expect(stored.references[0]?.difference['ndcg@10']).toBeCloseTo(ours - 0.3, 12);
    const rows = page.locator('table#references tr[data-config]');
    expect(await rows.count()).toBe(1);
    const row = page.locator(`table#references tr[data-config="${name}"]`);
    expect(await row.locator('td').nth(1).textContent()).toBe(REFERENCE.label);
    const diff = ours - 0.3;
    expect(await row.locator('td[data-measure="ndcg@10"]').textContent()).toBe(
      `${ours.toFixed(4)} vs 0.3000 (${diff >= 0 ? '+' : ''}${diff.toFixed(4)})`,
    );
    expect(await row.locator('td[data-measure="mrr@10"]').textContent()).toBe('–');
  });

  inBrowser('marks latencies that leave out cached rerank pairs, and says how many', async (page) => {
    const [first, second] = GOLDEN_CONFIGURATIONS.map((c) => c.name);
    const cells = async (name: string | undefined) =>
      page.locator(`table#results tr[data-config="${name}"] td`).allTextContents();
    const marked = (await cells(second)).slice(-4, -1);
    expect(
      marked.every((text) => text.endsWith('*')),
      marked.join(' | '),
    ).toBe(true);
    expect((await cells(first)).some((text) => text.endsWith('*'))).toBe(false);
    expect(await page.locator('p.note').textContent()).toContain(`${second}: 10 of 50 rerank pairs`);
  });

  inBrowser('shows per configuration what ran and how its weights were chosen', async (page) => {
    const cells = async (name: string) => {
      const row = page.locator(`table#settings tr[data-config="${name}"]`);
      const read = async (field: string) => (await row.locator(`td[data-field="${field}"]`).textContent()) ?? '';
      return {
        embedder: await read('embedder'),
        recall: await read('recall'),
        reranker: await read('reranker'),
        depth: await read('rerankDepth'),
        maxTokens: await read('rerankMaxTokens'),
        fusion: await read('fusion'),
        chosenBy: await read('chosenBy'),
      };
    };
    const [first, second, third] = GOLDEN_CONFIGURATIONS.map((c) => c.name) as [string, string, string];
    expect(await cells(first)).toEqual({
      embedder: '– (lexical recall)',
      recall: 'lexical k=50',
      reranker: '–',
      depth: '–',
      maxTokens: '–',
      fusion: '–',
      chosenBy: 'as written',
    });
    expect(await cells(second)).toEqual({
      embedder: 'transformers all-MiniLM-L6-v2',
      recall: 'hybrid k=50 (dense 1, lexical 0.75, rrf k=60)',
      reranker: 'transformers ce-minilm-l6-scifact',
      depth: '20',
      maxTokens: '256',
      fusion: 'rrf 0.4',
      chosenBy: 'tuned on train (18 queries)',
    });
    // Depth is capped by recall k (1 here); each fold's own fusion is listed.
    expect(await cells(third)).toMatchObject({
      recall: 'dense k=1',
      depth: '1',
      maxTokens: "model's limit",
      fusion: 'per fold: rrf 0.3 · interpolate 0.5',
      chosenBy: 'k-fold (2 folds of the scored split, seed 42)',
    });
    expect(await page.locator('li:has(li[data-fold])').first().textContent()).toContain(
      'fold 2: 0 queries scored with fusion interpolate 0.5 (tuned on the other 17 queries)',
    );
  });

  inBrowser('shows no source-chunk table for judged queries', async (page) => {
    // Chunk-level figures exist only for datasets of `winnow eval --generate` (see eval-generate.test.ts).
    expect(await page.locator('table#chunk-level').count()).toBe(0);
  });

  inBrowser('says where cached work came from', async (page) => {
    const second = GOLDEN_CONFIGURATIONS[1]?.name;
    expect(await page.locator('p.note').first().textContent()).toContain(
      `${second}: 10 of 50 rerank pairs cached (all from an earlier run)`,
    );
  });

  inBrowser('shows in the results table what results.json holds, to 4 decimals', async (page) => {
    expect(json.configurations.map((c) => c.name)).toEqual(GOLDEN_CONFIGURATIONS.map((c) => c.name));
    const rows = page.locator('table#results tr[data-config]');
    expect(await rows.count()).toBe(GOLDEN_CONFIGURATIONS.length);
    for (const stored of json.configurations) {
      const name = String(stored.name);
      const row = page.locator(`table#results tr[data-config="${name}"]`);
      expect(await row.locator('td').first().textContent()).toBe(name);
      for (const measure of TABLE_MEASURES) {
        const value = stored[measure];
        expect(typeof value, `results.json ${name} ${measure}`).toBe('number');
        const cell = await row.locator(`td[data-measure="${measure}"]`).textContent();
        expect(cell, `${name} ${measure}`).toBe((value as number).toFixed(4));
      }
    }
    // The figures are trec_eval's: pytrec_eval's means for the same golden run and qrels.
    for (const [i, golden] of GOLDEN_CONFIGURATIONS.entries()) {
      const { mean } = goldenExpected(goldenCase(golden.case));
      const stored = json.configurations[i] as Record<string, number>;
      expect(stored['ndcg@10']).toBeCloseTo(mean.ndcg_cut_10 ?? Number.NaN, 6);
      expect(stored['recall@100']).toBeCloseTo(mean.recall_100 ?? Number.NaN, 6);
      expect(stored['map@100']).toBeCloseTo(mean.map_cut_100 ?? Number.NaN, 6);
    }
  });

  inBrowser('draws one bar per configuration in each metric chart, as long as its mean says', async (page) => {
    for (const measure of ['ndcg@10', 'mrr@10', 'recall@100', 'map@100']) {
      const { frame, shapes } = await chartBoxes(page, `metric-${measure}`);
      expect(frame.width).toBeGreaterThan(0);
      const bars = shapes.filter((s) => s.className === 'bar');
      expect(bars).toHaveLength(results.configurations.length);
      // viewBox 640 wide, bar scale 400 units for a mean of 1: compare drawn widths in those units.
      const unit = frame.width / 640;
      for (const [i, config] of results.configurations.entries()) {
        const mean = config.metrics[measure] ?? Number.NaN;
        const bar = bars[i] as DrawnBox;
        expect(mean, `${config.name} ${measure}`).toBeGreaterThan(0);
        expect(bar.height).toBeGreaterThan(0);
        expect(Math.abs(bar.width / unit - mean * 400), `${config.name} ${measure} bar width`).toBeLessThan(1);
      }
      for (const shape of shapes) expectInside(shape, frame, `metric-${measure}`);
    }
  });

  inBrowser('draws one recall curve per configuration, rising as far as recall@1 to recall@100 do', async (page) => {
    const { frame, shapes } = await chartBoxes(page, 'recall-curves');
    const curves = shapes.filter((s) => s.className === 'curve');
    expect(curves.map((c) => c.title)).toEqual(results.configurations.map((c) => c.name));
    // viewBox 640 × 300: k = 1…100 spans 440 units across, recall 0…1 spans 250 units up.
    const unit = frame.width / 640;
    for (const [i, curve] of curves.entries()) {
      const { metrics } = results.configurations[i] as ConfigurationResult;
      const rise = (metrics['recall@100'] ?? 0) - (metrics['recall@1'] ?? 0);
      expect(Math.abs(curve.width / unit - 440), `${curve.title} curve width`).toBeLessThan(3);
      expect(Math.abs(curve.height / unit - rise * 250), `${curve.title} curve height`).toBeLessThan(3);
    }
    // The top-1 run cannot gain recall past rank 1: a flat line, still drawn.
    expect(curves.filter((c) => c.height > 0)).toHaveLength(2);
    for (const shape of shapes) expectInside(shape, frame, 'recall-curves');
  });

  inBrowser(
    'tells the recall curves apart: a style each, and a label at each end that no other covers',
    async (page) => {
      const styles = await page.locator('svg[data-chart="recall-curves"] polyline.curve').evaluateAll((lines) =>
        lines.map((l) => {
          const line = l as unknown as DomElement;
          return `${line.getAttribute('stroke')} ${line.getAttribute('stroke-dasharray') ?? 'solid'}`;
        }),
      );
      expect(new Set(styles).size).toBe(results.configurations.length);
      expect(new Set(styles.map((s) => s.split(' ').slice(1).join(' '))).size).toBe(results.configurations.length);
      const { frame, shapes } = await chartBoxes(page, 'recall-curves');
      const labels = shapes.filter((s) => s.className === 'curve-label');
      expect(labels.map((l) => l.title || '')).toHaveLength(results.configurations.length);
      const texts = await page
        .locator('svg[data-chart="recall-curves"] text.curve-label')
        .evaluateAll((els) => els.map((el) => (el as unknown as DomElement).getAttribute('data-config')));
      expect(texts.sort()).toEqual(results.configurations.map((c) => c.name).sort());
      for (const [i, a] of labels.entries()) {
        expectInside(a, frame, 'recall label');
        for (const b of labels.slice(i + 1)) {
          const overlap = a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
          expect(overlap, 'two curve labels overlap').toBe(false);
        }
      }
      // Axis ticks on both axes: the k cut-offs and recall 0…1.
      const ticks = await page.locator('svg[data-chart="recall-curves"] text.tick').allTextContents();
      expect(ticks).toEqual(['1', '3', '5', '10', '20', '50', '100', '0', '0.25', '0.5', '0.75', '1']);
    },
  );

  inBrowser('draws per-query wins and losses against the baseline, one bar per query', async (page) => {
    const [base, ...others] = results.configurations as [ConfigurationResult, ...ConfigurationResult[]];
    expect(others).toHaveLength(2);
    for (const [i, other] of others.entries()) {
      const { frame, shapes } = await chartBoxes(page, `wins-${i}`);
      const bars = shapes.filter((s) => s.className === 'bar');
      const deltas = Object.keys(base.perQuery).map(
        (q) => (other.perQuery[q]?.['ndcg@10'] ?? 0) - (base.perQuery[q]?.['ndcg@10'] ?? 0),
      );
      expect(bars).toHaveLength(deltas.length);
      const drawnWins = bars.filter((b) => b.height > 0 && b.fill === '#4c9a2a').length;
      const drawnLosses = bars.filter((b) => b.height > 0 && b.fill === '#c0392b').length;
      expect(drawnWins, `${other.name} wins`).toBe(deltas.filter((d) => d > 0).length);
      expect(drawnLosses, `${other.name} losses`).toBe(deltas.filter((d) => d < 0).length);
      expect(drawnWins + drawnLosses).toBeGreaterThan(0);
      for (const bar of bars) expect(bar.width).toBeGreaterThan(0);
      // A y scale from -1 to +1, and bars as tall as the scale says.
      const ticks = shapes.filter((s) => s.tag === 'text' && s.className === 'tick');
      const tickText = await page.locator(`svg[data-chart="wins-${i}"] text.tick`).allTextContents();
      expect(tickText).toEqual(['+1', '+0.5', '0', '-0.5', '-1']);
      const centre = (b: DrawnBox) => (b.top + b.bottom) / 2;
      const unit = centre(ticks[2] as DrawnBox) - centre(ticks[0] as DrawnBox);
      const tallest = Math.max(...deltas.map(Math.abs));
      expect(Math.abs(Math.max(...bars.map((b) => b.height)) - tallest * unit)).toBeLessThan(1);
      for (const shape of shapes) expectInside(shape, frame, `wins-${i}`);
    }
  });

  inBrowser('draws the latency of each configuration', async (page) => {
    const { frame, shapes } = await chartBoxes(page, 'latency');
    const bars = shapes.filter((s) => s.className === 'bar');
    // embed, recall and rerank per configuration; these lexical runs only spend time in recall.
    expect(bars).toHaveLength(3 * results.configurations.length);
    const recallBars = bars.filter((b) => b.title.startsWith('recall p50'));
    expect(recallBars).toHaveLength(results.configurations.length);
    for (const bar of recallBars) {
      expect(bar.width).toBeGreaterThan(0);
      expect(bar.height).toBeGreaterThan(0);
    }
    for (const shape of shapes) expectInside(shape, frame, 'latency');
  });

  inBrowser('takes a full-page screenshot', async (page) => {
    const path = join(work, 'report.png');
    await page.screenshot({ path, fullPage: true });
    const png = await readFile(path);
    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
    // For a person to look at: WINNOW_REPORT_SCREENSHOT=/some/file.png keeps a copy.
    const keep = process.env.WINNOW_REPORT_SCREENSHOT;
    if (keep) await copyFile(path, keep);
  });
});
