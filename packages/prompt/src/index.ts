export { type Answer, type AnswerEvent, type AnswerRequest, answer, streamAnswer } from './answer.js';
export {
  type CitationMark,
  parseCitationMarks,
  parseCitations,
  type ResolvedCitations,
  resolveCitations,
} from './citations.js';
export {
  type ContextBuilderOptions,
  createContextBuilder,
  type PackedContext,
  type PackingContextBuilder,
} from './context-builder.js';
export {
  type EventStreamingGenerator,
  type GenerationEvent,
  OPENAI_BASE_URL,
  OpenAIGenerator,
  type OpenAIGeneratorOptions,
} from './generator.js';
export { toGenerationError } from './openai-errors.js';
export { arrange, CONTEXT_ORDERS, type ContextOrder } from './order.js';
export {
  parseQuestions,
  QUESTION_PROMPT_VERSION,
  QUOTE_RUN_WORDS,
  questionMessages,
  quotesPassage,
  wordsOf,
} from './questions.js';
export {
  DEFAULT_SYSTEM_TEMPLATE,
  DEFAULT_USER_TEMPLATE,
  fillTemplate,
  NO_SOURCES_TEXT,
  neutraliseSourceText,
  type PromptTemplates,
  renderContext,
  renderMessages,
} from './render.js';
export { basenameOf, describeLocation, mergeChunkTexts, type PackedSource } from './sources.js';
export {
  type ChatFormatOverhead,
  countChatTokens,
  createTiktokenCounter,
  encodingForModel,
  OPENAI_CHAT_OVERHEAD,
  type TiktokenCounter,
  type TiktokenEncodingName,
} from './tokens.js';
