import { chosenByText, describeConfiguration, SETTINGS_COLUMNS } from './describe.js';
import { type ConfigurationResult, cachedWork, type EvalResults } from './run.js';

/**
 * A self-contained HTML report: inline SVG charts (no scripts, no network), so it opens anywhere and can be
 * archived with CI artifacts. Charts: metric bars with 95% bootstrap intervals, recall@k curves, per-query
 * wins and losses against the baseline, and latency per stage.
 */
// Twelve distinct colours, so a typical comparison (up to a dozen configurations) never repeats one.
const COLOURS = [
  '#3b6ea5',
  '#d9822b',
  '#4c9a2a',
  '#b5446e',
  '#7d5ba6',
  '#2a9d8f',
  '#8d6e63',
  '#c0392b',
  '#1b1b1b',
  '#e377c2',
  '#17becf',
  '#bcbd22',
];
const esc = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
const fmt = (x: number | undefined, digits = 4) => (x === undefined || Number.isNaN(x) ? '–' : x.toFixed(digits));
const colour = (i: number) => COLOURS[i % COLOURS.length] as string;
// Line styles for the recall curves: with the colours, no two of 12 configurations share both, and a style still
// tells curves apart in greyscale print or to a reader who confuses two colours.
const DASHES = ['', '8 4', '2 3', '10 3 2 3', '4 4', '1 6'];
const dash = (i: number) => DASHES[i % DASHES.length] as string;
const dashAttr = (i: number) => (dash(i) ? ` stroke-dasharray="${dash(i)}"` : '');
// Monte Carlo p-values bottom out at 1/(trials+1): say "below" rather than print a rounded 0.
const pText = (p: number | undefined) => (p !== undefined && p < 0.0001 ? '< 0.0001' : `= ${fmt(p, 4)}`);

function metricBars(results: EvalResults, measure: string): string {
  const configs = results.configurations;
  const width = 640;
  const rowH = 26;
  const left = 180;
  const height = configs.length * rowH + 30;
  const scale = (v: number) => left + v * (width - left - 60);
  const rows = configs
    .map((c, i) => {
      const v = c.metrics[measure] ?? 0;
      const ci = c.intervals[measure];
      const y = 10 + i * rowH;
      const bar = `<rect class="bar" x="${left}" y="${y}" width="${Math.max(0, scale(v) - left)}" height="${rowH - 8}" fill="${colour(i)}"><title>${esc(c.name)}: ${fmt(v)}</title></rect>`;
      const whisker = ci
        ? `<line x1="${scale(ci.lower)}" x2="${scale(ci.upper)}" y1="${y + (rowH - 8) / 2}" y2="${y + (rowH - 8) / 2}" stroke="#222" stroke-width="1.5"/>`
        : '';
      // The value goes right of the bar and of its interval, so the whisker never crosses the digits.
      const labelX = Math.max(scale(v), ci ? scale(ci.upper) : 0) + 6;
      return `<text x="${left - 6}" y="${y + 13}" text-anchor="end">${esc(c.name)}</text>${bar}${whisker}<text x="${labelX}" y="${y + 13}">${fmt(v)}</text>`;
    })
    .join('');
  return `<figure><figcaption>${esc(measure)} (bars: mean; lines: 95% bootstrap interval)</figcaption><svg class="chart" data-chart="metric-${esc(measure)}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}">${rows}</svg></figure>`;
}

// A curve label longer than this is cut (the full name is its tooltip), so it stays inside the chart.
const shorten = (name: string) => (name.length > 20 ? `${name.slice(0, 19)}…` : name);

