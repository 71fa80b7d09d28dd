//! Compiled formulas: [`Formula`] (compile once, evaluate every tick) and [`CompileOptions`].

use super::check::{self, CheckOptions, Type};
use super::error::{Error, ErrorKind, Result};
use super::limits::Limits;
use super::schema::{Inputs, Schema, Slot};
use super::value::{Value, ValueType};
use super::{ast, bytecode, compile, fast, fold, parse, vm};
use std::sync::Arc;

pub use super::check::Cast;

/// How to compile a formula: limits, expr's result-cast options, undefined names, folding.
#[derive(Clone, Debug)]
pub struct CompileOptions {
    /// Resource limits.
    pub limits: Limits,
    /// A result cast (expr's `AsInt`, `AsInt64`, `AsFloat64`, `AsBool`).
    pub cast: Option<Cast>,
    /// expr's `AllowUndefinedVariables`: unknown names are nil instead of an error.
    pub allow_undefined: bool,
    /// Whether to fold constants (on by default; off only to test the folder).
    pub fold: bool,
    /// Whether to build the `f64` fast path where a formula qualifies (on by default; off
    /// only to test the general VM).
    pub fast_path: bool,
    /// Whether a one-register fast program also becomes a chain of steps, the faster way to
    /// run it (on by default; off only to test the register loop).
    pub chains: bool,
}

impl Default for CompileOptions {
    fn default() -> CompileOptions {
        CompileOptions {
            limits: Limits::default(),
            cast: None,
            allow_undefined: false,
            fold: true,
            fast_path: true,
            chains: true,
        }
    }
}

/// A compiled formula: `Clone + Send + Sync`, evaluated any number of times.
#[derive(Clone, Debug)]
pub struct Formula {
    source: Arc<str>,
    program: Arc<bytecode::Program>,
    /// The straight-line f64 program, for formulas that qualify.
    fast: Option<Arc<fast::FastProgram>>,
    /// The fast program as a chain of steps, when it has one and its result is a number
    /// (empty otherwise): what `eval_f64` runs first, one indirection away.
    number_chain: Arc<[fast::Step]>,
    result_type: Option<ValueType>,
    inputs: Vec<Slot>,
    max_array_len: usize,
}

impl Formula {
    /// Compiles `source` against `schema` with the default options.
    ///
    /// ```
    /// use scalemod::{Formula, Schema, ValueType};
    /// let schema = Schema::floats(["tokens_per_min", "pod_count"]);
    /// let f = Formula::compile("1 / (tokens_per_min / pod_count)", &schema).unwrap();
    /// assert_eq!(f.result_type(), Some(ValueType::Float));
    /// assert_eq!(f.inputs().len(), 2);
    /// ```
    pub fn compile(source: &str, schema: &Schema) -> Result<Formula> {
        Formula::compile_with_options(source, schema, &CompileOptions::default())
    }

    /// Compiles with the given limits.
    pub fn compile_with(source: &str, schema: &Schema, limits: &Limits) -> Result<Formula> {
        let options = CompileOptions {
            limits: limits.clone(),
            ..CompileOptions::default()
        };
        Formula::compile_with_options(source, schema, &options)
    }

    /// Compiles with the given options.
    pub fn compile_with_options(
        source: &str,
        schema: &Schema,
        options: &CompileOptions,
    ) -> Result<Formula> {
        Formula::build(source, schema, options).map_err(|e| e.with_source(source))
    }

    fn build(source: &str, schema: &Schema, options: &CompileOptions) -> Result<Formula> {
        let checked = check_source(source, schema, options)?;
        let mut checked = checked;
        if options.fold {
            fold::fold(&mut checked.root)?;
        }
        let result_type = static_type(&checked.root.ty);
        let program = compile::compile(&checked, &options.limits)?;
        let fast = if options.fast_path {
            fast::compile(&checked.root, schema, options.chains).map(Arc::new)
        } else {
            None
        };
        let mut inputs: Vec<Slot> = program
            .code
            .iter()
            .filter_map(|op| match op {
                bytecode::Op::Input(slot) => Some(Slot(*slot)),
                _ => None,
            })
            .collect();
        inputs.sort_unstable();
        inputs.dedup();
        let number_chain: Arc<[fast::Step]> = fast
            .as_deref()
            .filter(|f| f.kind == Some(fast::Kind::Number))
            .and_then(|f| f.chain.as_ref())
            .map_or_else(|| Arc::from([]), |c| c.shared_steps());
        Ok(Formula {
            source: source.into(),
            program: Arc::new(program),
            number_chain,
            fast,
            result_type,
            inputs,
            max_array_len: options.limits.max_array_len,
        })
    }

