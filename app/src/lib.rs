//! Gatehouse: the access-governance console. Routes, the HTML shell and the modules
//! behind them.

// Leptos views are deeply nested types; the release WASM build needs the room.
#![recursion_limit = "256"]

pub mod api;
#[cfg(feature = "ssr")]
pub mod caller;
pub mod components;
#[cfg(feature = "ssr")]
pub mod db;
pub mod error;
pub mod model;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod service;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::{path, SsrMode};

use crate::api::auth::{whoami, Login, Logout, SignInCode};
use crate::error::AppError;
use crate::model::CurrentUser;
use crate::pages::{
    access::{ExplainPage, WhoPage},
    accounts::AccountsPage,
    audit::AuditPage,
    consent::{AccountConsentPage, ConsentPage, SubjectPage},
    dormant::DormantPage,
    dsr::{DsrPage, DsrRequestPage},
    expiring::ExpiringPage,
    fields::FieldsPage,
    home::HomePage,
    hygiene::{HygienePage, ReportsPage},
    layout::ConsoleLayout,
    lifecycle::{HeldChangesPage, LifecyclePage},
    login::{LoginPage, SignInCodePage},
    not_found::NotFound,
    packages::PackagesPage,
    principal::PrincipalPage,
    principals::PrincipalsPage,
    requests::{ApprovalsPage, RequestsPage},
    reviews::{ReviewPage, ReviewsPage},
    roles::RolesPage,
    security::SecurityPage,
    sod::SodPage,
    tokens::TokensPage,
    webhooks::WebhooksPage,
};
use rules::hygiene::Hygiene;

/// Where a page leaves the nonce of its scripts for the server's security headers,
/// which give the page a policy that lets those scripts, and no other, run. The server
/// puts one in each request; the shell fills it.
#[cfg(feature = "ssr")]
#[derive(Clone, Default)]
pub struct PageNonce(std::sync::Arc<std::sync::OnceLock<String>>);

#[cfg(feature = "ssr")]
impl PageNonce {
    pub fn get(&self) -> Option<&str> {
        self.0.get().map(String::as_str)
    }
}

pub fn shell(options: LeptosOptions) -> impl IntoView {
    // The page's own scripts (hydration, streamed parts) carry this request's nonce.
    #[cfg(feature = "ssr")]
    if let (Some(nonce), Some(parts)) = (
        leptos::nonce::use_nonce(),
        use_context::<http::request::Parts>(),
    ) {
        if let Some(slot) = parts.extensions.get::<PageNonce>() {
            let _ = slot.0.set(nonce.to_string());
        }
    }
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <AutoReload options=options.clone() />
                <HydrationScripts options islands=true />
                <MetaTags />
                <crate::components::AnswerMeta />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// The signed-in user and the actions that change who that is.
#[derive(Clone, Copy)]
pub struct UserSession {
    pub user: Resource<Result<Option<CurrentUser>, AppError>>,
    pub login: ServerAction<Login>,
    /// The second step of a sign-in with a second factor.
    pub code: ServerAction<SignInCode>,
    pub logout: ServerAction<Logout>,
}

/// The console. Rendered on the server only: in the browser, only its islands run.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    provide_context(UserSession {
        user: Resource::new(|| (), |_| whoami()),
        login: crate::components::action::<Login>(),
        code: crate::components::action::<SignInCode>(),
        logout: crate::components::action::<Logout>(),
    });

    view! {
        <Stylesheet id="leptos" href="/pkg/gatehouse.css" />
        <Title formatter=|page: String| if page.is_empty() { "Gatehouse".to_string() } else { format!("{page} · Gatehouse") } />
        <Router>
            <Routes fallback=NotFound>
                // In order: each page's data is in the HTML as it arrives, so a browser
                // without JavaScript (or before the WASM loads) reads it, not a
                // "Loading…" that only a script would replace.
                <Route path=path!("/login") view=LoginPage ssr=SsrMode::InOrder />
                <Route path=path!("/login/code") view=SignInCodePage ssr=SsrMode::InOrder />
                <ParentRoute path=path!("") view=ConsoleLayout ssr=SsrMode::InOrder>
                    <Route path=path!("") view=HomePage />
                    <Route path=path!("accounts") view=AccountsPage />
                    <Route path=path!("roles") view=RolesPage />
                    <Route path=path!("principals") view=PrincipalsPage />
                    <Route path=path!("principals/:id") view=PrincipalPage />
                    <Route path=path!("requests") view=RequestsPage />
                    <Route path=path!("approvals") view=ApprovalsPage />
                    <Route path=path!("access/expiring") view=ExpiringPage />
                    <Route path=path!("access/explain") view=ExplainPage />
                    <Route path=path!("access/who") view=WhoPage />
                    <Route path=path!("access/fields") view=FieldsPage />
                    <Route path=path!("sod") view=SodPage />
                    <Route path=path!("webhooks") view=WebhooksPage />
                    <Route path=path!("tokens") view=TokensPage />
                    <Route path=path!("lifecycle") view=LifecyclePage />
                    <Route path=path!("lifecycle/held") view=HeldChangesPage />
                    <Route path=path!("packages") view=PackagesPage />
                    <Route path=path!("audit") view=AuditPage />
                    <Route path=path!("reports") view=ReportsPage />
                    <Route path=path!("reports/dormant") view=DormantPage />
                    <Route path=path!("reports/expiring") view=|| view! { <HygienePage report=Hygiene::Expiring /> } />
                    <Route path=path!("reports/overloaded-roles") view=|| view! { <HygienePage report=Hygiene::OverloadedRoles /> } />
                    <Route path=path!("reports/overreach") view=|| view! { <HygienePage report=Hygiene::Overreach /> } />
                    <Route path=path!("reports/client-bleed") view=|| view! { <HygienePage report=Hygiene::ClientBleed /> } />
                    <Route path=path!("reports/sod-violations") view=|| view! { <HygienePage report=Hygiene::SodViolations /> } />
                    <Route path=path!("consent") view=ConsentPage />
                    <Route path=path!("consent/:id") view=SubjectPage />
                    <Route path=path!("consent/accounts/:id") view=AccountConsentPage />
                    <Route path=path!("dsr") view=DsrPage />
                    <Route path=path!("dsr/:id") view=DsrRequestPage />
                    <Route path=path!("reviews") view=ReviewsPage />
                    <Route path=path!("reviews/:id") view=ReviewPage />
                    <Route path=path!("security") view=SecurityPage />
                </ParentRoute>
            </Routes>
        </Router>
        // The last island of every page: the page's script makes islands live in the
        // order of the page, so once this one is, all are.
        <Live />
    }
}

/// Marks the page once its islands are live, so that people and tests can tell it is
/// interactive.
#[island]
fn Live() -> impl IntoView {
    // Effects run only in the browser.
    Effect::new(|_| {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
}

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    components::answer::take_from_page();
    // A server function that answers with a redirect (a sign-in with a passkey) sends
    // the browser there: islands have no router of their own to follow it.
    let _ = leptos::server_fn::redirect::set_redirect_hook(|to: &str| {
        let _ = window().location().assign(to);
    });
    leptos::mount::hydrate_islands();
}
