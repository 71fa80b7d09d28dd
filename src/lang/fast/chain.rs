//! Chains of steps: a one-register fast program run as small leaf functions through an
//! accumulator, with adjacent instructions fused into one step (`fuse`).

use super::*;
use crate::lang::schema::Cell;

/// What one chain step runs: the step, the accumulator and the inputs in; the new
/// accumulator out, or `None` when an input it needs is missing.
pub(super) type StepFn = fn(&Step, f64, &[Cell]) -> Option<f64>;

/// One step of a [`Chain`]: a small function specialised to one operator and operand shape,
/// with its operands (input slots and inline constants).
#[derive(Clone, Copy)]
pub(crate) struct Step {
    /// What the step does.
    pub(super) run: StepFn,
    /// The input slot it reads (fused steps: the first).
    pub(super) s: u16,
    /// The second input slot, for steps that read two.
    pub(super) t: u16,
    /// The function, for a unary step.
    pub(super) unary: Unary,
    /// Its constant (fused steps: the first).
    pub(super) k: f64,
    /// The second constant, for fused steps that have two.
    pub(super) k2: f64,
}

impl Step {
    /// A step that passes the accumulator through; the base the constructors fill in.
    pub(super) const EMPTY: Step = Step {
        run: |_, acc, _| Some(acc),
        s: 0,
        t: 0,
        unary: Unary::Copy,
        k: 0.0,
        k2: 0.0,
    };
}

/// Whether `a cmp b` holds, for the comparison `C` (a [`Cmp`] as `u8`), resolved when
/// compiled. The one definition of the comparisons, for both runners.
#[inline(always)]
pub(super) fn holds<const C: u8>(a: f64, b: f64) -> bool {
    match C {
        c if c == Cmp::Lt as u8 => a < b,
        c if c == Cmp::Le as u8 => a <= b,
        c if c == Cmp::Gt as u8 => a > b,
        c if c == Cmp::Ge as u8 => a >= b,
        c if c == Cmp::Eq as u8 => a == b,
        _ => a != b,
    }
}

/// `a cmp b` as `1.0`/`0.0`.
#[inline(always)]
pub(super) fn compare<const C: u8>(a: f64, b: f64) -> f64 {
    holds::<C>(a, b) as u8 as f64
}

/// Two guards: `input[s] A k && input[t] B k2`, after `acc` when `AND`.
pub(super) fn guard2<const A: u8, const B: u8, const AND: bool>(
    st: &Step,
    acc: f64,
    i: &[Cell],
) -> Option<f64> {
    let both = holds::<A>(cell(i, st.s)?, st.k) & holds::<B>(cell(i, st.t)?, st.k2);
    let both = select(both, 1.0, 0.0);
    Some(if AND { acc * both } else { both })
}

/// A guarded select: `input[s] A k ? input[t] : k2`.
pub(super) fn select_if<const A: u8>(st: &Step, _: f64, i: &[Cell]) -> Option<f64> {
    let c = holds::<A>(cell(i, st.s)?, st.k);
    Some(select(c, cell(i, st.t)?, st.k2))
}

/// Evaluates `$body` with the const `$n` set to `$e as u8`, for the listed variants of the
/// enum; `$other` for the rest. This is how a runtime operator picks the step function
/// instantiated for it.
macro_rules! by_variant {
    ($e:expr, $enum:ident { $($v:ident)* }, |$n:ident| $body:expr $(, _ => $other:expr)?) => {
        match $e {
            $($enum::$v => {
                const $n: u8 = $enum::$v as u8;
                $body
            })*
            $(_ => $other,)?
        }
    };
}

/// [`by_variant`] over the comparisons.
macro_rules! by_cmp {
    ($c:expr, |$n:ident| $body:expr) => {
        by_variant!($c, Cmp { Lt Le Gt Ge Eq Ne }, |$n| $body)
    };
}

/// The [`guard2`] for comparisons `a` and `b`.
pub(super) fn guard2_fn(a: Cmp, b: Cmp, and: bool) -> StepFn {
    by_cmp!(a, |A| by_cmp!(b, |B| if and {
        guard2::<A, B, true>
    } else {
        guard2::<A, B, false>
    }))
}

/// The [`select_if`] for comparison `a`.
pub(super) fn select_if_fn(a: Cmp) -> StepFn {
    by_cmp!(a, |A| select_if::<A>)
}

/// What an instruction does to register 0 with a constant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum WithConstant {
    /// `r0 op k`, or `k op r0` when `true`.
    Arith(Arith, bool),
    /// `r0 cmp k`.
    Cmp(Cmp),
}

/// `a op b` for the arithmetic operator `O` (an [`Arith`] among `+ - * /`, as `u8`), resolved
/// when compiled.
#[inline(always)]
pub(super) fn arith<const O: u8>(a: f64, b: f64) -> f64 {
    match O {
        o if o == Arith::Add as u8 => add(a, b),
        o if o == Arith::Sub as u8 => sub(a, b),
        o if o == Arith::Mul as u8 => mul(a, b),
        _ => div(a, b),
    }
}

/// Two inputs, then a constant: `(input[s] A input[t]) B k`, or `k B (…)` when `K_LEFT`.
pub(super) fn pair_then_k<const A: u8, const B: u8, const K_LEFT: bool>(
    st: &Step,
    _: f64,
    i: &[Cell],
) -> Option<f64> {
    let x = arith::<A>(cell(i, st.s)?, cell(i, st.t)?);
    Some(if K_LEFT {
        arith::<B>(st.k, x)
    } else {
        arith::<B>(x, st.k)
    })
}

