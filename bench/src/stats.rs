//! Percentiles and medians, the only arithmetic the report needs.

/// The `p`-th percentile (0–100) of values sorted ascending (not empty), by
/// nearest rank: the smallest value with at least `p` % of the values at or
/// below it.
pub fn percentile_of_sorted(sorted: &[f64], p: f64) -> f64 {
    let n = sorted.len();
    let rank = ((p / 100.0) * n as f64).ceil() as usize;
    sorted[rank.clamp(1, n) - 1]
}

/// The median: the middle value, or the mean of the two middle ones. `None`
/// when empty.
pub fn median(values: &[f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mid = sorted.len() / 2;
    Some(if sorted.len() % 2 == 1 { sorted[mid] } else { (sorted[mid - 1] + sorted[mid]) / 2.0 })
}

/// p50, p99 and max of a sample, in that order; `None` when empty.
pub fn summary(values: &[f64]) -> Option<(f64, f64, f64)> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    Some((percentile_of_sorted(&sorted, 50.0), percentile_of_sorted(&sorted, 99.0), sorted[sorted.len() - 1]))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_take_the_nearest_rank() {
        let values: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile_of_sorted(&values, 50.0), 50.0);
        assert_eq!(percentile_of_sorted(&values, 99.0), 99.0);
        assert_eq!(percentile_of_sorted(&values, 100.0), 100.0);
        assert_eq!(percentile_of_sorted(&values, 0.0), 1.0);
        assert_eq!(percentile_of_sorted(&[7.0], 99.0), 7.0);
        assert_eq!(summary(&[]), None);
    }

    #[test]
    fn a_p99_of_few_values_is_the_largest() {
        assert_eq!(summary(&[3.0, 1.0, 2.0]), Some((2.0, 3.0, 3.0)));
    }

    #[test]
    fn the_median_of_an_even_count_is_the_mean_of_the_middle_two() {
        assert_eq!(median(&[5.0, 1.0, 3.0]), Some(3.0));
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median(&[]), None);
    }
}
