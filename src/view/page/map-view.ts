/**
 * The map in the page: the shared scene (src/report/map-scene.ts) drawn as SVG, or
 * on a canvas past CANVAS_CELLS cells; pointer events turned into pfns. Runs
 * of alike rows are folded (a large uniform machine is a few rows, not a
 * thousand); the pinned pfn's row is never folded.
 */
import { CELL_LABELS, cellName, HATCH_LINE, type LayoutMap } from '../../report/map.js';
import type { BandChange } from '../../report/map-diff.js';
import {
  fittedScene,
  type MapHighlight,
  type MapScene,
  type SceneCell,
  type SceneFold,
  type SceneRect,
  viewStyle,
} from '../../report/map-scene.js';
import { sceneSvg } from '../../report/map-svg.js';
import { hex } from '../../units.js';
import { append, clear, el } from './dom.js';

/** The map's labels are drawn at least this large, in CSS pixels. */
export const MIN_LABEL_PX = 11;

/** Past this many cells in the map (drawn or folded) it is painted on a canvas. */
export const CANVAS_CELLS = 10_000;

export interface MapPick {
  readonly sc: SceneCell;
  readonly pfn: number;
}

export interface MapEvents {
  hover(pick: MapPick | undefined): void;
  click(pick: MapPick): void;
  zoom(pick: MapPick): void;
}

/**
 * Tallest a canvas tile is, in device pixels: Chromium draws nothing on a canvas with a side over
 * 32,767 device pixels (or more than about 268M of them), so a tall map is a stack of tiles.
 */
export const TILE_DEVICE_PX = 8192;
/** Widest a canvas is, in device pixels (the same limit); a wider scene is drawn at a lower ratio. */
export const MAX_CANVAS_DEVICE_PX = 32_767;

/**
 * The hatching of reserved pages on a canvas, as the SVG draws it: lines at 45 degrees every 3
 * scene units (the tile is drawn `pixels` device pixels to a scene unit).
 */
function hatchPattern(ctx: CanvasRenderingContext2D, pixels: number): CanvasPattern {
  const size = Math.max(3, Math.round(3 * Math.SQRT2 * pixels));
  const tile = document.createElement('canvas');
  tile.width = tile.height = size;
  const t = tile.getContext('2d')!;
  t.strokeStyle = HATCH_LINE;
  t.lineWidth = Math.max(1, 0.9 * pixels);
  t.beginPath();
  // One diagonal and the two corners that continue it on the neighbouring tiles.
  for (const d of [-size, 0, size]) {
    t.moveTo(d, size);
    t.lineTo(d + size, 0);
  }
  t.stroke();
  const pattern = ctx.createPattern(tile, 'repeat')!;
  // The context is scaled to scene units; the tile is in device pixels.
  pattern.setTransform(new DOMMatrix().scale(1 / pixels));
  return pattern;
}

/** Paint the part of a scene in scene rows [top, top + height) onto one canvas tile. */
function paintTile(
  canvas: HTMLCanvasElement,
  scene: MapScene,
  ratio: number,
  top: number,
  height: number,
): void {
  const s = scene.scale;
  canvas.width = Math.ceil(scene.width * s * ratio);
  canvas.height = Math.ceil(height * s * ratio);
  canvas.style.width = `${scene.width * s}px`;
  canvas.style.height = `${height * s}px`;
  const ctx = canvas.getContext('2d')!;
  ctx.scale(ratio * s, ratio * s);
  ctx.translate(0, -top);
  const bottom = top + height;
  // Runs of rects in one style are one path, filled and stroked once: a 16 TiB map is 131072
  // cells, and a fillRect plus a strokeRect for each took most of a step's time.
  let run: SceneRect[] = [];
  let hatch: CanvasPattern | undefined;
  const flush = () => {
    if (!run.length) return;
    const first = run[0];
    ctx.beginPath();
    for (const r of run) ctx.rect(r.x, r.y, r.w, r.h);
    if (first.fill !== 'none') {
      ctx.fillStyle = first.fill;
      ctx.fill();
    }
    if (first.stroke) {
      ctx.setLineDash(first.dash ? [2, 2] : []);
      ctx.strokeStyle = first.stroke;
      ctx.lineWidth = first.strokeWidth ?? 1;
      ctx.stroke();
    }
    run = [];
  };
  for (const it of scene.items) {
    if (it.kind === 'text') {
      if (it.y < top - it.size || it.y > bottom + it.size) continue;
      flush();
      ctx.font = `${it.size}px ui-monospace,monospace`;
      ctx.fillStyle = it.fill ?? '#000';
      ctx.textAlign = it.anchor === 'middle' ? 'center' : it.anchor === 'end' ? 'right' : 'left';
      ctx.fillText(it.text, it.x, it.y);
      continue;
    }
    if (it.y + it.h < top - 3 || it.y > bottom + 3) continue;
    if (it.hatch) {
      flush();
      hatch ??= hatchPattern(ctx, ratio * s);
      ctx.fillStyle = hatch;
      ctx.fillRect(it.x, it.y, it.w, it.h);
      continue;
    }
    // Rects of one style in a row do not overlap (cells) or look the same overlapped (band runs),
    // so filling them all before stroking them all draws what one at a time would.
    const last = run[run.length - 1];
    if (
      last &&
      (last.fill !== it.fill ||
        last.stroke !== it.stroke ||
        last.strokeWidth !== it.strokeWidth ||
        last.dash !== it.dash)
    )
      flush();
    run.push(it);
  }
  flush();
}

