/**
 * The interleaving explorer's searches, one way in: every schedule of one writer (kernel steps,
 * each atomic, some blocking) and several walkers (every shared-memory access a scheduling
 * point), searched depth-first with visited-state hashing, sleep sets, symmetry between identical
 * walkers and an optional preemption bound (search-dfs.ts); sampled at random with a seed
 * (search-random.ts); or one schedule replayed with labels (replay.ts).
 *
 * The world they walk (world.ts) keeps a state as a few integers: memory changes are journaled
 * and undone on backtrack, each walker is a node of its trace trie (walker-steps.ts: a walker's
 * transitions learned by re-execution once, then applied directly), the writer's steps are
 * planned and memoized by writer-steps.ts, and visited states are 96-bit fingerprints in a typed
 * hash table (state-table.ts). The same walker code that serves the CLI and worker threads is
 * what the explorer interleaves.
 */
export type { Program, StepLabel, Violation, WalkerProgram, WriterStep } from './program.js';
export { replay } from './replay.js';
export { search } from './search-dfs.js';
export { randomRun, randomSearch } from './search-random.js';
export type { SearchOptions, SearchResult } from './search-result.js';