    /// Evaluates the formula over one tick's inputs.
    ///
    /// ```
    /// use scalemod::{Formula, Inputs, Schema, Value};
    /// let schema = Schema::floats(["tokens_per_min", "request_rate"]);
    /// let f = Formula::compile("tokens_per_min >= 5000 ? request_rate : 0", &schema).unwrap();
    /// let mut inputs = Inputs::new(&schema);
    /// inputs.set(schema.slot("tokens_per_min").unwrap(), 6000.0);
    /// inputs.set(schema.slot("request_rate").unwrap(), 120.0);
    /// assert_eq!(f.eval(&inputs).unwrap(), Value::Float(120.0));
    /// // A missing metric is nil, and arithmetic on nil is an error, as in expr.
    /// inputs.set_missing(schema.slot("tokens_per_min").unwrap());
    /// let err = f.eval(&inputs).unwrap_err();
    /// assert_eq!(err.message(), "invalid operation: <nil> >= int");
    /// ```
    #[inline]
    pub fn eval(&self, inputs: &Inputs) -> Result<Value> {
        if let Some(fast) = &self.fast {
            if let Some(x) = fast.run(inputs.cells()) {
                // The fast path's value is exact; its run-time type is known.
                match fast.value_type {
                    Some(ValueType::Float) => return Ok(Value::Float(x)),
                    Some(ValueType::Int) => return Ok(Value::Int(x as i64)),
                    Some(ValueType::Bool) => return Ok(Value::Bool(x != 0.0)),
                    _ => {}
                }
            }
        }
        self.eval_general(inputs)
    }

    /// Evaluates on the general VM, skipping the fast path.
    #[cold]
    fn eval_general(&self, inputs: &Inputs) -> Result<Value> {
        vm::run(&self.program, inputs, self.max_array_len).map_err(|e| e.with_source(&self.source))
    }

    /// Evaluates a formula whose result is a number, as a float: the hot path of an
    /// autoscaler (KEDA's composite metric is always a float).
    ///
    /// Numeric formulas run as straight-line `f64` code; the rest, and ticks where an input
    /// they need is missing, on the general VM. A result that is not a number is an error,
    /// as under expr's `AsFloat64`.
    ///
    /// ```
    /// use scalemod::{Formula, Inputs, Schema};
    /// let schema = Schema::floats(["tokens_per_min", "pod_count"]);
    /// let f = Formula::compile("1 / (tokens_per_min / pod_count)", &schema).unwrap();
    /// let mut inputs = Inputs::new(&schema);
    /// inputs.set_f64(schema.slot("tokens_per_min").unwrap(), 6000.0);
    /// inputs.set_f64(schema.slot("pod_count").unwrap(), 3.0);
    /// assert_eq!(f.eval_f64(&inputs), Ok(0.0005));
    /// ```
    #[inline]
    pub fn eval_f64(&self, inputs: &Inputs) -> Result<f64> {
        match fast::run_steps(&self.number_chain, inputs.cells()) {
            Some(x) => Ok(x),
            None => self.eval_f64_without_chain(inputs),
        }
    }

    /// `eval_f64` when the chain gave no result: for a formula without one, the fast
    /// program's register loop; then (or when an input it needs is missing) the general VM.
    #[inline(never)]
    fn eval_f64_without_chain(&self, inputs: &Inputs) -> Result<f64> {
        let fast = self.fast.as_ref().filter(|_| self.number_chain.is_empty());
        if let Some(fast) = fast {
            if fast.kind == Some(fast::Kind::Number) {
                if let Some(x) = fast.run(inputs.cells()) {
                    return Ok(x);
                }
            }
        }
        self.eval_f64_general(inputs)
    }

