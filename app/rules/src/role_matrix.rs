//! Rules of the role matrix: which roles are overloaded compared with the others of
//! their application.

/// A role's figures as the matrix counts them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoleLoad {
    pub permissions: i64,
    pub high_impact: i64,
}

/// Why a role stands out, with the figures, or `None`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Overload {
    pub reason: String,
}

/// A role is overloaded when its permission count or its high-impact count is at
/// least twice the application's median and at least this many above it.
pub const MIN_EXCESS: i64 = 3;

pub fn median(values: &mut [i64]) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    values.sort_unstable();
    let mid = values.len() / 2;
    if values.len().is_multiple_of(2) {
        (values[mid - 1] + values[mid]) as f64 / 2.0
    } else {
        values[mid] as f64
    }
}

/// For each role (in the order given), whether it is overloaded and why.
pub fn overloaded_roles(loads: &[RoleLoad]) -> Vec<Option<Overload>> {
    let median_permissions = median(&mut loads.iter().map(|l| l.permissions).collect::<Vec<_>>());
    let median_high = median(&mut loads.iter().map(|l| l.high_impact).collect::<Vec<_>>());
    let stands_out = |value: i64, median: f64| {
        value as f64 >= 2.0 * median && value as f64 >= median + MIN_EXCESS as f64
    };
    loads
        .iter()
        .map(|load| {
            let mut reasons = vec![];
            if stands_out(load.permissions, median_permissions) {
                reasons.push(format!(
                    "{} permissions against a median of {median_permissions}",
                    load.permissions
                ));
            }
            if stands_out(load.high_impact, median_high) {
                reasons.push(format!(
                    "{} high-impact against a median of {median_high}",
                    load.high_impact
                ));
            }
            (!reasons.is_empty()).then(|| Overload {
                reason: reasons.join("; "),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(permissions: i64, high_impact: i64) -> RoleLoad {
        RoleLoad {
            permissions,
            high_impact,
        }
    }

    #[test]
    fn median_of_odd_and_even_sets() {
        assert_eq!(median(&mut [5, 1, 3]), 3.0);
        assert_eq!(median(&mut [4, 1, 3, 2]), 2.5);
        assert_eq!(median(&mut []), 0.0);
    }

    #[test]
    fn a_role_far_above_the_median_is_flagged_with_its_figures() {
        let flags = overloaded_roles(&[load(4, 0), load(5, 1), load(4, 0), load(21, 8)]);
        assert_eq!(flags[..3], [None, None, None]);
        let reason = &flags[3].as_ref().unwrap().reason;
        assert!(
            reason.contains("21 permissions against a median of 4.5"),
            "{reason}"
        );
        assert!(
            reason.contains("8 high-impact against a median of 0.5"),
            "{reason}"
        );
    }

    #[test]
    fn small_differences_are_not_overload() {
        // Twice the median, but only two above it.
        assert_eq!(
            overloaded_roles(&[load(2, 0), load(2, 0), load(4, 0)]),
            vec![None, None, None]
        );
    }

    #[test]
    fn equal_roles_are_never_overloaded() {
        assert!(overloaded_roles(&[load(6, 2); 5])
            .iter()
            .all(Option::is_none));
    }
}
