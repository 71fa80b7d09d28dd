//! The builtin functions: their names and their runtime behaviour (predicates excepted, which
//! are control flow and live in the VM and the interpreter).

use crate::lang::ast::BinaryOp;
use crate::lang::value::{compare, to_float, to_int, OpResult, Value};

macro_rules! named_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal,)* }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)*
        }

        impl $name {
            /// Every name, in declaration order.
            pub const NAMES: &'static [&'static str] = &[$($text,)*];
            const ALL: &'static [$name] = &[$($name::$variant,)*];

            /// The function's name in formulas.
            pub fn name(self) -> &'static str {
                match self { $($name::$variant => $text,)* }
            }

            /// The function called `name`, if there is one.
            pub fn from_name(name: &str) -> Option<$name> {
                Self::NAMES.iter().position(|n| *n == name).map(|i| Self::ALL[i])
            }
        }
    };
}

named_enum! {
    /// A builtin function that takes plain arguments.
    Builtin {
        /// `abs(x)`: keeps the type.
        Abs = "abs",
        /// `ceil(x)`: float.
        Ceil = "ceil",
        /// `floor(x)`: float.
        Floor = "floor",
        /// `round(x)`: float, half away from zero.
        Round = "round",
        /// `int(x)`: truncates.
        Int = "int",
        /// `float(x)`
        Float = "float",
        /// `max(a, b, …)`: flattens arrays, returns the winner unchanged.
        Max = "max",
        /// `min(a, b, …)`
        Min = "min",
        /// `mean(a, b, …)`: float, 0 for none.
        Mean = "mean",
        /// `median(a, b, …)`: float, 0 for none.
        Median = "median",
        /// `len(xs)`
        Len = "len",
        /// `first(xs)`: nil for an empty array.
        First = "first",
        /// `last(xs)`: nil for an empty array.
        Last = "last",
        /// `bitand(a, b)`
        BitAnd = "bitand",
        /// `bitor(a, b)`
        BitOr = "bitor",
        /// `bitxor(a, b)`
        BitXor = "bitxor",
        /// `bitnand(a, b)`: `a & !b`.
        BitNand = "bitnand",
        /// `bitnot(a)`
        BitNot = "bitnot",
        /// `bitshl(a, n)`
        BitShl = "bitshl",
        /// `bitshr(a, n)`: arithmetic.
        BitShr = "bitshr",
        /// `bitushr(a, n)`: logical.
        BitUshr = "bitushr",
    }
}

named_enum! {
    /// A builtin that runs a predicate closure over an array.
    Predicate {
        /// `all(xs, pred)`
        All = "all",
        /// `none(xs, pred)`
        None = "none",
        /// `any(xs, pred)`
        Any = "any",
        /// `one(xs, pred)`
        One = "one",
        /// `filter(xs, pred)`
        Filter = "filter",
        /// `map(xs, f)`
        Map = "map",
        /// `count(xs)`, `count(xs, pred)`
        Count = "count",
        /// `sum(xs)`, `sum(xs, f)`
        Sum = "sum",
        /// `find(xs, pred)`: the first match or nil.
        Find = "find",
        /// `findIndex(xs, pred)`: its index or nil.
        FindIndex = "findIndex",
        /// `findLast(xs, pred)`
        FindLast = "findLast",
        /// `findLastIndex(xs, pred)`
        FindLastIndex = "findLastIndex",
        /// `reduce(xs, f)`, `reduce(xs, f, init)`, with `#acc`.
        Reduce = "reduce",
    }
}

impl Builtin {
    /// Whether `name` is a builtin of either kind (which `let` may not redeclare).
    pub fn is_name(name: &str) -> bool {
        Builtin::from_name(name).is_some() || Predicate::from_name(name).is_some()
    }
}

impl Predicate {
    /// The fewest and most arguments it takes.
    pub(crate) fn arity(self) -> (usize, usize) {
        match self {
            Predicate::Count | Predicate::Sum => (1, 2),
            Predicate::Reduce => (2, 3),
            _ => (2, 2),
        }
    }

    /// Whether its predicate must return a bool.
    pub(crate) fn wants_bool(self) -> bool {
        !matches!(self, Predicate::Map | Predicate::Sum | Predicate::Reduce)
    }

    /// Whether it walks the array from the end.
    pub(crate) fn backwards(self) -> bool {
        matches!(self, Predicate::FindLast | Predicate::FindLastIndex)
    }
}