function recallCurves(results: EvalResults): string {
  const ks = [1, 3, 5, 10, 20, 50, 100];
  const width = 640;
  const height = 300;
  const x = (i: number) => 50 + (i / (ks.length - 1)) * (width - 200);
  const y = (v: number) => height - 30 - v * (height - 50);
  const ticks = [0, 0.25, 0.5, 0.75, 1];
  const axes = `<line x1="50" y1="${y(0)}" x2="${x(ks.length - 1)}" y2="${y(0)}" stroke="#888"/><line x1="50" y1="${y(0)}" x2="50" y2="${y(1)}" stroke="#888"/>${ks.map((k, i) => `<text class="tick" x="${x(i)}" y="${height - 16}" text-anchor="middle">${k}</text>`).join('')}${ticks.map((v) => `<line x1="46" x2="50" y1="${y(v)}" y2="${y(v)}" stroke="#888"/><text class="tick" x="44" y="${y(v) + 4}" text-anchor="end">${v}</text>`).join('')}<text x="${(50 + x(ks.length - 1)) / 2}" y="${height - 4}" text-anchor="middle">k (cut-off)</text><text x="4" y="12">recall</text>`;
  const configs = results.configurations;
  const lines = configs
    .map((c, i) => {
      const points = ks.map((k, j) => `${x(j)},${y(c.metrics[`recall@${k}`] ?? 0)}`).join(' ');
      return `<polyline class="curve" data-config="${esc(c.name)}" points="${points}" fill="none" stroke="${colour(i)}" stroke-width="2"${dashAttr(i)}><title>${esc(c.name)}</title></polyline>`;
    })
    .join('');
  // Direct labels at each curve's end (recall@100), pushed apart where curves end close together, with a leader
  // line from the end to a moved label: two curves that overlap still get two readable labels.
  const gap = 15;
  const ends = configs
    .map((c, i) => ({ i, name: c.name, at: y(c.metrics['recall@100'] ?? 0) }))
    .sort((a, b) => a.at - b.at || a.i - b.i);
  const top = 12;
  const bottom = height - 34;
  let next = top;
  const placed = ends.map((e) => {
    const label = Math.max(e.at, next);
    next = label + gap;
    return { ...e, label };
  });
  // If the stack ran off the bottom, shift it up as a whole (never above the top).
  const overflow = Math.max(0, (placed.at(-1)?.label ?? 0) - bottom);
  for (const p of placed) p.label = Math.max(top, p.label - overflow);
  const endX = x(ks.length - 1);
  const labels = placed
    .map(
      (p) =>
        `<line class="leader" x1="${endX}" y1="${p.at}" x2="${endX + 10}" y2="${p.label}" stroke="${colour(p.i)}"${dashAttr(p.i)}/><text class="curve-label" data-config="${esc(p.name)}" x="${endX + 13}" y="${p.label + 4}" fill="${colour(p.i)}">${esc(shorten(p.name))}<title>${esc(p.name)}</title></text>`,
    )
    .join('');
  return `<figure><figcaption>Recall@k (each curve labelled at its end; colours and line styles differ)</figcaption><svg class="chart" data-chart="recall-curves" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}">${axes}${lines}${labels}</svg></figure>`;
}

function winsLosses(base: ConfigurationResult, other: ConfigurationResult, index: number): string {
  const measure = 'ndcg@10';
  const deltas = Object.keys(base.perQuery)
    .map((q) => (other.perQuery[q]?.[measure] ?? 0) - (base.perQuery[q]?.[measure] ?? 0))
    .sort((a, b) => b - a);
  const width = 640;
  const height = 180;
  const mid = height / 2;
  const left = 56;
  const half = mid - 22;
  const barW = Math.max(1, (width - left - 10) / Math.max(1, deltas.length));
  const bars = deltas
    .map((d, i) => {
      const h = Math.abs(d) * half;
      return `<rect class="bar" x="${left + i * barW}" y="${d >= 0 ? mid - h : mid}" width="${barW}" height="${h}" fill="${d >= 0 ? '#4c9a2a' : '#c0392b'}"/>`;
    })
    .join('');
  // A y scale: nDCG@10 differences run from -1 to +1.
  const axis = `<line x1="${left - 2}" x2="${left - 2}" y1="${mid - half}" y2="${mid + half}" stroke="#888"/>${[1, 0.5, 0, -0.5, -1].map((v) => `<line x1="${left - 6}" x2="${left - 2}" y1="${mid - v * half}" y2="${mid - v * half}" stroke="#888"/><text class="tick" x="${left - 8}" y="${mid - v * half + 4}" text-anchor="end">${v > 0 ? '+' : ''}${v}</text>`).join('')}<text x="2" y="11">Δ${measure}</text>`;
  const wins = deltas.filter((d) => d > 0).length;
  const losses = deltas.filter((d) => d < 0).length;
  const cmp = other.comparison?.[measure];
  const p = cmp ? ` · randomisation p ${pText(cmp.randomisation.pValue)} · t-test p ${pText(cmp.tTest.pValue)}` : '';
  return `<figure><figcaption>${esc(other.name)} vs ${esc(base.name)}: per-query Δ${measure} (${wins} wins, ${losses} losses${p})</figcaption><svg class="chart" data-chart="wins-${index}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}">${axis}<line x1="${left}" x2="${width - 10}" y1="${mid}" y2="${mid}" stroke="#888"/>${bars}</svg><p class="axis-note">Queries sorted by Δ; bar height is the difference on the axis' scale.</p></figure>`;
}

