import picomatch from 'picomatch';

/** Passwords for encrypted PDFs, keyed by document id or by a glob over ids (core config `ingest.pdfPasswords`). */
export type PasswordTable = Readonly<Record<string, string>>;

/** The password for a document: an exact id match wins, then the first glob (in table order) that matches. */
export function passwordFor(id: string, table: PasswordTable): string | undefined {
  if (Object.hasOwn(table, id)) return table[id];
  for (const [pattern, password] of Object.entries(table)) {
    if (picomatch.isMatch(id, pattern, { dot: true })) return password;
  }
  return undefined;
}
