use leptos::prelude::*;
use leptos_router::components::{Outlet, Redirect, A};
use leptos_router::hooks::use_location;

use crate::api::requests::approval_count;
use crate::UserSession;
use rules::console::ConsolePermission;

/// Navigation entries and the console permission each needs.
const NAVIGATION: &[(&str, &str, ConsolePermission)] = &[
    ("/", "Home", ConsolePermission::DashboardView),
    ("/roles", "Role matrix", ConsolePermission::RolesView),
    (
        "/principals",
        "Principals",
        ConsolePermission::PrincipalsView,
    ),
    (
        "/access/who",
        "Who has access",
        ConsolePermission::PrincipalsView,
    ),
    (
        "/access/explain",
        "Explain a decision",
        ConsolePermission::PrincipalsView,
    ),
    (
        "/access/fields",
        "Fields and clearances",
        ConsolePermission::RolesView,
    ),
    ("/accounts", "Accounts", ConsolePermission::AccountsView),
    ("/requests", "Requests", ConsolePermission::RequestsCreate),
    (
        "/packages",
        "Access packages",
        ConsolePermission::RequestsCreate,
    ),
    (
        "/approvals",
        "Approvals",
        ConsolePermission::RequestsApprove,
    ),
    (
        "/access/expiring",
        "Expiring access",
        ConsolePermission::RequestsApprove,
    ),
    ("/sod", "Separation of duties", ConsolePermission::RolesView),
    ("/reports", "Reports", ConsolePermission::ReportsView),
    (
        "/reviews",
        "Access reviews",
        ConsolePermission::DashboardView,
    ),
    ("/consent", "Consent", ConsolePermission::ConsentView),
    ("/dsr", "Subject requests", ConsolePermission::ConsentView),
    ("/audit", "Audit trail", ConsolePermission::AuditView),
    (
        "/webhooks",
        "Webhooks",
        ConsolePermission::IntegrationsManage,
    ),
    (
        "/tokens",
        "API tokens",
        ConsolePermission::IntegrationsManage,
    ),
    (
        "/lifecycle",
        "Lifecycle",
        ConsolePermission::PrincipalsManage,
    ),
];

/// The signed-in frame: the navigation the user may use, who they are, and the page.
/// The page itself renders outside the user's suspense, so it loads in parallel.
#[component]
pub fn ConsoleLayout() -> impl IntoView {
    let session = expect_context::<UserSession>();
    let location = use_location();
    let sign_in_again = move || {
        let next = location.pathname.get_untracked();
        let query = serde_urlencoded::to_string([("next", next)]).unwrap_or_default();
        view! { <Redirect path=format!("/login?{query}") /> }
    };
    view! {
        <div class="frame">
            <aside class="sidebar">
                <a class="brand" href="/">
                    <span class="brand-mark">"◆"</span>
                    "Gatehouse"
                </a>
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        match session.user.await {
                            Ok(Some(user)) => {
                                let links = NAVIGATION
                                    .iter()
                                    .filter(|(_, _, needs)| user.can(*needs))
                                    .map(|(href, label, _)| {
                                        let badge = (*href == "/approvals").then(|| view! { <WaitingBadge /> });
                                        view! { <li><A href=*href exact=true>{*label}{badge}</A></li> }
                                    })
                                    .collect_view();
                                view! {
                                    <p class="org">{user.organisation}</p>
                                    <nav aria-label="Main"><ul>{links}</ul></nav>
                                }
                                .into_any()
                            }
                            Ok(None) => sign_in_again().into_any(),
                            Err(_) => ().into_any(),
                        }
                    })}
                </Transition>
            </aside>
            <div class="main">
                <header class="topbar">
                    <Transition fallback=|| ()>
                        {move || Suspend::new(async move {
                            session.user.await.ok().flatten().map(|user| {
                                let roles = if user.roles.is_empty() { "No console role".to_string() } else { user.roles.join(", ") };
                                view! {
                                    <div class="who">
                                        <a class="who-name" href="/security" title="Sign-in security">{user.display_name}</a>
                                        <span class="who-roles">{roles}</span>
                                    </div>
                                    <ActionForm action=session.logout>
                                        <button type="submit" class="btn btn-quiet">"Sign out"</button>
                                    </ActionForm>
                                }
                            })
                        })}
                    </Transition>
                </header>
                <main class="content">
                    <Transition fallback=|| ()>
                        {move || Suspend::new(async move {
                            session.user.await.ok().flatten().and_then(|u| u.second_factor_due).map(|due| {
                                let when = if due <= chrono::Utc::now() {
                                    "now: until then, only this step is open".to_string()
                                } else {
                                    format!("by {}", crate::components::format_time(due))
                                };
                                view! {
                                    <p class="notice notice-due" data-testid="second-factor-due">
                                        "Your organisation asks you to sign in with a second factor, " {when} ". "
                                        <a href="/security">"Set up an authenticator app"</a>
                                    </p>
                                }
                            })
                        })}
                    </Transition>
                    <crate::components::StepUpAnswered />
                    <Outlet />
                </main>
            </div>
        </div>
    }
}

/// How many requests wait for the signed-in approver. Asked by the browser once the
/// page is live, so that no page waits for it on the server.
#[island]
fn WaitingBadge() -> impl IntoView {
    let waiting = RwSignal::new(None::<i64>);
    // Effects run only in the browser.
    Effect::new(move |_| {
        leptos::task::spawn_local(async move {
            waiting.set(approval_count().await.ok().filter(|n| *n > 0));
        });
    });
    move || {
        waiting.get().map(|n| {
            view! { <span class="count" aria-label=format!("{n} waiting")>{n}</span> }
        })
    }
}
