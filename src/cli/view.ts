/** pfnlab view [scenario | capture-dir | trace.json] [--port P]: the browser viewer on 127.0.0.1. */
import { InputError } from '../model/errors.js';
import { startViewServer, viewContentFor } from '../view/index.js';
import { type CliIo, type Command, intOption, parseCommandArgs } from './command.js';

export const viewCommand: Command = {
  name: 'view',
  summary: 'a browser map of the address space, with a pfn inspector, step slider and trace player',
  help: `usage: pfnlab view [scenario | capture-dir | trace.json] [--port P]

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

  --port P   the port on 127.0.0.1 (default: a free one)`,
  async run(argv: string[], io: CliIo): Promise<number> {
    const p = parseCommandArgs('view', argv, { port: { type: 'string', short: 'p' } });
    if (p.positionals.length > 1)
      throw new InputError('view', 'expected at most one scenario, capture directory or trace');
    const port = intOption('view', p, 'port');
    if (port !== undefined && port > 65535)
      throw new InputError('view', `--port must be 0..65535, got ${port}`, port);
    const ref = p.positionals[0];
    const content = viewContentFor(ref);
    const server = await startViewServer(content, { port });
    const what = content.trace
      ? `trace of ${content.trace.design} on ${content.trace.scenario}`
      : ref === undefined
        ? 'the built-in scenarios'
        : (content.current ?? ref);
    io.out(`pfnlab view: ${what} at ${server.url}  (Ctrl-C to stop)\n`);
    if (content.traceScenarioError)
      io.err(`pfnlab view: ${content.traceScenarioError}; playing the trace without its map\n`);
    await new Promise<void>((done) => {
      const stop = () => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        done();
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    await server.close();
    return 0;
  },
};