function latencyChart(results: EvalResults): string {
  const configs = results.configurations;
  const stages = ['embed', 'recall', 'rerank'] as const;
  const max = Math.max(1, ...configs.map((c) => stages.reduce((a, s) => a + c.latencyMs[s].p50, 0)));
  const width = 640;
  const rowH = 26;
  const left = 180;
  const height = configs.length * rowH + 40;
  const scale = (v: number) => (v / max) * (width - left - 80);
  const rows = configs
    .map((c, i) => {
      let x = left;
      const y = 10 + i * rowH;
      const parts = stages
        .map((s, j) => {
          const w = scale(c.latencyMs[s].p50);
          const rect = `<rect class="bar" x="${x}" y="${y}" width="${w}" height="${rowH - 8}" fill="${colour(j)}"><title>${s} p50 ${fmt(c.latencyMs[s].p50, 1)} ms</title></rect>`;
          x += w;
          return rect;
        })
        .join('');
      return `<text x="${left - 6}" y="${y + 13}" text-anchor="end">${esc(c.name)}${cacheAssisted(c) ? '*' : ''}</text>${parts}<text x="${x + 6}" y="${y + 13}">${fmt(c.latencyMs.total.p50, 1)} ms</text>`;
    })
    .join('');
  const legend = stages
    .map(
      (s, j) =>
        `<rect x="${left + j * 90}" y="${height - 18}" width="10" height="10" fill="${colour(j)}"/><text x="${left + 14 + j * 90}" y="${height - 9}">${s}</text>`,
    )
    .join('');
  const caveat = configs.some(cacheAssisted) ? ' (* partly from a cache: see the note under the table)' : '';
  return `<figure><figcaption>Latency per stage, p50 (ms per query)${caveat}</figcaption><svg class="chart" data-chart="latency" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}">${rows}${legend}</svg></figure>`;
}

const cacheAssisted = (c: ConfigurationResult) => cachedWork(c) !== undefined;

function table(results: EvalResults): string {
  const cols = ['ndcg@10', 'mrr@10', 'recall@10', 'recall@50', 'recall@100', 'map@100'];
  const head = `<tr><th>configuration</th>${cols.map((c) => `<th>${c}</th>`).join('')}<th>p50 ms</th><th>p95 ms</th><th>queries/s</th><th>Δ nDCG@10 (p)</th></tr>`;
  const rows = results.configurations
    .map((c) => {
      const cmp = c.comparison?.['ndcg@10'];
      const delta = cmp
        ? `${cmp.meanDifference >= 0 ? '+' : ''}${fmt(cmp.meanDifference)} (p ${pText(cmp.randomisation.pValue)})`
        : 'baseline';
      const mark = cacheAssisted(c) ? '<sup>*</sup>' : '';
      return `<tr data-config="${esc(c.name)}"><td>${esc(c.name)}</td>${cols.map((m) => `<td data-measure="${m}">${fmt(c.metrics[m])}</td>`).join('')}<td>${fmt(c.latencyMs.total.p50, 1)}${mark}</td><td>${fmt(c.latencyMs.total.p95, 1)}${mark}</td><td>${fmt(c.queriesPerSecond, 2)}${mark}</td><td>${delta}</td></tr>`;
    })
    .join('');
  const notes = results.configurations
    .filter(cacheAssisted)
    .map((c) => `${esc(c.name)}: ${cachedWork(c)}`)
    .join('; ');
  const footnote = notes
    ? `<p class="note"><sup>*</sup> These latencies leave out work taken from a cache: ${notes}.</p>`
    : '';
  return `<table id="results">${head}${rows}</table>${footnote}`;
}

