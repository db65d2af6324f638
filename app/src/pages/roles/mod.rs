//! The role matrix: which role and permission set of an application holds which
//! permission, editable cell by cell, with a comparison of two bundles and their
//! management below.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use uuid::Uuid;

use crate::api::roles::{load_role_matrix, CreateBundle, DeleteBundle, UpdateBundle};
use crate::components::{settled, ErrorNotice};
use crate::model::roles::BundleKind;
use crate::UserSession;
use matrix::MatrixView;
use rules::console::ConsolePermission;

mod bundles;
mod compare;
mod matrix;

/// Value of the `layout` query parameter that puts bundles in rows.
const TRANSPOSED: &str = "bundles-as-rows";

fn matrix_href(app_id: Uuid, kind: BundleKind, transposed: bool) -> String {
    let tab = match kind {
        BundleKind::Role => "roles",
        BundleKind::PermissionSet => "sets",
    };
    let layout = if transposed {
        format!("&layout={TRANSPOSED}")
    } else {
        String::new()
    };
    format!("/roles?app={app_id}&tab={tab}{layout}")
}

#[component]
pub fn RolesPage() -> impl IntoView {
    let query = use_query_map();
    let application = Memo::new(move |_| {
        query
            .read()
            .get("app")
            .and_then(|a| Uuid::parse_str(&a).ok())
    });
    let kind = Memo::new(move |_| match query.read().get("tab").as_deref() {
        Some("sets") => BundleKind::PermissionSet,
        _ => BundleKind::Role,
    });
    // Roles as rows and permissions as columns, instead of the other way round.
    let transposed = Memo::new(move |_| query.read().get("layout").as_deref() == Some(TRANSPOSED));
    let create = ServerAction::<CreateBundle>::new();
    let update = ServerAction::<UpdateBundle>::new();
    let delete = ServerAction::<DeleteBundle>::new();
    let create_settled = settled(create);
    let update_settled = settled(update);
    let delete_settled = settled(delete);
    let matrix = Resource::new(
        move || {
            (
                application.get(),
                create_settled.get(),
                update_settled.get(),
                delete_settled.get(),
            )
        },
        |(app, ..)| load_role_matrix(app),
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
                    Ok(m) => view! { <MatrixView matrix=m kind=kind.get() transposed can_manage create update delete /> }.into_any(),
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                }
            })}
        </Transition>
    }
}
