//! Schemas and inputs: the declared metrics, each bound to a numeric slot at compile time.

use crate::value::Value;
use std::collections::HashMap;

/// The declared type of an input.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum InputType {
    /// An integer.
    Int,
    /// A float (what KEDA declares for every trigger).
    Float,
    /// A bool.
    Bool,
    /// An array of values.
    Array,
    /// Always nil (a JSON `null` with no declared type: expr's typed nil).
    Nil,
    /// Anything, decided at run time.
    Any,
}

/// An input's slot: its index in [`Inputs`], fixed when it is declared.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Slot(pub(crate) u32);

impl Slot {
    /// The slot's index.
    pub fn index(self) -> u32 {
        self.0
    }
}

/// The inputs a formula may reference, by name and type, each with a slot.
///
/// Any input may be missing (nil) in a given tick; operations on a missing value fail at run
/// time as in expr (`invalid operation: <nil> + float64`), except `x ?? y` and `x == nil`.
///
/// ```
/// use scalemod::{InputType, Schema};
/// let mut schema = Schema::new();
/// let drift = schema.declare("validation_drift", InputType::Float);
/// assert_eq!(schema.slot("validation_drift"), Some(drift));
/// let keda = Schema::floats(["queue", "gpus"]);
/// assert_eq!(keda.len(), 2);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Schema {
    names: Vec<Box<str>>,
    types: Vec<InputType>,
    slots: HashMap<Box<str>, Slot>,
}

impl Schema {
    /// An empty schema.
    pub fn new() -> Schema {
        Schema::default()
    }

    /// A schema of float inputs, as KEDA declares its triggers.
    pub fn floats<S: AsRef<str>>(names: impl IntoIterator<Item = S>) -> Schema {
        let mut schema = Schema::new();
        for name in names {
            schema.declare(name.as_ref(), InputType::Float);
        }
        schema
    }

    /// Declares an input and returns its slot; declaring a name again changes its type and
    /// keeps its slot.
    pub fn declare(&mut self, name: &str, ty: InputType) -> Slot {
        if let Some(&slot) = self.slots.get(name) {
            self.types[slot.0 as usize] = ty;
            return slot;
        }
        let slot = Slot(self.names.len() as u32);
        self.names.push(name.into());
        self.types.push(ty);
        self.slots.insert(name.into(), slot);
        slot
    }

    /// Declares an input, builder style.
    pub fn with(mut self, name: &str, ty: InputType) -> Schema {
        self.declare(name, ty);
        self
    }

    /// The slot of the input called `name`.
    pub fn slot(&self, name: &str) -> Option<Slot> {
        self.slots.get(name).copied()
    }

    /// The declared type of the input in `slot`.
    pub fn input_type(&self, slot: Slot) -> InputType {
        self.types
            .get(slot.0 as usize)
            .copied()
            .unwrap_or(InputType::Any)
    }

    /// The name of the input in `slot`.
    pub fn name(&self, slot: Slot) -> Option<&str> {
        self.names.get(slot.0 as usize).map(|n| &**n)
    }

    /// The inputs' names, in slot order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.names.iter().map(|n| &**n)
    }

    /// How many inputs are declared.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// Whether no input is declared.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
}

/// The values of one tick, by slot: filled once, shared by every formula of the schema.
///
/// Every slot starts missing (nil). Floats are stored as plain `f64`s (the fast path reads
/// them directly, and [`Inputs::set_f64`] is one store); other values as [`Value`]s.
///
/// ```
/// use scalemod::{Inputs, Schema, Value};
/// let schema = Schema::floats(["a"]);
/// let mut inputs = Inputs::new(&schema);
/// let a = schema.slot("a").unwrap();
/// inputs.set(a, 1.5);
/// assert_eq!(inputs.get(a), Value::Float(1.5));
/// inputs.set_missing(a);
/// assert!(inputs.get(a).is_nil());
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Inputs {
    /// Every slot: a float value, or one of the tags below.
    numbers: Vec<f64>,
    /// The value of a slot tagged [`OTHER`] (an int, bool or array).
    values: Vec<Value>,
    /// Which slots are declared float (ints given to them are stored as floats).
    float_slots: Vec<bool>,
}

/// The bit pattern of a missing float input: a NaN no arithmetic produces (real NaNs are
/// stored as the canonical NaN).
pub(crate) const MISSING: u64 = 0x7FF4_0000_0000_0000;
/// A slot that holds something other than a float; its value is in `values`.
const OTHER: u64 = 0x7FF4_0000_0000_0001;
/// The mask and tag that both [`MISSING`] and [`OTHER`] match.
pub(crate) const TAG_MASK: u64 = 0xFFFF_FFFF_FFFF_FFFE;

impl Inputs {
    /// Inputs for `schema`, all missing.
    pub fn new(schema: &Schema) -> Inputs {
        Inputs {
            numbers: vec![f64::from_bits(MISSING); schema.len()],
            values: vec![Value::Nil; schema.len()],
            float_slots: schema
                .types
                .iter()
                .map(|t| *t == InputType::Float)
                .collect(),
        }
    }

    /// Sets a float input: the fast way, one store. A NaN is stored as the canonical NaN.
    #[inline(always)]
    pub fn set_f64(&mut self, slot: Slot, value: f64) {
        if let Some(n) = self.numbers.get_mut(slot.0 as usize) {
            *n = if value.is_nan() { f64::NAN } else { value };
        }
    }

    /// Sets the value in `slot` (a slot beyond this schema's inputs is ignored). An int given
    /// to an input declared float is stored as a float.
    #[inline]
    pub fn set(&mut self, slot: Slot, value: impl Into<Value>) {
        let value = value.into();
        let i = slot.0 as usize;
        let declared_float = self.float_slots.get(i) == Some(&true);
        let number = match value {
            Value::Float(f) => Some(if f.is_nan() { f64::NAN } else { f }),
            Value::Int(n) if declared_float => Some(n as f64),
            Value::Nil => Some(f64::from_bits(MISSING)),
            _ => None,
        };
        if let (Some(n), Some(v)) = (self.numbers.get_mut(i), self.values.get_mut(i)) {
            match number {
                Some(f) => {
                    *n = f;
                    *v = Value::Nil;
                }
                None => {
                    *n = f64::from_bits(OTHER);
                    *v = value;
                }
            }
        }
    }

    /// Marks the value in `slot` missing for this tick (nil).
    #[inline]
    pub fn set_missing(&mut self, slot: Slot) {
        self.set(slot, Value::Nil);
    }

    /// The value in `slot` (nil when missing or out of range).
    #[inline]
    pub fn get(&self, slot: Slot) -> Value {
        self.value(slot.0 as usize)
    }

    #[inline]
    pub(crate) fn value(&self, i: usize) -> Value {
        match self.numbers.get(i).map(|f| f.to_bits()) {
            None | Some(MISSING) => Value::Nil,
            Some(OTHER) => self.values[i].clone(),
            Some(bits) => Value::Float(f64::from_bits(bits)),
        }
    }

    /// The float slots, with missing values and non-numbers tagged (see [`MISSING`]).
    #[inline]
    pub(crate) fn numbers(&self) -> &[f64] {
        &self.numbers
    }
}
