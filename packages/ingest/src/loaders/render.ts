/**
 * Plain-text renderings of structured blocks, shared by every loader so that a table or list reads the same
 * whatever format it came from. Table cells are tab-separated (one row per line): whitespace-normalised,
 * a row reads as its cells in order.
 */

export function renderTable(rows: readonly (readonly string[])[]): string {
  return rows.map((cells) => cells.map((cell) => cell.replace(/\s+/g, ' ').trim()).join('\t')).join('\n');
}

export function renderList(items: readonly string[], ordered: boolean, start = 1): string {
  return items.map((item, index) => `${ordered ? `${start + index}.` : '-'} ${item}`).join('\n');
}