/** What each configuration ran with, and how its weights were chosen. */
function settingsTable(results: EvalResults): string {
  const head = `<tr><th>configuration</th>${SETTINGS_COLUMNS.map(([, heading]) => `<th>${esc(heading)}</th>`).join('')}</tr>`;
  const rows = results.configurations
    .map((c) => {
      const settings = describeConfiguration(c);
      return `<tr data-config="${esc(c.name)}"><td>${esc(c.name)}</td>${SETTINGS_COLUMNS.map(([key]) => `<td data-field="${key}">${esc(settings[key])}</td>`).join('')}</tr>`;
    })
    .join('');
  return `<h2>Settings</h2><table id="settings">${head}${rows}</table>`;
}

/** Under k-fold tuning: each fold's queries and what the other folds chose for them. */
function foldList(c: ConfigurationResult): string {
  const items = (c.folds ?? [])
    .map((f) => {
      const chosen = [
        f.recallTuning ? `lexical weight ${f.recallTuning.lexicalWeight}` : '',
        f.tuning
          ? `fusion ${f.tuning.chosen.method === 'rerank' ? 'rerank order' : `${f.tuning.chosen.method} ${f.tuning.chosen.weight}`}`
          : '',
      ].filter(Boolean);
      const tunedOn = f.tuning?.queries ?? f.recallTuning?.queries ?? 0;
      return `<li data-fold="${f.fold}">fold ${f.fold}: ${f.queryIds.length} queries scored with ${chosen.join(', ')} (tuned on the other ${tunedOn} queries)</li>`;
    })
    .join('');
  return `<li>${esc(c.name)}: ${esc(chosenByText(c))}<ul>${items}</ul></li>`;
}

/** Generated datasets: hit rate and MRR of the source chunk beside those of its document. */
function chunkLevelTable(results: EvalResults): string {
  const rows = results.configurations
    .filter((c) => c.metrics['chunk-hit@10'] !== undefined)
    .map(
      (c) =>
        `<tr data-config="${esc(c.name)}"><td>${esc(c.name)}</td>${['chunk-hit@10', 'chunk-mrr@10', 'hit@10', 'mrr@10'].map((m) => `<td data-measure="${m}">${fmt(c.metrics[m])}</td>`).join('')}</tr>`,
    )
    .join('');
  if (rows === '') return '';
  return `<h2>Source chunk and document</h2><p>Questions generated from chunks: is the chunk each was written from among the first 10 results, and is its document?</p><table id="chunk-level"><tr><th>configuration</th><th>chunk hit@10</th><th>chunk MRR@10</th><th>document hit@10</th><th>document MRR@10</th></tr>${rows}</table>`;
}

