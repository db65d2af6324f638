use leptos::prelude::*;
use leptos_router::components::{Outlet, Redirect, A};
use leptos_router::hooks::use_location;

use crate::components::ErrorNotice;
use crate::domain::console::ConsolePermission;
use crate::model::CurrentUser;
use crate::UserSession;

/// Navigation entries and the console permission each needs.
const NAVIGATION: &[(&str, &str, ConsolePermission)] = &[
    ("/", "Home", ConsolePermission::DashboardView),
    ("/accounts", "Accounts", ConsolePermission::AccountsView),
    ("/audit", "Audit trail", ConsolePermission::AuditView),
];

/// The signed-in frame: navigation the user may use, who they are, and the page.
#[component]
pub fn ConsoleLayout() -> impl IntoView {
    let session = expect_context::<UserSession>();
    let location = use_location();
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match session.user.await {
                    Ok(Some(user)) => view! { <Frame user /> }.into_any(),
                    Ok(None) => {
                        let next = location.pathname.get_untracked();
                        let query = serde_urlencoded::to_string([("next", next)]).unwrap_or_default();
                        view! { <Redirect path=format!("/login?{query}") /> }.into_any()
                    }
                    Err(error) => view! { <main class="content"><ErrorNotice error /></main> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Frame(user: CurrentUser) -> impl IntoView {
    let session = expect_context::<UserSession>();
    let links = NAVIGATION
        .iter()
        .filter(|(_, _, needs)| user.can(*needs))
        .map(|(href, label, _)| {
            view! {
                <li>
                    <A href=*href exact=true>{*label}</A>
                </li>
            }
        })
        .collect_view();
    let roles = if user.roles.is_empty() {
        "No console role".to_string()
    } else {
        user.roles.join(", ")
    };
    view! {
        <div class="frame">
            <aside class="sidebar">
                <a class="brand" href="/">
                    <span class="brand-mark">"◆"</span>
                    "Gatehouse"
                </a>
                <p class="org">{user.organisation.clone()}</p>
                <nav aria-label="Main">
                    <ul>{links}</ul>
                </nav>
            </aside>
            <div class="main">
                <header class="topbar">
                    <div class="who">
                        <span class="who-name">{user.display_name.clone()}</span>
                        <span class="who-roles">{roles}</span>
                    </div>
                    <ActionForm action=session.logout>
                        <button type="submit" class="btn btn-quiet">"Sign out"</button>
                    </ActionForm>
                </header>
                <main class="content">
                    <Outlet />
                </main>
            </div>
        </div>
    }
}