/// Calls a builtin on evaluated arguments (the checker has already checked their count).
pub(crate) fn call(builtin: Builtin, args: &[Value]) -> OpResult {
    let name = builtin.name();
    let arg = |i: usize| args.get(i).unwrap_or(&Value::Nil);
    let invalid = |v: &Value| format!("invalid argument for {name} (type {})", v.go_type());
    Ok(match builtin {
        Builtin::Abs => match *arg(0) {
            Value::Int(i) => Value::Int(if i < 0 { i.wrapping_neg() } else { i }),
            Value::Float(f) => Value::Float(if f < 0.0 { -f } else { f }),
            ref other => return Err(invalid(other)),
        },
        Builtin::Ceil | Builtin::Floor | Builtin::Round => match *arg(0) {
            Value::Int(i) => Value::Float(i as f64),
            Value::Float(f) => Value::Float(match builtin {
                Builtin::Ceil => f.ceil(),
                Builtin::Floor => f.floor(),
                _ => f.round(),
            }),
            ref other => return Err(invalid(other)),
        },
        Builtin::Int => Value::Int(to_int(arg(0))?),
        Builtin::Float => Value::Float(to_float(arg(0), "float")?),
        Builtin::Max | Builtin::Min => return min_max(builtin, args),
        Builtin::Mean | Builtin::Median => {
            let mut numbers = Vec::new();
            flatten_numbers(name, args, &mut numbers)?;
            if numbers.is_empty() {
                return Ok(Value::Float(0.0));
            }
            if builtin == Builtin::Mean {
                Value::Float(numbers.iter().sum::<f64>() / numbers.len() as f64)
            } else {
                // Go's sort.Float64s: NaNs first.
                numbers.sort_by(|a, b| match (a.is_nan(), b.is_nan()) {
                    (true, true) => std::cmp::Ordering::Equal,
                    (true, false) => std::cmp::Ordering::Less,
                    (false, true) => std::cmp::Ordering::Greater,
                    _ => a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal),
                });
                let n = numbers.len();
                Value::Float(if n % 2 == 1 {
                    numbers[n / 2]
                } else {
                    (numbers[n / 2 - 1] + numbers[n / 2]) / 2.0
                })
            }
        }
        Builtin::Len => match arg(0) {
            Value::Array(items) => Value::Int(items.len() as i64),
            other => return Err(invalid(other)),
        },
        Builtin::First | Builtin::Last => match arg(0) {
            Value::Array(items) => {
                let item = if builtin == Builtin::First {
                    items.first()
                } else {
                    items.last()
                };
                item.cloned().unwrap_or(Value::Nil)
            }
            _ => Value::Nil,
        },
        _ => {
            let int = |v: &Value| match *v {
                Value::Int(i) => Ok(i),
                _ => Err(format!(
                    "cannot use {} as argument (type int) to call {name}",
                    v.go_type()
                )),
            };
            let x = int(arg(0))?;
            if builtin == Builtin::BitNot {
                return Ok(Value::Int(!x));
            }
            let y = int(arg(1))?;
            let shift = |y: i64| -> OpResult<u32> {
                if y < 0 {
                    Err(format!(
                        "invalid operation: negative shift count {y} (type int)"
                    ))
                } else {
                    Ok(u32::try_from(y).unwrap_or(u32::MAX))
                }
            };
            Value::Int(match builtin {
                Builtin::BitAnd => x & y,
                Builtin::BitOr => x | y,
                Builtin::BitXor => x ^ y,
                Builtin::BitNand => x & !y,
                Builtin::BitShl => x.checked_shl(shift(y)?).unwrap_or(0),
                Builtin::BitShr => x
                    .checked_shr(shift(y)?)
                    .unwrap_or(if x < 0 { -1 } else { 0 }),
                _ => (x as u64).checked_shr(shift(y)?).unwrap_or(0) as i64,
            })
        }
    })
}

/// `max`/`min`: arrays flattened, the first of equal values wins, the winner is returned as is.
fn min_max(builtin: Builtin, args: &[Value]) -> OpResult {
    let name = builtin.name();
    let wins = if builtin == Builtin::Max {
        BinaryOp::Lt
    } else {
        BinaryOp::Gt
    };
    fn walk(
        name: &str,
        wins: BinaryOp,
        value: &Value,
        best: &mut Option<Value>,
        top_level_single: bool,
    ) -> OpResult<Option<Value>> {
        match value {
            Value::Array(items) => {
                for item in items.iter() {
                    if let Some(done) = walk(name, wins, item, best, false)? {
                        return Ok(Some(done));
                    }
                }
            }
            Value::Int(_) | Value::Float(_) => {
                let better = match best {
                    None => true,
                    Some(b) => compare(wins, b, value)?,
                };
                if better {
                    *best = Some(value.clone());
                }
            }
            other if top_level_single => return Ok(Some(other.clone())),
            other => {
                return Err(format!(
                    "invalid argument for {name} (type {})",
                    other.go_type()
                ))
            }
        }
        Ok(None)
    }
    let mut best = None;
    for value in args {
        if let Some(done) = walk(name, wins, value, &mut best, args.len() == 1)? {
            return Ok(done);
        }
    }
    Ok(best.unwrap_or(Value::Nil))
}

