/** The --design option shared by commands: names or module paths, default every design. */
import { DESIGNS, type Design, loadDesign } from '../designs/index.js';
import { listOption, type Parsed } from './command.js';

export const DESIGN_OPTION = { design: { type: 'string', multiple: true, short: 'd' } } as const;

export async function designsFromOption(p: Parsed): Promise<Design[]> {
  const specs = listOption(p, 'design').flatMap((s) => s.split(','));
  if (specs.length === 0) return [...DESIGNS];
  const out: Design[] = [];
  for (const spec of specs) out.push(await loadDesign(spec.trim()));
  return out;
}
