//! The replica count the HPA derives from the composite metric, as KEDA's tests assume it
//! (one external metric, no behavior, no stabilization): see SPEC §5.

use super::modifiers::MetricType;
use super::quantity::milli_value_ceil;

/// `minReplicaCount`, `maxReplicaCount` and, when known, the current (ready) replica count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReplicaBounds {
    /// `minReplicaCount` (0 allowed: KEDA scales to zero when inactive).
    pub min: i32,
    /// `maxReplicaCount`.
    pub max: i32,
    /// The current replica count; `None` skips the tolerance check.
    pub current: Option<i32>,
}

/// The HPA's tolerance around a ratio of 1.
const TOLERANCE: f64 = 0.1;

/// Desired replicas for a composite metric of `milli` milli-units against `target`:
/// `ceil(milli / target_milli)` (`AverageValue`) or `ceil(ready × milli / target_milli)`
/// (`Value`), kept at the current count when the ratio is within the 0.1 tolerance, clamped to
/// `[max(min, 1), max]`; `min` when inactive.
///
/// ```
/// use scalemod::keda::{desired_replicas, MetricType, ReplicaBounds};
/// let bounds = ReplicaBounds { min: 0, max: 10, current: None };
/// assert_eq!(desired_replicas(5000, 2.0, MetricType::AverageValue, true, bounds), 3);
/// assert_eq!(desired_replicas(5000, 2.0, MetricType::AverageValue, false, bounds), 0);
/// ```
pub fn desired_replicas(
    milli: i64,
    target: f64,
    metric_type: MetricType,
    active: bool,
    bounds: ReplicaBounds,
) -> i32 {
    if !active {
        return bounds.min;
    }
    let target_milli = milli_value_ceil(target).max(1) as f64;
    let usage = milli as f64;
    let current = bounds.current.filter(|&c| c > 0);
    let raw = match (metric_type, current) {
        (MetricType::AverageValue, Some(c)) => {
            let ratio = usage / (target_milli * f64::from(c));
            if within_tolerance(ratio) {
                f64::from(c)
            } else {
                (usage / target_milli).ceil()
            }
        }
        (MetricType::AverageValue, None) => (usage / target_milli).ceil(),
        (MetricType::Value, Some(c)) => {
            let ratio = usage / target_milli;
            if within_tolerance(ratio) {
                f64::from(c)
            } else {
                (ratio * f64::from(c)).ceil()
            }
        }
        (MetricType::Value, None) => (usage / target_milli).ceil(),
    };
    // `as` saturates (and takes NaN to 0); the clamp keeps the bounds' order safe.
    let raw = raw as i32;
    let low = bounds.min.max(1);
    raw.max(low).min(bounds.max.max(low))
}

fn within_tolerance(ratio: f64) -> bool {
    (1.0 - TOLERANCE..=1.0 + TOLERANCE).contains(&ratio)
}
