//! Numbers as KEDA and Kubernetes read and store them: Go's `strconv.ParseFloat`, and the
//! rounding of a trigger's value into a metric quantity.

/// Go's `strconv.ParseFloat(s, 64)`: the value, or Go's error text
/// (`strconv.ParseFloat: parsing "abc": invalid syntax`).
///
/// Accepts what Go accepts of decimal syntax (signs, exponents, `Inf`, `Infinity`, `NaN` in any
/// case, underscores only between digits of a prefixed number); a finite literal whose value
/// overflows is Go's `value out of range`. Hexadecimal floats (`0x1p-2`) are not accepted.
///
/// ```
/// use scalemod::keda::parse_go_float;
/// assert_eq!(parse_go_float("2.5"), Ok(2.5));
/// assert_eq!(parse_go_float("abc").unwrap_err(), r#"strconv.ParseFloat: parsing "abc": invalid syntax"#);
/// ```
pub fn parse_go_float(s: &str) -> Result<f64, String> {
    let syntax = || {
        format!(
            "strconv.ParseFloat: parsing {}: invalid syntax",
            go_quote(s)
        )
    };
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    let lower = body.to_ascii_lowercase();
    if matches!(lower.as_str(), "inf" | "infinity" | "nan") {
        return s.parse::<f64>().map_err(|_| syntax());
    }
    // Rust's parser accepts the same decimal forms as Go's, except that it also takes
    // `inf`/`nan` (handled above) and has no underscores or hex floats (both rejected here).
    if body.is_empty()
        || !body
            .bytes()
            .all(|b| b.is_ascii_digit() || b".eE+-".contains(&b))
    {
        return Err(syntax());
    }
    match s.parse::<f64>() {
        Ok(v) if v.is_infinite() => Err(format!(
            "strconv.ParseFloat: parsing {}: value out of range",
            go_quote(s)
        )),
        Ok(v) => Ok(v),
        Err(_) => Err(syntax()),
    }
}

/// Go's `%q` of a string, for the ASCII that manifests hold (other characters as they are).
fn go_quote(s: &str) -> String {
    format!("{s:?}")
}

/// A trigger's value as KEDA stores it in a metric: rounded to three decimals (a milli
/// quantity); NaN, infinities and negative values become `0`.
///
/// ```
/// use scalemod::keda::keda_metric_value;
/// assert_eq!(keda_metric_value(0.12345), 0.123);
/// assert_eq!(keda_metric_value(f64::NAN), 0.0);
/// assert_eq!(keda_metric_value(-3.0), 0.0);
/// ```
pub fn keda_metric_value(v: f64) -> f64 {
    if !v.is_finite() || v <= 0.0 {
        return 0.0;
    }
    let milli = (v * 1000.0).round();
    if milli >= i64::MAX as f64 {
        return i64::MAX as f64 / 1000.0;
    }
    milli / 1000.0
}

/// `Quantity.MilliValue()` of a float target: the milli-value rounded up, saturating.
pub(crate) fn milli_value_ceil(v: f64) -> i64 {
    let m = (v * 1000.0).ceil();
    if m.is_nan() {
        0
    } else {
        // `as` saturates at the i64 bounds.
        m as i64
    }
}
