//! Formula sets: many formulas over one schema, evaluated together each tick.
//!
//! The fast programs of a set live in one arena (instructions and constants in two flat
//! vectors, a small entry per formula), so a tick is one sequential pass over memory instead of
//! a pointer chase per formula.

use crate::lang::fast::{self, FastOp, Kind, Step};
use crate::{Error, Formula, Inputs, Result, Schema, Value};

/// Several formulas over one schema, evaluated together each tick, allocation-free.
///
/// ```
/// use scalemod::{FormulaSet, Inputs, Schema, Value};
/// let schema = Schema::floats(["a", "b"]);
/// let set = FormulaSet::compile(["a + b", "max(a, b)", "a > b"], &schema).unwrap();
/// let mut inputs = Inputs::new(&schema);
/// inputs.set_f64(schema.slot("a").unwrap(), 1.0);
/// inputs.set_f64(schema.slot("b").unwrap(), 2.0);
///
/// // As floats, into a buffer: the hot path.
/// let mut out = vec![0.0; set.len()];
/// let mut failed = Vec::new();
/// set.eval_f64_into(&inputs, &mut out, |i, e| failed.push((i, e)));
/// assert_eq!(out[..2], [3.0, 2.0]);
/// assert_eq!(failed.len(), 1); // `a > b` is a bool, not a number
///
/// // Or as values.
/// let mut values = vec![Ok(Value::Nil); set.len()];
/// set.eval_into(&inputs, &mut values);
/// assert_eq!(values[2], Ok(Value::Bool(false)));
/// ```
#[derive(Clone, Debug, Default)]
pub struct FormulaSet {
    formulas: Vec<Formula>,
    entries: Vec<Entry>,
    code: Vec<FastOp>,
    constants: Vec<f64>,
    steps: Vec<Step>,
}

/// How a formula of the set runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Path {
    /// On the general VM.
    General,
    /// Its fast program's register loop, over `code[start..start + len]`.
    Registers,
    /// Its fast program as a chain of steps, `steps[start..start + len]`.
    Chain,
}

/// Where a formula's fast program sits in the arena.
#[derive(Clone, Copy, Debug)]
struct Entry {
    start: u32,
    len: u32,
    constants_start: u32,
    result: u8,
    registers: u8,
    path: Path,
}

impl FormulaSet {
    /// Compiles every source; the first error stops it.
    pub fn compile<S: AsRef<str>>(
        sources: impl IntoIterator<Item = S>,
        schema: &Schema,
    ) -> Result<FormulaSet> {
        let formulas = sources
            .into_iter()
            .map(|s| Formula::compile(s.as_ref(), schema))
            .collect::<Result<Vec<_>>>()?;
        Ok(FormulaSet::from_formulas(formulas))
    }

    /// A set of already compiled formulas (of one schema).
    pub fn from_formulas(formulas: Vec<Formula>) -> FormulaSet {
        let mut set = FormulaSet::default();
        for formula in formulas {
            set.push(formula);
        }
        set
    }

    /// Adds a formula.
    pub fn push(&mut self, formula: Formula) {
        let mut entry = Entry {
            start: 0,
            len: 0,
            constants_start: 0,
            result: 0,
            registers: 0,
            path: Path::General,
        };
        let chain = formula.number_chain();
        let registers = formula
            .fast_program()
            .filter(|program| program.kind == Some(Kind::Number));
        if !chain.is_empty() {
            entry.start = self.steps.len() as u32;
            entry.len = chain.len() as u32;
            entry.path = Path::Chain;
            self.steps.extend_from_slice(chain);
        } else if let Some(program) = registers {
            entry.start = self.code.len() as u32;
            entry.len = program.code.len() as u32;
            entry.constants_start = self.constants.len() as u32;
            entry.result = program.result;
            entry.registers = program.registers;
            entry.path = Path::Registers;
            self.code.extend_from_slice(&program.code);
            self.constants.extend_from_slice(&program.constants);
        }
        self.entries.push(entry);
        self.formulas.push(formula);
    }

    /// How many formulas the set holds.
    pub fn len(&self) -> usize {
        self.formulas.len()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.formulas.is_empty()
    }

    /// The formulas.
    pub fn formulas(&self) -> &[Formula] {
        &self.formulas
    }

    /// Evaluates every formula, writing result `i` into `out[i]` (as many as fit).
    pub fn eval_into(&self, inputs: &Inputs, out: &mut [Result<Value>]) {
        for (formula, slot) in self.formulas.iter().zip(out.iter_mut()) {
            *slot = formula.eval(inputs);
        }
    }

    /// Evaluates every formula as a float (see [`Formula::eval_f64`]), writing result `i`
    /// into `out[i]` (as many as fit). A formula that fails gets NaN in `out` and is
    /// reported to `on_error` with its index. Allocates nothing unless a formula fails.
    pub fn eval_f64_into(
        &self,
        inputs: &Inputs,
        out: &mut [f64],
        mut on_error: impl FnMut(usize, Error),
    ) {
        self.eval_range(0, inputs, out, &mut on_error);
    }

    /// [`eval_f64_into`](FormulaSet::eval_f64_into) over all cores: the set is split in
    /// `threads` contiguous chunks (all available cores when `None`), each evaluated on its
    /// own scoped thread. Errors are reported after the threads finish.
    pub fn par_eval_f64_into(
        &self,
        inputs: &Inputs,
        out: &mut [f64],
        threads: Option<usize>,
        mut on_error: impl FnMut(usize, Error),
    ) {
        let n = out.len().min(self.len());
        let threads = threads
            .or_else(|| std::thread::available_parallelism().ok().map(|n| n.get()))
            .unwrap_or(1)
            .clamp(1, n.max(1));
        let chunk = n.div_ceil(threads).max(1);
        let errors: Vec<Vec<(usize, Error)>> = std::thread::scope(|scope| {
            let handles: Vec<_> = out[..n]
                .chunks_mut(chunk)
                .enumerate()
                .map(|(t, part)| {
                    scope.spawn(move || {
                        let mut errors = Vec::new();
                        self.eval_range(t * chunk, inputs, part, &mut |i, e| errors.push((i, e)));
                        errors
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_default())
                .collect()
        });
        for (i, e) in errors.into_iter().flatten() {
            on_error(i, e);
        }
    }

    /// Evaluates formulas `first..first + out.len()` into `out`.
    fn eval_range(
        &self,
        first: usize,
        inputs: &Inputs,
        out: &mut [f64],
        on_error: &mut dyn FnMut(usize, Error),
    ) {
        let cells = inputs.cells();
        let entries = self.entries.get(first..).unwrap_or(&[]);
        for (i, (entry, slot)) in entries.iter().zip(out.iter_mut()).enumerate() {
            let range = entry.start as usize..(entry.start + entry.len) as usize;
            let fast = match entry.path {
                Path::Chain => fast::run_steps(self.steps.get(range).unwrap_or(&[]), cells),
                Path::Registers => {
                    let code = self.code.get(range).unwrap_or(&[]);
                    let constants = self
                        .constants
                        .get(entry.constants_start as usize..)
                        .unwrap_or(&[]);
                    fast::run(code, constants, entry.result, entry.registers, cells)
                }
                Path::General => None,
            };
            *slot = match fast {
                Some(x) => x,
                None => match self.formulas[first + i].eval_f64_general(inputs) {
                    Ok(x) => x,
                    Err(e) => {
                        on_error(first + i, e);
                        f64::NAN
                    }
                },
            };
        }
    }
}
