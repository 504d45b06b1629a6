/**
 * The viewer page: a scenario's map at one slider position, zoomable from
 * sections to subsections to pages; the inspector for the pfn under the
 * pointer (or pinned by a click); the trace player when a trace is served.
 */
import { CHANGED_OUTLINE, type LayoutMap, legendItems, swatchBackground } from '../../report/map.js';
import { type MapChanges, mapChanges, OUTLINE_LIMIT } from '../../report/map-diff.js';
import { type PackedMap, unpackMap } from '../../report/map-pack.js';
import type { MapHighlight } from '../../report/map-scene.js';
import { hex } from '../../units.js';
import type { PfnInspect, ScenarioSummary, ViewInfo, WatchAnswer } from '../api.js';
import { $, clear, el, getJson, swatch } from './dom.js';
import { renderInspector } from './inspector.js';
import { type MapPick, MapView } from './map-view.js';
import { Stepper } from './stepper.js';
import { type HeldPage, TracePlayer } from './trace-player.js';

interface Zoom {
  section?: number;
  subsection?: number;
}

const state = {
  info: undefined as ViewInfo | undefined,
  summary: undefined as ScenarioSummary | undefined,
  zoom: {} as Zoom,
  pinned: null as number | null,
  hover: null as number | null,
  held: [] as HeldPage[],
  trace: undefined as TracePlayer | undefined,
  /** With a trace: the scenario slider was moved away from the trace's position. */
  detached: false,
  /** Bumped by every map request; a late answer to an older one is dropped. */
  mapSeq: 0,
  /** The map last asked for has not been drawn yet (play waits for it: see startPlay). */
  drawing: false,
  pfnSeq: 0,
};

const inspections = new Map<string, PfnInspect>();

function k(): number {
  return stepper.position;
}

function q(extra: Record<string, number | undefined> = {}): string {
  const p = new URLSearchParams({ s: state.summary!.id, step: String(k()) });
  for (const [key, v] of Object.entries(extra)) if (v !== undefined) p.set(key, String(v));
  return p.toString();
}

function status(text: string, error = false): void {
  const s = $('status');
  s.textContent = text;
  s.classList.toggle('error', error);
}

const mapView = new MapView($('map'), {
  hover(pick: MapPick | undefined) {
    state.hover = pick ? pick.pfn : null;
    if (state.pinned === null && pick) scheduleInspect(pick.pfn);
  },
  click(pick: MapPick) {
    pinPfn(pick.pfn);
  },
  zoom(pick: MapPick) {
    const map = mapView.current;
    if (!map || !state.summary) return;
    const g = state.summary.geometry;
    if (map.level === 'sections') setZoom({ section: pick.sc.cell.nr });
    else if (map.level === 'subsections')
      setZoom({ section: state.zoom.section, subsection: pick.sc.cell.nr % g.subsectionsPerSection });
    pinPfn(pick.pfn);
  },
});

const stepper = new Stepper(() => {
  markDetached();
  writeUrl(false);
  void drawMap();
  refreshInspector();
});

let hoverTimer: ReturnType<typeof setTimeout> | undefined;
function scheduleInspect(pfn: number): void {
  clearTimeout(hoverTimer);
  hoverTimer = setTimeout(() => {
    if (state.pinned === null) void inspect(pfn, false);
  }, 40);
}

function pinPfn(pfn: number): void {
  clearTimeout(hoverTimer);
  state.pinned = pfn;
  mapView.pin(pfn);
  ($('goto') as HTMLInputElement).value = hex(pfn);
  writeUrl(false);
  watchReady();
  void inspect(pfn, true);
}

function refreshInspector(): void {
  const pfn = state.pinned ?? state.hover;
  if (pfn !== null) void inspect(pfn, state.pinned !== null);
}

async function inspect(pfn: number, pinned: boolean): Promise<void> {
  const s = state.summary;
  if (!s) return;
  const seq = ++state.pfnSeq;
  const key = `${s.id}:${k()}:${pfn}`;
  try {
    let r = inspections.get(key);
    if (!r) {
      r = await getJson<PfnInspect>(`/api/pfn?${q({ pfn })}`);
      inspections.set(key, r);
      if (inspections.size > 500) inspections.delete(inspections.keys().next().value!);
    }
    if (seq !== state.pfnSeq) return;
    // The walkers' reads belong to the trace's position: shown while the map is synced to it.
    const walker = state.trace && !state.detached ? state.trace.walkerReads(pfn) : undefined;
    renderInspector(
      $('inspector'),
      r,
      s,
      pinned,
      {
        zoomSection: (nr) => setZoom({ section: nr }),
        zoomSubsection: (nr, index) => setZoom({ section: nr, subsection: index }),
      },
      walker,
    );
  } catch (e) {
    if (seq === state.pfnSeq) status((e as Error).message, true);
  }
}