fn flatten_numbers(name: &str, args: &[Value], out: &mut Vec<f64>) -> OpResult<()> {
    for value in args {
        match value {
            Value::Array(items) => flatten_numbers(name, items, out)?,
            Value::Int(i) => out.push(*i as f64),
            Value::Float(f) => out.push(*f),
            other => {
                return Err(format!(
                    "invalid argument for {name} (type {})",
                    other.go_type()
                ))
            }
        }
    }
    Ok(())
}

/// Why a predicate builtin failed: its own operation, or the predicate body.
pub(crate) enum PredicateError<E> {
    /// The builtin's own step failed (a non-bool predicate result, `sum` of a bool, …);
    /// reported at the call.
    Op(String),
    /// The body failed; passed through as is.
    Body(E),
}

impl<E> From<String> for PredicateError<E> {
    fn from(message: String) -> Self {
        PredicateError::Op(message)
    }
}

/// A predicate's body: `(element, index, acc)` to its value.
pub(crate) type PredicateBody<'a, E> = &'a mut dyn FnMut(&Value, usize, &Value) -> Result<Value, E>;

/// Runs a predicate builtin over `array`. `body(element, index, acc)` evaluates the predicate
/// (with `#`, `#index` and `#acc` bound); it is `None` for `count(xs)` and `sum(xs)`.
/// The VM and the reference interpreter share this driver, so they can only differ in how
/// they evaluate the body.
pub(crate) fn run_predicate<E>(
    kind: Predicate,
    array: &Value,
    init: Option<Value>,
    mut body: Option<PredicateBody<'_, E>>,
) -> Result<Value, PredicateError<E>> {
    let items: &[Value] = match array {
        Value::Array(items) => items,
        Value::Nil => {
            return Err(PredicateError::Op(
                "reflect: call of reflect.Value.Len on zero Value".into(),
            ))
        }
        other => {
            return Err(PredicateError::Op(format!(
                "reflect: call of reflect.Value.Len on {} Value",
                other.go_type()
            )))
        }
    };
    let mut eval = |item: &Value, i: usize, acc: &Value| -> Result<Value, PredicateError<E>> {
        match body.as_mut() {
            Some(f) => f(item, i, acc).map_err(PredicateError::Body),
            None => Ok(item.clone()),
        }
    };
    let truth = |v: &Value| crate::lang::value::truth(v).map_err(PredicateError::Op);
    let (len, backwards) = (items.len(), kind.backwards());
    let order = (0..len).map(|k| if backwards { len - 1 - k } else { k });
    let nil = Value::Nil;
    Ok(match kind {
        Predicate::All | Predicate::None | Predicate::Any => {
            // all: stop at the first false; none and any: at the first true.
            let stop_on = kind != Predicate::All;
            for i in order {
                if truth(&eval(&items[i], i, &nil)?)? == stop_on {
                    return Ok(Value::Bool(kind == Predicate::Any));
                }
            }
            Value::Bool(kind != Predicate::Any)
        }
        Predicate::One | Predicate::Count => {
            let mut count = 0i64;
            for i in order {
                if truth(&eval(&items[i], i, &nil)?)? {
                    count += 1;
                }
            }
            if kind == Predicate::One {
                Value::Bool(count == 1)
            } else {
                Value::Int(count)
            }
        }
        Predicate::Filter | Predicate::Map => {
            let mut out = Vec::new();
            for i in order {
                let v = eval(&items[i], i, &nil)?;
                if kind == Predicate::Map {
                    out.push(v);
                } else if truth(&v)? {
                    out.push(items[i].clone());
                }
            }
            Value::Array(out.into())
        }
        Predicate::Sum => {
            let mut acc = Value::Int(0);
            for i in order {
                let v = eval(&items[i], i, &nil)?;
                acc = crate::lang::value::binary(BinaryOp::Add, &v, &acc, usize::MAX)?;
            }
            acc
        }
        Predicate::Find | Predicate::FindIndex | Predicate::FindLast | Predicate::FindLastIndex => {
            for i in order {
                if truth(&eval(&items[i], i, &nil)?)? {
                    return Ok(match kind {
                        Predicate::Find | Predicate::FindLast => items[i].clone(),
                        _ => Value::Int(i as i64),
                    });
                }
            }
            Value::Nil
        }
        Predicate::Reduce => {
            let (mut acc, start) = match init {
                Some(init) => (init, 0),
                None => match items.first() {
                    Some(first) => (first.clone(), 1),
                    None => {
                        return Err(PredicateError::Op(
                            "reflect: slice index out of range".into(),
                        ))
                    }
                },
            };
            for (i, item) in items.iter().enumerate().skip(start) {
                acc = eval(item, i, &acc)?;
            }
            acc
        }
    })
}
