//! Admission and per-tick evaluation of a ScaledObject's scaling modifiers.

use super::quantity::{keda_metric_value, parse_go_float};
use crate::{Cast, CompileOptions, Formula, Inputs, Schema, Slot, Value};

/// A trigger of a ScaledObject: its `name` (may be empty) and `type` (`prometheus`, `cpu`, …).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Trigger {
    /// `triggers[].name`; empty when unnamed (an unnamed trigger cannot be used in a formula).
    pub name: String,
    /// `triggers[].type`.
    pub kind: String,
}

impl Trigger {
    /// A trigger with a name and a type.
    pub fn new(name: &str, kind: &str) -> Trigger {
        Trigger {
            name: name.into(),
            kind: kind.into(),
        }
    }

    /// Whether a formula can reference it: named, and not a `cpu`/`memory` resource trigger.
    pub fn in_formula_env(&self) -> bool {
        !self.name.is_empty() && self.kind != "cpu" && self.kind != "memory"
    }
}

/// `fallback.behavior`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FallbackBehavior {
    /// `static` (also the empty default): `fallback.replicas`.
    #[default]
    Static,
    /// `currentReplicas`: keep the current count.
    CurrentReplicas,
    /// `currentReplicasIfHigher`: the current count if above `fallback.replicas`.
    CurrentReplicasIfHigher,
    /// `currentReplicasIfLower`: the current count if below `fallback.replicas`.
    CurrentReplicasIfLower,
    /// `scalingModifiers`: failed triggers are nil in the formula.
    ScalingModifiers,
}

impl FallbackBehavior {
    /// Parses the manifest's spelling (`""` is `static`); `None` for anything else.
    pub fn parse(s: &str) -> Option<FallbackBehavior> {
        Some(match s {
            "" | "static" => FallbackBehavior::Static,
            "currentReplicas" => FallbackBehavior::CurrentReplicas,
            "currentReplicasIfHigher" => FallbackBehavior::CurrentReplicasIfHigher,
            "currentReplicasIfLower" => FallbackBehavior::CurrentReplicasIfLower,
            "scalingModifiers" => FallbackBehavior::ScalingModifiers,
            _ => return None,
        })
    }
}

/// `spec.fallback`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Fallback {
    /// `failureThreshold`: failed polls before the fallback applies.
    pub failure_threshold: i32,
    /// `replicas`.
    pub replicas: i32,
    /// `behavior`.
    pub behavior: FallbackBehavior,
}

/// `scalingModifiers.metricType`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum MetricType {
    /// `AverageValue` (the default): replicas = metric / target.
    #[default]
    AverageValue,
    /// `Value`: replicas = ready pods × metric / target.
    Value,
}

/// Which compile KEDA (or one of its tests) does.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CompileMode {
    /// Today's KEDA: [`keda_formula`]'s rewrite, compiled against the named triggers as floats.
    #[default]
    KedaCurrent,
    /// Plain `expr.Compile(formula)` without an env, as some of KEDA's unit tests do: unknown
    /// names are nil, no rewrite, no dry run.
    RawNoEnv,
    /// KEDA 2.13–2.19: the rewrite plus expr's `AsFloat64`.
    LegacyAsFloat64,
    /// KEDA 2.12: no rewrite, `AsFloat64`.
    LegacyV2_12,
}

/// What admission needs of a ScaledObject.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ModifierSpec {
    /// `scalingModifiers.formula`; `None` when the ScaledObject has no scaling modifiers.
    pub formula: Option<String>,
    /// `scalingModifiers.target`.
    pub target: String,
    /// `scalingModifiers.activationTarget` (default `0`).
    pub activation_target: Option<String>,
    /// `scalingModifiers.metricType` as written (`None`: `AverageValue`).
    pub metric_type: Option<String>,
    /// `spec.triggers`.
    pub triggers: Vec<Trigger>,
    /// `spec.fallback`.
    pub fallback: Option<Fallback>,
}

/// An admission rejection, with KEDA's message.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct AdmissionError {
    /// KEDA's message, lines joined by `\n`.
    pub message: String,
    /// The formula error behind it, when there is one: its byte span in the compiled formula.
    pub formula_span: Option<(usize, usize)>,
}

impl AdmissionError {
    fn new(message: impl Into<String>) -> AdmissionError {
        AdmissionError {
            message: message.into(),
            formula_span: None,
        }
    }
}

