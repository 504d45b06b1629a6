/**
 * The Linux-kernel memory model (tools/memory-model/linux-kernel.bell, linux-kernel.cat and
 * lock.cat) over one candidate execution. Everything that depends only on the threads' events is
 * computed once per combination of thread paths (StaticRelations); rf and co change per candidate.
 */
import type { LitmusEvent } from './events.js';
import {
  domain,
  type EventSet,
  Relation,
  range,
  setHas,
  setInter,
  setMinus,
  setNot,
  setOf,
  setUnion,
} from './relation.js';

/** An event of a whole execution: a thread's event with its thread (-1 for the initial writes). */
export interface ExecutionEvent extends LitmusEvent {
  readonly thread: number;
}

export interface EventSets {
  readonly R: EventSet;
  readonly W: EventSet;
  readonly M: EventSet;
  readonly IW: EventSet;
  readonly Marked: EventSet;
  readonly Plain: EventSet;
  readonly Acquire: EventSet;
  readonly Release: EventSet;
  readonly Mb: EventSet;
  readonly Noreturn: EventSet;
  readonly R4rmb: EventSet;
  readonly RMW: EventSet;
  readonly LKR: EventSet;
  readonly LKW: EventSet;
  readonly UL: EventSet;
  readonly SrcuLock: EventSet;
  readonly SrcuUnlock: EventSet;
  readonly SyncRcu: EventSet;
  readonly SyncSrcu: EventSet;
  readonly AfterUnlockLock: EventSet;
}

export interface StaticRelations {
  readonly n: number;
  readonly events: readonly ExecutionEvent[];
  readonly sets: EventSets;
  readonly id: Relation;
  readonly po: Relation;
  readonly int: Relation;
  readonly ext: Relation;
  readonly loc: Relation;
  readonly poLoc: Relation;
  readonly addr0: Relation;
  readonly data0: Relation;
  readonly ctrl0: Relation;
  /** Instruction rmw pairs and lock.cat's lk-rmw. */
  readonly rmw: Relation;
  /** lock.cat's `critical`: each LKW to the UL that ends its critical section. */
  readonly critical: Relation;
  readonly acqPo: Relation;
  readonly poRel: Relation;
  readonly rmb: Relation;
  readonly wmb: Relation;
  /** The terms of mb that need no rf. */
  readonly mbStatic: Relation;
  readonly gp: Relation;
  readonly rcuRscs: Relation;
  readonly rmbRel: Relation;
  readonly hasRcu: boolean;
}

function annotated(events: readonly ExecutionEvent[], ...names: string[]): EventSet {
  return setOf(events.length, (i) => names.includes(events[i].annotation));
}

function fenceSet(events: readonly ExecutionEvent[], ...kinds: string[]): EventSet {
  return setOf(events.length, (i) => events[i].fence !== undefined && kinds.includes(events[i].fence!));
}

/** fencerel(S) = po ; [S] ; po */
function fencerel(po: Relation, s: EventSet): Relation {
  return po.restrict(null, s).seq(po);
}

/**
 * rcu-rscs: rcu_read_lock() and rcu_read_unlock() matched innermost first, as the bell's recursive
 * definition matches them.
 */
function rcuReadSections(events: readonly ExecutionEvent[]): Relation {
  const r = new Relation(events.length);
  const open: number[] = [];
  let thread = -2;
  for (let i = 0; i < events.length; i++) {
    const e = events[i];
    if (e.thread !== thread) {
      thread = e.thread;
      open.length = 0;
    }
    if (e.fence === 'rcu-lock') open.push(i);
    else if (e.fence === 'rcu-unlock' && open.length) r.add(open.pop()!, i);
  }
  return r;
}

/** lock.cat's critical: an LKW and the first UL of the same lock after it in its thread. */
function criticalSections(events: readonly ExecutionEvent[], poLoc: Relation): Relation {
  return Relation.where(events.length, (i, j) => {
    if (events[i].annotation !== 'LKW' || events[j].annotation !== 'UL' || !poLoc.has(i, j)) return false;
    for (let k = i + 1; k < j; k++)
      if (poLoc.has(i, k) && (events[k].annotation === 'LKW' || events[k].annotation === 'UL')) return false;
    return true;
  });
}

