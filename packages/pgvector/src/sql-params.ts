/** Collects bound parameters while SQL text is built; only placeholders ever enter the text. */
export class SqlParams {
  readonly values: unknown[] = [];

  /** Binds a value and returns its placeholder, e.g. `$3`. */
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}
