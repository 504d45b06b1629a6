/**
 * The viewer in Debian's chromium, driven by playwright-core. CI installs
 * chromium (.ci/run); without /usr/bin/chromium these tests fail, unless
 * PFNLAB_SKIP_BROWSER=1 says to skip them. Screenshots go to test-artifacts/.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Browser, chromium, type Page } from 'playwright-core';
import { DESIGNS, designByName, runWithDesigns } from '../../src/designs/index.js';
import { explore, scenarioWalkers } from '../../src/explore/index.js';
import { loadScenario } from '../../src/io/scenario.js';
import type { Machine } from '../../src/model/machine.js';
import { CELL_COLOURS, type LayoutMap } from '../../src/report/map.js';
import { layoutMap } from '../../src/report/map-layout.js';
import { unpackMap } from '../../src/report/map-pack.js';
import { mapScene, viewStyle } from '../../src/report/map-scene.js';
import { startViewServer, ViewContent, type ViewServer, viewContentFor } from '../../src/view/index.js';
import { scratchDir } from '../helpers.js';
import { TRACE, writerFirstTrace } from './traces.js';

const CHROMIUM = '/usr/bin/chromium';
/** The flags that work on a closed network (no background connections to Google's hosts). */
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const ARTIFACTS = 'test-artifacts';
const SCENARIO = 'pmem-shares-a-section-with-boot-ram';

const missing = !existsSync(CHROMIUM);
const skip =
  missing && process.env.PFNLAB_SKIP_BROWSER === '1'
    ? `${CHROMIUM} is missing and PFNLAB_SKIP_BROWSER=1: browser tests skipped (apt-get install chromium to run them)`
    : false;

/** The map's cells as the page drew them: nr -> [data-cls, fill]. */
async function drawnCells(page: Page): Promise<Map<number, [string, string]>> {
  const cells = await page.$$eval('#map svg rect[data-nr]', (rects) =>
    rects.map(
      (r) => [Number(r.getAttribute('data-nr')), r.getAttribute('data-cls'), r.getAttribute('fill')] as const,
    ),
  );
  return new Map(cells.map(([nr, cls, fill]) => [nr, [cls ?? '', fill ?? '']]));
}

/** The page's map equals layoutMap() of the machine: the same cells, each in its class's colour. */
async function assertMapIs(page: Page, m: Machine): Promise<void> {
  const expected = layoutMap(m).cells;
  const drawn = await drawnCells(page);
  assert.equal(drawn.size, expected.length, 'one cell per section of layoutMap()');
  for (const c of expected) {
    const d = drawn.get(c.nr);
    assert.ok(d, `section ${c.nr} drawn`);
    assert.equal(d[0], c.cls, `section ${c.nr}`);
    assert.equal(d[1], c.cls === 'mixed' ? 'transparent' : CELL_COLOURS[c.cls], `section ${c.nr} colour`);
  }
}

