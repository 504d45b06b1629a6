/**
 * A map's scene as SVG text: the report's maps, and the viewer's when they are small enough to be
 * elements rather than canvas pixels.
 */
import { escapeXml, HATCH_LINE, type LayoutMap } from './map.js';
import { type MapScene, type MapStyle, mapScene } from './map-scene.js';

const FONT = 'ui-monospace,SFMono-Regular,Menlo,Consolas,monospace';

/**
 * The hatching pattern (lines at 45 degrees every 3 scene units). Every map of a page defines the
 * same pattern under the same id, so whichever a url() finds draws the same.
 */
const HATCH_ID = 'pfnlab-hatch';
const HATCH_DEFS = `<defs><pattern id="${HATCH_ID}" patternUnits="userSpaceOnUse" width="3" height="3" patternTransform="rotate(45)"><rect width="0.9" height="3" fill="${HATCH_LINE}"/></pattern></defs>`;

function fmt(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(2);
}

/** A scene as SVG text. */
export function sceneSvg(scene: MapScene): string {
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${fmt(scene.width * scene.scale)}" height="${fmt(scene.height * scene.scale)}" viewBox="0 0 ${fmt(scene.width)} ${fmt(scene.height)}" class="pfnlab-map" font-family="${FONT}">`,
  ];
  if (scene.items.some((it) => it.kind === 'rect' && it.hatch)) parts.push(HATCH_DEFS);
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
    const fill = it.hatch ? `url(#${HATCH_ID})" data-hatch="1` : it.fill;
    const attrs = `x="${fmt(it.x)}" y="${fmt(it.y)}" width="${fmt(it.w)}" height="${fmt(it.h)}" fill="${fill}"${stroke}${dash}${data}`;
    parts.push(title ? `<rect ${attrs}>${title}</rect>` : `<rect ${attrs}/>`);
  }
  parts.push('</svg>');
  return parts.join('');
}

/** An SVG map: a cell per section (or subsection, or page), PER_ROW per row, bands under each row. */
export function renderMapSvg(map: LayoutMap, style: MapStyle = {}): string {
  return sceneSvg(mapScene(map, style));
}