export function staticRelations(
  events: readonly ExecutionEvent[],
  edges: { addr: Relation; data: Relation; ctrl: Relation; rmw: Relation },
): StaticRelations {
  const n = events.length;
  const id = Relation.identity(n);
  const po = Relation.where(
    n,
    (i, j) => i < j && events[i].thread >= 0 && events[i].thread === events[j].thread,
  );
  const int = Relation.where(
    n,
    (i, j) => i === j || (events[i].thread >= 0 && events[i].thread === events[j].thread),
  );
  const ext = Relation.where(n, (i, j) => !int.has(i, j));
  const loc = Relation.where(n, (i, j) => events[i].loc >= 0 && events[i].loc === events[j].loc);
  const poLoc = po.inter(loc);
  const R = setOf(n, (i) => events[i].kind === 'R');
  const W = setOf(n, (i) => events[i].kind === 'W');
  const M = setUnion(R, W);
  const IW = annotated(events, 'init');
  const RMW = setOf(n, (i) => events[i].rmwInstruction);
  const instrRmw = edges.rmw.restrict(RMW, RMW);
  const failed = setMinus(RMW, setUnion(domain(instrRmw), range(instrRmw)));
  const LKR = annotated(events, 'LKR');
  const LKW = annotated(events, 'LKW');
  const UL = annotated(events, 'UL');
  const SrcuLock = annotated(events, 'srcu-lock');
  const SrcuUnlock = annotated(events, 'srcu-unlock');
  const Acquire = setUnion(setMinus(setMinus(annotated(events, 'ACQUIRE'), W), failed), LKR);
  const Release = setUnion(setMinus(setMinus(annotated(events, 'RELEASE'), R), failed), UL);
  const Mb = setMinus(annotated(events, 'MB'), failed);
  const Noreturn = setMinus(annotated(events, 'NORETURN'), W);
  const R4rmb = setMinus(R, Noreturn);
  const Marked = setUnion(
    setNot(M, n),
    IW,
    annotated(events, 'ONCE', 'RELEASE', 'ACQUIRE', 'MB', 'LKR', 'LKW', 'UL', 'LF', 'RL', 'RU'),
    RMW,
    SrcuLock,
    SrcuUnlock,
  );
  const Plain = setMinus(M, Marked);
  const SyncRcu = fenceSet(events, 'sync-rcu');
  const SyncSrcu = setOf(n, (i) => events[i].kind === 'sync-srcu');
  const AfterUnlockLock = fenceSet(events, 'after-unlock-lock');
  const sets: EventSets = {
    R,
    W,
    M,
    IW,
    Marked,
    Plain,
    Acquire,
    Release,
    Mb,
    Noreturn,
    R4rmb,
    RMW,
    LKR,
    LKW,
    UL,
    SrcuLock,
    SrcuUnlock,
    SyncRcu,
    SyncSrcu,
    AfterUnlockLock,
  };
  const rmbRel = fencerel(po, fenceSet(events, 'rmb'));
  const lkRmw = poLoc.restrict(LKR, LKW).minus(po.seq(po));
  const rmw = instrRmw.union(lkRmw);
  const poOpt = po.opt();
  const mbStatic = fencerel(po, Mb)
    .restrict(M, M)
    .union(
      po.restrict(M, setInter(Mb, R)),
      po.restrict(setInter(Mb, W), M),
      fencerel(po, fenceSet(events, 'before-atomic')).restrict(M, RMW).seq(poOpt).restrict(null, M),
      poOpt
        .restrict(M, RMW)
        .seq(fencerel(po, fenceSet(events, 'after-atomic')))
        .restrict(null, M),
      poOpt
        .restrict(M, LKW)
        .seq(fencerel(po, fenceSet(events, 'after-spinlock')))
        .restrict(null, M),
      poOpt
        .restrict(M, SrcuUnlock)
        .seq(fencerel(po, fenceSet(events, 'after-srcu-read-unlock')))
        .restrict(null, M),
    );
  return {
    n,
    events,
    sets,
    id,
    po,
    int,
    ext,
    loc,
    poLoc,
    addr0: edges.addr,
    data0: edges.data,
    ctrl0: edges.ctrl,
    rmw,
    critical: criticalSections(events, poLoc),
    acqPo: po.restrict(Acquire, M),
    poRel: po.restrict(M, Release),
    rmb: rmbRel.restrict(R4rmb, R4rmb),
    wmb: fencerel(po, fenceSet(events, 'wmb')).restrict(W, W),
    mbStatic,
    gp: po.restrict(null, setUnion(SyncRcu, SyncSrcu)).seq(poOpt),
    rcuRscs: rcuReadSections(events),
    rmbRel,
    hasRcu: setOf(n, (i) => setHas(SyncRcu, i) || setHas(SyncSrcu, i)).some((w) => w !== 0),
  };
}

