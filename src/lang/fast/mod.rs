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

use crate::lang::schema::Cell;
use crate::lang::value::ValueType;

/// What a fast value means: a number, or a bool as `0.0`/`1.0`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Number,
    Bool,
}

mod chain;
mod compiler;
mod ops;

use chain::*;
pub(crate) use chain::{run_steps, Chain, Step};
pub(crate) use compiler::compile;
use ops::*;
pub use ops::{Arith, Cmp, FastOp, Unary};

/// A float input, or `None` when the slot is missing, holds something else or is beyond the
/// inputs.
#[inline(always)]
fn cell(inputs: &[Cell], s: impl Into<usize>) -> Option<f64> {
    match inputs.get(s.into()) {
        Some(&cell) if cell.tag() == Cell::FLOAT => Some(cell.number),
        _ => None,
    }
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
