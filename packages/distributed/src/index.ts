export {
  type DeadLetter,
  type DistributedRunReport,
  type JobSettings,
  type PlannerOptions,
  type PlannerProgress,
  runPlanner,
} from './planner.js';
export {
  type BatchReport,
  type CompletedOutput,
  type DocumentJob,
  type FailedOutput,
  jobId,
  openQueue,
  plannerTable,
  type QueueSettings,
  queueNames,
} from './queue.js';
export { runWorker, type WorkerOptions, type WorkerSummary } from './worker.js';
