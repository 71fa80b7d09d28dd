//! Arbitrary bytes as lines to `scalemod::jsonl::eval_line`: every output must be exactly one
//! line of valid JSON, an object holding either "value" (with "type") or "error" (with "kind").
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::Value as Json;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    for line in text.split('\n') {
        let out = scalemod::jsonl::eval_line(line);
        assert!(
            !out.contains('\n') && !out.contains('\r'),
            "output is not one line: {out:?} for input {line:?}"
        );
        let json: Json = serde_json::from_str(&out)
            .unwrap_or_else(|e| panic!("output is not JSON ({e}): {out:?} for input {line:?}"));
        let obj = json
            .as_object()
            .unwrap_or_else(|| panic!("output is not a JSON object: {out:?} for input {line:?}"));
        let has_value = obj.contains_key("value");
        let has_error = obj.contains_key("error");
        assert!(
            has_value != has_error,
            "output must hold exactly one of \"value\" and \"error\": {out:?} for input {line:?}"
        );
        if has_value {
            assert!(
                obj.get("type").and_then(Json::as_str).is_some(),
                "a value without a type: {out:?} for input {line:?}"
            );
        } else {
            assert!(
                obj.get("error").and_then(Json::as_str).is_some()
                    && obj.get("kind").and_then(Json::as_str).is_some(),
                "an error without a message or kind: {out:?} for input {line:?}"
            );
        }
    }
});
