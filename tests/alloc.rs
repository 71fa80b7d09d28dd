//! Evaluation allocates nothing: a counting global allocator watches this thread while
//! formulas and a whole tick are evaluated (after one warm-up evaluation, which sizes the
//! per-thread VM stacks).

use scalemod::{Formula, FormulaSet, InputType, Inputs, Schema, Value};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: every call is forwarded to the system allocator unchanged; the counter is a
// const-initialised thread-local `Cell`, which does not allocate.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|c| c.set(c.get() + 1));
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.with(|c| c.set(c.get() + 1));
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations_in(f: impl FnOnce()) -> usize {
    let before = ALLOCATIONS.with(Cell::get);
    f();
    ALLOCATIONS.with(Cell::get) - before
}

const FORMULAS: &[&str] = &[
    // The fast path.
    "validation_drift > 0.1 && available_gpus >= 2 && request_queue_length < 1000 ? 1 : 0",
    "1 / (tokens_per_min / pod_count)",
    "tokens_per_min >= 5000 ? request_rate : 0",
    "(pod_count ?? 1) * 2 + max(request_rate, 3)",
    "count([tokens_per_min, request_rate, 3], # > 2)",
    // The general VM: ints, lets, nil checks, builtins.
    "let q = request_queue_length; q > 100 ? n * 2 : n % 7",
    "request_rate == nil ? -1 : request_rate",
    "float(n) / 3 + abs(-n) + max(n, 2)",
    "bitand(n, 3) + int(pod_count) ?? 0",
];

/// The six metrics of the seed formulas, as KEDA declares them: floats.
fn seed_schema() -> Schema {
    Schema::floats([
        "validation_drift",
        "available_gpus",
        "request_queue_length",
        "tokens_per_min",
        "pod_count",
        "request_rate",
    ])
}

#[test]
fn evaluation_allocates_nothing() {
    let schema = seed_schema().with("n", InputType::Int);
    let formulas: Vec<Formula> = FORMULAS
        .iter()
        .map(|s| Formula::compile(s, &schema).unwrap())
        .collect();
    let mut inputs = Inputs::new(&schema);
    let set =
        |inputs: &mut Inputs, name: &str, v: f64| inputs.set_f64(schema.slot(name).unwrap(), v);
    set(&mut inputs, "validation_drift", 0.2);
    set(&mut inputs, "available_gpus", 4.0);
    set(&mut inputs, "request_queue_length", 200.0);
    set(&mut inputs, "tokens_per_min", 6000.0);
    set(&mut inputs, "pod_count", 3.0);
    set(&mut inputs, "request_rate", 40.0);
    inputs.set(schema.slot("n").unwrap(), 9i64);
    // Warm-up: sizes this thread's VM stacks.
    for f in &formulas {
        f.eval(&inputs).unwrap();
    }
    for f in &formulas {
        let mut value = Value::Nil;
        let n = allocations_in(|| value = f.eval(&inputs).unwrap());
        assert_eq!(n, 0, "{} allocated {n} times", f.source());
        let n = allocations_in(|| {
            std::hint::black_box(f.eval_f64(&inputs).unwrap());
        });
        assert_eq!(n, 0, "{} (eval_f64) allocated {n} times", f.source());
    }
    // Setting inputs allocates nothing either.
    let n = allocations_in(|| {
        set(&mut inputs, "pod_count", 5.0);
        inputs.set_missing(schema.slot("request_rate").unwrap());
        inputs.set(schema.slot("n").unwrap(), 4i64);
    });
    assert_eq!(n, 0);
    // A missing input sends the fast path to the general VM: still nothing allocated.
    let f = &formulas[2];
    set(&mut inputs, "tokens_per_min", 6000.0);
    let n = allocations_in(|| assert_eq!(f.eval(&inputs), Ok(Value::Nil)));
    assert_eq!(n, 0);

    // A whole tick.
    let tick = FormulaSet::from_formulas(formulas);
    set(&mut inputs, "request_rate", 40.0);
    let mut out = vec![0.0; tick.len()];
    tick.eval_f64_into(&inputs, &mut out, |_, _| {});
    let n = allocations_in(|| tick.eval_f64_into(&inputs, &mut out, |i, e| panic!("{i}: {e}")));
    assert_eq!(n, 0);
    assert_eq!(out[1], 1.0 / (6000.0 / 5.0));
}

#[test]
fn arrays_built_at_run_time_are_the_one_allocation() {
    // Documented: a range or an array literal that the general VM materializes is a heap
    // array (array literals of float inputs under `count`/`any`/`all` are unrolled by the
    // fast path instead, see above).
    let schema = Schema::new().with("n", InputType::Int);
    let f = Formula::compile("count(1..n, # % 2 == 0)", &schema).unwrap();
    let mut inputs = Inputs::new(&schema);
    inputs.set(schema.slot("n").unwrap(), 9i64);
    f.eval(&inputs).unwrap();
    let n = allocations_in(|| assert_eq!(f.eval(&inputs), Ok(Value::Int(4))));
    assert!(n >= 1);
}

#[test]
fn compiled_seed_formulas_are_compact() {
    let schema = seed_schema();
    for (source, at_most) in [(FORMULAS[0], 704), (FORMULAS[1], 320), (FORMULAS[2], 384)] {
        let f = Formula::compile(source, &schema).unwrap();
        println!("{source}: {} bytes", f.heap_size());
        assert!(
            f.heap_size() <= at_most,
            "{source}: {} bytes",
            f.heap_size()
        );
    }
}