/// A failure while computing the composite metric of a tick.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum RuntimeError {
    /// The formula failed (`int(a) % int(b)` with `b` 0); KEDA's message with expr's.
    #[error("error trying to run custom formula: {0}")]
    Formula(String),
    /// The formula gave nil and there is no fallback (`a ?? b` with both failed).
    #[error("scalingModifiers formula evaluated to nil but no fallback is configured")]
    NilWithoutFallback,
    /// The formula gave something other than a float (`float(a) > 1 ? 1 : 2`, which keeps its
    /// `float(` prefix and so is not wrapped).
    #[error("formula returned non-float result {ty} ({value})")]
    NonFloat {
        /// Go's name of the type.
        ty: &'static str,
        /// The value.
        value: String,
    },
    /// `activationTarget` is not a number.
    #[error("scalingModifiers.ActivationTarget parsing error {0}")]
    ActivationTarget(String),
    /// A trigger failed and no fallback covers it.
    #[error("trigger {0} failed and no fallback is configured")]
    TriggerFailed(String),
    /// The composite metric is NaN, infinite or beyond an int64 of milli-units. KEDA would
    /// store a garbage milli value (`int64(+Inf * 1000)`, i64::MIN on amd64); scalemod refuses.
    #[error("composite metric {0} is not a finite number of milli-units (KEDA would store a garbage value)")]
    NotFinite(f64),
    /// There is no formula to evaluate (KEDA's cache holds none).
    #[error("cached compiled formula is nil during its calculation")]
    NoFormula,
    /// The readings do not match the triggers.
    #[error("expected {expected} trigger readings, got {got}")]
    Readings {
        /// The number of triggers in the formula's env.
        expected: usize,
        /// The number given.
        got: usize,
    },
}

/// One trigger's state at a tick.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Reading {
    /// The trigger's metric value, as the formula sees it (see [`Reading::from_scaler`]).
    Value(f64),
    /// The scaler has failed more than `fallback.failureThreshold` times in a row.
    Failed,
    /// No metric for this trigger at this tick (nil in the formula, without fallback).
    Missing,
}

impl Reading {
    /// A scaler's raw value as KEDA stores it before the formula reads it: rounded to three
    /// decimals, NaN, infinities and negatives as `0` ([`keda_metric_value`]).
    ///
    /// ```
    /// use scalemod::keda::Reading;
    /// assert_eq!(Reading::from_scaler(0.0015), Reading::Value(0.002));
    /// ```
    pub fn from_scaler(value: f64) -> Reading {
        Reading::Value(keda_metric_value(value))
    }
}

/// A tick's composite metric.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Composite {
    /// The composite value (the formula's, or the fallback's).
    pub value: f64,
    /// As stored: `trunc(value * 1000)`.
    pub milli: i64,
    /// `milli / 1000 > activationTarget`.
    pub active: bool,
    /// Whether the formula ran (a static fallback skips it).
    pub formula_evaluated: bool,
}

/// KEDA's rewrite before compiling: a formula with `??` keeps nil; one that starts with
/// `float(` is kept as is; any other is wrapped in `float(…)`.
///
/// ```
/// assert_eq!(scalemod::keda::keda_formula("a + b"), "float(a + b)");
/// assert_eq!(scalemod::keda::keda_formula("float(a) * 2"), "float(a) * 2");
/// ```
pub fn keda_formula(formula: &str) -> String {
    if formula.contains("??") {
        format!("let _kedaCompositeResult = ({formula}); _kedaCompositeResult == nil ? nil : float(_kedaCompositeResult)")
    } else if formula.starts_with("float(") {
        formula.to_string()
    } else {
        format!("float({formula})")
    }
}

/// Admitted scaling modifiers, compiled: evaluate them every tick.
#[derive(Clone, Debug)]
pub struct Modifiers {
    formula: Formula,
    /// The formula's env: the names of the triggers a reading is given for, in order.
    env: Vec<String>,
    slots: Vec<Slot>,
    schema: Schema,
    target: f64,
    activation: Result<f64, String>,
    metric_type: MetricType,
    fallback: Option<Fallback>,
}

