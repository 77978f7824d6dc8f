// The rerank loop lives in core, where the pipeline and the LangChain adapter reach it; re-exported here for
// users who rerank candidates directly.
export { type RerankCandidatesOptions, rerankCandidates } from '@winnow/core';
