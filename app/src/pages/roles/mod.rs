//! The role matrix: which role and permission set of an application holds which
//! permission, editable cell by cell, with a comparison of two bundles and their
//! management below.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use leptos_router::params::ParamsMap;
use uuid::Uuid;

use crate::api::roles::{load_role_matrix, CreateBundle, DeleteBundle, UpdateBundle};
use crate::components::ErrorNotice;
use crate::model::roles::{BundleKind, MatrixWindow};
use crate::UserSession;
use matrix::MatrixView;
use rules::console::ConsolePermission;

mod bundles;
mod compare;
mod matrix;

/// Value of the `layout` query parameter that puts bundles in rows.
const TRANSPOSED: &str = "bundles-as-rows";

/// What the page's address chooses: the application, roles or permission sets, the
/// layout, the filter and page of the permissions, and the two bundles compared.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
struct MatrixAddress {
    application: Option<Uuid>,
    kind: BundleKind,
    transposed: bool,
    window: MatrixWindow,
    left: Option<Uuid>,
    right: Option<Uuid>,
}

impl MatrixAddress {
    fn from_query(query: &ParamsMap) -> Self {
        let text = |name: &str| query.get(name).unwrap_or_default();
        let id = |name: &str| query.get(name).and_then(|v| Uuid::parse_str(&v).ok());
        MatrixAddress {
            application: id("app"),
            kind: match query.get("tab").as_deref() {
                Some("sets") => BundleKind::PermissionSet,
                _ => BundleKind::Role,
            },
            transposed: query.get("layout").as_deref() == Some(TRANSPOSED),
            window: MatrixWindow {
                search: text("q"),
                resource: text("resource"),
                risk: text("risk"),
                page: text("page").parse().unwrap_or(0),
            },
            left: id("left"),
            right: id("right"),
        }
    }

    /// The address's query, leaving out what is at its default.
    fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs: Vec<(&str, String)> = Vec::new();
        if let Some(app) = self.application {
            pairs.push(("app", app.to_string()));
        }
        pairs.push((
            "tab",
            match self.kind {
                BundleKind::Role => "roles",
                BundleKind::PermissionSet => "sets",
            }
            .into(),
        ));
        if self.transposed {
            pairs.push(("layout", TRANSPOSED.into()));
        }
        let w = &self.window;
        for (name, value) in [
            ("q", &w.search),
            ("resource", &w.resource),
            ("risk", &w.risk),
        ] {
            if !value.is_empty() {
                pairs.push((name, value.clone()));
            }
        }
        if w.page > 1 {
            pairs.push(("page", w.page.to_string()));
        }
        for (name, id) in [("left", self.left), ("right", self.right)] {
            if let Some(id) = id {
                pairs.push((name, id.to_string()));
            }
        }
        pairs
    }

    fn href(&self) -> String {
        let query = serde_urlencoded::to_string(self.pairs()).unwrap_or_default();
        format!("/roles?{query}")
    }

    /// The address as hidden fields, for a form that adds to it.
    fn hidden_fields(&self) -> impl IntoView {
        self.pairs()
            .into_iter()
            .map(|(name, value)| view! { <input type="hidden" name=name value=value /> })
            .collect_view()
    }

    /// Another application or kind of bundle: its first page, unfiltered.
    fn tab(&self, application: Uuid, kind: BundleKind) -> String {
        MatrixAddress {
            application: Some(application),
            kind,
            transposed: self.transposed,
            ..MatrixAddress::default()
        }
        .href()
    }
}

#[component]
pub fn RolesPage() -> impl IntoView {
    let query = use_query_map();
    let address = Memo::new(move |_| MatrixAddress::from_query(&query.read()));
    let create = crate::components::action::<CreateBundle>();
    let update = crate::components::action::<UpdateBundle>();
    let delete = crate::components::action::<DeleteBundle>();
    let matrix = Resource::new(
        move || address.get(),
        |a| load_role_matrix(a.application, a.kind, a.window, a.left, a.right),
    );
    let session = expect_context::<UserSession>();

    view! {
        <Title text="Role matrix" />
        <h1>"Role matrix"</h1>
        <p class="muted">"Which role and permission set holds which permission, per application. High-impact permissions are flagged."</p>
        <Transition fallback=|| view! { <p class="loading">"Loading the matrix…"</p> }>
            {move || Suspend::new(async move {
                let can_manage = session.user.await.ok().flatten().is_some_and(|u| u.can(ConsolePermission::RolesManage));
                match matrix.await {
                    Ok(m) => view! { <MatrixView matrix=m address=address.get_untracked() can_manage create update delete /> }.into_any(),
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_comes_back_from_its_own_link() {
        let address = MatrixAddress {
            application: Some(Uuid::from_u128(7)),
            kind: BundleKind::PermissionSet,
            transposed: true,
            window: MatrixWindow {
                search: "export & share".into(),
                resource: "contacts".into(),
                risk: "high-impact".into(),
                page: 3,
            },
            left: Some(Uuid::from_u128(1)),
            right: Some(Uuid::from_u128(2)),
        };
        let href = address.href();
        assert!(href.contains("q=export+%26+share"), "{href}");
        let query: Vec<(String, String)> =
            serde_urlencoded::from_str(href.trim_start_matches("/roles?")).unwrap();
        let map = ParamsMap::from_iter(query);
        assert_eq!(MatrixAddress::from_query(&map), address);
        // The defaults are left out, and a tab starts afresh.
        assert_eq!(MatrixAddress::default().href(), "/roles?tab=roles");
        assert_eq!(
            address.tab(Uuid::from_u128(9), BundleKind::Role),
            format!(
                "/roles?app={}&tab=roles&layout=bundles-as-rows",
                Uuid::from_u128(9)
            )
        );
    }
}
