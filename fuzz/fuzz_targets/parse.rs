//! Arbitrary bytes → (if UTF-8) `scalemod::parse` and `Formula::compile` against a small
//! fixed float schema. Neither may panic, whatever the input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use scalemod::{Formula, Schema};
use std::sync::OnceLock;

fn schema() -> &'static Schema {
    static SCHEMA: OnceLock<Schema> = OnceLock::new();
    SCHEMA.get_or_init(|| Schema::floats(["a", "b", "c"]))
}

fuzz_target!(|data: &[u8]| {
    let Ok(source) = std::str::from_utf8(data) else {
        return;
    };
    let _ = scalemod::parse(source);
    if let Err(e) = Formula::compile(source, schema()) {
        // Rendering an error (line/column, caret) must not panic either.
        let _ = e.to_string();
        let _ = e.line_col();
    }
});
