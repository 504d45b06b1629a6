/**
 * A map's scene as SVG text: the report's maps, and the viewer's when they are small enough to be
 * elements rather than canvas pixels.
 */
import { escapeXml, type LayoutMap } from './map.js';
import { type MapScene, type MapStyle, mapScene } from './map-scene.js';

const FONT = 'ui-monospace,SFMono-Regular,Menlo,Consolas,monospace';

function fmt(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(2);
}

/** A scene as SVG text. */
export function sceneSvg(scene: MapScene): string {
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${fmt(scene.width * scene.scale)}" height="${fmt(scene.height * scene.scale)}" viewBox="0 0 ${fmt(scene.width)} ${fmt(scene.height)}" class="pfnlab-map" font-family="${FONT}">`,
  ];
  for (const it of scene.items) {
    const title = it.title ? `<title>${escapeXml(it.title)}</title>` : '';
    if (it.kind === 'text') {
      const anchor = it.anchor && it.anchor !== 'start' ? ` text-anchor="${it.anchor}"` : '';
      parts.push(
        `<text x="${fmt(it.x)}" y="${fmt(it.y)}" font-size="${it.size}"${it.fill ? ` fill="${it.fill}"` : ''}${anchor}>${title}${escapeXml(it.text)}</text>`,
      );
      continue;
    }
    const data = it.data
      ? Object.entries(it.data)
          .map(([k, v]) => ` data-${k}="${escapeXml(String(v))}"`)
          .join('')
      : '';
    const stroke = it.stroke ? ` stroke="${it.stroke}" stroke-width="${it.strokeWidth ?? 1}"` : '';
    const dash = it.dash ? ' stroke-dasharray="2 2"' : '';
    const attrs = `x="${fmt(it.x)}" y="${fmt(it.y)}" width="${fmt(it.w)}" height="${fmt(it.h)}" fill="${it.fill}"${stroke}${dash}${data}`;
    parts.push(title ? `<rect ${attrs}>${title}</rect>` : `<rect ${attrs}/>`);
  }
  parts.push('</svg>');
  return parts.join('');
}

/** An SVG map: a cell per section (or subsection, or page), PER_ROW per row, bands under each row. */
export function renderMapSvg(map: LayoutMap, style: MapStyle = {}): string {
  return sceneSvg(mapScene(map, style));
}
