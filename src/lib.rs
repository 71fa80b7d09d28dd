//! Scaling-modifier formulas for autoscalers.
//!
//! scalemod compiles the formulas that KEDA's `advanced.scalingModifiers` combine metrics with
//! — expr-lang/expr v1.17.8's numeric core, with the same results, result types and errors —
//! and evaluates them on a small VM, binding inputs by slot.
//!
//! ```
//! use scalemod::{Formula, Inputs, Schema, Value};
//!
//! // The inputs a formula may use; KEDA declares every trigger as a float.
//! let schema = Schema::floats(["validation_drift", "available_gpus", "request_queue_length"]);
//! let retrain = Formula::compile(
//!     "validation_drift > 0.1 && available_gpus >= 2 && request_queue_length < 1000 ? 1 : 0",
//!     &schema,
//! )?;
//!
//! // One tick: fill the inputs once, by slot, and evaluate any number of formulas.
//! let mut inputs = Inputs::new(&schema);
//! inputs.set(schema.slot("validation_drift").unwrap(), 0.25);
//! inputs.set(schema.slot("available_gpus").unwrap(), 4.0);
//! inputs.set(schema.slot("request_queue_length").unwrap(), 120.0);
//! assert_eq!(retrain.eval(&inputs)?, Value::Int(1));
//!
//! // Errors render as expr renders them.
//! let err = Formula::compile("validation_drift +", &schema).unwrap_err();
//! assert_eq!(err.to_string(), "unexpected token EOF (1:18)\n | validation_drift +\n | .................^");
//! # Ok::<(), scalemod::Error>(())
//! ```
//!
//! The pipeline, one module per phase: [`parse`](crate::parse()) (pest grammar → AST with spans),
//! `check` (types, names), `fold` (constants), `compile` (bytecode), `vm`. A reference
//! interpreter over the checked tree ([`reference::interpret`]) is the oracle the VM is tested
//! against. See `ARCHITECTURE.md`.

#![forbid(unsafe_code)]
#![warn(missing_docs)]
// pest_derive without its `std` feature names `alloc` (scalemod itself uses std).
extern crate alloc;

mod lang;

#[cfg(feature = "keda")]
pub mod keda;

pub use lang::builtin::{Builtin, Predicate};
pub use lang::error::{Error, ErrorKind, Result};
#[cfg(feature = "cli")]
pub use lang::jsonl;
pub use lang::limits::Limits;
pub use lang::schema::{InputType, Inputs, Schema, Slot};
pub use lang::set::FormulaSet;
pub use lang::value::{format_float, Value, ValueType};
pub use lang::{ast, bytecode, fast, parse, parse_with_limits, reference};
pub use lang::{Cast, CompileOptions, Formula};

/// The README's example, compiled and run as a doctest.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
