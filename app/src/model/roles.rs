//! The role matrix as the browser receives it.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct ApplicationRef {
    pub id: Uuid,
    pub name: String,
    pub is_console: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct MatrixPermission {
    pub id: Uuid,
    pub resource: String,
    pub action: String,
    pub risk: String,
    pub high_impact: bool,
    pub description: String,
}

impl MatrixPermission {
    pub fn key(&self) -> String {
        format!("{}.{}", self.resource, self.action)
    }
}

/// Roles and permission sets are both bundles of permissions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum BundleKind {
    #[default]
    Role,
    PermissionSet,
}

impl BundleKind {
    pub fn noun(self) -> &'static str {
        match self {
            BundleKind::Role => "role",
            BundleKind::PermissionSet => "permission set",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct MatrixBundle {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    /// Principals holding it through a grant in force now.
    pub members: i64,
    pub permissions: i64,
    pub high_impact: i64,
    #[cfg_attr(feature = "ssr", sqlx(skip))]
    pub overloaded: Option<String>,
}

/// What part of an application's matrix to send: the permissions that pass the filter
/// (all three must hold), one page of them at a time, so that a page of the matrix
/// stays a few thousand cells however large the application is.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct MatrixWindow {
    /// Words in the permission's key or description, any case.
    pub search: String,
    pub resource: String,
    /// A risk level, "high-impact", or empty for all.
    pub risk: String,
    /// From 1; 0 (left out) is the first.
    pub page: u32,
}

/// About how many cells one page of the matrix holds: its rows are as many permissions
/// as fit this many cells (at least 10, at most 100).
pub const CELLS_PER_PAGE: usize = 1_200;

impl MatrixWindow {
    pub fn shows(&self, p: &MatrixPermission) -> bool {
        let q = self.search.trim().to_lowercase();
        (q.is_empty() || p.key().contains(&q) || p.description.to_lowercase().contains(&q))
            && (self.risk.is_empty()
                || (self.risk == "high-impact" && p.high_impact)
                || self.risk == p.risk)
            && (self.resource.is_empty() || self.resource == p.resource)
    }

    /// How many permissions a page holds beside `bundles` columns.
    pub fn per_page(bundles: usize) -> usize {
        (CELLS_PER_PAGE / bundles.max(1)).clamp(10, 100)
    }
}

/// One page of an application's matrix for one kind of bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleMatrix {
    pub applications: Vec<ApplicationRef>,
    pub application: ApplicationRef,
    pub kind: BundleKind,
    /// Every resource of the application, for the filter.
    pub resources: Vec<String>,
    /// Every bundle of the kind, with counts over the whole application.
    pub bundles: Vec<MatrixBundle>,
    /// The page's permissions, in order of resource and action.
    pub permissions: Vec<MatrixPermission>,
    /// The page's ticked cells, as (bundle, permission) positions in the two lists.
    pub cells: Vec<(usize, usize)>,
    /// How many permissions pass the filter, on every page.
    pub matching: usize,
    /// The position of the page's first permission among those.
    pub first: usize,
    pub page: u32,
    pub pages: u32,
    /// Two of the bundles side by side, when there are two.
    pub comparison: Option<BundleComparison>,
}

/// Two bundles side by side: the permission keys each holds that the other lacks, and
/// those both hold.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BundleComparison {
    pub left: Uuid,
    pub right: Uuid,
    pub only_left: Vec<String>,
    pub both: Vec<String>,
    pub only_right: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn permission(resource: &str, action: &str, risk: &str, high_impact: bool) -> MatrixPermission {
        MatrixPermission {
            id: Uuid::nil(),
            resource: resource.into(),
            action: action.into(),
            risk: risk.into(),
            high_impact,
            description: format!("Lets one {action} {resource}"),
        }
    }

    #[test]
    fn a_page_holds_about_as_many_cells_whatever_the_columns() {
        assert_eq!(MatrixWindow::per_page(40), 30);
        assert_eq!(MatrixWindow::per_page(0), 100);
        assert_eq!(MatrixWindow::per_page(8), 100);
        assert_eq!(MatrixWindow::per_page(500), 10);
    }

    #[test]
    fn every_filter_must_hold() {
        let export = permission("contacts", "export", "high", true);
        let view = permission("contacts", "view", "low", false);
        let window = |search: &str, resource: &str, risk: &str| MatrixWindow {
            search: search.into(),
            resource: resource.into(),
            risk: risk.into(),
            page: 0,
        };
        assert!(window("", "", "").shows(&view));
        // The key or the description, in any case.
        assert!(window(" EXPORT ", "", "").shows(&export));
        assert!(window("lets one view", "", "").shows(&view));
        assert!(!window("export", "", "").shows(&view));
        assert!(window("", "", "high-impact").shows(&export));
        assert!(!window("", "", "high-impact").shows(&view));
        assert!(window("", "", "low").shows(&view));
        assert!(!window("", "billing", "").shows(&view));
        assert!(!window("export", "contacts", "low").shows(&export));
    }
}