/// Validates a ScaledObject's scaling modifiers as KEDA's admission webhook does and compiles
/// them; `Ok(None)` for a ScaledObject without scaling modifiers (which only the fallback rule
/// concerns).
pub fn admit(spec: &ModifierSpec, mode: CompileMode) -> Result<Option<Modifiers>, AdmissionError> {
    let Some(source) = &spec.formula else {
        if spec
            .fallback
            .is_some_and(|f| f.behavior == FallbackBehavior::ScalingModifiers)
        {
            return Err(AdmissionError::new(
                "scalingModifiers fallback behavior requires scalingModifiers.formula to be defined",
            ));
        }
        return Ok(None);
    };
    if source.is_empty() {
        return Err(AdmissionError::new(
            "error ScalingModifiers.Formula is mandatory",
        ));
    }
    let formula_error = |message: &str| {
        AdmissionError::new(format!(
            "error validating formula in ScalingModifiers\n{message}"
        ))
    };
    // A raw compile (KEDA's unit tests) has no webhook in front of it.
    let webhook = mode != CompileMode::RawNoEnv;
    if webhook && spec.target.is_empty() {
        return Err(formula_error("formula is given but target is empty"));
    }
    let env: Vec<String> = spec
        .triggers
        .iter()
        .filter(|t| mode == CompileMode::RawNoEnv || t.in_formula_env())
        .map(|t| t.name.clone())
        .collect();
    let schema = Schema::floats(&env);
    let (compiled_source, options) = compile_options(source, mode);
    let formula =
        Formula::compile_with_options(&compiled_source, &schema, &options).map_err(|e| {
            let mut err = formula_error(&e.to_string());
            err.formula_span = e.span().map(|s| (s.start as usize, s.end as usize));
            err
        })?;
    let slots: Vec<Slot> = env.iter().filter_map(|n| schema.slot(n)).collect();
    if webhook {
        // The dry run: every trigger at -1.0.
        let mut inputs = Inputs::new(&schema);
        for &slot in &slots {
            inputs.set_f64(slot, -1.0);
        }
        if let Err(e) = formula.eval(&inputs) {
            let mut err = formula_error(&e.to_string());
            err.formula_span = e.span().map(|s| (s.start as usize, s.end as usize));
            return Err(err);
        }
    }
    let target_error = |message: String| {
        AdmissionError::new(format!(
            "error validating target in ScalingModifiers\n{message}"
        ))
    };
    let metric_type = match spec.metric_type.as_deref() {
        None | Some("") | Some("AverageValue") => MetricType::AverageValue,
        Some("Value") => MetricType::Value,
        Some(other) => {
            return Err(target_error(format!(
                "error trigger type is {other}, but it needs to be AverageValue or Value for external metrics"
            )))
        }
    };
    let converting = "error converting target for scalingModifiers (string->float) to valid target";
    let target = match parse_go_float(&spec.target) {
        Ok(t) if t > 0.0 || !webhook => t,
        Err(_) if !webhook => 0.0,
        // KEDA formats a nil error with %w here.
        Ok(_) => return Err(target_error(format!("{converting}: %!w(<nil>)"))),
        Err(e) => return Err(target_error(format!("{converting}: {e}"))),
    };
    let activation = match spec.activation_target.as_deref() {
        None | Some("") => Ok(0.0),
        Some(text) => parse_go_float(text),
    };
    Ok(Some(Modifiers {
        formula,
        env,
        slots,
        schema,
        target,
        activation,
        metric_type,
        fallback: spec.fallback,
    }))
}

/// The source KEDA compiles for `mode`, and expr's options for it.
fn compile_options(source: &str, mode: CompileMode) -> (String, CompileOptions) {
    let mut options = CompileOptions::default();
    let compiled = match mode {
        CompileMode::KedaCurrent => keda_formula(source),
        CompileMode::RawNoEnv => {
            options.allow_undefined = true;
            source.to_string()
        }
        CompileMode::LegacyAsFloat64 => {
            options.cast = Some(Cast::Float64);
            keda_formula(source)
        }
        CompileMode::LegacyV2_12 => {
            options.cast = Some(Cast::Float64);
            source.to_string()
        }
    };
    (compiled, options)
}

impl Modifiers {
    /// The names of the triggers the formula can read, in the order [`evaluate`](Self::evaluate)
    /// takes their readings.
    pub fn env(&self) -> &[String] {
        &self.env
    }

