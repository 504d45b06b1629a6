import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DESIGNS, runWithDesigns } from '../../src/designs/index.js';
import { loadScenario } from '../../src/io/scenario.js';
import { pfnReport } from '../../src/report/layout.js';
import { layoutMap } from '../../src/report/map-layout.js';
import { unpackMap } from '../../src/report/map-pack.js';
import {
  ASSETS,
  DEFAULT_ASSETS_DIR,
  ScenarioView,
  startViewServer,
  syncTrace,
  type ViewServer,
  viewContentFor,
} from '../../src/view/index.js';
import { cli, scratchDir } from '../helpers.js';
import { TRACE, writerFirstTrace } from './traces.js';

/** Stand-in assets: the server's behaviour does not depend on the page. */
function stubAssets(): string {
  const dir = scratchDir('assets');
  for (const a of Object.values(ASSETS)) writeFileSync(join(dir, a.file), `stub ${a.file}`);
  return dir;
}

interface Got {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/** A raw request: the path goes on the wire exactly as given. */
function get(port: number, path: string, opts: { method?: string; host?: string } = {}): Promise<Got> {
  return new Promise((ok, fail) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: opts.method ?? 'GET',
        headers: { host: opts.host ?? `127.0.0.1:${port}` },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d) => {
          body += d;
        });
        res.on('end', () => ok({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', fail);
    req.end();
  });
}

/** Whether a TCP connection to host:port is accepted. */
function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((ok) => {
    const s = connect({ host, port });
    s.setTimeout(1000);
    s.on('connect', () => {
      s.destroy();
      ok(true);
    });
    s.on('error', () => ok(false));
    s.on('timeout', () => {
      s.destroy();
      ok(false);
    });
  });
}

