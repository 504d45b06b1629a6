/**
 * Loading a scenario: from a file path, from the built-ins by name (scenarios/), or from a machine
 * directory that `pfnlab capture` or `pfnlab export` wrote (imported through io/import). The
 * scenario language itself (validation, conversion) is src/scenario, below import.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError } from '../errors.js';
import { type Scenario, scenarioFromJson } from '../scenario/index.js';
import { parseJsonText } from '../scenario/json-text.js';
import { importMachine } from './import/index.js';
import { readInputText } from './read-input.js';

const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BUILTIN_SCENARIO_DIR = join(packageRoot, 'scenarios');

/** Names of the built-in scenarios (scenarios/*.json). */
export function builtinScenarioNames(): string[] {
  if (!existsSync(BUILTIN_SCENARIO_DIR)) return [];
  return readdirSync(BUILTIN_SCENARIO_DIR)
    .filter((f) => f.endsWith('.json'))
    .map((f) => basename(f, '.json'))
    .sort();
}

/** Read a scenario from a file path, a captured or exported machine directory, or the built-ins by name. */
export function loadScenario(ref: string): Scenario {
  let path = ref;
  let source = ref;
  if (!existsSync(path)) {
    const builtin = join(BUILTIN_SCENARIO_DIR, `${ref.replace(/\.json$/, '')}.json`);
    // Built-ins are named relative to scenarios/: "dimm-hotplug", "explore/offline".
    if (!ref.includes('..') && existsSync(builtin)) {
      path = builtin;
      source = `builtin:${ref.replace(/\.json$/, '')}`;
    } else {
      throw new InputError(
        ref,
        `no such scenario file or built-in scenario (built-ins: ${builtinScenarioNames().join(', ')})`,
      );
    }
  }
  // A directory written by `pfnlab capture` or `pfnlab export`: import the machine it describes.
  if (statSync(path).isDirectory()) return importMachine({ dir: path }).converted;
  const text = readInputText(path);
  return scenarioFromJson(parseJsonText(text, source), source);
}
