/** The --design option shared by commands: names or module paths, default every design. */
import { DESIGNS, type Design, loadDesign } from '../designs/index.js';
import { InputError } from '../errors.js';
import { listOption, type Parsed } from './command.js';

export const DESIGN_OPTION = { design: { type: 'string', multiple: true, short: 'd' } } as const;

export async function designsFromOption(p: Parsed): Promise<Design[]> {
  const specs = listOption(p, 'design').flatMap((s) => s.split(','));
  if (specs.length === 0) return [...DESIGNS];
  const out: Design[] = [];
  for (const spec of new Set(specs.map((s) => s.trim()))) {
    const design = await loadDesign(spec);
    // Results are keyed by design name: two different designs may not share one.
    if (out.some((d) => d.name === design.name))
      throw new InputError('--design', `two designs are named '${design.name}'`, spec);
    out.push(design);
  }
  return out;
}
