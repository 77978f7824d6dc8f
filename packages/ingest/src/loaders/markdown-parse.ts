import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { throwIfAborted } from '@winnow/core';
import type { Root } from 'mdast';
import remarkFrontmatter from 'remark-frontmatter';
import remarkGfm from 'remark-gfm';
import remarkParse from 'remark-parse';
import { unified } from 'unified';

/** The one Markdown dialect winnow reads: CommonMark + GFM with YAML front matter. */
const PLUGINS = ['unified', 'remark-parse', 'remark-gfm', 'remark-frontmatter'] as const;

const parser = unified().use(remarkParse).use(remarkGfm).use(remarkFrontmatter, ['yaml']);

/**
 * Text at least this long is parsed on a worker thread. micromark is superlinear on some shapes (a list per
 * paragraph: 94 KB took 7–11 s here, 200 KB over 16 s) and parses synchronously, so on the main thread neither
 * `ingest.maxDocumentMs` nor an abort can stop it. Below this size the worst shape measured ~1 s, and the
 * round trip to the worker (copying the text and the tree) would cost more than it saves.
 */
export const OFF_THREAD_CHARS = 32 * 1024;

/**
 * Parses Markdown into mdast. Long text goes to a worker thread that is terminated when `signal` fires (the
 * document's time budget or the run's abort), so one hostile file cannot hold the run.
 */
export async function parseMarkdown(text: string, signal?: AbortSignal): Promise<Root> {
  throwIfAborted(signal, 'parsing Markdown');
  if (text.length < OFF_THREAD_CHARS) return parser.parse(text);
  return offThread.parse(text, signal);
}

/**
 * The worker's code. It is evaluated, not loaded from a file, so the same code runs from the TypeScript sources
 * (tests, tsx) and from the built package; it imports the parser modules by the paths the main thread resolved.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { pathToFileURL } = require('node:url');
Promise.all(workerData.map((path) => import(pathToFileURL(path).href))).then(([u, parse, gfm, front]) => {
  const parser = u.unified().use(parse.default).use(gfm.default).use(front.default, ['yaml']);
  parentPort.on('message', (text) => {
    try {
      parentPort.postMessage({ tree: parser.parse(text) });
    } catch (error) {
      parentPort.postMessage({ error: String(error && error.message ? error.message : error) });
    }
  });
});
`;

type Reply = { tree: Root } | { error: string };

/**
 * One worker, reused across documents and started on first use; requests run one at a time. A request whose
 * signal fires terminates the worker (the only way to stop a synchronous parse); the next request starts a new one.
 */
class OffThreadParser {
  private worker: Worker | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  parse(text: string, signal: AbortSignal | undefined): Promise<Root> {
    const turn = this.queue.then(() => this.run(text, signal));
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  private start(): Worker {
    const require = createRequire(import.meta.url);
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: PLUGINS.map((name) => require.resolve(name)) });
    // An idle parser must not keep the process alive.
    worker.unref();
    return worker;
  }

  private run(text: string, signal: AbortSignal | undefined): Promise<Root> {
    throwIfAborted(signal, 'parsing Markdown');
    this.worker ??= this.start();
    const worker = this.worker;
    return new Promise<Root>((resolve, reject) => {
      const settle = () => {
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
        signal?.removeEventListener('abort', onAbort);
      };
      const discard = () => {
        if (this.worker === worker) this.worker = undefined;
        void worker.terminate();
      };
      const onMessage = (reply: Reply) => {
        settle();
        if ('tree' in reply) resolve(reply.tree);
        else reject(new Error(reply.error));
      };
      const onError = (error: Error) => {
        settle();
        discard();
        reject(error);
      };
      const onExit = (code: number) => {
        settle();
        discard();
        reject(new Error(`the Markdown parser thread exited with code ${code}`));
      };
      const onAbort = () => {
        settle();
        discard();
        try {
          throwIfAborted(signal, 'parsing Markdown');
        } catch (error) {
          reject(error);
        }
      };
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.on('exit', onExit);
      signal?.addEventListener('abort', onAbort, { once: true });
      // Referenced while it works, so a pending parse keeps the process alive like any other pending I/O.
      worker.ref();
      worker.postMessage(text);
    }).finally(() => this.worker?.unref());
  }
}

const offThread = new OffThreadParser();
