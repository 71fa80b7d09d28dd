//! The fast path: numeric formulas compiled to straight-line code over `f64` registers.
//!
//! Most scaling formulas are arithmetic, comparisons and selects over float metrics. For them
//! the compiler also emits a [`FastProgram`]: typed register instructions, with
//! superinstructions for the common shapes (an input compared with a constant, `c ? x : k`,
//! `k / r`), branch-free selects, and no jumps at all, so a run is one pass over a short slice.
//! Bools are `0.0`/`1.0`; int arithmetic is admitted only where the ints' ranges, tracked at
//! compile time, prove the `f64` result exact (no overflow past 2^53, no `-0` for an int `0`).
//!
//! Only formulas whose every operation is total on numbers qualify, so a run cannot fail: the
//! one thing it cannot handle, a missing (or non-number) input where one is needed, makes it
//! return `None`, and the caller falls back to the general VM, which produces expr's exact
//! result or error. `x ?? k` on an input is handled here, missing or not.

use crate::ast::{BinaryOp, Pointer, UnaryOp};
use crate::builtin::{Builtin, Predicate};
use crate::check::{Node, NodeKind};
use crate::schema::{Cell, InputType, Schema};
use crate::value::{Value, ValueType};

/// What a fast value means: a number, or a bool as `0.0`/`1.0`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Number,
    Bool,
}

/// A comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cmp {
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `==`
    Eq,
    /// `!=`
    Ne,
}

impl Cmp {
    fn from_op(op: BinaryOp) -> Option<Cmp> {
        Some(match op {
            BinaryOp::Lt => Cmp::Lt,
            BinaryOp::Le => Cmp::Le,
            BinaryOp::Gt => Cmp::Gt,
            BinaryOp::Ge => Cmp::Ge,
            BinaryOp::Eq => Cmp::Eq,
            BinaryOp::Ne => Cmp::Ne,
            _ => return None,
        })
    }

    /// The comparison with its operands swapped: `k < x` is `x > k`.
    fn flipped(self) -> Cmp {
        match self {
            Cmp::Lt => Cmp::Gt,
            Cmp::Le => Cmp::Ge,
            Cmp::Gt => Cmp::Lt,
            Cmp::Ge => Cmp::Le,
            other => other,
        }
    }
}

/// An arithmetic operator of the fast path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arith {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `**`
    Pow,
    /// `max` of two: the first unless the second is greater (a NaN first wins).
    Max,
    /// `min` of two.
    Min,
    /// `&&` of two bools.
    And,
    /// `||` of two bools.
    Or,
}

/// A one-operand function of the fast path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unary {
    /// `-x`
    Neg,
    /// `!x` on a bool.
    Not,
    /// `abs(x)`
    Abs,
    /// `floor(x)`
    Floor,
    /// `ceil(x)`
    Ceil,
    /// `round(x)`
    Round,
    /// `int(x)`, Go's truncating conversion.
    Int,
    /// A copy, to take ownership of a register that must not be overwritten.
    Copy,
    /// Int negation: `0 - x` (no -0).
    IntNeg,
    /// After an int product: -0 becomes 0.
    IntZero,
}

impl Unary {
    #[inline(always)]
    fn apply(self, a: f64) -> f64 {
        match self {
            Unary::Neg => -a,
            Unary::Not => 1.0 - a,
            Unary::Abs => select(a < 0.0, -a, a),
            Unary::Floor => a.floor(),
            Unary::Ceil => a.ceil(),
            Unary::Round => a.round(),
            Unary::Int => crate::value::float_to_int(a) as f64,
            Unary::Copy => a,
            Unary::IntNeg => 0.0 - a,
            Unary::IntZero => a + 0.0,
        }
    }
}

/// A branch-free `if c { a } else { b }`.
#[inline(always)]
fn select(c: bool, a: f64, b: f64) -> f64 {
    let mask = (c as u64).wrapping_neg();
    f64::from_bits((a.to_bits() & mask) | (b.to_bits() & !mask))
}

/// The shape of a binary instruction's operands: `R` a register, `K` a constant, `I` an
/// input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Form {
    RR(u8, u8),
    RK(u8, u16),
    KR(u16, u8),
    II(u16, u16),
    IK(u16, u16),
    KI(u16, u16),
}

/// The operand shapes a comparison comes in (a constant on the left is flipped to the right).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum CmpForm {
    RR(u8, u8),
    RK(u8, u16),
    IK(u16, u16),
    /// `d && (input cmp k)`: a link of a guard chain.
    AndIK(u16, u16),
}