export interface Verdict {
  /** The first axiom the execution violates, or undefined when LKMM allows it. */
  readonly violates?: string;
  readonly dataRace: boolean;
}

/** linux-kernel.cat's axioms for the candidate (rf, co) over the static relations. */
export function judge(s: StaticRelations, rf: Relation, co: Relation): Verdict {
  const { sets, po, int, ext, n } = s;
  const fr = rf.inverse().seq(co);
  const com = rf.union(co, fr);
  if (!s.poLoc.union(com).acyclic()) return { violates: 'coherence', dataRace: false };
  const rfe = rf.inter(ext);
  const rfi = rf.inter(int);
  const coe = co.inter(ext);
  const fre = fr.inter(ext);
  if (!s.rmw.inter(fre.seq(coe)).isEmpty()) return { violates: 'atomic', dataRace: false };

  const notSrcuUnlock = setNot(sets.SrcuUnlock, n);
  const carryDep = s.data0.restrict(null, notSrcuUnlock).seq(rfi).star();
  const addr = carryDep.seq(s.addr0);
  const data = carryDep.seq(s.data0);
  const ctrl = carryDep.seq(s.ctrl0);
  const pulp = po.restrict(null, sets.UL).seq(po.union(rf).restrict(null, sets.LKR)).seq(po);
  const mb = s.mbStatic.union(pulp.restrict(sets.M, sets.AfterUnlockLock).seq(po).restrict(null, sets.M));
  const strongFence = mb.union(s.gp);
  const nonrwFence = strongFence.union(s.poRel, s.acqPo);
  const fence = nonrwFence.union(s.wmb, s.rmb);

  const dep = addr.union(data);
  const overwrite = co.union(fr);
  const toW = dep
    .union(ctrl)
    .restrict(null, sets.W)
    .union(overwrite.inter(int), addr.restrict(null, sets.Plain).seq(s.wmb));
  const toR = addr.restrict(null, sets.R).union(dep.restrict(null, sets.Marked).seq(rfi));
  const ppo = toR.union(toW, fence.inter(int), pulp.inter(int));

  const Marked = sets.Marked;
  const rmwSequence = rf.seq(s.rmw).star();
  const aCumul = rfe.restrict(null, Marked).opt().seq(strongFence.union(s.poRel));
  const cumulFence = aCumul.union(s.wmb, pulp).restrict(Marked, Marked).seq(rmwSequence);
  const cumulStar = cumulFence.star();
  const prop = overwrite
    .inter(ext)
    .opt()
    .restrict(Marked, null)
    .seq(cumulStar)
    .restrict(null, Marked)
    .seq(rfe.opt())
    .restrict(null, Marked);
  const hb = ppo.union(rfe, prop.minus(s.id).inter(int)).restrict(Marked, Marked);
  if (!hb.acyclic()) return { violates: 'happens-before', dataRace: false };
  const hbStar = hb.star();
  const pb = prop.seq(strongFence).seq(hbStar).restrict(null, Marked);
  if (!pb.acyclic()) return { violates: 'propagation', dataRace: false };
  const pbStar = pb.star();

  let rcuFence = new Relation(n);
  let rb = new Relation(n);
  if (s.hasRcu) {
    const srcuData = s.data0.restrict(null, notSrcuUnlock).seq(rf).star();
    const srcuRscs = srcuData.seq(s.data0).restrict(sets.SrcuLock, sets.SrcuUnlock).inter(s.loc);
    rcuFence = po
      .seq(rcuOrder(s, po.opt().seq(hbStar).seq(pbStar).seq(prop).seq(po), srcuRscs))
      .seq(po.opt());
    rb = prop.seq(rcuFence).seq(hbStar).seq(pbStar).restrict(null, Marked);
    if (!rb.irreflexive()) return { violates: 'rcu', dataRace: false };
  }
  if (!sets.Plain.some((w) => w !== 0)) return { dataRace: false };
  return plainAccesses(s, {
    rf,
    co,
    fr,
    rfe,
    hb,
    pb,
    rb,
    cumulStar,
    strongFence,
    nonrwFence,
    fence,
    rcuFence,
    addr,
    rmwSequence,
  });
}

