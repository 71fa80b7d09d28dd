//! Schemas and inputs: the declared metrics, each bound to a numeric slot at compile time.

use crate::lang::value::Value;
use std::collections::HashMap;
use std::fmt;

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
        // A small schema's names are scanned (comparing a few lengths costs less than hashing
        // the name); a large one's map is asked. Slots are numbered in declaration order, as
        // `names` lists them.
        const SCANNED: usize = 16;
        if self.names.len() > SCANNED {
            return self.slots.get(name).copied();
        }
        let i = self.names.iter().position(|n| **n == *name)?;
        Some(Slot(u32::try_from(i).ok()?))
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
/// Every slot starts missing (nil). Floats are stored as plain `f64`s next to a tag that says
/// the slot holds a float (the fast path reads both with one load each, and
/// [`Inputs::set_f64`] is one 16-byte store); other values as [`Value`]s.
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
    /// Every slot: a float, or a tag saying it is missing or holds something else.
    cells: Vec<Cell>,
    /// The value of a slot tagged [`Cell::OTHER`] (an int, bool or array).
    values: Vec<Value>,
    /// Which slots are declared float (ints given to them are stored as floats).
    float_slots: Vec<bool>,
}

/// One input slot as the fast path reads it: a float, or a tag.
///
/// The tag sits beside the number rather than inside a NaN's payload, so every `f64`,
/// NaNs with any payload included, is stored exactly as given, with nothing to check.
/// The tag is kept in the bits of an `f64` (read it with [`Cell::tag`]): with two `f64`
/// fields, writing a float and its tag compiles to one 16-byte store, where an `f64` beside
/// a `u64` takes two (a sixth of the instructions of setting a seed formula's inputs). The
/// tag is only ever compared as bits (tags 1 and 2 are subnormals, which a float comparison
/// under a denormals-are-zero mode would take for `0.0`).
#[derive(Clone, Copy)]
#[repr(C)]
pub(crate) struct Cell {
    /// The float, when the tag is [`Cell::FLOAT`].
    pub(crate) number: f64,
    /// The bits of [`Cell::FLOAT`], [`Cell::MISSING`] or [`Cell::OTHER`].
    tag_bits: f64,
}

impl Cell {
    /// The slot holds the float `number`.
    pub(crate) const FLOAT: u64 = 0;
    /// The slot is missing (nil).
    pub(crate) const MISSING: u64 = 1;
    /// The slot holds an int, bool or array, kept in `Inputs::values`.
    pub(crate) const OTHER: u64 = 2;

    const fn float(number: f64) -> Cell {
        Cell {
            number,
            tag_bits: f64::from_bits(Cell::FLOAT),
        }
    }

    const fn tagged(tag: u64) -> Cell {
        Cell {
            number: 0.0,
            tag_bits: f64::from_bits(tag),
        }
    }

    /// [`Cell::FLOAT`], [`Cell::MISSING`] or [`Cell::OTHER`].
    #[inline(always)]
    pub(crate) const fn tag(self) -> u64 {
        self.tag_bits.to_bits()
    }
}

impl PartialEq for Cell {
    fn eq(&self, other: &Cell) -> bool {
        self.tag() == other.tag() && self.number == other.number
    }
}

impl fmt::Debug for Cell {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.tag() {
            Cell::FLOAT => write!(f, "{:?}", self.number),
            Cell::MISSING => f.write_str("missing"),
            _ => f.write_str("other"),
        }
    }
}

impl Default for Cell {
    fn default() -> Cell {
        Cell::tagged(Cell::MISSING)
    }
}

impl Inputs {
    /// Inputs for `schema`, all missing.
    pub fn new(schema: &Schema) -> Inputs {
        Inputs {
            cells: vec![Cell::tagged(Cell::MISSING); schema.len()],
            values: vec![Value::Nil; schema.len()],
            float_slots: schema
                .types
                .iter()
                .map(|t| *t == InputType::Float)
                .collect(),
        }
    }

    /// Sets a float input: the fast way, one 16-byte store (a slot beyond this schema's inputs is
    /// ignored). Any `f64` is stored exactly as given, NaNs and infinities included.
    #[inline(always)]
    pub fn set_f64(&mut self, slot: Slot, value: f64) {
        self.set_f64s(&[slot], &[value]);
    }

    /// Sets several float inputs at once, `values[i]` into `slots[i]`: what a tick does with
    /// the metrics of one scaled object. The same as calling [`Inputs::set_f64`] for each, but
    /// cheaper (the slots' storage is looked up once).
    ///
    /// ```
    /// use scalemod::{Inputs, Schema, Value};
    /// let schema = Schema::floats(["a", "b"]);
    /// let slots = [schema.slot("a").unwrap(), schema.slot("b").unwrap()];
    /// let mut inputs = Inputs::new(&schema);
    /// inputs.set_f64s(&slots, &[1.5, 2.5]);
    /// assert_eq!(inputs.get(slots[1]), Value::Float(2.5));
    /// ```
    #[inline(always)]
    pub fn set_f64s<const N: usize>(&mut self, slots: &[Slot; N], values: &[f64; N]) {
        let cells = &mut self.cells[..];
        for (slot, &value) in slots.iter().zip(values) {
            if let Some(cell) = cells.get_mut(slot.0 as usize) {
                *cell = Cell::float(value);
            }
        }
    }

    /// Sets the value in `slot` (a slot beyond this schema's inputs is ignored). An int given
    /// to an input declared float is stored as a float.
    #[inline]
    pub fn set(&mut self, slot: Slot, value: impl Into<Value>) {
        let value = value.into();
        let i = slot.0 as usize;
        let declared_float = self.float_slots.get(i) == Some(&true);
        let cell = match value {
            Value::Float(f) => Some(Cell::float(f)),
            Value::Int(n) if declared_float => Some(Cell::float(n as f64)),
            Value::Nil => Some(Cell::tagged(Cell::MISSING)),
            _ => None,
        };
        if let (Some(c), Some(v)) = (self.cells.get_mut(i), self.values.get_mut(i)) {
            match cell {
                Some(cell) => {
                    *c = cell;
                    *v = Value::Nil;
                }
                None => {
                    *c = Cell::tagged(Cell::OTHER);
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
        match self.cells.get(i) {
            Some(&cell) if cell.tag() == Cell::FLOAT => Value::Float(cell.number),
            Some(&cell) if cell.tag() == Cell::OTHER => {
                self.values.get(i).cloned().unwrap_or(Value::Nil)
            }
            _ => Value::Nil,
        }
    }

    /// Every slot as the fast path reads it.
    #[inline]
    pub(crate) fn cells(&self) -> &[Cell] {
        &self.cells
    }
}