/// Two inputs compared with a constant: `(input[s] A input[t]) C k`.
pub(super) fn pair_then_compare<const A: u8, const C: u8>(
    st: &Step,
    _: f64,
    i: &[Cell],
) -> Option<f64> {
    Some(compare::<C>(
        arith::<A>(cell(i, st.s)?, cell(i, st.t)?),
        st.k,
    ))
}

/// [`by_variant`] over the arithmetic operators that fused steps take (`+ - * /`): `Some` of
/// `$body`, `None` for the others.
macro_rules! by_arith {
    ($op:expr, |$n:ident| $body:expr) => {
        by_variant!($op, Arith { Add Sub Mul Div }, |$n| Some($body), _ => None)
    };
}

/// The step for `input[s] a input[t]` followed by `then`, when both are among `+ - * /` (and
/// comparisons); `None` otherwise.
pub(super) fn pair_fn(a: Arith, then: WithConstant) -> Option<StepFn> {
    by_arith!(a, |A| match then {
        WithConstant::Arith(b, false) => by_arith!(b, |B| pair_then_k::<A, B, false> as StepFn)?,
        WithConstant::Arith(b, true) => by_arith!(b, |B| pair_then_k::<A, B, true> as StepFn)?,
        WithConstant::Cmp(c) => by_cmp!(c, |C| pair_then_compare::<A, C> as StepFn),
    })
}

/// One step doing what `first` and then `second` do, for the pairs that have one.
pub(super) fn fuse(first: FastOp, second: FastOp, constants: &[f64]) -> Option<Step> {
    let konst = |k: u16| constants.get(k as usize).copied();
    // Two inputs combined, then with a constant: `x / y * 100`.
    if let (Some((a, s, t)), Some((then, k))) = (as_pair(first), as_with_constant(second)) {
        return Some(Step {
            run: pair_fn(a, then)?,
            s,
            t,
            k: konst(k)?,
            ..Step::EMPTY
        });
    }
    let (a, s, k, and) = as_guard(first)?;
    // Two guards: `x > k && y < k2`.
    if let Some((b, t, k2, true)) = as_guard(second) {
        return Some(Step {
            run: guard2_fn(a, b, and),
            s,
            t,
            k: konst(k)?,
            k2: konst(k2)?,
            ..Step::EMPTY
        });
    }
    // A guard selecting an input or a constant: `x >= k ? y : k2`.
    match second {
        FastOp::SelInK {
            d: 0,
            c: 0,
            s: t,
            k: k2,
        } if !and => Some(Step {
            run: select_if_fn(a),
            s,
            t,
            k: konst(k)?,
            k2: konst(k2)?,
            ..Step::EMPTY
        }),
        _ => None,
    }
}

impl std::fmt::Debug for Step {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Step")
            .field("s", &self.s)
            .field("t", &self.t)
            .field("k", &self.k)
            .finish_non_exhaustive()
    }
}

/// A fast program that needs one register, run as a chain of steps through an accumulator
/// held in a CPU register: one indirect call per step into a small leaf function, instead of
/// a dispatch through the general loop (about half the instructions for the seed formulas).
#[derive(Clone, Debug, Default)]
pub(crate) struct Chain {
    pub(super) steps: std::sync::Arc<[Step]>,
}

impl Chain {
    /// The chain for `program`, when every instruction uses register 0 only. Two guards in a
    /// row become one step, and so do a guard followed by a select on it, and two inputs
    /// combined by `+ - * /` and then with a constant (`x / y * 100`, `1 / (x / y)`,
    /// `x / y > 0.8`).
    pub(super) fn new(program: &FastProgram) -> Option<Chain> {
        if program.registers > 1 || program.result != 0 || program.code.is_empty() {
            return None;
        }
        let mut steps = Vec::with_capacity(program.code.len());
        let mut code = program.code.as_slice();
        while let Some((&op, rest)) = code.split_first() {
            let fused = rest
                .first()
                .and_then(|&next| fuse(op, next, &program.constants));
            match fused {
                Some(step) => {
                    steps.push(step);
                    code = rest.get(1..).unwrap_or(&[]);
                }
                None => {
                    steps.push(chain_step(op, &program.constants)?);
                    code = rest;
                }
            }
        }
        Some(Chain {
            steps: steps.into(),
        })
    }

    /// The steps, shared.
    pub(crate) fn shared_steps(&self) -> std::sync::Arc<[Step]> {
        self.steps.clone()
    }

    /// Runs the chain; `None` when an input it needs is missing.
    #[inline]
    pub(crate) fn run(&self, inputs: &[Cell]) -> Option<f64> {
        run_steps(&self.steps, inputs)
    }
}

/// Runs a chain's `steps`; `None` when an input they need is missing, or there are none.
#[inline]
pub(crate) fn run_steps(steps: &[Step], inputs: &[Cell]) -> Option<f64> {
    // Chains of one or two steps (most formulas) run without a loop. Two cases compile to two
    // compares, where more would make a jump table (four more instructions per evaluation).
    match steps {
        [a] => (a.run)(a, 0.0, inputs),
        [a, b] => (b.run)(b, (a.run)(a, 0.0, inputs)?, inputs),
        _ => run_long_chain(steps, inputs),
    }
}

/// [`run_steps`] for chains of three steps or more (or none).
#[inline(never)]
pub(super) fn run_long_chain(steps: &[Step], inputs: &[Cell]) -> Option<f64> {
    let (first, rest) = steps.split_first()?;
    let mut acc = (first.run)(first, 0.0, inputs)?;
    for step in rest {
        acc = (step.run)(step, acc, inputs)?;
    }
    Some(acc)
}
