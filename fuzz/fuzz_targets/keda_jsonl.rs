//! Arbitrary bytes as lines to `scalemod::keda::jsonl::eval_line` (admission, one tick,
//! replicas): every output must be one line holding a JSON object, with either "error" or an
//! admission decision / composite, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::Value as Json;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    for line in text.split('\n') {
        let out = scalemod::keda::jsonl::eval_line(line);
        assert!(!out.contains('\n'), "output is not one line: {out:?} for {line:?}");
        let json: Json = serde_json::from_str(&out)
            .unwrap_or_else(|e| panic!("output is not JSON ({e}): {out:?} for {line:?}"));
        let obj = json
            .as_object()
            .unwrap_or_else(|| panic!("output is not an object: {out:?} for {line:?}"));
        if let Some(milli) = obj.get("milli") {
            // A stored composite is always a finite int64 of milli-units.
            assert!(milli.is_i64(), "milli {milli} for {line:?}");
        }
        if obj.get("admission").and_then(Json::as_str) == Some("rejected") {
            assert!(obj.get("admission_error").is_some_and(Json::is_string), "{out:?}");
        }
    }
});