    /// `eval_f64` on the general VM (also [`FormulaSet`]'s fallback).
    #[cold]
    pub(crate) fn eval_f64_general(&self, inputs: &Inputs) -> Result<f64> {
        match self.eval_general(inputs)? {
            Value::Int(i) => Ok(i as f64),
            Value::Float(f) => Ok(f),
            other => Err(Error::new(
                ErrorKind::Runtime,
                ast::Span::new(0, self.source.len()),
                format!("invalid operation: float({})", other.go_type()),
            )
            .with_source(&self.source)),
        }
    }

    /// The bytes the compiled formula holds on the heap: source, bytecode (instructions,
    /// constants, span side table, predicate table), fast program (instructions, constants and
    /// its chain of steps) and input list.
    ///
    /// ```
    /// use scalemod::{Formula, Schema};
    /// let f = Formula::compile("1 / (tokens_per_min / pod_count)", &Schema::floats(["tokens_per_min", "pod_count"])).unwrap();
    /// assert!(f.heap_size() < 400);
    /// ```
    pub fn heap_size(&self) -> usize {
        use std::mem::size_of;
        self.source.len()
            + self.program.heap_size()
            + self.fast.as_ref().map_or(0, |f| f.heap_size())
            + self.inputs.len() * size_of::<Slot>()
    }

    /// The chain of steps `eval_f64` runs first (empty when the formula has none, or its
    /// result is not a number).
    pub(crate) fn number_chain(&self) -> &[fast::Step] {
        &self.number_chain
    }

    /// The straight-line `f64` program, if the formula qualifies for the fast path.
    pub fn fast_program(&self) -> Option<&fast::FastProgram> {
        self.fast.as_deref()
    }

    /// The inputs the formula reads, in slot order.
    pub fn inputs(&self) -> &[Slot] {
        &self.inputs
    }

    /// The result's type when it is known at compile time; `None` when it is decided at run
    /// time (`max(xs)`, `c ? 1 : 2.5`).
    pub fn result_type(&self) -> Option<ValueType> {
        self.result_type
    }

    /// The formula's source.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The compiled program.
    pub fn program(&self) -> &bytecode::Program {
        &self.program
    }

    /// A listing of the formula's bytecode, one instruction a line, inputs named (by the source
    /// text under an `Input` instruction's span: an input's span is its name, as written).
    ///
    /// ```
    /// use scalemod::{Formula, Schema};
    /// let f = Formula::compile("x * (2 + 3)", &Schema::floats(["x"])).unwrap();
    /// assert_eq!(
    ///     f.disassemble(),
    ///     "0000  Input        0        ; x\n0001  Const        0        ; 5\n0002  Binary       *\n"
    /// );
    /// ```
    pub fn disassemble(&self) -> String {
        let program = &self.program;
        self.program.disassemble(&|slot| {
            let at = program
                .code
                .iter()
                .position(|op| *op == bytecode::Op::Input(slot))?;
            let span = program.spans.get(at)?;
            let name = self.source.get(span.start as usize..span.end as usize)?;
            Some(name.to_string())
        })
    }
}

/// Parses and checks `source`.
pub(super) fn check_source(
    source: &str,
    schema: &Schema,
    options: &CompileOptions,
) -> Result<check::Checked> {
    let ast = parse::parse(source, &options.limits)?;
    check::check(
        &ast,
        schema,
        CheckOptions {
            cast: options.cast,
            allow_undefined: options.allow_undefined,
        },
    )
}

fn static_type(ty: &Type) -> Option<ValueType> {
    match ty {
        Type::Unknown => None,
        Type::Nil => Some(ValueType::Nil),
        Type::Bool => Some(ValueType::Bool),
        Type::Int => Some(ValueType::Int),
        Type::Float => Some(ValueType::Float),
        Type::Array(_) => Some(ValueType::Array),
    }
}
