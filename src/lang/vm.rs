//! The virtual machine: runs a [`Program`] over a tick's inputs.
//!
//! Invariant: the VM never panics on a program the compiler produced; a malformed program
//! (which the compiler does not produce) gives an error, not a panic. Its stacks live in a
//! per-thread scratch space that is reused, so evaluation allocates only for arrays it builds.

use crate::lang::builtin::{self, run_predicate, PredicateError};
use crate::lang::bytecode::{Op, Program};
use crate::lang::error::{Error, ErrorKind, Result};
use crate::lang::schema::Inputs;
use crate::lang::value::apply_cast;
use crate::lang::value::{self, Value};
use std::cell::RefCell;

#[derive(Default)]
struct Scratch {
    stack: Vec<Value>,
    locals: Vec<Value>,
    scopes: Vec<Scope>,
}

#[derive(Clone, Default)]
struct Scope {
    element: Value,
    index: usize,
    acc: Value,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// Runs `program` over `inputs` (values by slot).
pub(crate) fn run(program: &Program, inputs: &Inputs, max_array_len: usize) -> Result<Value> {
    SCRATCH.with(|cell| match cell.try_borrow_mut() {
        Ok(mut scratch) => run_in(&mut scratch, program, inputs, max_array_len),
        Err(_) => run_in(&mut Scratch::default(), program, inputs, max_array_len),
    })
}

fn run_in(
    scratch: &mut Scratch,
    program: &Program,
    inputs: &Inputs,
    max_array_len: usize,
) -> Result<Value> {
    scratch.stack.clear();
    scratch.locals.clear();
    scratch.locals.resize(program.locals as usize, Value::Nil);
    if scratch.scopes.len() < program.levels as usize {
        scratch
            .scopes
            .resize(program.levels as usize, Scope::default());
    }
    let mut machine = Machine {
        program,
        inputs,
        scratch,
        max_array_len,
    };
    let result = machine.exec(0, program.code.len());
    let value = match result {
        Ok(()) => machine.pop(program.code.len().saturating_sub(1)),
        Err(e) => Err(e),
    };
    machine.scratch.stack.clear();
    value
}

struct Machine<'a> {
    program: &'a Program,
    inputs: &'a Inputs,
    scratch: &'a mut Scratch,
    max_array_len: usize,
}

