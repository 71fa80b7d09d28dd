//! Values and the runtime semantics of every operator, shared by the VM, the constant folder
//! and the reference interpreter, so that the three can only differ in control flow.

use crate::lang::ast::BinaryOp;
use std::fmt;
use std::sync::Arc;

/// A value: an input, an intermediate or a result.
#[derive(Clone, Debug, Default)]
pub enum Value {
    /// Missing (a metric with no value this tick), or `nil`.
    #[default]
    Nil,
    /// `true` or `false`.
    Bool(bool),
    /// A 64-bit integer; arithmetic wraps, as in expr.
    Int(i64),
    /// A 64-bit float.
    Float(f64),
    /// An array (from a literal, a range, a builtin or an input).
    Array(Arc<[Value]>),
}

/// The type of a [`Value`], as the CLI and [`Formula::result_type`](crate::Formula::result_type)
/// name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ValueType {
    /// `nil`
    Nil,
    /// `bool`
    Bool,
    /// `int`
    Int,
    /// `float`
    Float,
    /// `array`
    Array,
}

impl ValueType {
    /// `nil`, `bool`, `int`, `float` or `array`.
    pub fn as_str(self) -> &'static str {
        match self {
            ValueType::Nil => "nil",
            ValueType::Bool => "bool",
            ValueType::Int => "int",
            ValueType::Float => "float",
            ValueType::Array => "array",
        }
    }
}

impl fmt::Display for ValueType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Value {
    /// The value's type.
    pub fn value_type(&self) -> ValueType {
        match self {
            Value::Nil => ValueType::Nil,
            Value::Bool(_) => ValueType::Bool,
            Value::Int(_) => ValueType::Int,
            Value::Float(_) => ValueType::Float,
            Value::Array(_) => ValueType::Array,
        }
    }

    /// The value as a float, if it is a number.
    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            Value::Int(i) => Some(i as f64),
            Value::Float(f) => Some(f),
            _ => None,
        }
    }

    /// Whether the value is nil.
    pub fn is_nil(&self) -> bool {
        matches!(self, Value::Nil)
    }

    /// Go's `%T` of the value as expr's runtime messages print it.
    pub(crate) fn go_type(&self) -> &'static str {
        match self {
            Value::Nil => "<nil>",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Float(_) => "float64",
            Value::Array(_) => "[]interface {}",
        }
    }

    /// Go's `%v` of the value.
    pub(crate) fn go_string(&self) -> String {
        match self {
            Value::Nil => "<nil>".into(),
            Value::Bool(b) => b.to_string(),
            Value::Int(i) => i.to_string(),
            Value::Float(f) => format_float(*f),
            Value::Array(items) => {
                let inner: Vec<String> = items.iter().map(Value::go_string).collect();
                format!("[{}]", inner.join(" "))
            }
        }
    }
}

/// Formats a float the way the CLI prints it: shortest round-trip digits, `+Inf`, `-Inf`, `NaN`.
pub fn format_float(f: f64) -> String {
    if f.is_nan() {
        "NaN".into()
    } else if f.is_infinite() {
        if f > 0.0 { "+Inf" } else { "-Inf" }.into()
    } else {
        format!("{f}")
    }
}

/// Equality with expr's rules: numbers compare as floats when either is a float, arrays
/// element-wise, nil equals only nil, values of different kinds are unequal.
impl PartialEq for Value {
    fn eq(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Int(a), Value::Int(b)) => a == b,
            (Value::Int(_) | Value::Float(_), Value::Int(_) | Value::Float(_)) => {
                self.as_f64() == other.as_f64()
            }
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Nil, Value::Nil) => true,
            (Value::Array(a), Value::Array(b)) => {
                a.len() == b.len() && a.iter().zip(b.iter()).all(|(x, y)| x == y)
            }
            _ => false,
        }
    }
}

impl fmt::Display for Value {
    /// `1`, `0.5`, `true`, `nil`, `[1, 2.5]`; floats as in [`format_float`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Nil => f.write_str("nil"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(i) => write!(f, "{i}"),
            Value::Float(x) => f.write_str(&format_float(*x)),
            Value::Array(items) => {
                f.write_str("[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str("]")
            }
        }
    }
}

impl From<f64> for Value {
    fn from(f: f64) -> Value {
        Value::Float(f)
    }
}

