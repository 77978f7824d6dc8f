/** Writing-system facts shared by the loaders. */

/** Chinese and Japanese (Han, kana, full-width forms) are written without spaces between words; Korean is not. */
const UNSPACED = /[\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef\ufe10-\ufe1f\ufe30-\ufe4f]/u;

export function isUnspaced(char: string): boolean {
  return UNSPACED.test(char);
}
