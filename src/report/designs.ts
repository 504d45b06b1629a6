/** designs' text: each design, how its readers are protected, its bitmaps, its kernel, its write rules. */
import type { Design } from '../designs/index.js';

/** "explored on Linux 6.19"; a design that names no kernel runs on the scenario's. */
function kernelNote(d: Design): string {
  return d.kernel ? `; explored on Linux ${d.kernel}` : "; explored on the scenario's kernel";
}

/** The designs as pfnlab designs lists them. */
export function renderDesigns(designs: readonly Design[]): string {
  const out: string[] = [];
  for (const d of designs) {
    out.push(
      `${d.name}: ${d.summary}\n  readers: ${d.protection}${d.checkBeforeLock ? ' (test before lock: broken)' : ''}`,
      d.usageBitmaps.length ? `; bitmaps in mem_section_usage: ${d.usageBitmaps.join(', ')}` : '',
      `${kernelNote(d)}\n`,
      ...d.writeRules.map((rule) => `  - ${rule}\n`),
      '\n',
    );
  }
  return out.join('');
}
