/** The jobs a pooled worker can run, by kind. */
import type { JobHandler } from './pool.js';
import { PROBES } from './probes.js';
import { type WalkJob, walkJob } from './walk.js';

export const JOBS: Readonly<Record<string, JobHandler>> = {
  'stress-walk': (job) => walkJob(job as WalkJob),
  ...PROBES,
};
