import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { designByName } from '../../src/designs/index.js';
import { audit } from '../../src/explore/audit.js';
import {
  explore,
  formatSchedule,
  parseSchedule,
  replaySchedule,
  scenarioWalkers,
} from '../../src/explore/index.js';
import { loadScenario } from '../../src/io/scenario.js';
import { walkerByName } from '../../src/walkers/index.js';

const offline = loadScenario('explore/offline');
const run = (design: string, scenario = offline, walker?: string) =>
  explore({
    scenario,
    design: designByName(design)!,
    walkers: walker ? [{ walker: walkerByName(walker)! }] : scenarioWalkers(scenario),
  });

describe('designs explored against pfn-walker while memory is offlined and removed', () => {
  it('active-bitmap and hotplug-lock are proven safe', () => {
    assert.equal(run('active-bitmap').verdict, 'safe');
    assert.equal(run('hotplug-lock').verdict, 'safe');
  });

  it('each injected fault is caught', () => {
    for (const d of [
      'active-bitmap/no-sync',
      'active-bitmap/single-flip',
      'active-bitmap/check-before-lock',
    ]) {
      const t = run(d);
      assert.equal(t.verdict, 'unsafe', d);
      assert.equal(t.violation?.kind, 'poisoned-deref', d);
    }
  });

  it('v5.4 and upstream let a walker act on memory being offlined', () => {
    assert.equal(run('v5.4').verdict, 'unsafe');
    assert.equal(run('upstream').verdict, 'unsafe');
  });

  it('the trace names kernel functions and pfns, and its replay string reproduces it', () => {
    const t = run('active-bitmap/no-sync');
    assert.ok(t.steps.some((s) => s.fn === 'page_init_poison' && s.thread === 0));
    assert.ok(t.steps.some((s) => s.thread === 1 && s.fn === 'rcu_read_lock'));
    const last = t.steps[t.steps.length - 1];
    assert.equal(last.pfn, 0x48000);
    assert.ok(t.steps.some((s) => s.held?.some((h) => h.page === 'poisoned')));
    assert.deepEqual(parseSchedule(formatSchedule([0, 0, 0, 1, 1, 0])), [0, 0, 0, 1, 1, 0]);
    const again = replaySchedule(
      {
        scenario: offline,
        design: designByName('active-bitmap/no-sync')!,
        walkers: scenarioWalkers(offline),
      },
      t.replay!,
    );
    assert.equal(again.verdict, 'unsafe');
    assert.deepEqual(again.violation, t.violation);
    assert.equal(again.steps.length, t.steps.length);
  });

  it('a walker holding a page reference holds off memunmap_pages(); one without is unsafe', () => {
    const memunmap = loadScenario('explore/memunmap');
    assert.equal(run('v5.4', memunmap, 'put_devmap_managed_page').verdict, 'safe');
    assert.equal(run('v5.4', memunmap, 'add_to_kill').verdict, 'safe');
    assert.equal(run('v5.4', memunmap, 'smaps_pmd_entry').verdict, 'unsafe');
  });
});

describe('audit', () => {
  it("reproduces the thread's verdicts on 5.4", () => {
    const r = audit([designByName('v5.4')!, designByName('active-bitmap')!]);
    assert.equal(r.thread.named, 13);
    assert.deepEqual(r.thread.differ, []);
    const row = (w: string) => r.rows.find((x) => x.walker === w)!.cells;
    assert.equal(row('smaps_pmd_entry')['v5.4'].verdict, 'unsafe');
    assert.equal(row('soft_offline_page')['v5.4'].verdict, 'unsafe');
    assert.equal(row('release_pages')['v5.4'].verdict, 'safe');
    assert.equal(row('pfn-walker')['active-bitmap'].verdict, 'safe');
    assert.equal(row('kpageflags')['active-bitmap'].verdict, 'safe');
  });
});

describe('the kernel an exploration follows', () => {
  const soft = [{ walker: walkerByName('soft_offline_page')! }];
  it("is the design's by default, as audit runs it; the trace says which, with the command that reruns it", () => {
    const t = explore({ scenario: offline, design: designByName('v5.4')!, walkers: soft });
    assert.equal(t.kernel, '5.4');
    assert.equal(t.verdict, 'unsafe');
    assert.equal(
      t.command,
      'pfnlab explore explore/offline --design v5.4 --kernel 5.4 --from 2 --walker soft_offline_page@0x40000',
    );
    assert.deepEqual(t.walkers, ['soft_offline_page@0x40000']);
  });

  it('is followed by the walkers too when it is asked for: 6.19 soft_offline_page tests PageHWPoison() unlocked', () => {
    // E1: only get_hwpoison_page() is inside get_online_mems(); the lookup and PageHWPoison() are not.
    const t = explore({ scenario: offline, design: designByName('v5.4')!, kernel: '6.19', walkers: soft });
    assert.equal(t.kernel, '6.19');
    assert.equal(t.verdict, 'unsafe');
    assert.match(t.violation!.message, /PageHWPoison|deref/);
  });
});

describe('what a search covered', () => {
  it('a search stopped at --max-states says so', () => {
    const t = explore({
      scenario: offline,
      design: designByName('active-bitmap/no-sync')!,
      walkers: scenarioWalkers(offline),
      maxStates: 20,
    });
    assert.deepEqual(t.search, { mode: 'exhaustive', maxStates: 20, stoppedAtMaxStates: true });
    assert.equal(t.verdict, 'bounded');
  });
});