function setZoom(z: Zoom): void {
  state.zoom = z;
  writeUrl(true);
  void drawMap();
}

/**
 * The view in the URL's fragment, so that a step, a zoom and a pinned pfn can be linked to and
 * back/forward move between views: #s=ID&step=K&section=N&subsection=I&pfn=0xP&t=T. A zoom or
 * another scenario is a new history entry; stepping and pinning update the current one.
 */
interface UrlView {
  s?: string;
  step?: number;
  section?: number;
  subsection?: number;
  pfn?: number;
  t?: number;
}

/** Applying a URL: its own changes are not written back. */
let applyingUrl = false;
/** The next write is a new history entry (another scenario), whatever writes it first. */
let pushNext = false;

function urlNumber(p: URLSearchParams, name: string): number | undefined {
  const v = p.get(name);
  if (v === null) return undefined;
  const n = /^0x[0-9a-f]+$/i.test(v) ? Number.parseInt(v, 16) : /^\d+$/.test(v) ? Number(v) : Number.NaN;
  return Number.isSafeInteger(n) ? n : undefined;
}

export function readUrl(hash: string): UrlView {
  const p = new URLSearchParams(hash.replace(/^#/, ''));
  return {
    s: p.get('s') ?? undefined,
    step: urlNumber(p, 'step'),
    section: urlNumber(p, 'section'),
    subsection: urlNumber(p, 'subsection'),
    pfn: urlNumber(p, 'pfn'),
    t: urlNumber(p, 't'),
  };
}

function writeUrl(push: boolean): void {
  if (applyingUrl || !state.summary) return;
  const pushing = pushNext;
  pushNext = false;
  const p = new URLSearchParams();
  if ((state.info?.scenarios.length ?? 0) > 1) p.set('s', state.summary.id);
  p.set('step', String(k()));
  if (state.zoom.section !== undefined) p.set('section', String(state.zoom.section));
  if (state.zoom.subsection !== undefined) p.set('subsection', String(state.zoom.subsection));
  if (state.pinned !== null) p.set('pfn', hex(state.pinned));
  if (state.trace) p.set('t', String(state.trace.position));
  const hash = `#${p.toString()}`;
  if (hash === location.hash) return;
  if (push || pushing) history.pushState(null, '', hash);
  else history.replaceState(null, '', hash);
}

/**
 * Show the view a URL names: a deep link when the page opens (what it does not name stays as
 * the page starts: a trace's step still pins its held page), or an entry back/forward returns
 * to (written by writeUrl, so no pfn there means none was pinned).
 */
async function applyUrl(v: UrlView, opening: boolean): Promise<void> {
  applyingUrl = true;
  try {
    const ids = state.info?.scenarios.map((x) => x.id) ?? [];
    if (v.s !== undefined && ids.includes(v.s) && v.s !== state.summary?.id) {
      ($('scenario') as HTMLSelectElement).value = v.s;
      await loadScenario(v.s, v.step);
    }
    if (v.t !== undefined && state.trace) state.trace.set(v.t);
    if (v.step !== undefined) stepper.set(v.step);
    const g = state.summary?.geometry;
    if (g) {
      const section =
        v.section !== undefined && v.section < Math.ceil(g.maxPfn / g.pagesPerSection)
          ? v.section
          : undefined;
      const subsection =
        section !== undefined && v.subsection !== undefined && v.subsection < g.subsectionsPerSection
          ? v.subsection
          : undefined;
      if (section !== state.zoom.section || subsection !== state.zoom.subsection) {
        state.zoom = { section, subsection };
        void drawMap();
      }
      if (v.pfn !== undefined && v.pfn < g.maxPfn && v.pfn !== state.pinned) pinPfn(v.pfn);
      else if (v.pfn === undefined && state.pinned !== null && !opening) unpin();
    }
  } finally {
    applyingUrl = false;
  }
  writeUrl(false);
}

/** Zoomed in elsewhere: the same depth of zoom, around pfn, so that the map shows it pinned. */
function followZoom(pfn: number): void {
  const g = state.summary?.geometry;
  const { section, subsection } = state.zoom;
  if (!g || section === undefined) return;
  const sec = Math.floor(pfn / g.pagesPerSection);
  const sub = Math.floor((pfn % g.pagesPerSection) / g.pagesPerSubsection);
  if (subsection === undefined) {
    if (sec !== section) setZoom({ section: sec });
  } else if (sec !== section || sub !== subsection) setZoom({ section: sec, subsection: sub });
}

function unpin(): void {
  state.pinned = null;
  // An inspection still on its way is for the pin just dropped.
  state.pfnSeq++;
  mapView.pin(null);
  ($('goto') as HTMLInputElement).value = '';
  watchReady();
  clear($('inspector'));
  $('inspector').append(el('p', { class: 'dim' }, 'Hover over the map for a pfn; click to pin it.'));
}

function breadcrumb(): void {
  const b = $('crumbs');
  clear(b);
  const g = state.summary!.geometry;
  const parts: [string, Zoom][] = [['address space', {}]];
  const { section, subsection } = state.zoom;
  if (section !== undefined)
    parts.push([`section ${section} (${hex(section * g.sectionSize)})`, { section }]);
  if (section !== undefined && subsection !== undefined) {
    const phys = section * g.sectionSize + subsection * g.subsectionSize;
    parts.push([`subsection ${subsection} (${hex(phys)})`, { section, subsection }]);
  }
  parts.forEach(([label, z], i) => {
    if (i > 0) b.append(el('span', { class: 'sep' }, ' › '));
    if (i === parts.length - 1) b.append(el('b', {}, label));
    else {
      const a = el('a', { href: '#' }, label);
      a.onclick = (e) => {
        e.preventDefault();
        setZoom(z);
      };
      b.append(a);
    }
  });
  const hint =
    state.zoom.subsection !== undefined
      ? 'a cell is a page'
      : state.zoom.section !== undefined
        ? 'a cell is a subsection; double-click one for its pages'
        : 'a cell is a section; double-click one for its subsections';
  b.append(el('span', { class: 'dim' }, `  —  ${hint}; Esc zooms out`));
}

/** Outlines of a struct page a walker holds: fine, or bad to touch (BAD_PAGE_STATES). */
const HELD = '#1f78ff';
const HELD_BAD = '#e00000';

/** A legend swatch for a corner mark: a white cell with the mark in its corner. */
function cornerMark(colour: string): HTMLElement {
  const i = el('i', { class: 'sw' }, el('b'));
  (i.firstChild as HTMLElement).style.background = colour;
  return i;
}

function outline(colour: string): HTMLElement {
  const i = el('i', { class: 'sw' });
  i.style.borderColor = colour;
  return i;
}

/** The map last drawn, to outline what the new position changed. */
let previous: { key: string; step: number; map: LayoutMap } | undefined;

/** What changed since the map drawn before (same scenario and zoom); undefined when nothing to compare. */
function changesSince(key: string, map: LayoutMap): MapChanges | undefined {
  const before = previous;
  previous = { key, step: k(), map };
  if (!before || before.key !== key || before.step === k()) return undefined;
  return mapChanges(before.map, map);
}

/** The changed cells to outline: none past OUTLINE_LIMIT (every row would be drawn and none fold). */
function changedOutlines(changes: MapChanges | undefined, map: LayoutMap): MapHighlight[] {
  if (!changes || changes.cells.length > OUTLINE_LIMIT) return [];
  return changes.cells.map((nr) => ({ pfn: nr * map.unitPages, colour: CHANGED_OUTLINE }));
}

function highlights(changed: MapHighlight[]): MapHighlight[] {
  const held = (state.detached ? [] : state.held).map((h) => ({
    pfn: h.pfn,
    colour: h.bad ? HELD_BAD : HELD,
    title: `held by a walker: ${h.page}`,
  }));
  return [...changed, ...held];
}

async function drawMap(): Promise<void> {
  const s = state.summary;
  if (!s) return;
  const seq = ++state.mapSeq;
  state.drawing = true;
  try {
    const map = unpackMap(await getJson<PackedMap>(`/api/map?${q(state.zoom as Record<string, number>)}`));
    if (seq !== state.mapSeq) return;
    const changes = changesSince(`${state.summary!.id}:${state.zoom.section}:${state.zoom.subsection}`, map);
    const changed = changedOutlines(changes, map);
    mapView.draw(map, highlights(changed), state.pinned, changes?.bands ?? []);
    const line = $('map-change');
    line.textContent = changes
      ? `${changes.line || 'nothing on the map changed'}${changes.cells.length > OUTLINE_LIMIT ? ' (too many to outline)' : ''}`
      : '';
    line.title = 'what changed since the position drawn before';
    breadcrumb();
    const legend = $('legend');
    clear(legend);
    for (const item of legendItems([map]))
      legend.append(
        el(
          'span',
          { class: `swatch${item.band ? ' band' : ''}${item.mark ? ` mark ${item.mark}` : ''}` },
          item.mark ? cornerMark(item.colour) : swatch(swatchBackground(item)),
          item.label,
        ),
      );
    if (changed.length || changes?.bands.length)
      legend.append(
        el(
          'span',
          { class: 'swatch outline' },
          outline(CHANGED_OUTLINE),
          `changed since the last position drawn (${changed.length} cells${changes?.bands.length ? `, ${changes.bands.length} band ranges` : ''})`,
        ),
      );
    // Each outline colour a held page is drawn in, and only those.
    const heldDrawn = state.detached ? [] : state.held;
    if (heldDrawn.some((h) => !h.bad))
      legend.append(el('span', { class: 'swatch outline' }, outline(HELD), 'struct page held by a walker'));
    if (heldDrawn.some((h) => h.bad))
      legend.append(
        el(
          'span',
          { class: 'swatch outline' },
          outline(HELD_BAD),
          'struct page held by a walker, poisoned, freed or uninitialized under it',
        ),
      );
    if (map.level === 'sections')
      legend.append(
        el(
          'span',
          {
            class: 'swatch flags',
            title: "the section flags in a cell's tooltip and the inspector, as crash's kmem -n prints them",
          },
          'section flags: P present · M has a memmap · O online · E early (boot) · D ZONE_DEVICE taint',
        ),
      );
    const cells = map.cells.length;
    const scene = mapView.drawn;
    // A dense map's bands are too thin to carry their names: say which is which.
    const tracks =
      scene && !scene.tracksLabelled && scene.tracks.length
        ? `; the bands under each row, top to bottom: ${scene.tracks.join(', ')}`
        : '';
    const folded = scene?.folds.reduce((n, f) => n + f.rows, 0) ?? 0;
    const folds = folded
      ? `; ${folded} rows like the row above them folded to ⋮ (no highlight, pin or boundary in them)`
      : '';
    $('map-note').textContent =
      `${cells} ${map.level} ${folded ? 'in the map' : 'drawn'}${map.level === 'sections' ? ' (runs of 4+ absent sections collapsed to …)' : ''}${folds}${tracks}`;
    document.body.dataset.step = String(k());
    document.body.dataset.level = map.level;
    status('');
  } catch (e) {
    if (seq === state.mapSeq) status((e as Error).message, true);
  } finally {
    if (seq === state.mapSeq) state.drawing = false;
  }
}

async function loadScenario(id: string, at?: number): Promise<void> {
  const s = await getJson<ScenarioSummary>(`/api/scenario?s=${encodeURIComponent(id)}`);
  state.summary = s;
  state.zoom = {};
  state.pinned = null;
  inspections.clear();
  $('title').textContent = s.name;
  document.title = `pfnlab view: ${s.name}`;
  $('description').textContent = s.description ?? '';
  $('description').title = s.description ?? '';
  const g = s.geometry;
  $('geometry').textContent = $('geometry').title =
    `${s.arch}, kernel ${s.kernel}: pages ${g.pageSize / 1024}K, sections ${hex(g.sectionSize)} (${g.subsectionsPerSection} subsections of ${hex(g.subsectionSize)}), memory blocks ${hex(g.memoryBlockSize)}, MAX_PHYSMEM_BITS ${g.maxPhysmemBits}; ${s.steps.length} kernel steps, ${s.operations.length - 1} operations`;
  unpin();
  stepper.load(s, at ?? s.initial);
}

/** A slider the keys move: the trace's with a trace (End: the violation), else the scenario's. */
interface Track {
  readonly position: number;
  readonly end: number;
  set(k: number): void;
  /** Where Shift+arrow goes: the next thread switch, or the end of the next operation. */
  shifted(d: -1 | 1): number;
  /** Where PgUp/PgDn go: the writer's steps, or the operations' ends. */
  paged(d: -1 | 1): number;
}

function track(): Track {
  const player = state.trace;
  if (player)
    return {
      position: player.position,
      end: player.violationStep,
      set: (k) => player.set(k),
      shifted: (d) => player.switchFrom(d),
      paged: (d) => player.writerFrom(d),
    };
  return {
    position: stepper.position,
    end: stepper.max,
    set: (k) => stepper.set(k),
    shifted: (d) => stepper.opFrom(d),
    paged: (d) => stepper.opFrom(d),
  };
}

/** Where a key moves the track, or undefined for a key that moves nothing. */
function keyTarget(t: Track, e: KeyboardEvent): number | undefined {
  const d = e.key === 'ArrowLeft' || e.key === 'PageUp' ? -1 : 1;
  switch (e.key) {
    case 'ArrowLeft':
    case 'ArrowRight':
      return e.shiftKey ? t.shifted(d) : t.position + d;
    case 'PageUp':
    case 'PageDown':
      return t.paged(d);
    case 'Home':
      return 0;
    case 'End':
      return t.end;
    default:
      return undefined;
  }
}

function onKey(e: KeyboardEvent): void {
  const t = e.target as HTMLElement;
  if (t.closest('input, select, textarea') || e.ctrlKey || e.metaKey || e.altKey) return;
  if (e.key === ' ' && t.closest('button')) return;
  if (e.key === ' ') togglePlay();
  else if (e.key === 'Escape') {
    if (state.zoom.subsection !== undefined) setZoom({ section: state.zoom.section });
    else setZoom({});
  } else {
    const t = track();
    const to = keyTarget(t, e);
    if (to === undefined) return;
    t.set(to);
  }
  e.preventDefault();
}

/** Play: the trace when there is one, else the scenario's kernel steps, at the chosen speed. */
let playing: ReturnType<typeof setInterval> | undefined;

function stopPlay(): void {
  clearInterval(playing);
  playing = undefined;
  $('play').textContent = '▶ play';
  document.body.dataset.playing = '0';
}

function startPlay(): void {
  stopPlay();
  const perSecond = Number(($('speed') as HTMLSelectElement).value) || 5;
  const tick = () => {
    // Each step is drawn before the next: on a slow machine a map takes longer than a tick, and
    // stepping on regardless would drop every map but the last.
    if (state.drawing) return;
    const player = state.trace;
    if (player) {
      if (player.position >= player.length) return stopPlay();
      player.set(player.position + 1);
    } else {
      if (stepper.position >= stepper.max) return stopPlay();
      stepper.set(stepper.position + 1);
    }
  };
  playing = setInterval(tick, 1000 / perSecond);
  $('play').textContent = '❚❚ pause';
  document.body.dataset.playing = '1';
}

function togglePlay(): void {
  if (playing === undefined) startPlay();
  else stopPlay();
}

/** The watchpoint: move to the nearest step that changes the pinned pfn's truth or any answer. */
async function watch(dir: 1 | -1): Promise<void> {
  const s = state.summary;
  const pfn = state.pinned;
  if (!s || pfn === null) return;
  const note = $('watch-note');
  note.textContent = 'searching…';
  try {
    const w = await getJson<WatchAnswer>(`/api/watch?${q({ pfn, dir })}`);
    if (w.step === null) {
      note.textContent = `no ${dir > 0 ? 'later' : 'earlier'} kernel step changes pfn ${hex(pfn)}`;
      return;
    }
    stepper.set(w.step);
    note.textContent = `kernel step ${w.step + 1} (${w.fn}): ${w.changes.join('; ')}`;
    note.title = `before: ${w.before.join('; ')}`;
  } catch (e) {
    note.textContent = (e as Error).message;
  }
}

function watchReady(): void {
  const on = state.pinned !== null;
  ($('watch-prev') as HTMLButtonElement).disabled = !on;
  ($('watch-next') as HTMLButtonElement).disabled = !on;
  $('watch-note').textContent = on
    ? `watching pfn ${hex(state.pinned!)}: the steps that change its truth or any design's answer`
    : 'pin a pfn to watch it';
}

/** The scenario position a trace position shows, when the trace's writer steps were found. */
function syncedStep(t: number): number | undefined {
  return state.info?.traceSync?.[t];
}

/**
 * Whether the map shows another kernel step than the trace's position (the slider moved by
 * hand): a badge says so and offers to re-sync; the walkers' held pages are not outlined then,
 * since they are the trace's, not this step's.
 */
function markDetached(): void {
  const trace = state.trace;
  const want = trace ? syncedStep(trace.position) : undefined;
  state.detached = want !== undefined && want !== stepper.position;
  const badge = $('detached');
  badge.hidden = !state.detached;
  document.body.dataset.detached = state.detached ? '1' : '0';
  if (state.detached && trace)
    $('detached-text').textContent =
      `detached from the trace: trace step ${trace.position} is kernel step ${want! + 1}, the map shows ${stepper.position + 1}`;
}

function resync(): void {
  const want = state.trace ? syncedStep(state.trace.position) : undefined;
  if (want === undefined) return;
  if (want !== stepper.position) stepper.set(want);
  markDetached();
  void drawMap();
}

async function start(): Promise<void> {
  const info = await getJson<ViewInfo>('/api/info');
  state.info = info;
  const select = $('scenario') as HTMLSelectElement;
  for (const s of info.scenarios)
    select.append(el('option', { value: s.id, title: s.description ?? '' }, s.name));
  select.hidden = info.scenarios.length < 2;
  $('title').hidden = !select.hidden;
  select.onchange = async () => {
    // Loading writes the new scenario's view (its first step) as a new entry: Back returns here.
    pushNext = true;
    await loadScenario(select.value);
    writeUrl(false);
    // Back to the page, so that the arrow keys step rather than pick another scenario.
    select.blur();
  };
  ($('goto-form') as HTMLFormElement).onsubmit = (e) => {
    e.preventDefault();
    const text = ($('goto') as HTMLInputElement).value.trim();
    const pfn = /^0x[0-9a-f]+$/i.test(text)
      ? Number.parseInt(text, 16)
      : /^\d+$/.test(text)
        ? Number(text)
        : NaN;
    const max = state.summary?.geometry.maxPfn;
    if (!Number.isSafeInteger(pfn)) status(`'${text}' is not a pfn (decimal or 0x-hex)`, true);
    else if (max !== undefined && pfn >= max)
      status(`pfn ${hex(pfn)} is beyond MAX_PHYSMEM_BITS (pfns 0..${hex(max - 1)})`, true);
    else {
      followZoom(pfn);
      pinPfn(pfn);
    }
  };
  document.addEventListener('keydown', onKey);
  $('play').onclick = () => togglePlay();
  ($('speed') as HTMLSelectElement).onchange = () => {
    if (playing !== undefined) startPlay();
  };
  $('watch-prev').onclick = () => void watch(-1);
  $('watch-next').onclick = () => void watch(1);
  const link = readUrl(location.hash);
  if (info.current !== null) {
    const first = link.s !== undefined && info.scenarios.some((x) => x.id === link.s) ? link.s : info.current;
    select.value = first;
    const sync = first === info.current ? info.traceSync : undefined;
    await loadScenario(first, sync ? sync[0] : undefined);
  } else {
    $('main').hidden = true;
    $('title').textContent = info.trace ? `explorer trace: ${info.trace.scenario}` : 'nothing to show';
  }
  if (info.traceScenarioError) status(info.traceScenarioError, true);
  if (info.trace) {
    // The arrows play the trace; the scenario's slider is a Shift away (see onKey).
    $('keys').textContent =
      "keys: ← → trace step · Shift+← → the next thread switch · PgUp/PgDn: the writer's steps · Home: before the first step · End: the violation · Space: play/pause · Esc: zoom out · Back: the view before. The scenario's slider moved by hand detaches the map from the trace.";
    for (const id of ['step-first', 'step-prev', 'step-next', 'step-last', 'op-prev', 'op-next'])
      $(id).title = `${$(id).title.replace(/ \(.*\)$/, '')} (detaches the map from the trace)`;
    $('resync').onclick = () => resync();
    // The lanes and the map on one screen (1280x720): see body.trace-mode in app.css.
    document.body.classList.add('trace-mode');
    state.trace = new TracePlayer(
      info.trace,
      (t, held) => {
        state.held = held;
        const target = info.traceSync?.[t];
        if (state.summary && target !== undefined && target !== stepper.position) stepper.set(target);
        else {
          markDetached();
          void drawMap();
        }
        const bad = held.find((h) => h.bad) ?? held[0];
        if (bad && state.summary) pinPfn(bad.pfn);
        writeUrl(false);
      },
      (pfn) => pinPfn(pfn),
    );
  }
  await applyUrl(link, true);
  window.addEventListener('popstate', () => void applyUrl(readUrl(location.hash), false));
  document.body.dataset.ready = '1';
}

start().catch((e) => status(`cannot start: ${(e as Error).message}`, true));
