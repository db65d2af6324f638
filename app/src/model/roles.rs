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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum BundleKind {
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

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleMatrix {
    pub applications: Vec<ApplicationRef>,
    pub application: ApplicationRef,
    pub permissions: Vec<MatrixPermission>,
    pub roles: Vec<MatrixBundle>,
    pub permission_sets: Vec<MatrixBundle>,
    /// (role id, permission id) pairs that are ticked.
    pub role_cells: Vec<(Uuid, Uuid)>,
    /// (permission set id, permission id) pairs that are ticked.
    pub set_cells: Vec<(Uuid, Uuid)>,
}

impl RoleMatrix {
    pub fn bundles(&self, kind: BundleKind) -> &[MatrixBundle] {
        match kind {
            BundleKind::Role => &self.roles,
            BundleKind::PermissionSet => &self.permission_sets,
        }
    }

    pub fn cells(&self, kind: BundleKind) -> &[(Uuid, Uuid)] {
        match kind {
            BundleKind::Role => &self.role_cells,
            BundleKind::PermissionSet => &self.set_cells,
        }
    }
}
