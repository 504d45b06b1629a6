/** The jobs a pooled worker can run, by kind. */
import type { Job } from './pool.js';
import { PROBES } from './probes.js';
import { type WalkJob, walkJob } from './walk.js';

export type JobHandler = (job: Job, emit: (event: unknown) => void) => unknown;

export const JOBS: Readonly<Record<string, JobHandler>> = {
  'stress-walk': (job) => walkJob(job as WalkJob),
  ...PROBES,
};