/// Defines [`FastOp`] with one variant per operator and operand shape (so the VM dispatches
/// once per instruction, never on an operator inside an instruction), the constructors that
/// pick the variant, and the VM's loop.
macro_rules! fast_ops {
    (
        arith { $( $aop:ident => $afn:ident : $rr:ident $rk:ident $kr:ident $ii:ident $ik:ident $ki:ident ; )* }
        compare { $( $cop:ident => $cfn:ident : $crr:ident $crk:ident $cik:ident $cand:ident ; )* }
    ) => {
        /// One fast instruction: 8 bytes (pinned by a test). `d`, `a`, `b`, `c` are
        /// registers; `k` a constant; `s`, `t` input slots. An instruction that reads a
        /// missing input ends the run (the general VM takes over).
        #[derive(Clone, Copy, Debug, PartialEq)]
        #[allow(missing_docs)]
        pub enum FastOp {
            /// `d = input[s]`
            In { d: u8, s: u32 },
            /// `d = input[s] ?? K[k]`
            InOrK { d: u8, s: u16, k: u16 },
            /// `d = input[s] ?? r[a]`
            InOr { d: u8, a: u8, s: u16 },
            /// `d = K[k]`
            K { d: u8, k: u32 },
            /// `d = f(r[a])`
            Unary { f: Unary, d: u8, a: u8 },
            /// `d = r[c] ? r[a] : r[b]`
            Sel { d: u8, c: u8, a: u8, b: u8 },
            /// `d = r[c] ? r[a] : K[k]`
            SelK { d: u8, c: u8, a: u8, k: u16 },
            /// `d = r[c] ? K[k] : r[b]`
            KSel { d: u8, c: u8, k: u16, b: u8 },
            /// `d = r[c] ? input[s] : K[k]`
            SelInK { d: u8, c: u8, s: u16, k: u16 },
            $(
                #[doc = concat!("`", stringify!($aop), "`: `d = r[a] op r[b]`")]
                $rr { d: u8, a: u8, b: u8 },
                #[doc = concat!("`", stringify!($aop), "`: `d = r[a] op K[k]`")]
                $rk { d: u8, a: u8, k: u16 },
                #[doc = concat!("`", stringify!($aop), "`: `d = K[k] op r[a]`")]
                $kr { d: u8, k: u16, a: u8 },
                #[doc = concat!("`", stringify!($aop), "`: `d = input[s] op input[t]`")]
                $ii { d: u8, s: u16, t: u16 },
                #[doc = concat!("`", stringify!($aop), "`: `d = input[s] op K[k]`")]
                $ik { d: u8, s: u16, k: u16 },
                #[doc = concat!("`", stringify!($aop), "`: `d = K[k] op input[s]`")]
                $ki { d: u8, k: u16, s: u16 },
            )*
            $(
                #[doc = concat!("`", stringify!($cop), "`: `d = r[a] cmp r[b]`")]
                $crr { d: u8, a: u8, b: u8 },
                #[doc = concat!("`", stringify!($cop), "`: `d = r[a] cmp K[k]`")]
                $crk { d: u8, a: u8, k: u16 },
                #[doc = concat!("`", stringify!($cop), "`: `d = input[s] cmp K[k]`")]
                $cik { d: u8, s: u16, k: u16 },
                #[doc = concat!("`", stringify!($cop), "`: `d = r[d] && (input[s] cmp K[k])`, a chain of guards")]
                $cand { d: u8, s: u16, k: u16 },
            )*
        }

        impl FastOp {
            fn arith(op: Arith, d: u8, form: Form) -> FastOp {
                match op {
                    $(Arith::$aop => match form {
                        Form::RR(a, b) => FastOp::$rr { d, a, b },
                        Form::RK(a, k) => FastOp::$rk { d, a, k },
                        Form::KR(k, a) => FastOp::$kr { d, k, a },
                        Form::II(s, t) => FastOp::$ii { d, s, t },
                        Form::IK(s, k) => FastOp::$ik { d, s, k },
                        Form::KI(k, s) => FastOp::$ki { d, k, s },
                    },)*
                }
            }

            fn compare(cmp: Cmp, d: u8, form: CmpForm) -> FastOp {
                match cmp {
                    $(Cmp::$cop => match form {
                        CmpForm::RR(a, b) => FastOp::$crr { d, a, b },
                        CmpForm::RK(a, k) => FastOp::$crk { d, a, k },
                        CmpForm::IK(s, k) => FastOp::$cik { d, s, k },
                        CmpForm::AndIK(s, k) => FastOp::$cand { d, s, k },
                    },)*
                }
            }
        }

        #[inline(always)]
        fn run_with<const N: usize>(code: &[FastOp], k: &[f64], result: u8, inputs: &[Cell]) -> Option<f64> {
            let mut r = [0.0f64; N];
            // Registers are indexed modulo N (a power of two the compiler stays under), which
            // keeps the indexing free of bounds checks.
            let m = N - 1;
            let input = |s: usize| cell(inputs, s);
            let konst = |i: u16| -> f64 { k.get(i as usize).copied().unwrap_or(f64::NAN) };
            for op in code {
                match *op {
                    FastOp::In { d, s } => r[d as usize & m] = input(s as usize)?,
                    FastOp::InOrK { d, s, k } => {
                        r[d as usize & m] = input(s as usize).unwrap_or_else(|| konst(k))
                    }
                    FastOp::InOr { d, a, s } => {
                        let fallback = r[a as usize & m];
                        r[d as usize & m] = input(s as usize).unwrap_or(fallback)
                    }
                    FastOp::K { d, k } => r[d as usize & m] = konst(k as u16),
                    FastOp::Unary { f, d, a } => r[d as usize & m] = f.apply(r[a as usize & m]),
                    FastOp::Sel { d, c, a, b } => {
                        r[d as usize & m] =
                            select(r[c as usize & m] != 0.0, r[a as usize & m], r[b as usize & m])
                    }
                    FastOp::SelK { d, c, a, k } => {
                        r[d as usize & m] =
                            select(r[c as usize & m] != 0.0, r[a as usize & m], konst(k))
                    }
                    FastOp::KSel { d, c, k, b } => {
                        r[d as usize & m] =
                            select(r[c as usize & m] != 0.0, konst(k), r[b as usize & m])
                    }
                    FastOp::SelInK { d, c, s, k } => {
                        r[d as usize & m] =
                            select(r[c as usize & m] != 0.0, input(s as usize)?, konst(k))
                    }
                    $(
                        FastOp::$rr { d, a, b } => r[d as usize & m] = $afn(r[a as usize & m], r[b as usize & m]),
                        FastOp::$rk { d, a, k } => r[d as usize & m] = $afn(r[a as usize & m], konst(k)),
                        FastOp::$kr { d, k, a } => r[d as usize & m] = $afn(konst(k), r[a as usize & m]),
                        FastOp::$ii { d, s, t } => r[d as usize & m] = $afn(input(s as usize)?, input(t as usize)?),
                        FastOp::$ik { d, s, k } => r[d as usize & m] = $afn(input(s as usize)?, konst(k)),
                        FastOp::$ki { d, k, s } => r[d as usize & m] = $afn(konst(k), input(s as usize)?),
                    )*
                    $(
                        FastOp::$crr { d, a, b } => r[d as usize & m] = $cfn(r[a as usize & m], r[b as usize & m]),
                        FastOp::$crk { d, a, k } => r[d as usize & m] = $cfn(r[a as usize & m], konst(k)),
                        FastOp::$cik { d, s, k } => r[d as usize & m] = $cfn(input(s as usize)?, konst(k)),
                        FastOp::$cand { d, s, k } => r[d as usize & m] *= $cfn(input(s as usize)?, konst(k)),
                    )*
                }
            }
            Some(r[result as usize & m])
        }

        /// `op` as `input[s] cmp K[k]` into register 0, and whether it is a link of a guard
        /// chain (`r0 && input[s] cmp K[k]`).
        fn as_guard(op: FastOp) -> Option<(Cmp, u16, u16, bool)> {
            match op {
                $(
                    FastOp::$cik { d: 0, s, k } => Some((Cmp::$cop, s, k, false)),
                    FastOp::$cand { d: 0, s, k } => Some((Cmp::$cop, s, k, true)),
                )*
                _ => None,
            }
        }

        /// `op` as `input[s] op input[t]` into register 0.
        fn as_pair(op: FastOp) -> Option<(Arith, u16, u16)> {
            match op {
                $(FastOp::$ii { d: 0, s, t } => Some((Arith::$aop, s, t)),)*
                _ => None,
            }
        }

        /// What `op` does to register 0 with a constant: an arithmetic operator (with the
        /// constant on the left when `true`) or a comparison.
        fn as_with_constant(op: FastOp) -> Option<(WithConstant, u16)> {
            match op {
                $(
                    FastOp::$rk { d: 0, a: 0, k } => Some((WithConstant::Arith(Arith::$aop, false), k)),
                    FastOp::$kr { d: 0, k, a: 0 } => Some((WithConstant::Arith(Arith::$aop, true), k)),
                )*
                $(FastOp::$crk { d: 0, a: 0, k } => Some((WithConstant::Cmp(Cmp::$cop), k)),)*
                _ => None,
            }
        }

        /// The chain step that does what `op` does, when `op` reads and writes register 0
        /// only (see [`Chain`]).
        fn chain_step(op: FastOp, constants: &[f64]) -> Option<Step> {
            let konst = |k: u16| constants.get(k as usize).copied();
            let step = |run: StepFn, s: u16, t: u16, k: f64| Some(Step { run, s, t, k, ..Step::EMPTY });
            match op {
                FastOp::In { d: 0, s } => step(|st, _, i| cell(i, st.s), u16::try_from(s).ok()?, 0, 0.0),
                FastOp::InOrK { d: 0, s, k } => step(|st, _, i| Some(cell(i, st.s).unwrap_or(st.k)), s, 0, konst(k)?),
                FastOp::InOr { d: 0, a: 0, s } => step(|st, acc, i| Some(cell(i, st.s).unwrap_or(acc)), s, 0, 0.0),
                FastOp::K { d: 0, k } => step(|st, _, _| Some(st.k), 0, 0, konst(u16::try_from(k).ok()?)?),
                FastOp::Unary { f, d: 0, a: 0 } => Some(Step { run: |st, acc, _| Some(st.unary.apply(acc)), unary: f, ..Step::EMPTY }),
                FastOp::Sel { d: 0, c: 0, a: 0, b: 0 } => step(|_, acc, _| Some(acc), 0, 0, 0.0),
                FastOp::SelK { d: 0, c: 0, a: 0, k } => step(|st, acc, _| Some(select(acc != 0.0, acc, st.k)), 0, 0, konst(k)?),
                FastOp::KSel { d: 0, c: 0, k, b: 0 } => step(|st, acc, _| Some(select(acc != 0.0, st.k, acc)), 0, 0, konst(k)?),
                FastOp::SelInK { d: 0, c: 0, s, k } => step(|st, acc, i| Some(select(acc != 0.0, cell(i, st.s)?, st.k)), s, 0, konst(k)?),
                $(
                    FastOp::$rr { d: 0, a: 0, b: 0 } => step(|_, acc, _| Some($afn(acc, acc)), 0, 0, 0.0),
                    FastOp::$rk { d: 0, a: 0, k } => step(|st, acc, _| Some($afn(acc, st.k)), 0, 0, konst(k)?),
                    FastOp::$kr { d: 0, k, a: 0 } => step(|st, acc, _| Some($afn(st.k, acc)), 0, 0, konst(k)?),
                    FastOp::$ii { d: 0, s, t } => step(|st, _, i| Some($afn(cell(i, st.s)?, cell(i, st.t)?)), s, t, 0.0),
                    FastOp::$ik { d: 0, s, k } => step(|st, _, i| Some($afn(cell(i, st.s)?, st.k)), s, 0, konst(k)?),
                    FastOp::$ki { d: 0, k, s } => step(|st, _, i| Some($afn(st.k, cell(i, st.s)?)), s, 0, konst(k)?),
                )*
                $(
                    FastOp::$crr { d: 0, a: 0, b: 0 } => step(|_, acc, _| Some($cfn(acc, acc)), 0, 0, 0.0),
                    FastOp::$crk { d: 0, a: 0, k } => step(|st, acc, _| Some($cfn(acc, st.k)), 0, 0, konst(k)?),
                    FastOp::$cik { d: 0, s, k } => step(|st, _, i| Some($cfn(cell(i, st.s)?, st.k)), s, 0, konst(k)?),
                    FastOp::$cand { d: 0, s, k } => step(|st, acc, i| Some(acc * $cfn(cell(i, st.s)?, st.k)), s, 0, konst(k)?),
                )*
                _ => None,
            }
        }
    };
}

