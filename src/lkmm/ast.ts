/**
 * A C litmus test in the format of the kernel's tools/memory-model/: the name, the initial state,
 * the threads P0..Pn and the final-state clauses. Positions are kept for error messages only.
 */

export type Expr =
  | { readonly kind: 'num'; readonly value: number }
  | { readonly kind: 'name'; readonly name: string; readonly at: Pos }
  | { readonly kind: 'deref'; readonly ptr: Expr; readonly at: Pos }
  | { readonly kind: 'addr'; readonly name: string; readonly at: Pos }
  | { readonly kind: 'call'; readonly name: string; readonly args: readonly Expr[]; readonly at: Pos }
  | { readonly kind: 'unary'; readonly op: string; readonly arg: Expr }
  | { readonly kind: 'binary'; readonly op: string; readonly left: Expr; readonly right: Expr }
  | { readonly kind: 'cond'; readonly test: Expr; readonly then: Expr; readonly else: Expr };

export type Stmt =
  | { readonly kind: 'decl'; readonly name: string; readonly init?: Expr; readonly at: Pos }
  | { readonly kind: 'assign'; readonly target: Expr; readonly value: Expr; readonly at: Pos }
  | { readonly kind: 'expr'; readonly expr: Expr }
  | {
      readonly kind: 'if';
      readonly test: Expr;
      readonly then: readonly Stmt[];
      readonly else: readonly Stmt[];
    };

export interface Pos {
  readonly line: number;
  readonly column: number;
}

export interface Thread {
  readonly index: number;
  /** Parameter names: each is a pointer to the shared location of the same name. */
  readonly params: readonly string[];
  readonly body: readonly Stmt[];
}

/** A value in the initial state or a final-state clause: an integer or the address of a location. */
export type InitValue = { readonly int: number } | { readonly addressOf: string };

/** `loc` or `N:reg`. */
export interface StateRef {
  readonly thread?: number;
  readonly name: string;
}

export type Prop =
  | { readonly kind: 'true' }
  | { readonly kind: 'false' }
  | { readonly kind: 'eq'; readonly ref: StateRef; readonly value: InitValue; readonly negated: boolean }
  | { readonly kind: 'not'; readonly arg: Prop }
  | { readonly kind: 'and' | 'or'; readonly left: Prop; readonly right: Prop };

export type Quantifier = 'exists' | 'not-exists' | 'forall';

export interface LitmusTest {
  readonly name: string;
  /** Shared locations and their initial values (absent ones start at 0). */
  readonly init: ReadonlyMap<string, InitValue>;
  /** Initial register values, `N:reg=v` in the init block. */
  readonly registerInit: ReadonlyMap<string, InitValue>;
  readonly threads: readonly Thread[];
  readonly locations: readonly StateRef[];
  readonly filter?: Prop;
  readonly quantifier: Quantifier;
  readonly condition: Prop;
}

export function refName(ref: StateRef): string {
  return ref.thread === undefined ? ref.name : `${ref.thread}:${ref.name}`;
}