/** A scene as a stack of canvas tiles, none wider or taller than the browser draws. */
function paint(holder: HTMLElement, scene: MapScene): void {
  const s = scene.scale;
  const ratio = Math.min(window.devicePixelRatio || 1, (MAX_CANVAS_DEVICE_PX - 1) / (scene.width * s));
  const tile = TILE_DEVICE_PX / (ratio * s);
  for (let top = 0; top < scene.height; top += tile) {
    const canvas = el('canvas', { class: 'tile' });
    paintTile(canvas, scene, ratio, top, Math.min(tile, scene.height - top));
    holder.append(canvas);
  }
}

export class MapView {
  private scene: MapScene | undefined;
  private map: LayoutMap | undefined;
  private highlight: readonly MapHighlight[] = [];
  private bandOutline: readonly BandChange[] = [];
  private readonly surface: HTMLElement;
  private readonly hoverBox: HTMLElement;
  private readonly pinBox: HTMLElement;
  private readonly tip: HTMLElement;
  /** The pointer's last position over the map, to say what is under it after a redraw. */
  private pointer: { clientX: number; clientY: number } | undefined;

  constructor(
    private readonly root: HTMLElement,
    private readonly events: MapEvents,
  ) {
    this.surface = el('div', { class: 'surface' });
    this.hoverBox = el('div', { class: 'cellbox hover' });
    this.pinBox = el('div', { class: 'cellbox pinned' });
    this.tip = el('div', { class: 'tip', role: 'tooltip' });
    clear(root);
    // Until the first map arrives (a large machine's first map takes a moment).
    this.surface.append(el('p', { class: 'loading' }, 'loading…'));
    root.append(this.surface, this.hoverBox, this.pinBox, this.tip);
    root.addEventListener('mousemove', (e) => {
      this.pointer = { clientX: e.clientX, clientY: e.clientY };
      this.onMove(this.pointer);
    });
    root.addEventListener('mouseleave', () => {
      this.pointer = undefined;
      this.hoverBox.hidden = true;
      this.tip.hidden = true;
      this.events.hover(undefined);
    });
    root.addEventListener('click', (e) => {
      const pick = this.pick(e);
      if (pick) this.events.click(pick);
      // A fold marker has nothing to inspect: say what it stands for, as hovering does.
      else if (this.pickFold(e)) this.onMove(e);
    });
    root.addEventListener('dblclick', (e) => {
      const pick = this.pick(e);
      if (pick) this.events.zoom(pick);
    });
    this.hoverBox.hidden = true;
    this.pinBox.hidden = true;
    this.tip.hidden = true;
  }

  get current(): LayoutMap | undefined {
    return this.map;
  }

  /** The scene last drawn. */
  get drawn(): MapScene | undefined {
    return this.scene;
  }

  draw(
    map: LayoutMap,
    highlight: readonly MapHighlight[],
    pinned: number | null,
    bandOutline: readonly BandChange[] = [],
  ): void {
    this.map = map;
    this.highlight = highlight;
    this.bandOutline = bandOutline;
    const keep = pinned === null ? [] : [pinned];
    const style = { ...viewStyle(map), highlight, keep, bandOutline };
    this.scene = fittedScene(map, style, this.root.clientWidth - 4, MIN_LABEL_PX);
    const scale = this.scene.scale;
    this.surface.dataset.font = String(this.scene.font);
    clear(this.surface);
    if (map.cells.length > CANVAS_CELLS) {
      const holder = el('div', {
        class: 'pfnlab-map canvas-map',
        'data-cells': map.cells.length,
        'data-drawn': this.scene.cells.length,
        'data-folds': this.scene.folds.length,
      });
      holder.style.width = `${this.scene.width * scale}px`;
      this.surface.append(holder);
      paint(holder, this.scene);
    } else {
      this.surface.innerHTML = sceneSvg(this.scene);
    }
    this.pin(pinned);
    // The tooltip and hover outline described the cell under the pointer before this map: say
    // what is under it now (another zoom level, another step), or nothing.
    if (this.pointer) this.onMove(this.pointer);
    else {
      this.hoverBox.hidden = true;
      this.tip.hidden = true;
    }
  }

