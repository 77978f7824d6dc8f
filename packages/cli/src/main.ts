import { isWinnowError } from '@winnow/core';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { EXIT, exitCodeFor } from './exit-codes.js';
import { createOutput } from './output.js';

const collect = (value: string, previous: string[]) => [...previous, value];

/**
 * Parser for every count option: digits only, so `-3`, `abc`, `1e3` and `2.5` are usage errors (exit 2, commander
 * names the option and value) instead of being read as something else by parseInt or Number.
 */
export function positiveInteger(value: string): number {
  const n = /^[0-9]+$/.test(value.trim()) ? Number(value.trim()) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 1)
    throw new InvalidArgumentError('expected a positive whole number (1, 2, 3, …).');
  return n;
}

// Commands are imported when they run, so `--help`, `init` and usage errors answer without loading models,
// database drivers and parsers.
const commands = {
  ask: () => import('./commands/ask-command.js'),
  distributed: () => import('./commands/distributed-command.js'),
  doctor: () => import('./commands/doctor-command.js'),
  eval: () => import('./commands/eval-command.js'),
  index: () => import('./commands/index-command.js'),
  init: () => import('./commands/init-command.js'),
  query: () => import('./commands/query-command.js'),
};

const EXIT_CODES_HELP = `
Exit codes:
  0 success            1 unexpected failure     2 bad usage or configuration
  3 some files failed  4 another run holds the lock
  5 database problem   6 model problem          7 eval gate failed   8 remote endpoint failed`;

/** Parser for counts that may be 0 (retries, seconds). */
function count(value: string): number {
  const n = /^[0-9]+$/.test(value.trim()) ? Number(value.trim()) : Number.NaN;
  if (!Number.isSafeInteger(n)) throw new InvalidArgumentError('expected a whole number (0, 1, 2, …).');
  return n;
}

