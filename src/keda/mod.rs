//! The KEDA layer: a ScaledObject's `advanced.scalingModifiers` as KEDA validates and
//! evaluates them (kedacore/keda `apis/keda/v1alpha1/scaledobject_webhook.go`,
//! `pkg/scaling/modifiers/`, `pkg/scaling/scale_handler.go`, `pkg/fallback/`).
//!
//! [`admit`] is the admission webhook: KEDA's float rewrite of the formula, the compile against
//! the named triggers, the dry run with every trigger at `-1.0`, the target checks and the
//! fallback rule, with KEDA's messages. [`Modifiers::evaluate`] is one tick: trigger values
//! rounded as KEDA stores them, fallback, the composite metric in milli-units and activation.
//! [`desired_replicas`] is what the HPA then makes of the composite metric.
//!
//! ```
//! use scalemod::keda::{admit, CompileMode, ModifierSpec, Reading, Trigger};
//! let spec = ModifierSpec {
//!     formula: Some("tokens_per_min >= 5000 ? request_rate : 0".into()),
//!     target: "100".into(),
//!     activation_target: Some("1".into()),
//!     triggers: vec![Trigger::new("tokens_per_min", "prometheus"), Trigger::new("request_rate", "prometheus")],
//!     ..ModifierSpec::default()
//! };
//! let modifiers = admit(&spec, CompileMode::KedaCurrent)?.expect("a formula");
//! let tick = modifiers.evaluate(&[Reading::Value(6200.0), Reading::Value(118.0)])?;
//! assert_eq!((tick.milli, tick.active), (118_000, true));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! This layer uses the language and knows nothing of the HPA's controller state or replays.

#[cfg(feature = "cli")]
pub mod jsonl;
mod modifiers;
mod quantity;
mod replicas;

pub use modifiers::{
    admit, keda_formula, AdmissionError, CompileMode, Composite, Fallback, FallbackBehavior,
    MetricType, ModifierSpec, Modifiers, Reading, RuntimeError, Trigger,
};
pub use quantity::{keda_metric_value, parse_go_float};
pub use replicas::{desired_replicas, ReplicaBounds};