  /** Outline the cell holding pfn (or hide the outline); a pfn in folded rows unfolds its row. */
  pin(pfn: number | null): void {
    const sc =
      pfn === null ? undefined : this.scene?.cells.find((c) => pfn >= c.start && pfn < c.start + c.pages);
    if (
      !sc &&
      pfn !== null &&
      this.map &&
      this.scene?.folds.some((f) => pfn >= f.start && pfn < f.start + f.pages)
    ) {
      this.draw(this.map, this.highlight, pfn, this.bandOutline);
      return;
    }
    this.place(this.pinBox, sc);
  }

  private place(box: HTMLElement, sc: { x: number; y: number; w: number; h: number } | undefined): void {
    box.hidden = !sc;
    if (!sc || !this.scene) return;
    const s = this.scene.scale;
    const out = box === this.pinBox ? 5 : 2;
    box.style.left = `${this.surface.offsetLeft + sc.x * s - out}px`;
    box.style.top = `${this.surface.offsetTop + sc.y * s - out}px`;
    box.style.width = `${sc.w * s + 2 * out}px`;
    box.style.height = `${sc.h * s + 2 * out}px`;
  }

  /** The pointer in scene units. */
  private at(e: { clientX: number; clientY: number }): { x: number; y: number } | undefined {
    const target = this.surface.firstElementChild;
    if (!this.scene || !target) return undefined;
    const r = target.getBoundingClientRect();
    return { x: (e.clientX - r.left) / this.scene.scale, y: (e.clientY - r.top) / this.scene.scale };
  }

  private pickFold(e: { clientX: number; clientY: number }): SceneFold | undefined {
    const p = this.at(e);
    if (!p || !this.scene) return undefined;
    return this.scene.folds.find((f) => p.x >= f.x && p.x < f.x + f.w && p.y >= f.y && p.y < f.y + f.h);
  }

  private pick(e: { clientX: number; clientY: number }): MapPick | undefined {
    const p = this.at(e);
    if (!p || !this.scene) return undefined;
    const { x, y } = p;
    const sc = this.scene.cells.find((c) => x >= c.x && x < c.x + c.w + 2 && y >= c.y && y < c.y + c.h);
    if (!sc) return undefined;
    const frac = Math.min(Math.max((x - sc.x) / sc.w, 0), 0.999999);
    return { sc, pfn: sc.start + Math.floor(frac * sc.pages) };
  }

  private onMove(e: { clientX: number; clientY: number }): void {
    const pick = this.pick(e);
    const fold = pick ? undefined : this.pickFold(e);
    this.place(this.hoverBox, pick?.sc ?? fold);
    if (fold) {
      clear(this.tip);
      append(this.tip, el('b', {}, `${fold.rows} rows folded`), el('br'), fold.text);
      this.showTip(e);
      this.events.hover(undefined);
      return;
    }
    if (!pick || !this.map) {
      this.tip.hidden = true;
      this.events.hover(undefined);
      return;
    }
    const c = pick.sc.cell;
    const part = c.parts
      ? c.parts[Math.floor(((pick.pfn - pick.sc.start) / pick.sc.pages) * c.parts.length)]
      : c.cls;
    clear(this.tip);
    append(
      this.tip,
      el('b', {}, this.map.level === 'pages' ? `pfn ${hex(pick.pfn)}` : cellName(this.map, c)),
      el('br'),
      this.map.level === 'pages' ? '' : `pfn ${hex(pick.pfn)}  `,
      `phys ${hex(pick.pfn * this.map.pageSize)}`,
      el('br'),
      CELL_LABELS[part],
      this.map.level !== 'pages'
        ? el('div', { class: 'hint' }, 'click: inspect · double-click: zoom in')
        : null,
    );
    this.showTip(e);
    this.events.hover(pick);
  }

  private showTip(e: { clientX: number; clientY: number }): void {
    this.tip.hidden = false;
    const box = this.root.getBoundingClientRect();
    const left = e.clientX - box.left + 14;
    this.tip.style.left = `${Math.min(left, this.root.clientWidth - 260)}px`;
    this.tip.style.top = `${e.clientY - box.top + 16}px`;
  }
}
