/** Readers for the scheduler files in examples/weekly-reindex: cron schedules, systemd units, command lines. */

import { buildProgram } from '@winnow/cli';

const CRON_FIELDS = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12 },
  { name: 'day of week', min: 0, max: 7 },
] as const;

/** A five-field cron schedule of numbers, `*`, lists, ranges and steps (no names or @-macros). */
export function isValidCronSchedule(schedule: string): boolean {
  const fields = schedule.trim().split(/\s+/);
  if (fields.length !== CRON_FIELDS.length) return false;
  return fields.every((field, i) => {
    const { min, max } = CRON_FIELDS[i] as (typeof CRON_FIELDS)[number];
    const inRange = (text: string) => /^\d+$/.test(text) && Number(text) >= min && Number(text) <= max;
    return field.split(',').every((part) => {
      const [range = '', step, extra] = part.split('/');
      if (extra !== undefined || (step !== undefined && !(/^\d+$/.test(step) && Number(step) > 0))) return false;
      if (range === '*') return true;
      const [from = '', to] = range.split('-');
      return to === undefined ? inRange(from) : inRange(from) && inRange(to) && Number(from) <= Number(to);
    });
  });
}

/** A systemd unit file as sections of key → value (the last value of a repeated key wins; comments dropped). */
export function parseUnitFile(text: string): Record<string, Record<string, string>> {
  const sections: Record<string, Record<string, string>> = {};
  let current: Record<string, string> | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      current = {};
      sections[header[1] as string] = current;
      continue;
    }
    const eq = line.indexOf('=');
    if (!current || eq < 0) throw new Error(`not a unit file line: ${raw}`);
    current[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
  }
  return sections;
}

const SHELL_OPERATORS = new Set(['&&', '||', ';', '|', '>', '>>', '2>&1', '&']);

/** The arguments given to `winnow` in a shell command line (up to the next redirection or operator). */
export function winnowArgv(commandLine: string): string[] {
  const words = commandLine.trim().split(/\s+/);
  const start = words.findIndex((word) => word === 'winnow' || word.endsWith('/winnow'));
  if (start < 0) throw new Error(`no winnow command in: ${commandLine}`);
  const args: string[] = [];
  for (const word of words.slice(start + 1)) {
    if (SHELL_OPERATORS.has(word) || word.startsWith('>')) break;
    args.push(word);
  }
  return args;
}

/** Parses argv with the real `winnow` program, without running the command: its options and operands. */
export async function parseWinnow(argv: string[]) {
  let ran: { json: boolean } | undefined;
  const program = buildProgram(async (_task, json) => {
    ran = { json };
  });
  for (const command of [program, ...program.commands]) {
    command.exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} });
  }
  await program.parseAsync(argv, { from: 'user' });
  const command = program.commands.find((c) => c.name() === argv[0]);
  return { ran, options: command?.opts() ?? {}, operands: command?.processedArgs ?? [] };
}