/** Each configuration's own figures beside those published or measured elsewhere for the same setting. */
function referenceTable(results: EvalResults): string {
  const cols = ['ndcg@10', 'mrr@10', 'recall@10', 'recall@100'];
  const rows = results.configurations.flatMap((c) =>
    (c.references ?? []).map((r) => {
      const cells = cols
        .map((m) => {
          const theirs = r.metrics[m];
          const diff = r.difference[m];
          const text =
            theirs === undefined || diff === undefined
              ? '–'
              : `${fmt(c.metrics[m])} vs ${fmt(theirs)} (${diff >= 0 ? '+' : ''}${fmt(diff)})`;
          return `<td data-measure="${m}">${text}</td>`;
        })
        .join('');
      return `<tr data-config="${esc(c.name)}"><td>${esc(c.name)}</td><td class="source">${esc(r.label)}</td>${cells}<td class="source">${esc(r.source ?? '')}</td></tr>`;
    }),
  );
  if (rows.length === 0) return '';
  const head = `<tr><th>configuration</th><th>reference</th>${cols.map((m) => `<th>${m}: ours vs theirs (Δ)</th>`).join('')}<th>source</th></tr>`;
  return `<h2>Beside reference figures</h2><table id="references">${head}${rows.join('')}</table>`;
}

export function renderHtmlReport(results: EvalResults): string {
  const base = results.configurations.find((c) => c.name === results.baseline);
  const comparisons = base
    ? results.configurations
        .filter((c) => c !== base)
        .map((c, i) => winsLosses(base, c, i))
        .join('')
    : '';
  const note = results.truncatedTo
    ? `<p class="warn">Only the first ${results.truncatedTo} queries were evaluated.</p>`
    : '';
  const folds = results.configurations
    .filter((c) => c.folds)
    .map(foldList)
    .join('');
  const tuning = results.configurations
    .filter((c) => c.tuning)
    .map(
      (c) =>
        `<li>${esc(c.name)}: ${esc(c.tuning?.chosen.method ?? '')} weight ${c.tuning?.chosen.weight} (tuned on ${esc(c.tuning?.split ?? '')}, ${c.tuning?.queries} queries, ${esc(c.tuning?.measure ?? '')} ${fmt(c.tuning?.grid.find((g) => g.method === c.tuning?.chosen.method && g.weight === c.tuning?.chosen.weight)?.value)})</li>`,
    )
    .join('');
  const recallTuning = results.configurations
    .filter((c) => c.recallTuning)
    .map((c) => {
      const t = c.recallTuning as NonNullable<ConfigurationResult['recallTuning']>;
      const value = t.grid.find((g) => g.lexicalWeight === t.lexicalWeight)?.value;
      return `<li>${esc(c.name)}: hybrid recall, dense weight ${t.denseWeight}, lexical weight ${t.lexicalWeight} (tuned on ${esc(t.split)}, ${t.queries} queries, ${esc(t.measure)} ${fmt(value)} of recall alone)</li>`;
    })
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>winnow eval: ${esc(results.dataset)} ${esc(results.split)}</title>
<style>body{font:14px/1.4 system-ui,sans-serif;margin:2rem;max-width:1100px}table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ccc;padding:3px 6px;text-align:right;white-space:nowrap}td:first-child,th:first-child,td.source{text-align:left}#references td,#references th,#settings td,#settings th{white-space:normal}#settings td,#settings th{text-align:left}#references th{text-align:left}td.source{font-size:12px}figure{margin:1.5rem 0}figcaption{font-weight:600;margin-bottom:.3rem}svg text{font-size:12px}.warn{color:#c0392b}</style>
</head><body>
<h1>winnow eval — ${esc(results.dataset)} (${esc(results.split)})</h1>
<p>${results.queries} queries · baseline <b>${esc(results.baseline)}</b> · ${esc(results.createdAt)}</p>${note}
${table(results)}
${settingsTable(results)}
${chunkLevelTable(results)}
${referenceTable(results)}
${tuning || recallTuning || folds ? `<h2>Fusion tuning</h2><ul>${recallTuning}${tuning}${folds}</ul>` : ''}
<h2>Metrics</h2>${['ndcg@10', 'mrr@10', 'recall@100', 'map@100'].map((m) => metricBars(results, m)).join('')}
<h2>Recall curves</h2>${recallCurves(results)}
<h2>Per-query wins and losses</h2>${comparisons || '<p>One configuration: nothing to compare.</p>'}
<h2>Latency</h2>${latencyChart(results)}
</body></html>
`;
}