/** WCAG 2 contrast of two rgb triples (the test's own, not the renderer's). */
function contrast(a: readonly number[], b: readonly number[]): number {
  const lum = (c: readonly number[]) => {
    const [r, g, bl] = c.map((v) => {
      const s = v / 255;
      return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

/**
 * Every label of the map's SVG as drawn: its size in CSS px (font-size times the SVG's scale), its
 * colour, and the colour under its middle (the topmost filled rect there, else the first
 * background up the page), as rgb triples.
 */
async function mapLabels(page: Page): Promise<{ text: string; px: number; fg: number[]; bg: number[] }[]> {
  // In the page (a string: this file is compiled without the DOM's types).
  return page.evaluate(`(() => {
    const rgb = (css) => {
      const probe = document.createElement('i');
      probe.style.color = css;
      document.body.append(probe);
      const m = /rgba?\\((\\d+), (\\d+), (\\d+)(?:, ([\\d.]+))?\\)/.exec(getComputedStyle(probe).color);
      probe.remove();
      if (!m || (m[4] !== undefined && Number(m[4]) === 0)) return undefined;
      return [Number(m[1]), Number(m[2]), Number(m[3])];
    };
    return [...document.querySelectorAll('#map svg text')].map((t) => {
      const svg = t.ownerSVGElement;
      const px = Number(t.getAttribute('font-size')) * (svg.getBoundingClientRect().width / svg.viewBox.baseVal.width);
      const box = t.getBoundingClientRect();
      const under = document
        .elementsFromPoint(box.left + box.width / 2, box.top + box.height / 2)
        .filter((e) => e.tagName === 'rect')
        .map((e) => e.getAttribute('fill') || '')
        .find((f) => f && f !== 'none' && f !== 'transparent' && !f.startsWith('url('));
      let bg = under ? rgb(under) : undefined;
      for (let e = svg; !bg && e; e = e.parentElement) bg = rgb(getComputedStyle(e).backgroundColor);
      return { text: t.textContent || '', px, fg: rgb(t.getAttribute('fill') || '#000'), bg: bg || [255, 255, 255] };
    });
  })()`);
}

async function atStep(page: Page, k: number): Promise<void> {
  await page.waitForSelector(`body[data-step="${k}"][data-level="sections"]`);
}

describe('pfnlab view in chromium', { skip, timeout: 480_000 }, () => {
  let browser: Browser;
  let server: ViewServer;
  let traceServer: ViewServer;
  let bigServer: ViewServer;
  let writerFirstServer: ViewServer;
  let hugeServer: ViewServer;
  let twoServer: ViewServer;
  let recordedServer: ViewServer;
  let assets: string;
  const errors: string[] = [];
  const scenario = loadScenario(SCENARIO);
  const afterOps = (n: number) => runWithDesigns(scenario, DESIGNS, { operations: n }).machine;

  before(async () => {
    if (missing)
      throw new Error(`${CHROMIUM} is missing: apt-get install chromium (or PFNLAB_SKIP_BROWSER=1 to skip)`);
    mkdirSync(ARTIFACTS, { recursive: true });
    // The page as the current sources build it (npm run build does the same into dist/view-assets).
    const assetsDir = scratchDir('view-assets');
    assets = assetsDir;
    const built = spawnSync(process.execPath, ['scripts/build-view.mjs', '--out', assetsDir], {
      encoding: 'utf8',
    });
    assert.equal(built.status, 0, built.stderr);
    // 1.5 TiB of boot memory: 12288 sections, past the SVG limit.
    const big = join(assetsDir, 'big.json');
    writeFileSync(
      big,
      JSON.stringify({
        name: 'big',
        boot: [
          { start: 0, size: '1T' },
          { start: '2T', size: '512G' },
        ],
      }),
    );
    // 16 TiB: 131072 sections, every one changed by a boot step.
    const huge = join(assetsDir, 'huge.json');
    writeFileSync(huge, JSON.stringify({ name: 'huge', boot: [{ start: '0', size: '16T' }] }));
    const writerFirst = join(assetsDir, 'writer-first.json');
    writeFileSync(writerFirst, JSON.stringify(writerFirstTrace()));
    const two = new ViewContent([loadScenario(SCENARIO), loadScenario('dimm-hotplug')]);
    // A trace as the explorer writes it now: its RCU and lock state at every step.
    const recorded = join(assetsDir, 'single-flip.json');
    const offline = loadScenario('explore/offline');
    writeFileSync(
      recorded,
      JSON.stringify(
        explore({
          scenario: offline,
          design: designByName('active-bitmap/single-flip')!,
          walkers: scenarioWalkers(offline),
        }),
      ),
    );
    [server, traceServer, bigServer, writerFirstServer, hugeServer, twoServer, recordedServer, browser] =
      await Promise.all([
        startViewServer(viewContentFor(SCENARIO), { assetsDir }),
        startViewServer(viewContentFor(TRACE), { assetsDir }),
        startViewServer(viewContentFor(big), { assetsDir }),
        startViewServer(viewContentFor(writerFirst), { assetsDir }),
        startViewServer(viewContentFor(huge), { assetsDir }),
        startViewServer(two, { assetsDir }),
        startViewServer(viewContentFor(recorded), { assetsDir }),
        chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS }),
      ]);
  });
  after(async () => {
    await browser?.close();
    await server?.close();
    await traceServer?.close();
    await bigServer?.close();
    await writerFirstServer?.close();
    await hugeServer?.close();
    await twoServer?.close();
    await recordedServer?.close();
  });

  /** The page at url (and, for a deep link, a fragment), once it says it is ready. */
  async function open(
    url: string,
    fragment = '',
    viewport = { width: 1400, height: 1000 },
    deviceScaleFactor = 1,
  ): Promise<Page> {
    const page = await browser.newPage({ viewport, deviceScaleFactor });
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('request', (r) => {
      if (!r.url().startsWith(url)) errors.push(`request outside the server: ${r.url()}`);
    });
    await page.goto(url + fragment);
    await page.waitForSelector('body[data-ready="1"]');
    return page;
  }

  it("loads and draws the scenario's sections in their colours after boot and at the end", async () => {
    const page = await open(server.url);
    const s = JSON.parse(await (await page.request.get(`${server.url}api/scenario`)).text());
    await atStep(page, s.initial);
    assert.equal(await page.textContent('#scenario-panel .now'), `boot: ${s.operations[0].summary}`);
    // Both counters count kernel steps from 1: the last of boot is "8 / N" beside "kernel step 8 of 8".
    const boot = s.operations[0];
    assert.equal(await page.textContent('#step-count'), `${s.initial + 1} / ${s.steps.length}`);
    assert.match(
      (await page.textContent('#step-fn')) ?? '',
      new RegExp(`kernel step ${s.initial - boot.first + 1} of ${boot.last - boot.first + 1}\\)$`),
    );
    await assertMapIs(page, afterOps(0));
    await page.keyboard.press('End');
    await atStep(page, s.steps.length - 1);
    await assertMapIs(page, afterOps(6));
    const legend = await page.textContent('#legend');
    assert.match(legend ?? '', /online, ZONE_MOVABLE/);
    await page.screenshot({ path: join(ARTIFACTS, 'view-scenario.png'), fullPage: true });
    await page.close();
    assert.deepEqual(errors, []);
  });

  it('the slider and the arrow keys change the state, kernel step by kernel step', async () => {
    const page = await open(server.url);
    const s = JSON.parse(await (await page.request.get(`${server.url}api/scenario`)).text());
    await atStep(page, s.initial);
    const before = await drawnCells(page);
    // The slider itself: to the end of add_memory (operation 1).
    await page.locator('#slider').fill(String(s.operations[1].last));
    await atStep(page, s.operations[1].last);
    await assertMapIs(page, afterOps(1));
    assert.notDeepEqual(await drawnCells(page), before);
    assert.equal(
      (await drawnCells(page)).get(64)?.[0],
      'uninitialized',
      'the hot-added DIMM has a memmap, not yet initialized',
    );
    // An operation chip, then one kernel step back with the left arrow.
    await page.click('#ops .op[data-op="2"]');
    await atStep(page, s.operations[2].last);
    await assertMapIs(page, afterOps(2));
    await page.keyboard.press('ArrowLeft');
    const k = s.operations[2].last - 1;
    await atStep(page, k);
    assert.equal(await page.textContent('#step-fn code'), s.steps[k].fn);
    assert.equal(await page.textContent('#kernel-steps li.current code'), s.steps[k].fn);
    await page.keyboard.press('PageDown');
    await atStep(page, s.operations[2].last);
    await page.close();
    assert.deepEqual(errors, []);
  });

  it("clicking a cell shows that pfn's truth and every design's answers; zooming to pages", async () => {
    const page = await open(server.url);
    const s = JSON.parse(await (await page.request.get(`${server.url}api/scenario`)).text());
    await page.click('#ops .op[data-op="3"]');
    await atStep(page, s.operations[3].last);
    const m = afterOps(3);
    for (const nr of [5, 32, 64]) {
      await page.click(`#map svg rect[data-nr="${nr}"]`);
      const pfn = Number.parseInt((await page.inputValue('#goto')).slice(2), 16);
      assert.equal(Math.floor(pfn / 32768), nr, `the clicked pfn ${pfn} is in section ${nr}`);
      await page.waitForSelector(`#inspector h3:has-text("pfn 0x${pfn.toString(16)} ")`);
      const truth = m.truthOf(pfn);
      assert.equal(await page.getAttribute('#inspector .truth', 'data-state'), truth.state, `pfn ${pfn}`);
      assert.equal(await page.locator('#inspector table.answers tbody tr').count(), DESIGNS.length);
    }
    // The README's pfn, by the box: device memory of pmem0, which 5.4 hands out as online.
    await page.fill('#goto', '0x104400');
    await page.press('#goto', 'Enter');
    await page.waitForSelector('#inspector h3:has-text("pfn 0x104400 ")');
    assert.match((await page.textContent('#inspector .truth')) ?? '', /device, zone Device, pgmap pmem0/);
    assert.match((await page.textContent('#inspector tr[data-design="v5.4"]')) ?? '', /device-as-online/);
    // Zoom: section 32's subsections, then subsection 34's pages.
    await page.click('#inspector button[data-zoom="section"]');
    await page.waitForSelector('body[data-level="subsections"]');
    assert.equal(await page.locator('#map svg rect[data-nr]').count(), 64);
    await page.dblclick(`#map svg rect[data-nr="${32 * 64 + 34}"]`);
    await page.waitForSelector('body[data-level="pages"]');
    assert.equal(await page.locator('#map svg rect[data-nr]').count(), 512);
    assert.equal(await page.getAttribute('#map svg rect[data-nr="1065984"]', 'data-cls'), 'device');
    await page.screenshot({ path: join(ARTIFACTS, 'view-pages.png'), fullPage: true });
    await page.keyboard.press('Escape');
    await page.waitForSelector('body[data-level="subsections"]');
    await page.close();
    assert.deepEqual(errors, []);
  });

  it('links to a step, a zoom and a pinned pfn; back and forward move between zooms', async () => {
    const s = JSON.parse(await (await fetch(`${server.url}api/scenario`)).text());
    const k = s.operations[3].last;
    const page = await open(server.url, `#step=${k}&section=32&pfn=0x104400`);
    await page.waitForSelector(`body[data-step="${k}"][data-level="subsections"]`);
    await page.waitForSelector('#inspector h3:has-text("pfn 0x104400 ")');
    assert.match((await page.textContent('#inspector .truth')) ?? '', /device, zone Device, pgmap pmem0/);
    assert.equal(await page.inputValue('#goto'), '0x104400');
    // The subsections in subsection_map carry a corner mark, and the legend says what it means.
    assert.match((await page.textContent('#legend')) ?? '', /in subsection_map \(corner mark\)/);
    // Hover a subsection and double-click it: the tooltip then names the page under the pointer,
    // not the subsection it was drawn for.
    const sub = page.locator(`#map svg rect[data-nr="${32 * 64 + 34}"]`);
    await sub.hover();
    await page.waitForSelector('#map .tip:not([hidden]):has-text("subsection 34 of section 32")');
    await sub.dblclick();
    await page.waitForSelector('body[data-level="pages"]');
    // A page under the pointer, or nothing (a band or a gap there): not the subsection any more.
    await page.waitForFunction(
      "(() => { const t = document.querySelector('#map .tip'); return t.hidden || !t.textContent.includes('subsection 34 of section 32'); })()",
    );
    assert.match(page.url(), /section=32&subsection=34/);
    // A step updates the link in place.
    await page.keyboard.press('ArrowRight');
    await page.waitForSelector(`body[data-step="${k + 1}"][data-level="pages"]`);
    assert.match(page.url(), new RegExp(`step=${k + 1}&`));
    // Back: the section's subsections again, still on this page; forward: the pages.
    await page.goBack();
    await page.waitForSelector('body[data-level="subsections"]');
    assert.equal(new URL(page.url()).origin, new URL(server.url).origin);
    await page.goForward();
    await page.waitForSelector('body[data-level="pages"]');
    // A pfn typed while zoomed into another subsection: the map follows it, at the same depth.
    await page.fill('#goto', '0x4123');
    await page.press('#goto', 'Enter');
    await page.waitForSelector('nav#crumbs b:has-text("subsection 32 (0x4000000)")');
    assert.match(page.url(), /section=0&subsection=32&pfn=0x4123/);
    await page.waitForSelector('#inspector h3:has-text("pfn 0x4123 ")');
    assert.equal(await page.locator('#map .cellbox.pinned:not([hidden])').count(), 1);
    // A pfn past MAX_PHYSMEM_BITS is refused in the page, with the range, and asks the server nothing.
    let asked = 0;
    page.on('request', (r) => {
      if (r.url().includes('/api/pfn')) asked++;
    });
    await page.fill('#goto', '0xffffffffffff');
    await page.press('#goto', 'Enter');
    await page.waitForSelector('#status.error:has-text("beyond MAX_PHYSMEM_BITS")');
    assert.equal(asked, 0);
    await page.close();
    assert.deepEqual(errors, []);
  });

  it('plays the trace: lanes, the poisoned page a walker holds in red, the violation', async () => {
    const page = await open(traceServer.url);
    assert.match(
      (await page.textContent('#trace-title')) ?? '',
      /active-bitmap\/no-sync on dimm-hotplug: unsafe/,
    );
    assert.match(
      (await page.textContent('#trace-violation')) ?? '',
      /poisoned-deref.*did not wait for a grace period/,
    );
    assert.deepEqual(await page.$$eval('#trace-lanes thead th', (th) => th.map((t) => t.textContent)), [
      '#',
      'writer',
      'pfn-walker (walker)',
    ]);
    // Step 3: the walker holds an initialized page, nothing red.
    for (let i = 0; i < 3; i++) await page.keyboard.press('ArrowRight');
    await page.waitForSelector('#trace-lanes tr.current[data-t="3"]');
    assert.equal(await page.locator('#trace-lanes tr.current .held').count(), 1);
    assert.equal(await page.locator('#trace-lanes tr.current .held.bad').count(), 0);
    // The legend names the outline drawn (blue: held), not the red one that is not.
    await page.waitForSelector('#legend:has-text("struct page held by a walker")');
    assert.doesNotMatch((await page.textContent('#legend')) ?? '', /poisoned, freed or uninitialized/);
    assert.match(
      (await page.textContent('#keys')) ?? '',
      /← → trace step · Shift\+← → the next thread switch · PgUp\/PgDn: the writer's steps · Home: before the first step · End: the violation/,
    );
    // Step 6: the writer poisoned it under the walker.
    await page.locator('#trace-slider').fill('6');
    await page.waitForSelector('#trace-lanes tr.current[data-t="6"]');
    const held = page.locator('#trace-lanes tr.current .held.bad');
    assert.equal(await held.count(), 1);
    assert.equal(await held.getAttribute('data-page'), 'poisoned');
    assert.match((await held.textContent()) ?? '', /0x400000: poisoned/);
    assert.equal(
      await page.evaluate(
        "getComputedStyle(document.querySelector('#trace-lanes tr.current .held.bad')).backgroundColor",
      ),
      'rgb(215, 25, 28)',
      'highlighted red',
    );
    // The map follows the writer: the poisoned page's section outlined red, its struct page poisoned.
    await page.waitForSelector('#map svg rect[data-highlight="128"][stroke="#e00000"]');
    await page.waitForSelector(
      '#legend:has-text("held by a walker, poisoned, freed or uninitialized under it")',
    );
    await page.waitForSelector('#inspector h3:has-text("pfn 0x400000 ")');
    assert.match((await page.textContent('#inspector table.kv')) ?? '', /flags poisoned/);
    assert.equal(await page.textContent('#step-fn code'), 'page_init_poison');
    await page.click('#trace-last');
    await page.waitForSelector('#trace-lanes tr.current.violation[data-t="7"]');
    assert.match(page.url(), /t=7/);
    // The same trace opened at a link to its step 6: the poisoned page pinned, as when stepped to.
    const linked = await open(traceServer.url, '#t=6');
    await linked.waitForSelector('#trace-lanes tr.current[data-t="6"]');
    await linked.waitForSelector('#inspector h3:has-text("pfn 0x400000 ")');
    assert.equal(await linked.inputValue('#goto'), '0x400000');
    assert.match(linked.url(), /pfn=0x400000/);
    await linked.close();
    await page.screenshot({ path: join(ARTIFACTS, 'view-trace.png'), fullPage: true });
    await page.close();
    assert.deepEqual(errors, []);
  });

  it("trace position 0 shows the machine before the writer's first step, position 1 after it", async () => {
    const page = await open(writerFirstServer.url);
    const info = JSON.parse(await (await page.request.get(`${writerFirstServer.url}api/info`)).text());
    const [sync, first] = [info.traceSync, info.trace.steps[0]];
    assert.equal(first.thread, 0, 'the trace begins with the writer');
    await atStep(page, sync[0]);
    assert.equal(await page.textContent('#trace-now'), 'before the first step');
    assert.equal(await page.textContent('#trace-count'), `0 / ${info.trace.steps.length}`);
    assert.notEqual(await page.textContent('#step-fn code'), first.fn, 'the first step not yet done');
    await page.keyboard.press('ArrowRight');
    await page.waitForSelector('#trace-lanes tr.current[data-t="1"]');
    await atStep(page, sync[1]);
    assert.equal(sync[1], sync[0] + 1);
    assert.equal(await page.textContent('#step-fn code'), first.fn);
    assert.equal(
      await page.textContent('#step-count'),
      `${sync[1] + 1} / ${JSON.parse(await (await page.request.get(`${writerFirstServer.url}api/scenario`)).text()).steps.length}`,
    );
    await page.close();
    assert.deepEqual(errors, []);
  });

  it('paints a map of more than 10k sections on a canvas, still inspectable by pointer', async () => {
    const page = await open(bigServer.url);
    await page.waitForSelector('body[data-level="sections"]');
    const canvas = page.locator('#map .canvas-map');
    assert.equal(Number(await canvas.getAttribute('data-cells')), 12288);
    assert.equal(await page.locator('#map svg').count(), 0);
    // Below the run's address header, in the first row of cells.
    await canvas.click({ position: { x: 300, y: 20 } });
    const pfn = Number.parseInt((await page.inputValue('#goto')).slice(2), 16);
    await page.waitForSelector(`#inspector h3:has-text("pfn 0x${pfn.toString(16)} ")`);
    assert.ok(pfn < 2 ** 28, `pfn ${pfn} is in the first TiB`);
    assert.match((await page.textContent('#inspector .truth')) ?? '', /^online, zone (DMA32|Normal)/);
    // Its bands are too thin for their names: the note under the map gives them.
    assert.match(
      (await page.textContent('#map-note')) ?? '',
      /bands under each row, top to bottom: zone, node, block/,
    );
    await page.close();
    assert.deepEqual(errors, []);
  });

  it('folds the alike rows of a large map: the marker names them, clicks and pins find their sections', async () => {
    const page = await open(bigServer.url);
    await page.waitForSelector('body[data-level="sections"]');
    // The scene the page drew, from the map it was sent.
    const { id } = JSON.parse(await (await page.request.get(`${bigServer.url}api/scenario`)).text());
    const step = await page.getAttribute('body', 'data-step');
    const map: LayoutMap = unpackMap(
      JSON.parse(await (await page.request.get(`${bigServer.url}api/map?s=${id}&step=${step}`)).text()),
    );
    // With the labels at the size the page drew them (11 CSS px at its scale).
    const font = Number(await page.getAttribute('#map .surface', 'data-font'));
    assert.ok(font > 0);
    const scene = mapScene(map, { ...viewStyle(map), font });
    assert.ok(scene.folds.length >= 2, 'both boot ranges fold');
    const canvas = page.locator('#map .canvas-map');
    assert.equal(Number(await canvas.getAttribute('data-folds')), scene.folds.length);
    assert.equal(Number(await canvas.getAttribute('data-drawn')), scene.cells.length);
    assert.match((await page.textContent('#map-note')) ?? '', /rows like the row above them folded/);
    const box = (await canvas.boundingBox())!;
    const scale = box.width / scene.width;
    assert.ok(Math.abs(box.height - scene.height * scale) < 2, 'the canvas is as tall as the folded scene');
    // The marker says which rows it stands for, hovered and clicked.
    const [fold] = scene.folds;
    const centre = { x: (fold.x + fold.w / 2) * scale, y: (fold.y + fold.h / 2) * scale };
    await canvas.hover({ position: centre });
    const tip = page.locator('#map .tip:not([hidden])');
    await tip.waitFor();
    assert.match(
      (await tip.textContent()) ?? '',
      new RegExp(`${fold.rows} rows folded.*§${fold.first}-§${fold.last}`),
    );
    await canvas.click({ position: centre });
    assert.equal(await page.inputValue('#goto'), '', 'a marker is not a pfn to pin');
    // A cell drawn below the markers is the section it shows (the second boot range, at 2 TiB).
    const below = scene.cells.filter((c) => c.y > fold.y + fold.h && c.cell.nr > 16384)[200];
    assert.ok(below, 'two rows of the second range drawn');
    await canvas.click({
      position: { x: (below.x + below.w / 2) * scale, y: (below.y + below.h / 2) * scale },
    });
    const pfn = Number.parseInt((await page.inputValue('#goto')).slice(2), 16);
    assert.equal(Math.floor(pfn / map.pagesPerSection), below.cell.nr);
    // A pfn in folded rows, by the box: its row is drawn and pinned.
    const folded = (fold.first + 300) * map.pagesPerSection + 5;
    await page.fill('#goto', `0x${folded.toString(16)}`);
    await page.press('#goto', 'Enter');
    await page.waitForSelector(`#inspector h3:has-text("pfn 0x${folded.toString(16)} ")`);
    const unfolded = mapScene(map, { ...viewStyle(map), font, keep: [folded] });
    await page.waitForSelector(`#map .canvas-map[data-drawn="${unfolded.cells.length}"]`);
    const pinned = unfolded.cells.find((c) => folded >= c.start && folded < c.start + c.pages)!;
    const pin = (await page.locator('#map .cellbox.pinned').boundingBox())!;
    const at = (await page.locator('#map .canvas-map').boundingBox())!;
    assert.ok(
      Math.abs(pin.x + pin.width / 2 - (at.x + (pinned.x + pinned.w / 2) * scale)) < 2,
      'pinned where drawn',
    );
    assert.ok(Math.abs(pin.y + pin.height / 2 - (at.y + (pinned.y + pinned.h / 2) * scale)) < 2);
    await page.screenshot({ path: join(ARTIFACTS, 'view-folded.png'), fullPage: true });
    await page.close();
    assert.deepEqual(errors, []);
  });

  it('16 TiB at DPR 2: a step changing every section is a note, rows fold, no canvas past 32,767 device px', async () => {
    const page = await open(hugeServer.url, '', { width: 1440, height: 900 }, 2);
    const sizes: number[] = [];
    page.on('response', async (r) => {
      if (r.url().includes('/api/map')) sizes.push((await r.body()).length);
    });
    const s = JSON.parse(await (await page.request.get(`${hugeServer.url}api/scenario`)).text());
    await atStep(page, s.initial);
    const tiles = async () =>
      page.$$eval('#map canvas', (cs) =>
        cs.map((c) => [Number(c.getAttribute('width')), Number(c.getAttribute('height'))]),
      );
    // From one end to the other and back (boot's first step builds every section), then step by step.
    for (const key of ['Home', 'End', 'ArrowLeft', 'Home', 'ArrowRight']) {
      const before = await page.getAttribute('body', 'data-step');
      await page.keyboard.press(key);
      await page.waitForSelector(`body:not([data-step="${before}"])`);
      const k = Number(await page.getAttribute('body', 'data-step'));
      await page.waitForSelector(`body[data-step="${k}"]`);
      for (const [w, h] of await tiles()) {
        assert.ok(w <= 32767 && h <= 32767, `a ${w}x${h} canvas at step ${k}`);
        assert.ok(w > 0 && h > 0);
      }
      const folds = Number(await page.getAttribute('#map .canvas-map', 'data-folds'));
      assert.ok(folds >= 1, `rows still fold at step ${k}`);
    }
    await atStep(page, 1);
    await page.waitForSelector('#map-change:has-text("all 131072 sections changed")');
    assert.equal(await page.locator('#map .canvas-map').getAttribute('data-cells'), '131072');
    const box = (await page.locator('#map .canvas-map').boundingBox())!;
    assert.ok(box.height < 2000, `the folded map is ${box.height} px tall`);
    assert.ok(
      sizes.length >= 5 && Math.max(...sizes) < 200_000,
      `map responses of ${sizes.join(', ')} bytes`,
    );
    await page.screenshot({ path: join(ARTIFACTS, 'view-16tib.png') });
    await page.close();
    assert.deepEqual(errors, []);
  });

  it('a step that changes only bands outlines them and says what changed under the map', async () => {
    const page = await open(server.url);
    const s = JSON.parse(await (await page.request.get(`${server.url}api/scenario`)).text());
    const k = s.steps.findIndex((x: { fn: string }) => x.fn === 'memory_block_change_state');
    assert.ok(k > 0);
    await page.locator('#slider').fill(String(k - 1));
    await atStep(page, k - 1);
    await page.keyboard.press('ArrowRight');
    await atStep(page, k);
    await page.waitForSelector('#map-change:has-text("memory64 offline → online")');
    assert.ok((await page.locator('#map svg rect[data-changed="band"]').count()) > 0, 'the block outlined');
    assert.equal(await page.locator('#map svg rect[data-highlight]').count(), 0, 'no cell changed');
    // free_area_init: the zone spans appear.
    await page.keyboard.press('Home');
    await atStep(page, 0);
    const fai = s.steps.findIndex((x: { fn: string }) => x.fn === 'free_area_init');
    await page.locator('#slider').fill(String(fai - 1));
    await atStep(page, fai - 1);
    await page.keyboard.press('ArrowRight');
    await page.waitForSelector('#map-change:has-text("zone Normal added")');
    await page.screenshot({ path: join(ARTIFACTS, 'view-band-change.png'), fullPage: true });
    await page.close();
    assert.deepEqual(errors, []);
  });

  it('Back after a scenario switch returns to the scenario before, on this page', async () => {
    const page = await open(twoServer.url);
    await page.waitForSelector('body[data-level="sections"]');
    assert.equal(await page.inputValue('#scenario'), SCENARIO);
    const first = page.url();
    await page.selectOption('#scenario', 'dimm-hotplug');
    await page.waitForSelector('#title:has-text("dimm-hotplug")', { state: 'attached' });
    await page.waitForURL(/s=dimm-hotplug/);
    await page.goBack();
    await page.waitForURL(first);
    await page.waitForSelector('#description:has-text("pmem")');
    assert.equal(await page.inputValue('#scenario'), SCENARIO);
    assert.equal(page.url(), first);
    assert.equal(new URL(page.url()).origin, new URL(twoServer.url).origin, 'still on the viewer');
    await page.goForward();
    await page.waitForURL(/s=dimm-hotplug/);
    await page.waitForSelector('#description:has-text("DIMM")');
    assert.equal(await page.inputValue('#scenario'), 'dimm-hotplug');
    await page.close();
    assert.deepEqual(errors, []);
  });

  it('trace mode: Home/End/PgUp/PgDn/Shift+arrows move along the trace; End is the violation; a hand-moved slider detaches', async () => {
    const page = await open(traceServer.url);
    const info = JSON.parse(await (await page.request.get(`${traceServer.url}api/info`)).text());
    const sync: number[] = info.traceSync;
    await page.waitForSelector('#trace-count:text-is("0 / 7")');
    await page.keyboard.press('End');
    await page.waitForSelector('#trace-lanes tr.current.violation[data-t="7"]');
    await atStep(page, sync[7]);
    assert.match(page.url(), /t=7/);
    // At the violation, the inspector's answers are captioned as settled, and the walker's read is a row.
    await page.waitForSelector('#inspector h3:has-text("pfn 0x400000 ")');
    assert.match((await page.textContent('#inspector table.answers caption')) ?? '', /^settled answers/);
    const read = page.locator('#inspector tr.walker-read');
    await read.waitFor();
    assert.match(
      (await read.textContent()) ?? '',
      /step 7 pfn-walker: deref.*holds its struct page: poisoned/,
    );
    // The state after the step: the walker inside its read-side section, holding a poisoned page;
    // no grace period ran (the design under test skips it); the lanes draw the section as a bar.
    const stateText = (await page.textContent('#trace-state')) ?? '';
    assert.match(stateText, /grace period\s*phase 0; idle/);
    assert.match(stateText, /readers by phase\s*phase 0: 1 · phase 1: 0/);
    assert.match(stateText, /pfn-walker\s*in a read-side section \(nesting 1, entered in phase 0\)/);
    assert.equal(await page.getAttribute('#trace-state .holds.bad', 'data-page'), 'poisoned');
    assert.equal(await page.locator('#trace-lanes td.walker.in-rcu').count(), 7);
    await page.screenshot({ path: join(ARTIFACTS, 'view-trace-violation.png') });
    await page.keyboard.press('Home');
    await page.waitForSelector('#trace-count:text-is("0 / 7")');
    await atStep(page, sync[0]);
    assert.equal(await page.textContent('#trace-now'), 'before the first step');
    assert.equal(await page.locator('#map svg rect[stroke="#e00000"]').count(), 0, 'nothing poisoned yet');
    // PgDn: the writer's first step (4); Shift+→: the next thread switch (back to the walker at 7).
    await page.keyboard.press('PageDown');
    await page.waitForSelector('#trace-lanes tr.current[data-t="4"]');
    await page.keyboard.press('Shift+ArrowRight');
    await page.waitForSelector('#trace-lanes tr.current[data-t="7"]');
    await page.keyboard.press('PageUp');
    await page.waitForSelector('#trace-lanes tr.current[data-t="6"]');
    await atStep(page, sync[6]);
    assert.equal(await page.locator('#detached').isHidden(), true);
    // The scenario's slider by hand: the badge, no walker outlines, until re-synced.
    await page.locator('#slider').fill(String(sync[6] + 3));
    await atStep(page, sync[6] + 3);
    await page.waitForSelector('#detached:not([hidden]):has-text("detached from the trace")');
    assert.equal(await page.locator('#map svg rect[stroke="#e00000"]').count(), 0);
    await page.click('#resync');
    await atStep(page, sync[6]);
    await page.waitForSelector('#detached', { state: 'hidden' });
    await page.waitForSelector('#map svg rect[data-highlight="128"][stroke="#e00000"]');
    // The violation banner links to its step.
    await page.keyboard.press('Home');
    await page.waitForSelector('#trace-count:text-is("0 / 7")');
    await page.click('#trace-violation a.to-step');
    await page.waitForSelector('#trace-lanes tr.current[data-t="7"]');
    await page.close();
    assert.deepEqual(errors, []);
  });

  it('addresses: a row per run of absent sections naming its range and size, each run headed by its range; the flag letters explained', async () => {
    const page = await open(server.url);
    await page.waitForSelector('body[data-level="sections"]');
    const gaps = await page.$$eval('#map svg rect[data-gap]', (rs) =>
      rs.map((r) => r.getAttribute('data-gap')),
    );
    assert.ok(gaps.length >= 1, 'a gap row');
    const text = (await page.textContent('#map svg')) ?? '';
    assert.match(text, /… 0x80000000-0xffffffff, 2G absent \(§16-§31\)/);
    assert.match(text, /0x0-0x7fffffff, 2G/);
    assert.match(
      (await page.textContent('#legend')) ?? '',
      /section flags: P present · M has a memmap · O online · E early/,
    );
    await page.close();
    assert.deepEqual(errors, []);
  });

  it('landmarks and play: ticks at operations and refusals, Play/Pause, the watchpoint on a pinned pfn', async () => {
    const dimm = new ViewContent([loadScenario('dimm-hotplug')]);
    const dimmServer = await startViewServer(dimm, { assetsDir: assets });
    try {
      const page = await open(dimmServer.url);
      const s = JSON.parse(await (await page.request.get(`${dimmServer.url}api/scenario`)).text());
      await atStep(page, s.initial);
      // A tick per operation, the refused one marked as such at its one position.
      assert.equal(await page.locator('#ticks i').count(), s.operations.length - 1);
      const refused = s.operations.filter((o: { refused?: string }) => o.refused);
      assert.ok(refused.length >= 1);
      assert.equal(await page.getAttribute('#ticks i.refused', 'data-k'), String(refused[0].last));
      // Play at 25 steps/s, then pause: it moved on and stays.
      await page.selectOption('#speed', '25');
      await page.click('#play');
      await page.waitForSelector(`body[data-playing="1"]:not([data-step="${s.initial}"])`);
      await page.click('#play');
      await page.waitForSelector('body[data-playing="0"]');
      // The map drawn catches up with the slider (a draw may be in flight), then stays.
      const stopped = await page.inputValue('#slider');
      await atStep(page, Number(stopped));
      await page.waitForTimeout(300);
      assert.equal(await page.getAttribute('body', 'data-step'), stopped, 'paused');
      assert.equal(await page.inputValue('#slider'), stopped, 'paused');
      // The watchpoint: the first pfn of the DIMM, from boot's end: the next step that changes it.
      await page.locator('#slider').fill(String(s.initial));
      await atStep(page, s.initial);
      await page.fill('#goto', '0x400000');
      await page.press('#goto', 'Enter');
      await page.waitForSelector('#inspector h3:has-text("pfn 0x400000 ")');
      await page.click('#watch-next');
      await page.waitForSelector('#watch-note:has-text("kernel step")');
      const k = Number(await page.getAttribute('body', 'data-step'));
      assert.ok(k > s.initial);
      const note = (await page.textContent('#watch-note')) ?? '';
      assert.match(note, new RegExp(`^kernel step ${k + 1} \\(${s.steps[k].fn}\\): `));
      // Back the other way: the step before it changes nothing, so the previous change is at or before boot.
      await page.click('#watch-prev');
      await page.waitForSelector('#watch-note:has-text("no earlier"), #watch-note:has-text("kernel step")');
      await page.screenshot({ path: join(ARTIFACTS, 'view-watch.png') });
      await page.close();
    } finally {
      await dimmServer.close();
    }
    assert.deepEqual(errors, []);
  });

  it('at 1280x720 the trace lanes and the map are on one screen; the state table is read from the explorer', async () => {
    const page = await open(recordedServer.url, '', { width: 1280, height: 720 });
    await page.keyboard.press('End');
    await page.waitForSelector('#trace-lanes tr.current.violation');
    await page.waitForSelector('#map svg rect[data-nr]');
    assert.equal(await page.evaluate('window.scrollY'), 0);
    const box = async (sel: string) => (await page.locator(sel).boundingBox())!;
    for (const sel of ['.lanes-scroll', '#map svg', '#trace-state']) {
      const b = await box(sel);
      assert.ok(
        b.y >= 0 && b.y + b.height <= 720,
        `${sel} within the 720 px tall viewport: ${JSON.stringify(b)}`,
      );
      assert.ok(b.x >= 0 && b.x + b.width <= 1280, `${sel} within the 1280 px wide viewport`);
    }
    // The violation's row is in view inside the lanes' own scroll box.
    const lanes = await box('.lanes-scroll');
    const row = await box('#trace-lanes tr.current');
    assert.ok(row.y >= lanes.y && row.y + row.height <= lanes.y + lanes.height + 1, 'current row visible');
    // The state table from the trace's recorded state: the reader's one section (its rcu_read_lock()
    // is three accesses), entered in phase 0; two grace periods done; the writer holds the lock.
    const text = (await page.textContent('#trace-state')) ?? '';
    assert.equal(await page.getAttribute('#trace-state', 'data-source'), 'recorded');
    assert.match(text, /grace period\s*phase 0; idle \(2 completed\)/);
    assert.match(text, /pfn-walker\s*in a read-side section \(nesting 1, entered in phase 0\)/);
    assert.match(text, /mem_hotplug_lock\s*held for write by writer/);
    assert.match(text, /the explorer's memory at this step/);
    // Where the reader stored its stale phase: the grace period under way would wait for it.
    const stale = await page
      .locator('#trace-lanes tr', { hasText: 'write rcu = 0x1' })
      .first()
      .getAttribute('data-t');
    await page.locator(`#trace-lanes tr[data-t="${stale}"]`).click();
    await page.waitForSelector('#trace-state:has-text("the grace period waits for it")');
    await page.keyboard.press('End');
    await page.waitForSelector('#trace-lanes tr.current.violation');
    await page.screenshot({ path: join(ARTIFACTS, 'view-trace-1280x720.png') });
    await page.close();
    assert.deepEqual(errors, []);
  });

  it("the map's labels: at least 11 px and 4.5:1 against what they are drawn on, at 1280x720 and 1440x900", async () => {
    for (const viewport of [
      { width: 1280, height: 720 },
      { width: 1440, height: 900 },
    ]) {
      for (const fragment of ['', '#section=32']) {
        const page = await open(server.url, fragment, viewport);
        await page.waitForSelector('#map svg text');
        const labels = await mapLabels(page);
        assert.ok(labels.length > 10, `${labels.length} labels`);
        for (const l of labels) {
          assert.ok(
            l.px >= 11 - 1e-6,
            `'${l.text}' drawn at ${l.px.toFixed(2)} px (${viewport.width}${fragment})`,
          );
          const c = contrast(l.fg, l.bg);
          assert.ok(
            c >= 4.5,
            `'${l.text}' ${l.fg} on ${l.bg}: ${c.toFixed(2)}:1 (${viewport.width}${fragment})`,
          );
        }
        if (viewport.width === 1280 && !fragment)
          await page.screenshot({ path: join(ARTIFACTS, 'view-scenario-1280x720.png') });
        await page.close();
      }
    }
    assert.deepEqual(errors, []);
  });

  it('reserved pages are hatched, not only coloured: the altmap reserve cell and band, and the legend', async () => {
    const page = await open(server.url);
    const s = JSON.parse(await (await page.request.get(`${server.url}api/scenario`)).text());
    const memremap = s.operations.find((o: { op: string }) => o.op === 'memremap');
    await page.goto(`${server.url}#step=${memremap.last}&section=32`);
    await page.waitForSelector('body[data-level="subsections"]');
    const hatches = await page.$$eval('#map svg rect[data-hatch]', (rs) =>
      rs.map((r) => [r.getAttribute('fill'), Number(r.getAttribute('y'))] as const),
    );
    assert.ok(hatches.every(([fill]) => fill === 'url(#pfnlab-hatch)'));
    assert.equal(await page.locator('#map svg pattern#pfnlab-hatch').count(), 1);
    // The driver-reserved subsection and the pgmap band's reserve: two rows of the scene.
    assert.ok(new Set(hatches.map(([, y]) => y)).size >= 2, JSON.stringify(hatches));
    const reservedCell = await page.locator('#map svg rect[data-cls="driver-reserved"]').count();
    assert.ok(reservedCell >= 1);
    const swatch = page.locator('#legend .swatch', { hasText: 'driver-reserved' }).locator('i');
    assert.match((await swatch.getAttribute('style')) ?? '', /repeating-linear-gradient/);
    await page.screenshot({ path: join(ARTIFACTS, 'view-reserved-hatched.png') });
    await page.close();
    assert.deepEqual(errors, []);
  });
});
