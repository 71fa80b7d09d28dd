//! The formula language: expr-lang/expr v1.17.8's numeric core, one module per phase.
//!
//! `parse` (pest grammar → AST with spans) → `check` (types, names → slots) → `fold`
//! (constants) → `compile` (bytecode) → `vm`, with `fast` beside them for numeric formulas,
//! and `interp`, the reference interpreter the others are tested against. This layer knows
//! nothing of KEDA, the HPA or replays.

pub mod ast;
pub(crate) mod builtin;
pub mod bytecode;
pub(crate) mod check;
mod compile;
pub(crate) mod error;
pub mod fast;
mod fold;
mod formula;
mod interp;
#[cfg(feature = "cli")]
pub mod jsonl;
pub(crate) mod limits;
mod parse;
pub(crate) mod schema;
pub(crate) mod set;
mod suggest;
pub(crate) mod value;
mod vm;

use error::Result;
pub use formula::{Cast, CompileOptions, Formula};
use limits::Limits;
use schema::{Inputs, Schema};
use value::Value;

/// Parses a formula into its syntax tree (with the default [`Limits`]).
///
/// ```
/// let ast = scalemod::parse("1 + 2").unwrap();
/// assert!(matches!(ast.kind, scalemod::ast::ExprKind::Binary(..)));
/// ```
pub fn parse(source: &str) -> Result<ast::Expr<'_>> {
    parse_with_limits(source, &Limits::default())
}

/// Parses a formula into its syntax tree, within `limits`.
pub fn parse_with_limits<'s>(source: &'s str, limits: &Limits) -> Result<ast::Expr<'s>> {
    parse::parse(source, limits).map_err(|e| e.with_source(source))
}

/// The reference interpreter, for tests and differential fuzzing: it evaluates the checked
/// tree directly, without folding or bytecode.
pub mod reference {
    use super::formula::check_source;
    use super::*;

    /// Parses, checks and interprets `source` (the `fold` option is ignored).
    ///
    /// ```
    /// use scalemod::{reference, CompileOptions, Inputs, Schema, Value};
    /// let schema = Schema::new();
    /// let v = reference::interpret("2 ** 3 ** 2", &schema, &CompileOptions::default(), &Inputs::new(&schema));
    /// assert_eq!(v, Ok(Value::Float(512.0)));
    /// ```
    pub fn interpret(
        source: &str,
        schema: &Schema,
        options: &CompileOptions,
        inputs: &Inputs,
    ) -> Result<Value> {
        let checked = check_source(source, schema, options).map_err(|e| e.with_source(source))?;
        interp::interpret(&checked, inputs, options.limits.max_array_len)
            .map_err(|e| e.with_source(source))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::FormulaSet;

    #[test]
    fn instructions_are_eight_bytes() {
        assert_eq!(std::mem::size_of::<bytecode::Op>(), 8);
        assert_eq!(std::mem::size_of::<fast::FastOp>(), 8);
    }

    #[test]
    fn formula_is_send_sync() {
        fn assert_send_sync<T: Send + Sync + Clone>() {}
        assert_send_sync::<Formula>();
        assert_send_sync::<FormulaSet>();
    }
}
