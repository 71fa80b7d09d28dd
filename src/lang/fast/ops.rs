//! The fast instruction set: [`FastOp`] (one variant per operator and operand shape), the
//! operators on `f64`, the register loop, and each instruction's one-step chain form, all
//! generated from one table by `fast_ops!`.

use super::*;
use crate::lang::ast::BinaryOp;
use crate::lang::schema::Cell;

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
    pub(super) fn from_op(op: BinaryOp) -> Option<Cmp> {
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
    pub(super) fn flipped(self) -> Cmp {
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
    pub(super) fn apply(self, a: f64) -> f64 {
        match self {
            Unary::Neg => -a,
            Unary::Not => 1.0 - a,
            Unary::Abs => select(a < 0.0, -a, a),
            Unary::Floor => a.floor(),
            Unary::Ceil => a.ceil(),
            Unary::Round => a.round(),
            Unary::Int => crate::lang::value::float_to_int(a) as f64,
            Unary::Copy => a,
            Unary::IntNeg => 0.0 - a,
            Unary::IntZero => a + 0.0,
        }
    }
}

/// A branch-free `if c { a } else { b }`.
#[inline(always)]
pub(super) fn select(c: bool, a: f64, b: f64) -> f64 {
    let mask = (c as u64).wrapping_neg();
    f64::from_bits((a.to_bits() & mask) | (b.to_bits() & !mask))
}

/// The shape of a binary instruction's operands: `R` a register, `K` a constant, `I` an
/// input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Form {
    RR(u8, u8),
    RK(u8, u16),
    KR(u16, u8),
    II(u16, u16),
    IK(u16, u16),
    KI(u16, u16),
}

/// The operand shapes a comparison comes in (a constant on the left is flipped to the right).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum CmpForm {
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
            pub(super) fn arith(op: Arith, d: u8, form: Form) -> FastOp {
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

            pub(super) fn compare(cmp: Cmp, d: u8, form: CmpForm) -> FastOp {
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
        pub(super) fn run_with<const N: usize>(code: &[FastOp], k: &[f64], result: u8, inputs: &[Cell]) -> Option<f64> {
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
        pub(super) fn as_guard(op: FastOp) -> Option<(Cmp, u16, u16, bool)> {
            match op {
                $(
                    FastOp::$cik { d: 0, s, k } => Some((Cmp::$cop, s, k, false)),
                    FastOp::$cand { d: 0, s, k } => Some((Cmp::$cop, s, k, true)),
                )*
                _ => None,
            }
        }

        /// `op` as `input[s] op input[t]` into register 0.
        pub(super) fn as_pair(op: FastOp) -> Option<(Arith, u16, u16)> {
            match op {
                $(FastOp::$ii { d: 0, s, t } => Some((Arith::$aop, s, t)),)*
                _ => None,
            }
        }

        /// What `op` does to register 0 with a constant: an arithmetic operator (with the
        /// constant on the left when `true`) or a comparison.
        pub(super) fn as_with_constant(op: FastOp) -> Option<(WithConstant, u16)> {
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
        pub(super) fn chain_step(op: FastOp, constants: &[f64]) -> Option<Step> {
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
pub(super) fn add(a: f64, b: f64) -> f64 {
    a + b
}
#[inline(always)]
pub(super) fn sub(a: f64, b: f64) -> f64 {
    a - b
}
#[inline(always)]
pub(super) fn mul(a: f64, b: f64) -> f64 {
    a * b
}
#[inline(always)]
pub(super) fn div(a: f64, b: f64) -> f64 {
    a / b
}
#[inline(always)]
pub(super) fn pow(a: f64, b: f64) -> f64 {
    crate::lang::value::go_pow(a, b)
}
/// `max` of two: the first unless the second is greater (so a NaN first wins, as in expr).
#[inline(always)]
pub(super) fn max2(a: f64, b: f64) -> f64 {
    select(a < b, b, a)
}
#[inline(always)]
pub(super) fn min2(a: f64, b: f64) -> f64 {
    select(a > b, b, a)
}
/// `&&` of two bools (`0.0`/`1.0`).
#[inline(always)]
pub(super) fn and(a: f64, b: f64) -> f64 {
    a * b
}
#[inline(always)]
pub(super) fn or(a: f64, b: f64) -> f64 {
    a + b - a * b
}
#[inline(always)]
pub(super) fn lt(a: f64, b: f64) -> f64 {
    compare::<{ Cmp::Lt as u8 }>(a, b)
}
#[inline(always)]
pub(super) fn le(a: f64, b: f64) -> f64 {
    compare::<{ Cmp::Le as u8 }>(a, b)
}
#[inline(always)]
pub(super) fn gt(a: f64, b: f64) -> f64 {
    compare::<{ Cmp::Gt as u8 }>(a, b)
}
#[inline(always)]
pub(super) fn ge(a: f64, b: f64) -> f64 {
    compare::<{ Cmp::Ge as u8 }>(a, b)
}
#[inline(always)]
pub(super) fn eq(a: f64, b: f64) -> f64 {
    compare::<{ Cmp::Eq as u8 }>(a, b)
}
#[inline(always)]
pub(super) fn ne(a: f64, b: f64) -> f64 {
    compare::<{ Cmp::Ne as u8 }>(a, b)
}