/// A float input, or `None` when the slot is missing, holds something else or is beyond the
/// inputs.
#[inline(always)]
fn cell(inputs: &[Cell], s: impl Into<usize>) -> Option<f64> {
    match inputs.get(s.into()) {
        Some(&cell) if cell.tag() == Cell::FLOAT => Some(cell.number),
        _ => None,
    }
}

/// What one chain step runs: the step, the accumulator and the inputs in; the new
/// accumulator out, or `None` when an input it needs is missing.
type StepFn = fn(&Step, f64, &[Cell]) -> Option<f64>;

/// One step of a [`Chain`]: a small function specialised to one operator and operand shape,
/// with its operands (input slots and inline constants).
#[derive(Clone, Copy)]
pub(crate) struct Step {
    /// What the step does.
    run: StepFn,
    /// The input slot it reads (fused steps: the first).
    s: u16,
    /// The second input slot, for steps that read two.
    t: u16,
    /// The function, for a unary step.
    unary: Unary,
    /// Its constant (fused steps: the first).
    k: f64,
    /// The second constant, for fused steps that have two.
    k2: f64,
}

impl Step {
    /// A step that passes the accumulator through; the base the constructors fill in.
    const EMPTY: Step = Step {
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
fn holds<const C: u8>(a: f64, b: f64) -> bool {
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
fn compare<const C: u8>(a: f64, b: f64) -> f64 {
    holds::<C>(a, b) as u8 as f64
}

/// Two guards: `input[s] A k && input[t] B k2`, after `acc` when `AND`.
fn guard2<const A: u8, const B: u8, const AND: bool>(
    st: &Step,
    acc: f64,
    i: &[Cell],
) -> Option<f64> {
    let both = holds::<A>(cell(i, st.s)?, st.k) & holds::<B>(cell(i, st.t)?, st.k2);
    let both = select(both, 1.0, 0.0);
    Some(if AND { acc * both } else { both })
}

/// A guarded select: `input[s] A k ? input[t] : k2`.
fn select_if<const A: u8>(st: &Step, _: f64, i: &[Cell]) -> Option<f64> {
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
fn guard2_fn(a: Cmp, b: Cmp, and: bool) -> StepFn {
    by_cmp!(a, |A| by_cmp!(b, |B| if and {
        guard2::<A, B, true>
    } else {
        guard2::<A, B, false>
    }))
}

/// The [`select_if`] for comparison `a`.
fn select_if_fn(a: Cmp) -> StepFn {
    by_cmp!(a, |A| select_if::<A>)
}

/// What an instruction does to register 0 with a constant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum WithConstant {
    /// `r0 op k`, or `k op r0` when `true`.
    Arith(Arith, bool),
    /// `r0 cmp k`.
    Cmp(Cmp),
}

/// `a op b` for the arithmetic operator `O` (an [`Arith`] among `+ - * /`, as `u8`), resolved
/// when compiled.
#[inline(always)]
fn arith<const O: u8>(a: f64, b: f64) -> f64 {
    match O {
        o if o == Arith::Add as u8 => add(a, b),
        o if o == Arith::Sub as u8 => sub(a, b),
        o if o == Arith::Mul as u8 => mul(a, b),
        _ => div(a, b),
    }
}

/// Two inputs, then a constant: `(input[s] A input[t]) B k`, or `k B (…)` when `K_LEFT`.
fn pair_then_k<const A: u8, const B: u8, const K_LEFT: bool>(
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
fn pair_then_compare<const A: u8, const C: u8>(st: &Step, _: f64, i: &[Cell]) -> Option<f64> {
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
fn pair_fn(a: Arith, then: WithConstant) -> Option<StepFn> {
    by_arith!(a, |A| match then {
        WithConstant::Arith(b, false) => by_arith!(b, |B| pair_then_k::<A, B, false> as StepFn)?,
        WithConstant::Arith(b, true) => by_arith!(b, |B| pair_then_k::<A, B, true> as StepFn)?,
        WithConstant::Cmp(c) => by_cmp!(c, |C| pair_then_compare::<A, C> as StepFn),
    })
}

/// One step doing what `first` and then `second` do, for the pairs that have one.
fn fuse(first: FastOp, second: FastOp, constants: &[f64]) -> Option<Step> {
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
    steps: std::sync::Arc<[Step]>,
}

impl Chain {
    /// The chain for `program`, when every instruction uses register 0 only. Two guards in a
    /// row become one step, and so do a guard followed by a select on it, and two inputs
    /// combined by `+ - * /` and then with a constant (`x / y * 100`, `1 / (x / y)`,
    /// `x / y > 0.8`).
    fn new(program: &FastProgram) -> Option<Chain> {
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
fn run_long_chain(steps: &[Step], inputs: &[Cell]) -> Option<f64> {
    let (first, rest) = steps.split_first()?;
    let mut acc = (first.run)(first, 0.0, inputs)?;
    for step in rest {
        acc = (step.run)(step, acc, inputs)?;
    }
    Some(acc)
}

fast_ops! {
    arith {
        Add => add: AddRR AddRK AddKR AddII AddIK AddKI;
        Sub => sub: SubRR SubRK SubKR SubII SubIK SubKI;
        Mul => mul: MulRR MulRK MulKR MulII MulIK MulKI;
        Div => div: DivRR DivRK DivKR DivII DivIK DivKI;
        Pow => pow: PowRR PowRK PowKR PowII PowIK PowKI;
        Max => max2: MaxRR MaxRK MaxKR MaxII MaxIK MaxKI;
        Min => min2: MinRR MinRK MinKR MinII MinIK MinKI;
        And => and: AndRR AndRK AndKR AndII AndIK AndKI;
        Or => or: OrRR OrRK OrKR OrII OrIK OrKI;
    }
    compare {
        Lt => lt: LtRR LtRK LtIK AndLtIK;
        Le => le: LeRR LeRK LeIK AndLeIK;
        Gt => gt: GtRR GtRK GtIK AndGtIK;
        Ge => ge: GeRR GeRK GeIK AndGeIK;
        Eq => eq: EqRR EqRK EqIK AndEqIK;
        Ne => ne: NeRR NeRK NeIK AndNeIK;
    }
}

#[inline(always)]
fn add(a: f64, b: f64) -> f64 {
    a + b
}
#[inline(always)]
fn sub(a: f64, b: f64) -> f64 {
    a - b
}
#[inline(always)]
fn mul(a: f64, b: f64) -> f64 {
    a * b
}
#[inline(always)]
fn div(a: f64, b: f64) -> f64 {
    a / b
}
#[inline(always)]
fn pow(a: f64, b: f64) -> f64 {
    crate::value::go_pow(a, b)
}
/// `max` of two: the first unless the second is greater (so a NaN first wins, as in expr).
#[inline(always)]
fn max2(a: f64, b: f64) -> f64 {
    select(a < b, b, a)
}
#[inline(always)]
fn min2(a: f64, b: f64) -> f64 {
    select(a > b, b, a)
}
/// `&&` of two bools (`0.0`/`1.0`).
#[inline(always)]
fn and(a: f64, b: f64) -> f64 {
    a * b
}
#[inline(always)]
fn or(a: f64, b: f64) -> f64 {
    a + b - a * b
}
#[inline(always)]
fn lt(a: f64, b: f64) -> f64 {
    compare::<{ Cmp::Lt as u8 }>(a, b)
}
#[inline(always)]
fn le(a: f64, b: f64) -> f64 {
    compare::<{ Cmp::Le as u8 }>(a, b)
}
#[inline(always)]
fn gt(a: f64, b: f64) -> f64 {
    compare::<{ Cmp::Gt as u8 }>(a, b)
}
#[inline(always)]
fn ge(a: f64, b: f64) -> f64 {
    compare::<{ Cmp::Ge as u8 }>(a, b)
}
#[inline(always)]
fn eq(a: f64, b: f64) -> f64 {
    compare::<{ Cmp::Eq as u8 }>(a, b)
}
#[inline(always)]
fn ne(a: f64, b: f64) -> f64 {
    compare::<{ Cmp::Ne as u8 }>(a, b)
}

/// A compiled fast program: straight-line code; the result is in register `result`.
#[derive(Clone, Debug, Default)]
pub struct FastProgram {
    /// The instructions.
    pub code: Vec<FastOp>,
    /// The constants.
    pub constants: Vec<f64>,
    /// The register holding the result at the end.
    pub result: u8,
    /// How many registers the program uses.
    pub registers: u8,
    /// The result's kind: a number or a bool.
    pub(crate) kind: Option<Kind>,
    /// The result's type at run time, when every run gives the same one (`max(1, x)` gives
    /// an int or a float, whatever its static type says).
    pub(crate) value_type: Option<ValueType>,
    /// The same program as a chain of steps, when it needs one register only.
    pub(crate) chain: Option<Chain>,
}

/// The most registers a fast program may use.
const MAX_REGISTERS: usize = 32;

/// An operand before it is put in a register.
#[derive(Clone, Copy, Debug)]
enum Operand {
    /// A temporary register the holder owns and may overwrite.
    Reg(u8),
    /// A register someone else still needs (an unrolled predicate's element).
    Borrowed(u8),
    Const(u16),
    Input(u16),
}

/// Compiles a checked (and folded) tree to a fast program, or `None` when the formula needs
/// the general VM.
pub(crate) fn compile(root: &Node, schema: &Schema, chains: bool) -> Option<FastProgram> {
    let mut c = FastCompiler {
        schema,
        program: FastProgram::default(),
        next: 0,
        element: None,
    };
    let (operand, kind) = c.operand(root)?;
    let result = c.in_reg(operand)?;
    c.program.result = result;
    c.program.kind = Some(kind);
    c.program.value_type = runtime_type(root);
    if chains {
        c.program.chain = Chain::new(&c.program);
    }
    Some(c.program)
}

/// Ints up to this magnitude are exact as `f64`s, and no int operation below it can wrap.
const EXACT_INT: f64 = 9_007_199_254_740_992.0; // 2^53

/// The range `[lo, hi]` an int value of a node lies in.
type IntRange = (f64, f64);

/// Whether a node whose int values lie in `range` computes exactly in `f64`.
fn exact_int(range: Option<IntRange>) -> bool {
    range.is_none_or(|(lo, hi)| lo.abs().max(hi.abs()) <= EXACT_INT)
}

/// The union of two ranges (either may be absent).
fn either(a: Option<IntRange>, b: Option<IntRange>) -> Option<IntRange> {
    match (a, b) {
        (Some(a), Some(b)) => Some((a.0.min(b.0), a.1.max(b.1))),
        (a, b) => a.or(b),
    }
}

const ANY_INT: IntRange = (f64::NEG_INFINITY, f64::INFINITY);

/// The range of `node`'s value when that value is an int, or `None` when it never is. Int
/// arithmetic is done in `f64` only within [`EXACT_INT`].
fn int_range(node: &Node) -> Option<IntRange> {
    match &node.kind {
        NodeKind::Const(Value::Int(i)) => Some((*i as f64, *i as f64)),
        NodeKind::Const(_) | NodeKind::Input(_) => None,
        NodeKind::Unary(UnaryOp::Neg, x) => int_range(x).map(|(lo, hi)| (-hi, -lo)),
        NodeKind::Unary(_, x) => int_range(x),
        NodeKind::Binary(op, l, r) => int_range_of(*op, l, r),
        NodeKind::Cond(_, a, b) => either(int_range(a), int_range(b)),
        NodeKind::Call(builtin, args) => match builtin {
            Builtin::Abs => int_range(args.first()?).map(|(lo, hi)| {
                if lo >= 0.0 {
                    (lo, hi)
                } else {
                    (0.0, (-lo).max(hi))
                }
            }),
            Builtin::Max | Builtin::Min => args.iter().map(int_range).fold(None, either),
            Builtin::Int => Some(ANY_INT),
            _ => None,
        },
        NodeKind::Predicate {
            kind: Predicate::Count,
            array,
            ..
        } => match &array.kind {
            NodeKind::Array(items) => Some((0.0, items.len() as f64)),
            NodeKind::Const(Value::Array(items)) => Some((0.0, items.len() as f64)),
            _ => Some(ANY_INT),
        },
        NodeKind::Predicate { .. } => None,
        _ => Some(ANY_INT),
    }
}

/// [`int_range`] of `l op r`.
fn int_range_of(op: BinaryOp, l: &Node, r: &Node) -> Option<IntRange> {
    let (a, b) = (int_range(l), int_range(r));
    match op {
        // An int result needs two int operands.
        BinaryOp::Add => {
            let ((al, ah), (bl, bh)) = (a?, b?);
            Some((al + bl, ah + bh))
        }
        BinaryOp::Sub => {
            let ((al, ah), (bl, bh)) = (a?, b?);
            Some((al - bh, ah - bl))
        }
        BinaryOp::Mul => {
            let ((al, ah), (bl, bh)) = (a?, b?);
            let products =
                [al * bl, al * bh, ah * bl, ah * bh].map(|p| if p.is_nan() { 0.0 } else { p });
            Some((
                products.iter().copied().fold(f64::INFINITY, f64::min),
                products.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            ))
        }
        BinaryOp::Coalesce => either(a, b),
        BinaryOp::Mod => Some(ANY_INT),
        _ => None,
    }
}

/// Whether `l op r` (`+`, `-`, `*`) computes exactly in `f64`. With an operand that is never
/// an int it is float arithmetic, as in expr. With two operands that may be ints, their int
/// results must stay within [`EXACT_INT`]; and as an int product is never -0 while an `f64`
/// product can be, `*` needs both operands to be ints on every run (then the -0 is fixed up)
/// or neither int range to reach below zero.
fn int_arith_ok(op: BinaryOp, l: &Node, r: &Node) -> bool {
    let (Some(a), Some(b)) = (int_range(l), int_range(r)) else {
        return true;
    };
    if !exact_int(int_range_of(op, l, r)) {
        return false;
    }
    op != BinaryOp::Mul || (a.0 >= 0.0 && b.0 >= 0.0) || always_int(l, r)
}

fn always_int(l: &Node, r: &Node) -> bool {
    runtime_type(l) == Some(ValueType::Int) && runtime_type(r) == Some(ValueType::Int)
}

/// The type of every value `node` can give on the fast path (where no input is missing),
/// if it is always the same.
fn runtime_type(node: &Node) -> Option<ValueType> {
    let same = |a: Option<ValueType>, b: Option<ValueType>| if a == b { a } else { None };
    match &node.kind {
        NodeKind::Const(v) => Some(v.value_type()),
        NodeKind::Input(_) => Some(ValueType::Float),
        NodeKind::Pointer(..) => None,
        NodeKind::Unary(UnaryOp::Not, _) => Some(ValueType::Bool),
        NodeKind::Unary(_, x) => runtime_type(x),
        NodeKind::Binary(op, l, r) => match op {
            BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul => {
                match (runtime_type(l)?, runtime_type(r)?) {
                    (ValueType::Int, ValueType::Int) => Some(ValueType::Int),
                    _ => Some(ValueType::Float),
                }
            }
            BinaryOp::Div | BinaryOp::Pow => Some(ValueType::Float),
            BinaryOp::Coalesce => same(runtime_type(l), runtime_type(r)),
            _ => Some(ValueType::Bool),
        },
        NodeKind::Cond(_, a, b) => same(runtime_type(a), runtime_type(b)),
        NodeKind::Call(builtin, args) => match builtin {
            Builtin::Abs => runtime_type(args.first()?),
            Builtin::Int => Some(ValueType::Int),
            Builtin::Max | Builtin::Min => args.iter().map(runtime_type).reduce(same).flatten(),
            _ => Some(ValueType::Float),
        },
        NodeKind::Predicate { kind, .. } => match kind {
            Predicate::Count => Some(ValueType::Int),
            _ => Some(ValueType::Bool),
        },
        _ => None,
    }
}

struct FastCompiler<'a> {
    schema: &'a Schema,
    program: FastProgram,
    /// The next free register; registers above it are free.
    next: u8,
    /// What `#` stands for while unrolling a predicate over a literal array.
    element: Option<(Operand, Kind, u32)>,
}

impl FastCompiler<'_> {
    fn alloc(&mut self) -> Option<u8> {
        let r = self.next;
        if r as usize >= MAX_REGISTERS {
            return None;
        }
        self.next += 1;
        self.program.registers = self.program.registers.max(self.next);
        Some(r)
    }

    fn emit(&mut self, op: FastOp) {
        self.program.code.push(op);
    }

    fn constant(&mut self, v: f64) -> Option<u16> {
        if let Some(i) = self
            .program
            .constants
            .iter()
            .position(|c| c.to_bits() == v.to_bits())
        {
            return u16::try_from(i).ok();
        }
        let i = u16::try_from(self.program.constants.len()).ok()?;
        self.program.constants.push(v);
        Some(i)
    }

    /// Puts an operand in a register the caller owns (the top one when it is new).
    fn in_reg(&mut self, operand: Operand) -> Option<u8> {
        Some(match operand {
            Operand::Reg(r) => r,
            Operand::Borrowed(a) => {
                let d = self.alloc()?;
                self.emit(FastOp::Unary {
                    f: Unary::Copy,
                    d,
                    a,
                });
                d
            }
            Operand::Const(k) => {
                let d = self.alloc()?;
                self.emit(FastOp::K { d, k: k as u32 });
                d
            }
            Operand::Input(s) => {
                let d = self.alloc()?;
                self.emit(FastOp::In { d, s: s as u32 });
                d
            }
        })
    }

    /// A node's value as an operand, without emitting code for constants and inputs.
    fn operand(&mut self, node: &Node) -> Option<(Operand, Kind)> {
        match &node.kind {
            NodeKind::Const(v) => {
                let (f, kind) = match *v {
                    Value::Float(f) => (f, Kind::Number),
                    Value::Int(i) if i.unsigned_abs() <= 1 << 53 => (i as f64, Kind::Number),
                    Value::Bool(b) => (b as u8 as f64, Kind::Bool),
                    _ => return None,
                };
                Some((Operand::Const(self.constant(f)?), kind))
            }
            NodeKind::Input(slot) => {
                if self.schema.input_type(crate::Slot(*slot)) != InputType::Float {
                    return None;
                }
                Some((Operand::Input(u16::try_from(*slot).ok()?), Kind::Number))
            }
            NodeKind::Pointer(Pointer::Element, level) => match self.element {
                Some((operand, kind, l)) if l == *level => Some((operand, kind)),
                _ => None,
            },
            _ => {
                let (r, kind) = self.reg(node)?;
                Some((Operand::Reg(r), kind))
            }
        }
    }

    /// Compiles a node into a new register (the top one).
    fn reg(&mut self, node: &Node) -> Option<(u8, Kind)> {
        match &node.kind {
            NodeKind::Unary(op, operand) => {
                let (x, kind) = self.operand(operand)?;
                let f = match (op, kind) {
                    // A float, or an int that is never 0, negates as an f64; an int that may be
                    // 0 must give 0, not -0.
                    (UnaryOp::Neg, Kind::Number) => match int_range(operand) {
                        None => Unary::Neg,
                        Some((lo, hi)) if !exact_int(Some((lo, hi))) => return None,
                        Some((lo, hi)) if lo > 0.0 || hi < 0.0 => Unary::Neg,
                        Some(_) if runtime_type(operand) == Some(ValueType::Int) => Unary::IntNeg,
                        Some(_) => return None,
                    },
                    (UnaryOp::Not, Kind::Bool) => Unary::Not,
                    (UnaryOp::Plus, Kind::Number) => return Some((self.in_reg(x)?, kind)),
                    _ => return None,
                };
                let a = self.in_reg(x)?;
                self.emit(FastOp::Unary { f, d: a, a });
                Some((a, kind))
            }
            NodeKind::Binary(op, l, r) => self.binary(*op, l, r),
            NodeKind::Cond(c, a, b) => self.cond(c, a, b),
            NodeKind::Call(builtin, args) => self.call(*builtin, args),
            NodeKind::Predicate {
                kind,
                array,
                body: Some(body),
                init: None,
                level,
            } => self.unrolled(*kind, array, body, *level),
            _ => None,
        }
    }

    fn binary(&mut self, op: BinaryOp, l: &Node, r: &Node) -> Option<(u8, Kind)> {
        if let Some(cmp) = Cmp::from_op(op) {
            let (a, ka) = self.operand(l)?;
            let (b, kb) = self.operand(r)?;
            if ka != kb {
                return None;
            }
            return Some((self.compare(cmp, a, b)?, Kind::Bool));
        }
        if op == BinaryOp::Coalesce {
            // A computed left side is never nil here; an input may be missing.
            let (a, kind) = self.operand(l)?;
            let Operand::Input(s) = a else {
                return Some((self.in_reg(a)?, kind));
            };
            let (b, kb) = self.operand(r)?;
            if kb != kind {
                return None;
            }
            return Some(match b {
                Operand::Const(k) => {
                    let d = self.alloc()?;
                    self.emit(FastOp::InOrK { d, s, k });
                    (d, kind)
                }
                other => {
                    let a = self.in_reg(other)?;
                    self.emit(FastOp::InOr { d: a, a, s });
                    (a, kind)
                }
            });
        }
        let (arith, kind) = match op {
            // Int arithmetic (two int operands) wraps and never gives -0; it is done here only
            // where both operands are ints on every run and the result cannot overflow, so
            // that the f64 result is exact (`* ` is then followed by a -0 to 0 fix).
            BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul if int_arith_ok(op, l, r) => {
                let arith = match op {
                    BinaryOp::Add => Arith::Add,
                    BinaryOp::Sub => Arith::Sub,
                    _ => Arith::Mul,
                };
                (arith, Kind::Number)
            }
            BinaryOp::Div => (Arith::Div, Kind::Number),
            BinaryOp::Pow => (Arith::Pow, Kind::Number),
            BinaryOp::And => (Arith::And, Kind::Bool),
            BinaryOp::Or => (Arith::Or, Kind::Bool),
            _ => return None,
        };
        // `guard && x cmp k`: fold the comparison into the accumulating register.
        if arith == Arith::And {
            if let NodeKind::Binary(rop, rl, rr) = &r.kind {
                if let (Some(cmp), NodeKind::Input(_), NodeKind::Const(_)) =
                    (Cmp::from_op(*rop), &rl.kind, &rr.kind)
                {
                    let (acc, ka) = self.operand(l)?;
                    let (x, kx) = self.operand(rl)?;
                    let (k, kk) = self.operand(rr)?;
                    if let (
                        Kind::Bool,
                        Kind::Number,
                        Kind::Number,
                        Operand::Input(s),
                        Operand::Const(k),
                    ) = (ka, kx, kk, x, k)
                    {
                        let d = self.in_reg(acc)?;
                        self.emit(FastOp::compare(cmp, d, CmpForm::AndIK(s, k)));
                        return Some((d, Kind::Bool));
                    }
                    return None;
                }
            }
        }
        let (a, ka) = self.operand(l)?;
        let (b, kb) = self.operand(r)?;
        let operand_kind = if kind == Kind::Bool {
            Kind::Bool
        } else {
            Kind::Number
        };
        if ka != operand_kind || kb != operand_kind {
            return None;
        }
        let d = self.arith(arith, a, b)?;
        if arith == Arith::Mul && always_int(l, r) {
            self.emit(FastOp::Unary {
                f: Unary::IntZero,
                d,
                a: d,
            });
        }
        Some((d, kind))
    }

    fn arith(&mut self, op: Arith, a: Operand, b: Operand) -> Option<u8> {
        Some(match (a, b) {
            (Operand::Input(s), Operand::Input(t)) => {
                let d = self.alloc()?;
                self.emit(FastOp::arith(op, d, Form::II(s, t)));
                d
            }
            (Operand::Input(s), Operand::Const(k)) => {
                let d = self.alloc()?;
                self.emit(FastOp::arith(op, d, Form::IK(s, k)));
                d
            }
            (Operand::Const(k), Operand::Input(s)) => {
                let d = self.alloc()?;
                self.emit(FastOp::arith(op, d, Form::KI(k, s)));
                d
            }
            (Operand::Const(k), b) => {
                let a = self.in_reg(b)?;
                self.emit(FastOp::arith(op, a, Form::KR(k, a)));
                a
            }
            (a, Operand::Const(k)) => {
                let a = self.in_reg(a)?;
                self.emit(FastOp::arith(op, a, Form::RK(a, k)));
                a
            }
            (a, b) => {
                let a = self.in_reg(a)?;
                let b = self.in_reg(b)?;
                let d = a.min(b);
                self.emit(FastOp::arith(op, d, Form::RR(a, b)));
                // Both were temporaries on top of the register stack: the higher one is free.
                self.next = d + 1;
                d
            }
        })
    }

    fn compare(&mut self, cmp: Cmp, a: Operand, b: Operand) -> Option<u8> {
        Some(match (a, b) {
            (Operand::Input(s), Operand::Const(k)) => {
                let d = self.alloc()?;
                self.emit(FastOp::compare(cmp, d, CmpForm::IK(s, k)));
                d
            }
            (Operand::Const(k), Operand::Input(s)) => {
                let d = self.alloc()?;
                self.emit(FastOp::compare(cmp.flipped(), d, CmpForm::IK(s, k)));
                d
            }
            (a, Operand::Const(k)) => {
                let a = self.in_reg(a)?;
                self.emit(FastOp::compare(cmp, a, CmpForm::RK(a, k)));
                a
            }
            (Operand::Const(k), b) => {
                let a = self.in_reg(b)?;
                self.emit(FastOp::compare(cmp.flipped(), a, CmpForm::RK(a, k)));
                a
            }
            (a, b) => {
                let a = self.in_reg(a)?;
                let b = self.in_reg(b)?;
                let d = a.min(b);
                self.emit(FastOp::compare(cmp, d, CmpForm::RR(a, b)));
                self.next = d + 1;
                d
            }
        })
    }

    fn cond(&mut self, c: &Node, a: &Node, b: &Node) -> Option<(u8, Kind)> {
        let (cond, kc) = self.operand(c)?;
        if kc != Kind::Bool {
            return None;
        }
        let one_zero = |n: &Node, want: f64| match n.kind {
            NodeKind::Const(Value::Int(i)) => i as f64 == want,
            NodeKind::Const(Value::Float(f)) => f.to_bits() == want.to_bits(),
            _ => false,
        };
        // `c ? 1 : 0` is the condition itself; `c ? 0 : 1` its negation.
        if one_zero(a, 1.0) && one_zero(b, 0.0) {
            return Some((self.in_reg(cond)?, Kind::Number));
        }
        if one_zero(a, 0.0) && one_zero(b, 1.0) {
            let r = self.in_reg(cond)?;
            self.emit(FastOp::Unary {
                f: Unary::Not,
                d: r,
                a: r,
            });
            return Some((r, Kind::Number));
        }
        let c = self.in_reg(cond)?;
        let (x, kx) = self.operand(a)?;
        let (y, ky) = self.operand(b)?;
        if kx != ky {
            return None;
        }
        match (x, y) {
            (Operand::Input(s), Operand::Const(k)) => {
                self.emit(FastOp::SelInK { d: c, c, s, k });
            }
            (x, Operand::Const(k)) => {
                let a = self.in_reg(x)?;
                self.emit(FastOp::SelK { d: c, c, a, k });
            }
            (Operand::Const(k), y) => {
                let b = self.in_reg(y)?;
                self.emit(FastOp::KSel { d: c, c, k, b });
            }
            (x, y) => {
                let a = self.in_reg(x)?;
                let b = self.in_reg(y)?;
                self.emit(FastOp::Sel { d: c, c, a, b });
            }
        }
        self.next = c + 1;
        Some((c, kx))
    }

    fn call(&mut self, builtin: Builtin, args: &[Node]) -> Option<(u8, Kind)> {
        let unary = match builtin {
            Builtin::Abs if exact_int(int_range(args.first()?)) => Some(Unary::Abs),
            Builtin::Floor => Some(Unary::Floor),
            Builtin::Ceil => Some(Unary::Ceil),
            Builtin::Round => Some(Unary::Round),
            Builtin::Int => Some(Unary::Int),
            Builtin::Float => None,
            Builtin::Max | Builtin::Min => {
                let op = if builtin == Builtin::Max {
                    Arith::Max
                } else {
                    Arith::Min
                };
                let (first, rest) = args.split_first()?;
                let (x, kind) = self.operand(first)?;
                if kind != Kind::Number || first.ty.is_array() {
                    return None;
                }
                let mut acc = self.in_reg(x)?;
                for arg in rest {
                    let (y, ky) = self.operand(arg)?;
                    if ky != Kind::Number || arg.ty.is_array() {
                        return None;
                    }
                    acc = self.arith(op, Operand::Reg(acc), y)?;
                }
                return Some((acc, Kind::Number));
            }
            _ => return None,
        };
        let [arg] = args else { return None };
        let (x, kind) = self.operand(arg)?;
        if kind != Kind::Number {
            return None;
        }
        let a = self.in_reg(x)?;
        if let Some(f) = unary {
            self.emit(FastOp::Unary { f, d: a, a });
        }
        Some((a, Kind::Number))
    }

    /// `count`, `any` and `all` over an array literal, unrolled: the body once per element.
    fn unrolled(
        &mut self,
        kind: Predicate,
        array: &Node,
        body: &Node,
        level: u32,
    ) -> Option<(u8, Kind)> {
        let (op, result) = match kind {
            Predicate::Count => (Arith::Add, Kind::Number),
            Predicate::Any => (Arith::Or, Kind::Bool),
            Predicate::All => (Arith::And, Kind::Bool),
            _ => return None,
        };
        let elements: Vec<(Operand, Kind)> = match &array.kind {
            NodeKind::Array(items) if items.len() <= 16 => items
                .iter()
                .map(|item| self.operand(item))
                .collect::<Option<_>>()?,
            NodeKind::Const(Value::Array(items)) if items.len() <= 16 => {
                let mut out = Vec::new();
                for item in items.iter() {
                    let f = match *item {
                        Value::Float(f) => f,
                        Value::Int(i) if i.unsigned_abs() <= 1 << 53 => i as f64,
                        _ => return None,
                    };
                    out.push((Operand::Const(self.constant(f)?), Kind::Number));
                }
                out
            }
            _ => return None,
        };
        let empty = match kind {
            Predicate::All => 1.0,
            _ => 0.0,
        };
        let mut acc: Option<u8> = None;
        for (element, ek) in elements {
            let element = match element {
                Operand::Reg(r) => Operand::Borrowed(r),
                other => other,
            };
            let saved = self.element.replace((element, ek, level));
            let value = self.operand(body);
            self.element = saved;
            let (v, kv) = value?;
            if kv != Kind::Bool {
                return None;
            }
            acc = Some(match acc {
                None => self.in_reg(v)?,
                Some(acc) => self.arith(op, Operand::Reg(acc), v)?,
            });
        }
        let r = match acc {
            Some(r) => r,
            None => {
                let k = self.constant(empty)?;
                self.in_reg(Operand::Const(k))?
            }
        };
        Some((r, result))
    }
}

impl FastProgram {
    /// The bytes the program holds on the heap.
    pub(crate) fn heap_size(&self) -> usize {
        self.code.len() * std::mem::size_of::<FastOp>()
            + self.constants.len() * std::mem::size_of::<f64>()
            + self
                .chain
                .as_ref()
                .map_or(0, |c| c.steps.len() * std::mem::size_of::<Step>())
    }

    /// Runs the program over the float inputs; `None` when an input it needs is missing.
    #[inline(always)]
    pub(crate) fn run(&self, inputs: &[Cell]) -> Option<f64> {
        match &self.chain {
            Some(chain) => chain.run(inputs),
            None => self.run_registers(inputs),
        }
    }

    /// Runs the program on the register loop.
    #[inline(never)]
    fn run_registers(&self, inputs: &[Cell]) -> Option<f64> {
        run(
            &self.code,
            &self.constants,
            self.result,
            self.registers,
            inputs,
        )
    }
}

/// Runs straight-line `code` with constants `k`; the result is register `result`. `None`
/// when an input it needs is missing (the caller then uses the general VM).
#[inline]
pub(crate) fn run(
    code: &[FastOp],
    k: &[f64],
    result: u8,
    registers: u8,
    inputs: &[Cell],
) -> Option<f64> {
    if registers <= 1 {
        run_with::<1>(code, k, result, inputs)
    } else if registers <= 8 {
        run_with::<8>(code, k, result, inputs)
    } else {
        run_with::<32>(code, k, result, inputs)
    }
}