/** rcu-order: sequences with at least as many grace periods as read-side critical sections (a least fixpoint). */
function rcuOrder(s: StaticRelations, link: Relation, srcuRscs: Relation): Relation {
  const gp = Relation.identity(s.n, s.sets.SyncRcu);
  const sgp = Relation.identity(s.n, s.sets.SyncSrcu);
  const rscsi = s.rcuRscs.inverse();
  const srscsi = srcuRscs.inverse();
  const gpLink = gp.seq(link);
  const sgpLink = sgp.seq(link);
  const rscsiLink = rscsi.seq(link);
  const srscsiLink = srscsi.seq(link);
  const base = gp.union(
    sgp,
    gpLink.seq(rscsi),
    sgpLink.seq(srscsi).inter(s.loc),
    rscsiLink.seq(gp),
    srscsiLink.seq(sgp).inter(s.loc),
  );
  let order = base;
  for (;;) {
    const inner = link.seq(order).seq(link);
    const next = base.union(
      gp.seq(inner).seq(rscsi),
      sgp.seq(inner).seq(srscsi).inter(s.loc),
      rscsi.seq(inner).seq(gp),
      srscsi.seq(inner).seq(sgp).inter(s.loc),
      order.seq(link).seq(order),
    );
    if (next.minus(order).isEmpty()) return order;
    order = order.union(next);
  }
}

interface Dynamic {
  readonly rf: Relation;
  readonly co: Relation;
  readonly fr: Relation;
  readonly rfe: Relation;
  readonly hb: Relation;
  readonly pb: Relation;
  readonly rb: Relation;
  readonly cumulStar: Relation;
  readonly strongFence: Relation;
  readonly nonrwFence: Relation;
  readonly fence: Relation;
  readonly rcuFence: Relation;
  readonly addr: Relation;
  readonly rmwSequence: Relation;
}

/** The plain-access part of linux-kernel.cat: the plain-coherence axiom and the data-race flag. */
function plainAccesses(s: StaticRelations, d: Dynamic): Verdict {
  const { sets, n } = s;
  const { Marked, M, W, Plain, IW, R4rmb, Noreturn } = sets;
  const xbstar = d.hb.union(d.pb, d.rb).star();
  const fence = d.fence.union(d.rcuFence);
  const strongFence = d.strongFence.union(d.rcuFence);
  const vis = d.cumulStar
    .seq(d.rfe.opt())
    .restrict(null, Marked)
    .seq(strongFence.restrict(null, Marked).seq(xbstar).union(xbstar.inter(s.int)));
  const notNoreturn = setNot(Noreturn, n);
  const wPre = d.addr.union(fence).opt().restrict(Marked, null);
  const rPre = d.addr.union(d.nonrwFence, s.rmbRel.restrict(R4rmb, notNoreturn)).opt().restrict(Marked, null);
  const wPost = fence.opt().restrict(null, Marked).seq(d.rmwSequence);
  const rPost = d.nonrwFence.union(s.rmbRel.restrict(notNoreturn, R4rmb)).opt().restrict(null, Marked);
  const wwVis = fence.union(strongFence.seq(xbstar).seq(wPre), wPost.seq(vis).seq(wPre));
  const wrVis = fence.union(strongFence.seq(xbstar).seq(rPre), wPost.seq(vis).seq(rPre));
  const rwXbstar = fence.union(rPost.seq(xbstar).seq(wPre));
  const preRace = s.ext.inter(
    Relation.product(n, Plain, M).union(Relation.product(n, setMinus(M, IW), Plain)),
  );
  const rwXbInv = rwXbstar.inverse();
  const incoherent = preRace
    .inter(d.rf)
    .inter(rwXbInv)
    .union(preRace.inter(d.fr).inter(wrVis.inverse()), preRace.inter(d.co).inter(wwVis.inverse()));
  if (!incoherent.isEmpty()) return { violates: 'plain-coherence', dataRace: false };
  const wwNonrace = wwVis
    .inter(Relation.product(n, Marked, W).union(rwXbstar))
    .inter(Relation.product(n, W, Marked).union(wrVis));
  const wwRace = preRace.inter(d.co).minus(wwNonrace);
  const wrRace = preRace.inter(d.co.opt().seq(d.rf)).minus(wrVis).minus(rwXbInv);
  const rwRace = preRace.inter(d.fr).minus(rwXbstar);
  return { dataRace: !(wwRace.isEmpty() && wrRace.isEmpty() && rwRace.isEmpty()) };
}