impl Machine<'_> {
    #[cold]
    fn error(&self, pc: usize, message: String) -> Error {
        let span = self.program.spans.get(pc).copied().unwrap_or_default();
        Error::new(ErrorKind::Runtime, span, message)
    }

    fn pop(&mut self, pc: usize) -> Result<Value> {
        match self.scratch.stack.pop() {
            Some(v) => Ok(v),
            None => Err(self.error(pc, "malformed program: stack underflow".into())),
        }
    }

    fn top(&self, pc: usize) -> Result<&Value> {
        match self.scratch.stack.last() {
            Some(v) => Ok(v),
            None => Err(self.error(pc, "malformed program: stack underflow".into())),
        }
    }

    fn scope(&self, level: u32, pc: usize) -> Result<&Scope> {
        match self.scratch.scopes.get(level as usize) {
            Some(s) => Ok(s),
            None => Err(self.error(pc, "malformed program: no such predicate".into())),
        }
    }

    /// Executes `code[start..end]`.
    fn exec(&mut self, start: usize, end: usize) -> Result<()> {
        let program = self.program;
        let mut pc = start;
        while pc < end {
            let Some(&op) = program.code.get(pc) else {
                return Err(self.error(pc, "malformed program: jump out of range".into()));
            };
            let fail = |m: &Self, message: String| m.error(pc, message);
            match op {
                Op::Const(i) => {
                    let v = program
                        .constants
                        .get(i as usize)
                        .cloned()
                        .unwrap_or_default();
                    self.scratch.stack.push(v);
                }
                Op::Input(slot) => {
                    let v = self.inputs.value(slot as usize);
                    self.scratch.stack.push(v);
                }
                Op::Local(l) => {
                    let v = self
                        .scratch
                        .locals
                        .get(l as usize)
                        .cloned()
                        .unwrap_or_default();
                    self.scratch.stack.push(v);
                }
                Op::SetLocal(l) => {
                    let v = self.pop(pc)?;
                    if let Some(slot) = self.scratch.locals.get_mut(l as usize) {
                        *slot = v;
                    }
                }
                Op::Element(level) => {
                    let v = self.scope(level, pc)?.element.clone();
                    self.scratch.stack.push(v);
                }
                Op::Index(level) => {
                    let v = Value::Int(self.scope(level, pc)?.index as i64);
                    self.scratch.stack.push(v);
                }
                Op::Acc(level) => {
                    let v = self.scope(level, pc)?.acc.clone();
                    self.scratch.stack.push(v);
                }
                Op::Pop => {
                    self.pop(pc)?;
                }
                Op::Neg | Op::Plus | Op::Not => {
                    let v = self.pop(pc)?;
                    let r = match op {
                        Op::Neg => value::negate(&v),
                        Op::Plus => value::plus(&v),
                        _ => value::truth(&v).map(|b| Value::Bool(!b)),
                    };
                    let r = r.map_err(|m| fail(self, m))?;
                    self.scratch.stack.push(r);
                }
                Op::Binary(b) => {
                    let r = self.pop(pc)?;
                    let l = self.pop(pc)?;
                    let v =
                        value::binary(b, &l, &r, self.max_array_len).map_err(|m| fail(self, m))?;
                    self.scratch.stack.push(v);
                }
                Op::Fetch => {
                    let i = self.pop(pc)?;
                    let a = self.pop(pc)?;
                    let v = value::index(&a, &i).map_err(|m| fail(self, m))?;
                    self.scratch.stack.push(v);
                }
                Op::Array(n) => {
                    let n = n as usize;
                    if n >= self.max_array_len {
                        return Err(fail(self, "memory budget exceeded".into()));
                    }
                    let len = self.scratch.stack.len();
                    if n > len {
                        return Err(fail(self, "malformed program: stack underflow".into()));
                    }
                    let items: Vec<Value> = self.scratch.stack.drain(len - n..).collect();
                    self.scratch.stack.push(Value::Array(items.into()));
                }
                Op::Call(b, argc) => {
                    let len = self.scratch.stack.len();
                    let argc = argc as usize;
                    if argc > len {
                        return Err(fail(self, "malformed program: stack underflow".into()));
                    }
                    let v = builtin::call(b, &self.scratch.stack[len - argc..])
                        .map_err(|m| fail(self, m))?;
                    self.scratch.stack.truncate(len - argc);
                    self.scratch.stack.push(v);
                }
                Op::AndJump(target) | Op::OrJump(target) => {
                    let b = value::truth(self.top(pc)?).map_err(|m| fail(self, m))?;
                    if b == matches!(op, Op::OrJump(_)) {
                        pc = target as usize;
                        continue;
                    }
                    self.pop(pc)?;
                }
                Op::CoalesceJump(target) => {
                    if !self.top(pc)?.is_nil() {
                        pc = target as usize;
                        continue;
                    }
                    self.pop(pc)?;
                }
                Op::BranchFalse(target) => {
                    let c = self.pop(pc)?;
                    if !value::truth(&c).map_err(|m| fail(self, m))? {
                        pc = target as usize;
                        continue;
                    }
                }
                Op::Jump(target) => {
                    pc = target as usize;
                    continue;
                }
                Op::Predicate(i) => {
                    let Some(&info) = program.predicates.get(i as usize) else {
                        return Err(fail(self, "malformed program: no such predicate".into()));
                    };
                    let init = if info.has_init {
                        Some(self.pop(pc)?)
                    } else {
                        None
                    };
                    let array = self.pop(pc)?;
                    let (start, end) = (info.body.0 as usize, info.body.1 as usize);
                    let level = info.level as usize;
                    let result = if start < end {
                        let mut body = |element: &Value, index: usize, acc: &Value| {
                            if let Some(scope) = self.scratch.scopes.get_mut(level) {
                                scope.element = element.clone();
                                scope.index = index;
                                scope.acc = acc.clone();
                            }
                            self.exec(start, end)?;
                            self.pop(end.saturating_sub(1))
                        };
                        run_predicate(info.kind, &array, init, Some(&mut body))
                    } else {
                        run_predicate::<Error>(info.kind, &array, init, None)
                    };
                    let v = match result {
                        Ok(v) => v,
                        Err(PredicateError::Op(m)) => return Err(fail(self, m)),
                        Err(PredicateError::Body(e)) => return Err(e),
                    };
                    self.scratch.stack.push(v);
                    pc = end;
                    continue;
                }
                Op::Cast(cast) => {
                    let v = self.pop(pc)?;
                    let v = apply_cast(cast, &v).map_err(|m| fail(self, m))?;
                    self.scratch.stack.push(v);
                }
            }
            pc += 1;
        }
        Ok(())
    }
}
