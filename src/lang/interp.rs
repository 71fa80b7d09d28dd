//! The reference interpreter: evaluates the checked tree directly. It is the oracle the VM is
//! tested against, so it is written for obviousness, not speed.

use crate::lang::ast::{BinaryOp, Pointer, UnaryOp};
use crate::lang::builtin::{self, run_predicate, PredicateError};
use crate::lang::check::{Checked, Node, NodeKind};
use crate::lang::error::{Error, ErrorKind, Result};
use crate::lang::schema::Inputs;
use crate::lang::value::{self, apply_cast, Value};

/// Evaluates a checked formula over `inputs` (values by slot).
pub fn interpret(checked: &Checked, inputs: &Inputs, max_array_len: usize) -> Result<Value> {
    let mut interp = Interp {
        inputs,
        locals: vec![Value::Nil; checked.locals as usize],
        scopes: Vec::new(),
        max_array_len,
    };
    interp.eval(&checked.root)
}

struct Scope {
    element: Value,
    index: usize,
    acc: Value,
}

struct Interp<'a> {
    inputs: &'a Inputs,
    locals: Vec<Value>,
    scopes: Vec<Scope>,
    max_array_len: usize,
}

fn runtime(node: &Node, message: String) -> Error {
    Error::new(ErrorKind::Runtime, node.span, message)
}

impl Interp<'_> {
    fn eval(&mut self, node: &Node) -> Result<Value> {
        let fail = |message: String| runtime(node, message);
        Ok(match &node.kind {
            NodeKind::Const(v) => v.clone(),
            NodeKind::Input(slot) => self.inputs.value(*slot as usize),
            NodeKind::Local(local) => self
                .locals
                .get(*local as usize)
                .cloned()
                .unwrap_or_default(),
            NodeKind::Pointer(pointer, level) => {
                let Some(scope) = self.scopes.get(*level as usize) else {
                    return Err(fail("malformed tree: pointer outside its predicate".into()));
                };
                match pointer {
                    Pointer::Element => scope.element.clone(),
                    Pointer::Index => Value::Int(scope.index as i64),
                    Pointer::Acc => scope.acc.clone(),
                }
            }
            NodeKind::Array(items) => {
                if items.len() >= self.max_array_len {
                    return Err(fail("memory budget exceeded".into()));
                }
                let items = items
                    .iter()
                    .map(|n| self.eval(n))
                    .collect::<Result<Vec<_>>>()?;
                Value::Array(items.into())
            }
            NodeKind::Unary(op, operand) => {
                let v = self.eval(operand)?;
                match op {
                    UnaryOp::Neg => value::negate(&v).map_err(fail)?,
                    UnaryOp::Plus => value::plus(&v).map_err(fail)?,
                    UnaryOp::Not => Value::Bool(!value::truth(&v).map_err(fail)?),
                }
            }
            NodeKind::Binary(op, l, r) => match op {
                BinaryOp::And | BinaryOp::Or => {
                    let l = value::truth(&self.eval(l)?).map_err(fail)?;
                    if l == (*op == BinaryOp::Or) {
                        return Ok(Value::Bool(l));
                    }
                    // As in expr, the right side is the result as it is (the checker has
                    // made sure it is a bool or of unknown type).
                    self.eval(r)?
                }
                BinaryOp::Coalesce => match self.eval(l)? {
                    Value::Nil => self.eval(r)?,
                    v => v,
                },
                _ => {
                    let l = self.eval(l)?;
                    let r = self.eval(r)?;
                    value::binary(*op, &l, &r, self.max_array_len).map_err(fail)?
                }
            },
            NodeKind::Cond(c, a, b) => {
                if value::truth(&self.eval(c)?).map_err(fail)? {
                    self.eval(a)?
                } else {
                    self.eval(b)?
                }
            }
            NodeKind::Let(local, value, body) => {
                let v = self.eval(value)?;
                let local = *local as usize;
                if self.locals.len() <= local {
                    self.locals.resize(local + 1, Value::Nil);
                }
                self.locals[local] = v;
                self.eval(body)?
            }
            NodeKind::Seq(items) => {
                let mut last = Value::Nil;
                for item in items {
                    last = self.eval(item)?;
                }
                last
            }
            NodeKind::Call(builtin, args) => {
                let args = args
                    .iter()
                    .map(|n| self.eval(n))
                    .collect::<Result<Vec<_>>>()?;
                builtin::call(*builtin, &args).map_err(fail)?
            }
            NodeKind::Predicate {
                kind,
                array,
                body,
                init,
                ..
            } => {
                let array = self.eval(array)?;
                let init = match init {
                    Some(init) => Some(self.eval(init)?),
                    None => None,
                };
                let result = match body {
                    Some(body) => {
                        let mut run = |element: &Value, index: usize, acc: &Value| {
                            self.scopes.push(Scope {
                                element: element.clone(),
                                index,
                                acc: acc.clone(),
                            });
                            let v = self.eval(body);
                            self.scopes.pop();
                            v
                        };
                        run_predicate(*kind, &array, init, Some(&mut run))
                    }
                    None => run_predicate::<Error>(*kind, &array, init, None),
                };
                match result {
                    Ok(v) => v,
                    Err(PredicateError::Op(message)) => return Err(fail(message)),
                    Err(PredicateError::Body(e)) => return Err(e),
                }
            }
            NodeKind::Index(base, index) => {
                let base = self.eval(base)?;
                let index = self.eval(index)?;
                value::index(&base, &index).map_err(fail)?
            }
            NodeKind::Cast(cast, inner) => {
                let v = self.eval(inner)?;
                apply_cast(*cast, &v).map_err(fail)?
            }
        })
    }
}
