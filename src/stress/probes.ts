/** RCU and lock probes run on pooled workers (bench/rcu and the RCU tests). Filled in below. */
import type { JobHandler } from './jobs.js';

export const PROBES: Readonly<Record<string, JobHandler>> = {};
