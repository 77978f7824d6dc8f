/**
 * A LangChain.js chain over winnow: WinnowRetriever (two-stage retrieval) → prompt → ChatOpenAI → string, streamed.
 * It indexes the Markdown files of a folder (default: this examples folder) into PGlite in a temp folder first.
 *
 *   OPENAI_BASE_URL=http://localhost:8000/v1 OPENAI_MODEL=<served model> \
 *     npx tsx --conditions=source examples/langchain-chain.ts [folder] ["question"]
 *
 * OPENAI_API_KEY is sent when set (OpenAI itself needs it; vLLM accepts any). With neither OPENAI_BASE_URL nor
 * OPENAI_API_KEY, the chain stops after retrieval and prints the documents it would have sent.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Document } from '@langchain/core/documents';
import { StringOutputParser } from '@langchain/core/output_parsers';
import { ChatPromptTemplate } from '@langchain/core/prompts';
import { RunnablePassthrough, RunnableSequence } from '@langchain/core/runnables';
import { ChatOpenAI } from '@langchain/openai';
import { openPipeline } from '@winnow/assemble';
import { parseConfig } from '@winnow/core';
import { folderSource } from '@winnow/ingest';
import { WinnowRetriever } from '@winnow/langchain';

const folder = resolve(process.argv[2] ?? fileURLToPath(new URL('.', import.meta.url)));
const question = process.argv[3] ?? 'How do I run the reindex every week?';
const workDir = await mkdtemp(join(tmpdir(), 'winnow-langchain-'));

const config = parseConfig({
  store: { path: join(workDir, 'db') },
  ingest: { include: ['**/*.md'] },
  embed: { device: 'cpu' },
  recall: { k: 20 },
  rerank: { provider: 'transformers', device: 'cpu', k: 3 },
  fusion: { method: 'rrf' },
});
const pipeline = await openPipeline(config);
try {
  await pipeline.indexer.run(folderSource(folder, config.ingest));
  const retriever = new WinnowRetriever({ retriever: pipeline.retriever });

  // Each document keeps winnow's metadata: uri, heading path, and every stage's score.
  const formatSources = (documents: Document[]) =>
    documents
      .map((d, i) => `[${i + 1}] ${d.metadata.documentId} › ${d.metadata.headingPath.join(' › ')}\n${d.pageContent}`)
      .join('\n\n');

  if (!process.env.OPENAI_BASE_URL && !process.env.OPENAI_API_KEY) {
    console.log(formatSources(await retriever.invoke(question)));
    console.error('\nSet OPENAI_BASE_URL (e.g. a vLLM server) or OPENAI_API_KEY to run the whole chain.');
  } else {
    const prompt = ChatPromptTemplate.fromMessages([
      ['system', 'Answer from these sources only and cite them as [n].\n\n{context}'],
      ['human', '{question}'],
    ]);
    const model = new ChatOpenAI({
      model: process.env.OPENAI_MODEL ?? 'gpt-4o-mini',
      apiKey: process.env.OPENAI_API_KEY ?? 'unused',
      temperature: 0,
      ...(process.env.OPENAI_BASE_URL ? { configuration: { baseURL: process.env.OPENAI_BASE_URL } } : {}),
    });
    const chain = RunnableSequence.from([
      { context: retriever.pipe(formatSources), question: new RunnablePassthrough() },
      prompt,
      model,
      new StringOutputParser(),
    ]);
    for await (const piece of await chain.stream(question)) process.stdout.write(piece);
    process.stdout.write('\n');
  }
} finally {
  await pipeline.close();
  await rm(workDir, { recursive: true, force: true });
}