/** Builds the program; `run` receives each command's exit code. */
export function buildProgram(run: (task: () => Promise<number>, json: boolean) => Promise<void>): Command {
  const program = new Command('winnow')
    .description('Two-stage retrieval-augmented generation: index documents, query, ask, evaluate.')
    .version('0.1.0')
    .showHelpAfterError()
    .addHelpText('after', EXIT_CODES_HELP);

  const configOption = () => new Option('-c, --config <file>', 'configuration file (default ./winnow.config.yaml)');
  const jsonOption = () => new Option('--json', 'print only JSON on stdout');

  program
    .command('init')
    .description('write a commented winnow.config.yaml')
    .option('-f, --force', 'overwrite an existing file')
    .option('--file <file>', 'where to write it', 'winnow.config.yaml')
    .addOption(jsonOption())
    .addHelpText('after', '\nExample:\n  winnow init && winnow index ./docs')
    .action((opts) =>
      run(async () => (await commands.init()).runInit(opts, createOutput(Boolean(opts.json))), Boolean(opts.json)),
    );

  program
    .command('index <path>')
    .description('index a folder or file: add new and changed documents (unchanged ones are skipped)')
    .addOption(configOption())
    .addOption(jsonOption())
    .option('--wait', 'wait for another running index/reindex instead of exiting with code 4')
    .addHelpText('after', '\nExample:\n  winnow index ./docs --json')
    .action((path, opts) =>
      run(
        async () => (await commands.index()).runIndex(path, opts, createOutput(Boolean(opts.json)), 'index'),
        Boolean(opts.json),
      ),
    );

  program
    .command('reindex [path]')
    .description('bring the index in line with a folder: add, update and delete (cron-safe; default path: ingest.root)')
    .addOption(configOption())
    .addOption(jsonOption())
    .option('--wait', 'wait for another running index/reindex instead of exiting with code 4')
    .option('--distributed', 'plan only: enqueue changed documents for `winnow worker` processes, wait, then delete')
    .option('--retry-limit <n>', 'with --distributed: retries of a failing job before the dead-letter queue', count)
    .option('--retry-delay <s>', 'with --distributed: seconds before a failed job is retried', count)
    .option('--job-expire <s>', "with --distributed: seconds before a silent worker's job is retried elsewhere", count)
    .option('--queue-schema <name>', "with --distributed: pg-boss's schema (default pgboss)")
    .option('--maintenance-interval <s>', 'with --distributed: how often expired jobs are detected', positiveInteger)
    .addHelpText(
      'after',
      `\nExample (crontab, Sundays 03:00):\n  0 3 * * 0  cd /srv/docs && winnow reindex --json >> reindex.log\n${EXIT_CODES_HELP}`,
    )
    .action((path, opts) =>
      run(
        async () =>
          opts.distributed
            ? (await commands.distributed()).runDistributedReindex(path, opts, createOutput(Boolean(opts.json)))
            : (await commands.index()).runIndex(path, opts, createOutput(Boolean(opts.json)), 'reindex'),
        Boolean(opts.json),
      ),
    );

  program
    .command('worker')
    .description('index documents enqueued by `winnow reindex --distributed` (run any number, on any machine)')
    .addOption(configOption())
    .addOption(jsonOption())
    .option('--concurrency <n>', 'batches indexed at once in this process (default 1)', positiveInteger)
    .option('--batch-size <n>', 'documents taken from the queue per batch (default 16)', positiveInteger)
    .option('--queue-schema <name>', "pg-boss's schema (default pgboss)")
    .option('--maintenance-interval <s>', 'how often expired jobs are detected', positiveInteger)
    .option(
      '--exit-when-idle <s>',
      'exit after no job for this long once a planner was seen (default: run until SIGTERM)',
      count,
    )
    .addHelpText('after', `\nExample:\n  DATABASE_URL=postgres://… winnow worker --concurrency 2\n${EXIT_CODES_HELP}`)
    .action((opts) =>
      run(
        async () => (await commands.distributed()).runWorkerCommand(opts, createOutput(Boolean(opts.json))),
        Boolean(opts.json),
      ),
    );

  program
    .command('query <text>')
    .description('ranked chunks with every stage score, heading path, page and uri')
    .addOption(configOption())
    .addOption(jsonOption())
    .option('-k, --k <n>', 'results to show', positiveInteger)
    .option('--tenant <name>', 'retrieve as this tenant (required where access control is on)')
    .option('--groups <list>', 'with --tenant: the comma-separated groups of the principal')
    .addHelpText('after', '\nExample:\n  winnow query "how do I rotate the logs?" -k 3')
    .action((text, opts) =>
      run(
        async () => (await commands.query()).runQuery(text, opts, createOutput(Boolean(opts.json))),
        Boolean(opts.json),
      ),
    );

  program
    .command('ask <question>')
    .description('retrieve, then stream an answer with citations from an OpenAI-compatible endpoint')
    .addOption(configOption())
    .addOption(jsonOption())
    .option('--tenant <name>', 'retrieve as this tenant (required where access control is on)')
    .option('--groups <list>', 'with --tenant: the comma-separated groups of the principal')
    .addHelpText('after', '\nExample:\n  OPENAI_BASE_URL=http://localhost:8000/v1 winnow ask "what does reindex do?"')
    .action((question, opts) =>
      run(
        async () => (await commands.ask()).runAsk(question, opts, createOutput(Boolean(opts.json))),
        Boolean(opts.json),
      ),
    );

  program
    .command('eval')
    .description('score retrieval on a BEIR-format dataset and compare configurations')
    .requiredOption(
      '--dataset <folder>',
      'BEIR folder (corpus.jsonl[.gz], queries.jsonl, qrels/<split>.tsv); with --generate, the new folder written',
    )
    .option(
      '--generate',
      'write a BEIR dataset of LLM questions from sampled chunks of the collection of --config (its generate endpoint)',
    )
    .option('--chunks <n>', 'with --generate: chunks sampled, stratified by document', positiveInteger, 50)
    .option('--questions <n>', 'with --generate: questions asked per chunk', positiveInteger, 2)
    .option('--seed <n>', 'with --generate: seed of the chunk sample', positiveInteger, 1)
    .option('--split <name>', 'reported split', 'test')
    .option('--config <file>', 'a configuration to evaluate (repeatable)', collect, [])
    .option('--baseline <name>', 'configuration the others are compared with (default: the first)')
    .option(
      '--fail-below <metric=value>',
      'exit with code 7 when a configuration scores below (repeatable)',
      collect,
      [],
    )
    .option('--tune-split <name>', 'tune hybrid weights and rerank fusion on this split first (e.g. train)')
    .option('--tune-queries <n>', 'tune on the first n queries of the tuning split', positiveInteger)
    .option(
      '--against <results.json>',
      'regression gate: exit 7 when a configuration drops significantly from this saved run (paired test p < 0.05 and a drop > --margin)',
    )
    .option('--margin <x>', 'with --against: the smallest nDCG@10 drop that fails (default 0.01)')
    .option(
      '--tune-folds <k>',
      'no tuning split? tune on the scored split by k-fold cross-validation: each fold is scored with settings tuned on the others',
      positiveInteger,
    )
    .option(
      '--untuned <name>',
      'evaluate this configuration exactly as written, not tuned with the others (repeatable)',
      collect,
      [],
    )
    .option('--max-queries <n>', 'evaluate only the first n queries (quick checks)', positiveInteger)
    .option('--tenant <name>', 'evaluate as this tenant (required where access control is on)')
    .option('--groups <list>', 'with --tenant: the comma-separated groups of the principal')
    .option('--out <folder>', 'where results.json, runs and report.html go', 'eval-results')
    .option('--cache-dir <folder>', 'where indexes are cached between runs', '.winnow/eval-cache')
    .option(
      '--references <file>',
      'JSON of published figures by configuration name, shown beside the results: {"dense": [{"label", "source", "metrics": {"ndcg@10": 0.645}}]}',
    )
    .option(
      '--rerank-cache',
      'keep rerank scores in the cache folder and reuse them (latency then counts only new pairs)',
    )
    .option(
      '--recall-cache',
      'run each distinct stage-1 search once and reuse it in configurations that share the index and recall settings (latency then counts only the searches run)',
    )
    .addOption(jsonOption())
    .addHelpText(
      'after',
      '\nExample:\n  winnow eval --dataset ../shared/datasets/scifact --config eval/configs/dense.yaml --config eval/configs/hybrid-rerank.yaml --tune-split train --fail-below ndcg@10=0.6',
    )
    .action((opts) =>
      run(
        async () => (await commands.eval()).runEvalCommand(opts, createOutput(Boolean(opts.json))),
        Boolean(opts.json),
      ),
    );

  program
    .command('doctor')
    .description('check configuration, database and pgvector, models, device and endpoints, with fixes')
    .addOption(configOption())
    .addOption(jsonOption())
    .addHelpText('after', '\nExample:\n  winnow doctor --config winnow.config.yaml')
    .action((opts) =>
      run(async () => (await commands.doctor()).runDoctor(opts, createOutput(Boolean(opts.json))), Boolean(opts.json)),
    );

  return program;
}

/** Runs the CLI and returns its exit code; errors are printed with their code and hint, never as stack traces. */
export async function main(argv: readonly string[]): Promise<number> {
  let code: number = EXIT.ok;
  const program = buildProgram(async (task, json) => {
    try {
      code = await task();
    } catch (error) {
      code = isWinnowError(error) ? exitCodeFor(error.code) : EXIT.failure;
      if (json) {
        process.stdout.write(
          `${JSON.stringify({ error: isWinnowError(error) ? error.toJSON() : { message: String(error) } })}\n`,
        );
      } else {
        process.stderr.write(`winnow: ${error instanceof Error ? error.message : String(error)}\n`);
        if (!isWinnowError(error) && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
      }
    }
  });
  // Subcommands copy the parent's settings when created, so each needs its own override: otherwise commander
  // ends the process with its own code (1) on a usage error instead of returning EXIT.usage.
  for (const command of [program, ...program.commands]) command.exitOverride();
  try {
    await program.parseAsync([...argv]);
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    throw error;
  }
  return code;
}