describe('pfnlab view: the server', () => {
  let server: ViewServer;
  before(async () => {
    server = await startViewServer(viewContentFor('pmem-shares-a-section-with-boot-ram'), {
      assetsDir: stubAssets(),
    });
  });
  after(() => server.close());

  it('listens on 127.0.0.1 only', async () => {
    assert.equal(server.address.address, '127.0.0.1');
    assert.equal(server.url, `http://127.0.0.1:${server.port}/`);
    assert.ok(await accepts('127.0.0.1', server.port));
    assert.equal(await accepts('127.0.0.2', server.port), false, 'another loopback address is refused');
    assert.equal(await accepts('::1', server.port), false, 'IPv6 loopback is refused');
    for (const addrs of Object.values(networkInterfaces())) {
      for (const a of addrs ?? []) {
        if (a.internal) continue;
        assert.equal(await accepts(a.address, server.port), false, `${a.address} is refused`);
      }
    }
  });

  it('serves the packaged assets, with no-sniff and a same-origin CSP', async () => {
    for (const [path, a] of Object.entries(ASSETS)) {
      const r = await get(server.port, path);
      assert.equal(r.status, 200, path);
      assert.equal(r.body, `stub ${a.file}`);
      assert.equal(r.headers['content-type'], a.type);
      assert.equal(r.headers['x-content-type-options'], 'nosniff');
      assert.match(String(r.headers['content-security-policy']), /default-src 'none'; script-src 'self'/);
    }
  });

  it('answers 404 to everything else, traversal in any spelling included', async () => {
    for (const path of [
      '/../package.json',
      '/%2e%2e/package.json',
      '/%2E%2E%2Fpackage.json',
      '/..%2fpackage.json',
      '/..%5cpackage.json',
      '/app.js/../../package.json',
      '/./app.js',
      '//etc/passwd',
      '/index.html',
      '/app.js%00',
      '/package.json',
      '/dist/view-assets/app.js',
      '/api',
      '/api/',
      '/api/../package.json',
      '/api/nope',
      '/favicon.ico',
    ]) {
      const r = await get(server.port, path);
      assert.equal(r.status, 404, path);
      assert.doesNotMatch(r.body, /"name": "pfnlab"|root:/, path);
    }
  });

  it('allows only GET and HEAD, and only requests naming its own host', async () => {
    const post = await get(server.port, '/api/info', { method: 'POST' });
    assert.equal(post.status, 405);
    assert.equal(post.headers.allow, 'GET, HEAD');
    const head = await get(server.port, '/', { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.body, '');
    const rebound = await get(server.port, '/api/info', { host: 'evil.example:80' });
    assert.equal(rebound.status, 403);
    assert.equal((await get(server.port, '/', { host: `localhost:${server.port}` })).status, 200);
  });

  it('API: info, the scenario and its slider positions', async () => {
    const info = JSON.parse((await get(server.port, '/api/info')).body);
    assert.deepEqual(
      info.scenarios.map((s: { id: string }) => s.id),
      ['pmem-shares-a-section-with-boot-ram'],
    );
    assert.equal(info.current, 'pmem-shares-a-section-with-boot-ram');
    const s = JSON.parse((await get(server.port, '/api/scenario')).body);
    assert.equal(s.name, 'pmem-shares-a-section-with-boot-ram');
    assert.deepEqual(
      s.operations.map((o: { op: string }) => o.op),
      ['boot', 'add_memory', 'online', 'memremap', 'offline', 'remove', 'memunmap'],
    );
    assert.equal(s.steps.length, s.operations[6].last + 1);
    assert.equal(s.initial, s.operations[0].last);
    assert.deepEqual(
      s.designs.map((d: { name: string }) => d.name),
      DESIGNS.map((d) => d.name),
    );
    // Every position belongs to its operation, in order, each with a kernel function's name.
    for (const o of s.operations)
      for (let k = o.first; k <= o.last; k++) assert.equal(s.steps[k].op, o.index, `step ${k}`);
    const memremap = s.steps
      .slice(s.operations[3].first, s.operations[3].last + 1)
      .map((x: { fn: string }) => x.fn);
    assert.ok(memremap.includes('move_pfn_range_to_zone') && memremap.includes('memmap_init_zone_device'));
  });

  it('API: the map after a step at every zoom level, as layoutMap draws it', async () => {
    const s = JSON.parse((await get(server.port, '/api/scenario')).body);
    const end3 = s.operations[3].last;
    const packed = JSON.parse((await get(server.port, `/api/map?step=${end3}`)).body);
    assert.equal(packed.format, 'runs');
    const map = unpackMap(packed);
    const expected = layoutMap(
      runWithDesigns(loadScenario('pmem-shares-a-section-with-boot-ram'), DESIGNS, { operations: 3 }).machine,
    );
    assert.deepEqual(map, JSON.parse(JSON.stringify(expected)));
    const subs = unpackMap(JSON.parse((await get(server.port, `/api/map?step=${end3}&section=32`)).body));
    assert.equal(subs.level, 'subsections');
    assert.equal(subs.cells.length, 64);
    const pages = unpackMap(
      JSON.parse((await get(server.port, `/api/map?step=${end3}&section=32&subsection=34`)).body),
    );
    assert.equal(pages.level, 'pages');
    assert.equal(pages.cells[0].nr, 0x104400);
  });

  it("API: a pfn's location, truth, struct page and every design's answers", async () => {
    const s = JSON.parse((await get(server.port, '/api/scenario')).body);
    const end3 = s.operations[3].last;
    const r = JSON.parse((await get(server.port, `/api/pfn?step=${end3}&pfn=0x104400`)).body);
    const m = runWithDesigns(loadScenario('pmem-shares-a-section-with-boot-ram'), DESIGNS, {
      operations: 3,
    }).machine;
    assert.deepEqual(r.report, JSON.parse(JSON.stringify(pfnReport(m, 0x104400))));
    assert.deepEqual(r.report.truth, { state: 'device', zone: 'Device', pgmap: 'pmem0' });
    assert.equal(r.cls, 'device');
    assert.deepEqual(r.pgmap, {
      id: 'pmem0',
      type: 'fsdax',
      state: 'live',
      start: 0x104000,
      end: 0x108000,
      part: 'device pages',
    });
    assert.equal(r.block.id, 32);
    assert.deepEqual(
      Object.keys(r.designs),
      DESIGNS.map((d) => d.name),
    );
    assert.equal(r.designs['v5.4'].pfnToOnlinePage, true, '5.4 returns the device page as online');
    assert.deepEqual(r.designs['v5.4'].wrong, ['device-as-online']);
    const reserve = JSON.parse((await get(server.port, `/api/pfn?step=${end3}&pfn=${0x104000}`)).body);
    assert.equal(reserve.pgmap.part, 'altmap reserve');
  });

  it('API: the watchpoint finds the next and previous step changing a pfn', async () => {
    const s = JSON.parse((await get(server.port, '/api/scenario')).body);
    // pmem0's first device pfn after boot: memremap (operation 3) makes it device memory.
    const w = JSON.parse((await get(server.port, `/api/watch?step=${s.initial}&pfn=0x104400`)).body);
    assert.ok(w.step > s.initial && w.step <= s.operations[3].last, `step ${w.step}`);
    assert.ok(w.changes.length > 0 && w.before.length === w.changes.length);
    const back = JSON.parse((await get(server.port, `/api/watch?step=${w.step}&pfn=0x104400&dir=-1`)).body);
    assert.ok(back.step < w.step);
    const none = JSON.parse(
      (await get(server.port, `/api/watch?step=${s.steps.length - 1}&pfn=0x104400`)).body,
    );
    assert.deepEqual(none, { step: null, changes: [], before: [] });
  });

  it('API: bad parameters are 400 with a message; unknown scenarios 404', async () => {
    for (const [path, pattern] of [
      ['/api/map', /missing step/],
      ['/api/map?step=abc', /step must be a non-negative integer/],
      ['/api/map?step=99999', /^step: must be 0\.\.\d+, got 99999$/],
      ['/api/map?step=0&section=99999999', /^section: must be 0\.\.\d+, got 99999999$/],
      ['/api/map?step=0&section=-1', /section must be a non-negative integer/],
      ['/api/map?step=0&section=0&subsection=64', /^subsection: must be 0\.\.63, got 64$/],
      ['/api/pfn?step=0', /missing pfn/],
      [
        '/api/pfn?step=0&pfn=0x400000000',
        /^pfn: must be 0\.\.17179869183 \(MAX_PHYSMEM_BITS\), got 17179869184$/,
      ],
      ['/api/watch?step=0&pfn=0&dir=2', /^dir must be 1 or -1, got '2'$/],
      ['/api/watch?step=0&pfn=0x400000000', /^pfn: must be 0\.\./],
    ] as const) {
      const r = await get(server.port, path);
      assert.equal(r.status, 400, path);
      assert.match(JSON.parse(r.body).error, pattern, path);
    }
    assert.equal((await get(server.port, '/api/scenario?s=nope')).status, 404);
  });
});

describe('pfnlab view: scenario state', () => {
  it('serves the same machine from a clone or from a re-run when clones exceed the budget', () => {
    const s = loadScenario('pmem-shares-a-section-with-boot-ram');
    const all = new ScenarioView('a', s, DESIGNS);
    const thin = new ScenarioView('b', s, DESIGNS, { budgetBytes: 400_000 });
    assert.equal(all.keptPositions, all.steps.length);
    assert.ok(thin.keptPositions < all.steps.length / 4, `${thin.keptPositions} kept`);
    for (const k of [0, 7, 40, 101, 150, all.steps.length - 1]) {
      assert.deepEqual(thin.map(k), all.map(k), `map at ${k}`);
      assert.deepEqual(thin.map(k, { section: 32 }), all.map(k, { section: 32 }), `section 32 at ${k}`);
      assert.deepEqual(thin.inspect(k, 0x104400), all.inspect(k, 0x104400), `pfn at ${k}`);
    }
  });

  it('steps the sections map of a position without a clone without re-running the scenario', () => {
    const s = loadScenario('pmem-shares-a-section-with-boot-ram');
    const all = new ScenarioView('a', s, DESIGNS);
    const thin = new ScenarioView('b', s, DESIGNS, { budgetBytes: 400_000 });
    const before = thin.reruns;
    for (let k = all.steps.length - 1; k >= 0; k--)
      assert.deepEqual(thin.packedMap(k), all.packedMap(k), `map at ${k}`);
    assert.equal(thin.reruns, before, 'no re-run for the sections map');
    thin.inspect(1, 0x104400);
    assert.equal(thin.reruns, before + 1, 'the inspector at a position without a clone re-runs');
  });

  it('gives a refused operation one position on an unchanged machine', () => {
    const v = new ScenarioView('d', loadScenario('dimm-hotplug'), DESIGNS);
    const refused = v.operations.find((o) => o.refused)!;
    assert.equal(refused.first, refused.last);
    const step = v.steps[refused.first];
    assert.match(step.refused!, /^-EBUSY/);
    assert.deepEqual(v.map(refused.first), v.map(refused.first - 1));
  });

  it('lines a trace up with the scenario: the writer steps found in order', () => {
    const content = viewContentFor(TRACE);
    const info = content.info();
    assert.equal(info.trace?.design, 'active-bitmap/no-sync');
    assert.ok(
      content.designs.some((d) => d.name === 'active-bitmap/no-sync'),
      "the trace's design is woven in",
    );
    const view = content.view(info.current!)!;
    const sync = info.traceSync!;
    // One position per player position: before the first step, then after each.
    assert.equal(sync.length, info.trace!.steps.length + 1);
    // Walker steps before the writer's first see the machine just before it; the writer's steps map to theirs.
    assert.equal(view.steps[sync[0] + 1].fn, 'set_subsections_inactive');
    assert.deepEqual(sync.slice(0, 4), [sync[0], sync[0], sync[0], sync[0]]);
    assert.deepEqual(
      [4, 5, 6].map((t) => view.steps[sync[t]].fn),
      ['set_subsections_inactive', 'offline_mem_sections', 'page_init_poison'],
    );
    assert.equal(view.steps[sync[6]].detail, 'pfn 0x400000-0x407fff');
    assert.equal(sync[7], sync[6], 'the walker step after the poison sees the same machine');
    assert.equal(view.inspect(sync[6], 0x400000).report.page?.flags, 'poisoned');
    assert.equal(
      syncTrace(
        { ...info.trace!, steps: [{ index: 1, thread: 0, fn: 'no_such_fn', detail: '' }] },
        view.steps,
      ),
      undefined,
    );
  });

  it("shows the machine before a writer's first step at trace position 0, and after it at 1", () => {
    // The explorer's traces usually begin with the writer: position 0 must not show its first step done.
    const dir = scratchDir('trace');
    const path = join(dir, 'writer-first.json');
    writeFileSync(path, JSON.stringify(writerFirstTrace()));
    const content = viewContentFor(path);
    const info = content.info();
    const view = content.view(info.current!)!;
    const sync = info.traceSync!;
    const first = info.trace!.steps[0];
    assert.equal(view.steps[sync[1]].fn, first.fn, 'position 1: after the first step');
    assert.equal(sync[0], sync[1] - 1, 'position 0: the kernel step before it');
    assert.notEqual(view.steps[sync[0]].fn, first.fn);
  });

  it('lines up a trace the explorer just wrote: the same design, kernel and RCU readers', async () => {
    const run = await cli('explore', 'explore/offline', '--design', 'upstream', '--json');
    assert.equal(run.code, 1, 'upstream loses this race');
    const dir = scratchDir('trace');
    const path = join(dir, 'trace.json');
    writeFileSync(path, run.stdout);
    const content = viewContentFor(path);
    const info = content.info();
    assert.deepEqual(
      content.designs.map((d) => d.name),
      ['upstream'],
    );
    const sync = info.traceSync;
    assert.ok(sync, 'every writer step of the trace is found in the scenario');
    const view = content.view(info.current!)!;
    const writer = info.trace!.threads.find((t) => t.kind === 'writer')!.id;
    const firstWriter = info.trace!.steps.findIndex((s) => s.thread === writer);
    assert.equal(
      sync[0],
      sync[firstWriter + 1] - 1,
      "before the trace, the machine before the writer's first step",
    );
    info.trace!.steps.forEach((s, i) => {
      if (s.thread === writer) assert.equal(view.steps[sync[i + 1]].fn, s.fn);
      assert.ok(sync[i + 1] >= sync[i], 'positions never go back');
    });
  });

  it('opens a capture directory through loadScenario, as every command does', () => {
    const content = viewContentFor('test/fixtures/machines/pmem-devdax');
    const info = content.info();
    assert.equal(info.scenarios.length, 1);
    const view = content.view(info.current!)!;
    assert.match(view.scenario.source, /pmem-devdax/);
    const last = view.steps.length - 1;
    const cells = view.map(last).cells;
    assert.ok(cells.length > 0);
    assert.ok(
      cells.some((c) => c.cls === 'device' || c.parts?.includes('device')),
      'the devdax namespace is drawn as device memory',
    );
  });

  it('plays a trace whose scenario cannot be loaded, saying why', () => {
    const dir = scratchDir('trace');
    const path = join(dir, 'lost.json');
    const trace = JSON.parse(readFileSync(TRACE, 'utf8'));
    writeFileSync(path, JSON.stringify({ ...trace, scenario: 'no-such-scenario' }));
    const info = viewContentFor(path).info();
    assert.equal(info.current, null);
    assert.match(info.traceScenarioError!, /no-such-scenario.*could not be loaded/);
    assert.equal(info.trace?.steps.length, 7);
  });
});

describe('pfnlab view: the command', () => {
  it('--help, and bad input is one line with exit 2', async () => {
    const help = await cli('view', '--help');
    assert.equal(help.code, 0);
    assert.match(help.stdout, /usage: pfnlab view \[scenario \| capture-dir \| trace\.json\] \[--port P\]/);
    const dir = scratchDir('view');
    const badTrace = join(dir, 'bad.json');
    writeFileSync(
      badTrace,
      JSON.stringify({
        format: 'pfnlab-explore-trace',
        version: 1,
        scenario: 'x',
        design: 'y',
        verdict: 'unsafe',
        threads: [],
        steps: [{ thread: 3, fn: 'f' }],
      }),
    );
    const badKernel = join(dir, 'bad-kernel.json');
    writeFileSync(badKernel, JSON.stringify({ ...JSON.parse(readFileSync(TRACE, 'utf8')), kernel: '7.99' }));
    mkdirSync(join(dir, 'empty'));
    for (const args of [
      ['no-such-scenario'],
      ['a', 'b'],
      ['--port', 'x'],
      ['--port', '70000'],
      ['--port', '-5'],
      ['--port=-5'],
      ['--bogus'],
      [badTrace],
      [badKernel],
    ]) {
      const r = await cli('view', ...args);
      assert.equal(r.code, 2, args.join(' '));
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.match(r.stderr, /^pfnlab: /);
    }
    assert.match((await cli('view', badTrace)).stderr, /\$\.steps\[0\]\.thread: no thread 3/);
    assert.match(
      (await cli('view', badKernel)).stderr,
      /\$\.kernel: must be a mainline release 5\.4 … 6\.19 .*got "7\.99"$/m,
    );
    assert.match(
      (await cli('view', 'dimm-hotplug', '--port', '-5')).stderr,
      /--port must be a non-negative integer, got '-5'/,
    );
  });

  it('refuses a port in use, in one line', async () => {
    const busy = await startViewServer(viewContentFor('dimm-hotplug'), { assetsDir: stubAssets() });
    try {
      const r = await cli('view', 'dimm-hotplug', '--port', String(busy.port));
      assert.equal(r.code, 2);
      assert.match(r.stderr, /cannot listen on 127\.0\.0\.1:\d+: EADDRINUSE/);
    } finally {
      await busy.close();
    }
  });

  it('prints its URL, serves, and stops on Ctrl-C with exit 0', async () => {
    assert.ok(
      existsSync(join(DEFAULT_ASSETS_DIR, 'app.js')),
      'npm run build packages the page into dist/view-assets',
    );
    const view = spawnView(['dimm-hotplug']);
    const url = (await view.line(/at (http:\/\/127\.0\.0\.1:(\d+)\/)/))[1];
    const page = await get(Number(new URL(url).port), '/');
    assert.equal(page.status, 200);
    assert.match(page.body, /<script type="module" src="\/app.js">/);
    assert.equal(await view.stop(), 0);
  });

  it('--json: one JSON line once listening (url, scenario, steps), then serves on', async () => {
    const view = spawnView(['dimm-hotplug', '--json']);
    const line = (await view.line(/^(\{.*\})\n/))[1];
    const doc = JSON.parse(line);
    const steps = new ScenarioView('dimm-hotplug', loadScenario('dimm-hotplug'), DESIGNS).steps.length;
    assert.deepEqual(doc, {
      url: `http://127.0.0.1:${doc.port}/`,
      port: doc.port,
      scenario: 'dimm-hotplug',
      scenarios: ['dimm-hotplug'],
      steps,
    });
    const info = await get(doc.port, '/api/info');
    assert.equal(JSON.parse(info.body).current, 'dimm-hotplug', 'still serving after the line');
    assert.equal(view.out(), `${line}\n`, 'nothing but the JSON line on stdout');
    assert.equal(await view.stop(), 0);
  });

  it('--json with a trace names it; Ctrl-C right after the line still exits 0', async () => {
    const view = spawnView([TRACE, '--json']);
    const doc = JSON.parse((await view.line(/^(\{.*\})\n/))[1]);
    assert.deepEqual(doc.trace, {
      design: 'active-bitmap/no-sync',
      scenario: 'dimm-hotplug',
      verdict: 'unsafe',
      steps: 7,
    });
    assert.equal(doc.scenario, 'dimm-hotplug');
    assert.ok(doc.steps > 0);
    // No request first: the signal follows the line at once (the handlers are set before it is printed).
    assert.equal(await view.stop(), 0);
  });
});

/** `pfnlab view ...` in a child process (it serves until a signal): its stdout, a line of it, and Ctrl-C. */
function spawnView(args: readonly string[]) {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      '-e',
      `import('./src/cli/main.ts').then(async (m) => { process.exitCode = await m.main(${JSON.stringify(['view', ...args])}, m.processIo()); })`,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => {
    out += d;
  });
  child.stderr.on('data', (d) => {
    err += d;
  });
  const exited = new Promise<number | null>((ok) => child.on('exit', (c) => ok(c)));
  return {
    out: () => out,
    /** The first match of re in stdout, once it appears. */
    line: (re: RegExp) =>
      new Promise<RegExpExecArray>((ok, fail) => {
        const look = () => {
          const m = re.exec(out);
          if (m) ok(m);
        };
        child.stdout.on('data', look);
        look();
        void exited.then((code) => fail(new Error(`exited ${code}: ${out}${err}`)));
      }),
    stop: () => {
      child.kill('SIGINT');
      return exited;
    },
  };
}