    /// The compiled formula (KEDA's rewrite of it).
    pub fn formula(&self) -> &Formula {
        &self.formula
    }

    /// `target` as a number.
    pub fn target(&self) -> f64 {
        self.target
    }

    /// `metricType`.
    pub fn metric_type(&self) -> MetricType {
        self.metric_type
    }

    /// `activationTarget` as a number, or KEDA's parse error.
    pub fn activation_target(&self) -> Result<f64, RuntimeError> {
        self.activation
            .clone()
            .map_err(RuntimeError::ActivationTarget)
    }

    /// `fallback`.
    pub fn fallback(&self) -> Option<Fallback> {
        self.fallback
    }

    /// One tick: `readings` in [`env`](Self::env) order. `current_replicas` is the
    /// workload's replica count, which the `currentReplicas*` fallbacks use (`None`: 0).
    pub fn evaluate(&self, readings: &[Reading]) -> Result<Composite, RuntimeError> {
        self.evaluate_with_current(readings, None)
    }

    /// [`evaluate`](Self::evaluate) with the workload's current replica count.
    pub fn evaluate_with_current(
        &self,
        readings: &[Reading],
        current_replicas: Option<i32>,
    ) -> Result<Composite, RuntimeError> {
        if readings.len() != self.slots.len() {
            return Err(RuntimeError::Readings {
                expected: self.slots.len(),
                got: readings.len(),
            });
        }
        let static_fallback = self
            .fallback
            .filter(|f| f.behavior != FallbackBehavior::ScalingModifiers);
        let mut inputs = Inputs::new(&self.schema);
        let mut failed = None;
        for (i, (&slot, reading)) in self.slots.iter().zip(readings).enumerate() {
            match reading {
                Reading::Value(v) => inputs.set_f64(slot, *v),
                Reading::Missing => inputs.set_missing(slot),
                Reading::Failed => {
                    failed.get_or_insert(i);
                    inputs.set_missing(slot);
                }
            }
        }
        let (value, formula_evaluated) = match (failed, static_fallback, self.fallback) {
            (Some(_), Some(fallback), _) => {
                (self.fallback_value(fallback, current_replicas), false)
            }
            (Some(i), None, None) => {
                return Err(RuntimeError::TriggerFailed(self.env[i].clone()));
            }
            _ => match self.formula.eval(&inputs) {
                Ok(Value::Float(v)) => (v, true),
                Ok(Value::Nil) => match self.fallback {
                    Some(f) => (f64::from(f.replicas) * self.target, true),
                    None => return Err(RuntimeError::NilWithoutFallback),
                },
                Ok(other) => {
                    return Err(RuntimeError::NonFloat {
                        ty: go_type(&other),
                        value: other.to_string(),
                    })
                }
                Err(e) => return Err(RuntimeError::Formula(e.to_string())),
            },
        };
        let milli = value * 1000.0;
        // i64::MAX as f64 is 2^63, itself out of range.
        if !milli.is_finite() || milli.abs() >= 9_223_372_036_854_775_808.0 {
            return Err(RuntimeError::NotFinite(value));
        }
        let milli = milli.trunc() as i64;
        let activation = self.activation_target()?;
        Ok(Composite {
            value,
            milli,
            active: milli as f64 / 1000.0 > activation,
            formula_evaluated,
        })
    }

    /// The composite metric a static fallback reports: its replica count times the target.
    fn fallback_value(&self, fallback: Fallback, current: Option<i32>) -> f64 {
        let current = current.unwrap_or(0);
        let replicas = match fallback.behavior {
            FallbackBehavior::Static | FallbackBehavior::ScalingModifiers => fallback.replicas,
            FallbackBehavior::CurrentReplicas => current,
            FallbackBehavior::CurrentReplicasIfHigher => current.max(fallback.replicas),
            FallbackBehavior::CurrentReplicasIfLower => current.min(fallback.replicas),
        };
        f64::from(replicas) * self.target
    }
}

/// Go's name of a value's type, as KEDA's `%T` prints it.
fn go_type(v: &Value) -> &'static str {
    match v {
        Value::Nil => "<nil>",
        Value::Bool(_) => "bool",
        Value::Int(_) => "int",
        Value::Float(_) => "float64",
        Value::Array(_) => "[]interface {}",
    }
}
