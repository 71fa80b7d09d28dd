//! The KEDA layer's library API beyond the corpus: fallback behaviours, hostile readings,
//! replica counts, Go's float parsing.
#![cfg(feature = "keda")]

use scalemod::keda::{
    admit, desired_replicas, parse_go_float, CompileMode, Fallback, FallbackBehavior, MetricType,
    ModifierSpec, Modifiers, Reading, ReplicaBounds, RuntimeError, Trigger,
};

fn modifiers(formula: &str, fallback: Option<Fallback>) -> Modifiers {
    let spec = ModifierSpec {
        formula: Some(formula.into()),
        target: "2".into(),
        triggers: vec![
            Trigger::new("a", "prometheus"),
            Trigger::new("b", "prometheus"),
        ],
        fallback,
        ..ModifierSpec::default()
    };
    admit(&spec, CompileMode::KedaCurrent)
        .expect("admitted")
        .expect("has a formula")
}

fn fallback(behavior: FallbackBehavior) -> Option<Fallback> {
    Some(Fallback {
        failure_threshold: 3,
        replicas: 5,
        behavior,
    })
}

#[test]
fn the_current_replicas_fallbacks_report_their_replicas_times_the_target() {
    let failed = [Reading::Failed, Reading::Value(1.0)];
    let cases = [
        (FallbackBehavior::Static, 5.0 * 2.0),
        (FallbackBehavior::CurrentReplicas, 7.0 * 2.0),
        (FallbackBehavior::CurrentReplicasIfHigher, 7.0 * 2.0),
        (FallbackBehavior::CurrentReplicasIfLower, 5.0 * 2.0),
    ];
    for (behavior, want) in cases {
        let m = modifiers("a + b", fallback(behavior));
        let tick = m
            .evaluate_with_current(&failed, Some(7))
            .expect("a fallback value");
        assert_eq!(
            (tick.value, tick.formula_evaluated),
            (want, false),
            "{behavior:?}"
        );
    }
    // Lower than the fallback's replicas: currentReplicasIfLower takes the current count.
    let m = modifiers("a + b", fallback(FallbackBehavior::CurrentReplicasIfLower));
    assert_eq!(
        m.evaluate_with_current(&failed, Some(2)).map(|t| t.value),
        Ok(4.0)
    );
}

#[test]
fn under_scaling_modifiers_fallback_a_failed_trigger_is_nil() {
    let m = modifiers("a ?? b", fallback(FallbackBehavior::ScalingModifiers));
    let tick = m
        .evaluate(&[Reading::Failed, Reading::Value(1.5)])
        .expect("b's value");
    assert_eq!((tick.value, tick.milli), (1.5, 1_500));
    let tick = m
        .evaluate(&[Reading::Failed, Reading::Failed])
        .expect("the nil fallback");
    assert_eq!(tick.value, 10.0, "fallback.replicas * target");
}

#[test]
fn a_failed_trigger_without_fallback_is_an_error_naming_it() {
    let m = modifiers("a + b", None);
    let err = m
        .evaluate(&[Reading::Value(1.0), Reading::Failed])
        .unwrap_err();
    assert_eq!(err, RuntimeError::TriggerFailed("b".into()));
}

#[test]
fn non_finite_composites_are_typed_errors_and_scaler_values_are_sanitised() {
    let m = modifiers("a / b", None);
    for (a, b) in [
        (1.0, 0.0),
        (0.0, 0.0),
        (f64::INFINITY, 1.0),
        (1e300, 1e-300),
    ] {
        let err = m
            .evaluate(&[Reading::Value(a), Reading::Value(b)])
            .unwrap_err();
        assert!(
            matches!(err, RuntimeError::NotFinite(_)),
            "{a} / {b}: {err}"
        );
    }
    // A scaler's NaN, infinity or negative value is stored as 0, as KEDA stores it.
    assert_eq!(Reading::from_scaler(f64::NAN), Reading::Value(0.0));
    assert_eq!(Reading::from_scaler(f64::NEG_INFINITY), Reading::Value(0.0));
    assert_eq!(Reading::from_scaler(-2.0), Reading::Value(0.0));
    assert_eq!(Reading::from_scaler(1.23456), Reading::Value(1.235));
}

#[test]
fn the_wrong_number_of_readings_is_an_error() {
    let m = modifiers("a + b", None);
    assert!(matches!(
        m.evaluate(&[Reading::Value(1.0)]),
        Err(RuntimeError::Readings {
            expected: 2,
            got: 1
        })
    ));
}

#[test]
fn an_unparseable_activation_target_is_admitted_and_fails_at_run_time() {
    let spec = ModifierSpec {
        formula: Some("a".into()),
        target: "1".into(),
        activation_target: Some("one".into()),
        triggers: vec![Trigger::new("a", "x")],
        ..ModifierSpec::default()
    };
    let m = admit(&spec, CompileMode::KedaCurrent)
        .expect("admitted")
        .expect("formula");
    let err = m.evaluate(&[Reading::Value(1.0)]).unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"scalingModifiers.ActivationTarget parsing error strconv.ParseFloat: parsing "one": invalid syntax"#
    );
}

#[test]
fn replicas_follow_the_metric_type_tolerance_and_bounds() {
    let b = |min, max, current| ReplicaBounds { min, max, current };
    let avg = MetricType::AverageValue;
    assert_eq!(desired_replicas(5_000, 2.0, avg, true, b(0, 10, None)), 3);
    assert_eq!(
        desired_replicas(100_000, 2.0, avg, true, b(0, 10, None)),
        10,
        "clamped to max"
    );
    assert_eq!(
        desired_replicas(1, 2.0, avg, true, b(0, 10, None)),
        1,
        "at least 1 when active"
    );
    assert_eq!(
        desired_replicas(5_000, 2.0, avg, false, b(0, 10, None)),
        0,
        "inactive: min"
    );
    // 6.2 / (2 * 3) = 1.033: within the tolerance, the current count stays.
    assert_eq!(
        desired_replicas(6_200, 2.0, avg, true, b(1, 10, Some(3))),
        3
    );
    assert_eq!(
        desired_replicas(8_000, 2.0, avg, true, b(1, 10, Some(3))),
        4
    );
    // Value: ready pods * metric / target.
    assert_eq!(
        desired_replicas(3_000, 2.0, MetricType::Value, true, b(1, 10, Some(4))),
        6
    );
    // Hostile bounds and targets never panic.
    assert_eq!(
        desired_replicas(i64::MAX, 1e-300, avg, true, b(5, 1, None)),
        5
    );
    assert_eq!(
        desired_replicas(
            i64::MIN,
            f64::NAN,
            avg,
            true,
            b(i32::MIN, i32::MAX, Some(i32::MAX))
        ),
        1
    );
}

#[test]
fn go_float_parsing() {
    assert_eq!(parse_go_float("1e3"), Ok(1000.0));
    assert_eq!(parse_go_float("+Inf"), Ok(f64::INFINITY));
    assert!(parse_go_float("NaN").is_ok_and(f64::is_nan));
    for bad in ["", "1_000", "0x10", " 1", "1.5m", "--1"] {
        assert!(
            parse_go_float(bad).unwrap_err().ends_with("invalid syntax"),
            "{bad:?}"
        );
    }
    assert_eq!(
        parse_go_float("1e400").unwrap_err(),
        r#"strconv.ParseFloat: parsing "1e400": value out of range"#
    );
}
