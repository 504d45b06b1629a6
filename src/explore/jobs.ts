/** Run any job of a search (a subtree of a split search, a swarm member): what a worker thread or a BullMQ worker calls. */
import type { SearchResult } from './engine.js';
import { type ExploreJob, isSwarmJob } from './job-spec.js';
import { runSubtree } from './split.js';
import { runSwarmMember } from './swarm.js';

export type { ExploreJob } from './job-spec.js';

/** Run one job; `progress` gets its states about once a second. */
export function runJob(job: ExploreJob, progress?: (states: number) => void): Promise<SearchResult> {
  return isSwarmJob(job) ? runSwarmMember(job, progress) : runSubtree(job, progress);
}
