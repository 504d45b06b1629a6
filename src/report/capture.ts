/** capture's text: what was read into the directory, what could not be, and what to run next. */
import type { MachineManifest } from '../io/machine-dir.js';

/** The capture as pfnlab capture prints it. */
export function renderCapture(dir: string, manifest: MachineManifest): string {
  const lines = [`captured into ${dir}:`, ...manifest.read.map((r) => `  read   ${r.from}`)];
  if (manifest.failed.length) lines.push(...manifest.failed.map((f) => `  MISSED ${f.what}: ${f.why}`));
  lines.push(`next: pfnlab import ${dir}`);
  return lines.join('\n');
}
