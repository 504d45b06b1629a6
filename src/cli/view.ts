/** pfnlab view [scenario | capture-dir | trace.json] [--port P] [--json]: the browser viewer on 127.0.0.1. */
import { InputError } from '../errors.js';
import { startViewServer, type ViewContent, viewContentFor } from '../view/index.js';
import { type CliIo, type Command, intOption, parseCommandArgs } from './command.js';

/** What --json prints once the server listens: one line, for a script to read before it opens the page. */
export interface ViewListening {
  readonly url: string;
  readonly port: number;
  /** The scenario shown first (null: a trace whose scenario could not be loaded). */
  readonly scenario: string | null;
  /** Every scenario the page offers. */
  readonly scenarios: readonly string[];
  /** Slider positions of the scenario shown first: its kernel steps, boot's included. */
  readonly steps: number | null;
  readonly trace?: {
    readonly design: string;
    readonly scenario: string;
    readonly verdict: string;
    readonly steps: number;
  };
  /** Why the trace's scenario could not be loaded (the trace plays without its map). */
  readonly traceScenarioError?: string;
}

/** Everything but the address: run before the server starts, so that a scenario that fails to run fails first. */
export function viewListening(content: ViewContent): Omit<ViewListening, 'url' | 'port'> {
  const info = content.info();
  const current = info.current;
  const t = info.trace;
  return {
    scenario: current,
    scenarios: info.scenarios.map((s) => s.id),
    steps: current === null ? null : (content.view(current)?.steps.length ?? null),
    ...(t
      ? { trace: { design: t.design, scenario: t.scenario, verdict: t.verdict, steps: t.steps.length } }
      : {}),
    ...(info.traceScenarioError ? { traceScenarioError: info.traceScenarioError } : {}),
  };
}

/** SIGINT or SIGTERM, once; dispose() stops listening (the command's own handlers only). */
function untilSignal(): { received: Promise<void>; dispose(): void } {
  let done: () => void = () => undefined;
  const received = new Promise<void>((ok) => {
    done = ok;
  });
  const stop = () => {
    dispose();
    done();
  };
  const dispose = () => {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  return { received, dispose };
}

export const viewCommand: Command = {
  name: 'view',
  summary: 'a browser map of the address space, with a pfn inspector, step slider and trace player',
  help: `usage: pfnlab view [scenario | capture-dir | trace.json] [--port P] [--json]

Serve the viewer on 127.0.0.1 (never another address) and print its URL; open
it in a browser. The page draws the physical address space: sections coloured
by what their pfns are (double-click to zoom into a section's subsections and
a subsection's pages), zones, nodes, memory blocks and pgmaps (with their
altmap reserve) as bands. Hover or click a cell for the pfn's location, truth,
struct page and every design's answers. A slider (arrow keys) steps through
boot and each operation kernel step by kernel step.

With a trace from \`pfnlab explore --json\` (recognised by its "format" field),
the page plays the counterexample: the writer and walkers as lanes, the struct
page a walker holds turning red when it is poisoned under it, the violation,
and the map of the trace's scenario following the writer.

Without an argument, every built-in scenario is offered. Every asset is in the
package: no network is needed. Ctrl-C stops the server.

  --port P   the port on 127.0.0.1 (default: a free one)
  --json     once listening, print one JSON line instead of the text:
             {"url", "port", "scenario" (shown first), "scenarios",
             "steps" (its slider positions), "trace" (design, scenario,
             verdict, steps) when a trace is served}; then keep serving`,
  async run(argv: string[], io: CliIo): Promise<number> {
    const p = parseCommandArgs('view', argv, {
      port: { type: 'string', short: 'p' },
      json: { type: 'boolean' },
    });
    if (p.positionals.length > 1)
      throw new InputError('view', 'expected at most one scenario, capture directory or trace');
    const port = intOption('view', p, 'port');
    if (port !== undefined && port > 65535)
      throw new InputError('view', `--port must be 0..65535, got ${port}`, port);
    const ref = p.positionals[0];
    const content = viewContentFor(ref);
    const listening = p.values.json ? viewListening(content) : undefined;
    // Ctrl-C is ours from before the URL is printed: a script that reads it and stops us at once gets exit 0.
    const signal = untilSignal();
    try {
      const server = await startViewServer(content, { port });
      if (listening) {
        const line: ViewListening = { url: server.url, port: server.port, ...listening };
        io.out(`${JSON.stringify(line)}\n`);
      } else {
        const what = content.trace
          ? `trace of ${content.trace.design} on ${content.trace.scenario}`
          : ref === undefined
            ? 'the built-in scenarios'
            : (content.current ?? ref);
        io.out(`pfnlab view: ${what} at ${server.url}  (Ctrl-C to stop)\n`);
      }
      if (content.traceScenarioError)
        io.err(`pfnlab view: ${content.traceScenarioError}; playing the trace without its map\n`);
      await signal.received;
      await server.close();
    } finally {
      signal.dispose();
    }
    return 0;
  },
};