impl From<i64> for Value {
    fn from(i: i64) -> Value {
        Value::Int(i)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}

impl From<Option<f64>> for Value {
    fn from(f: Option<f64>) -> Value {
        f.map_or(Value::Nil, Value::Float)
    }
}

/// A runtime failure's message; the caller adds the span.
pub(crate) type OpResult<T = Value> = std::result::Result<T, String>;

fn mismatch(a: &Value, sym: &str, b: &Value) -> String {
    format!("invalid operation: {} {sym} {}", a.go_type(), b.go_type())
}

/// Applies a strict binary operator (everything but `&&`, `||` and `??`).
pub(crate) fn binary(op: BinaryOp, a: &Value, b: &Value, max_array_len: usize) -> OpResult {
    use Value::{Float, Int};
    Ok(match op {
        BinaryOp::Add => match (a, b) {
            (Int(x), Int(y)) => Int(x.wrapping_add(*y)),
            _ => {
                let (x, y) = floats(a, "+", b)?;
                Float(x + y)
            }
        },
        BinaryOp::Sub => match (a, b) {
            (Int(x), Int(y)) => Int(x.wrapping_sub(*y)),
            _ => {
                let (x, y) = floats(a, "-", b)?;
                Float(x - y)
            }
        },
        BinaryOp::Mul => match (a, b) {
            (Int(x), Int(y)) => Int(x.wrapping_mul(*y)),
            _ => {
                let (x, y) = floats(a, "*", b)?;
                Float(x * y)
            }
        },
        BinaryOp::Div => {
            let (x, y) = floats(a, "/", b)?;
            Float(x / y)
        }
        BinaryOp::Mod => match (a, b) {
            (Int(_), Int(0)) => return Err("runtime error: integer divide by zero".into()),
            (Int(x), Int(y)) => Int(x.wrapping_rem(*y)),
            _ => return Err(mismatch(a, "%", b)),
        },
        BinaryOp::Pow => {
            let x = to_float(a, "float")?;
            let y = to_float(b, "float")?;
            Float(go_pow(x, y))
        }
        BinaryOp::Eq => Value::Bool(a == b),
        BinaryOp::Ne => Value::Bool(a != b),
        BinaryOp::Lt | BinaryOp::Gt | BinaryOp::Le | BinaryOp::Ge => {
            Value::Bool(compare(op, a, b)?)
        }
        BinaryOp::In => match b {
            Value::Array(items) => Value::Bool(items.iter().any(|item| item == a)),
            Value::Nil => Value::Bool(false),
            _ => return Err(format!("operator \"in\" not defined on {}", b.go_type())),
        },
        BinaryOp::Range => {
            let lo = to_int(a)?;
            let hi = to_int(b)?;
            let len = (hi as i128) - (lo as i128) + 1;
            if len <= 0 {
                Value::Array(Arc::from(Vec::new()))
            } else if len >= max_array_len as i128 {
                return Err("memory budget exceeded".into());
            } else {
                Value::Array((lo..=hi).map(Int).collect())
            }
        }
        BinaryOp::And | BinaryOp::Or | BinaryOp::Coalesce => {
            return Err(format!("unknown operator ({op:?})"))
        }
    })
}

/// Both operands as floats, for an arithmetic operator with a float operand.
fn floats(a: &Value, sym: &str, b: &Value) -> OpResult<(f64, f64)> {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => Ok((x, y)),
        _ => Err(mismatch(a, sym, b)),
    }
}

/// `<`, `>`, `<=`, `>=` on numbers.
pub(crate) fn compare(op: BinaryOp, a: &Value, b: &Value) -> OpResult<bool> {
    let sym = match op {
        BinaryOp::Lt => "<",
        BinaryOp::Gt => ">",
        BinaryOp::Le => "<=",
        _ => ">=",
    };
    if let (Value::Int(x), Value::Int(y)) = (a, b) {
        return Ok(match op {
            BinaryOp::Lt => x < y,
            BinaryOp::Gt => x > y,
            BinaryOp::Le => x <= y,
            _ => x >= y,
        });
    }
    let (x, y) = floats(a, sym, b)?;
    Ok(match op {
        BinaryOp::Lt => x < y,
        BinaryOp::Gt => x > y,
        BinaryOp::Le => x <= y,
        _ => x >= y,
    })
}

/// Go's `math.Pow`, which differs from `f64::powf` only where C's `pow` and Go disagree:
/// `pow(-1, ±Inf)` is 1 in both, `pow(1, NaN)` is 1 in Go as well; kept as one place to adjust.
pub(crate) fn go_pow(x: f64, y: f64) -> f64 {
    x.powf(y)
}

/// Unary minus.
pub(crate) fn negate(a: &Value) -> OpResult {
    match a {
        Value::Int(i) => Ok(Value::Int(i.wrapping_neg())),
        Value::Float(f) => Ok(Value::Float(-f)),
        _ => Err(format!("invalid operation: - {}", a.go_type())),
    }
}

/// Unary plus.
pub(crate) fn plus(a: &Value) -> OpResult {
    match a {
        Value::Int(_) | Value::Float(_) => Ok(a.clone()),
        _ => Err(format!("invalid operation: + {}", a.go_type())),
    }
}

/// A value used where expr asserts a bool (`!`, `&&`, `||`, conditions, predicates).
pub(crate) fn truth(a: &Value) -> OpResult<bool> {
    match a {
        Value::Bool(b) => Ok(*b),
        Value::Nil => Err("interface conversion: interface {} is nil, not bool".into()),
        _ => Err(format!(
            "interface conversion: interface {{}} is {}, not bool",
            a.go_type()
        )),
    }
}

/// expr's `ToFloat64`, for `**` and `float()`; `name` is the conversion named in the error.
pub(crate) fn to_float(a: &Value, name: &str) -> OpResult<f64> {
    a.as_f64()
        .ok_or_else(|| format!("invalid operation: {name}({})", a.go_type()))
}

/// expr's `ToInt`: floats truncate toward zero (saturating, as Go on amd64 gives i64::MIN for
/// out-of-range values).
pub(crate) fn to_int(a: &Value) -> OpResult<i64> {
    match *a {
        Value::Int(i) => Ok(i),
        Value::Float(f) => Ok(float_to_int(f)),
        _ => Err(format!("invalid operation: int({})", a.go_type())),
    }
}

/// Go's `int(f)` on amd64: truncation, and i64::MIN for NaN and out-of-range values.
pub(crate) fn float_to_int(f: f64) -> i64 {
    if f.is_nan() || !(-9.223_372_036_854_776e18..9.223_372_036_854_776e18).contains(&f) {
        i64::MIN
    } else {
        f as i64
    }
}

/// `a[i]`, with negative indexes counting from the end.
pub(crate) fn index(a: &Value, i: &Value) -> OpResult {
    match a {
        Value::Array(items) => {
            let raw = match i {
                Value::Int(_) | Value::Float(_) => to_int(i)?,
                _ => {
                    return Err(format!(
                        "cannot use {} as index to {}",
                        i.go_type(),
                        a.go_type()
                    ))
                }
            };
            let len = items.len() as i64;
            let at = if raw < 0 { raw.wrapping_add(len) } else { raw };
            if at < 0 || at >= len {
                return Err(format!("index out of range: {at} (array length is {len})"));
            }
            Ok(items[at as usize].clone())
        }
        _ => Err(format!(
            "cannot fetch {} from {}",
            i.go_string(),
            a.go_type()
        )),
    }
}

/// The result casts of expr's options `AsInt`, `AsInt64`, `AsFloat64`, `AsBool`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Cast {
    /// `AsInt`
    Int,
    /// `AsInt64`
    Int64,
    /// `AsFloat64`
    Float64,
    /// `AsBool`
    Bool,
}

/// The runtime conversion of a result cast option.
pub(crate) fn apply_cast(cast: Cast, v: &Value) -> OpResult {
    Ok(match cast {
        Cast::Int => Value::Int(to_int(v)?),
        Cast::Int64 => {
            Value::Int(to_int(v).map_err(|_| format!("invalid operation: int64({})", v.go_type()))?)
        }
        Cast::Float64 => Value::Float(to_float(v, "float")?),
        Cast::Bool => match v {
            Value::Nil => Value::Bool(false),
            Value::Bool(b) => Value::Bool(*b),
            other => return Err(format!("invalid operation: bool({})", other.go_type())),
        },
    })
}
