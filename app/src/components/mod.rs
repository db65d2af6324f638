//! Widgets shared by several pages.

use leptos::prelude::*;

use crate::domain::console::ConsolePermission;
use crate::error::AppError;
use crate::UserSession;

/// Renders its children only for a signed-in user who holds `permission`.
#[component]
pub fn IfPermitted(permission: ConsolePermission, children: ChildrenFn) -> impl IntoView {
    let session = expect_context::<UserSession>();
    let children = StoredValue::new(children);
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let permitted = session.user.await.ok().flatten().is_some_and(|u| u.can(permission));
                permitted.then(|| children.read_value()())
            })}
        </Transition>
    }
}

/// A problem, said plainly. Internal errors show only their reference.
#[component]
pub fn ErrorNotice(error: AppError) -> impl IntoView {
    let (title, class) = match &error {
        AppError::Forbidden => ("Not available to you", "notice notice-warn"),
        AppError::Unauthenticated => ("Signed out", "notice notice-warn"),
        AppError::Internal { .. } => ("Something went wrong", "notice notice-error"),
        _ => ("That did not work", "notice notice-error"),
    };
    let hint = matches!(error, AppError::Forbidden).then_some(
        "Your console roles do not include this. Ask a Governance admin if you need it.",
    );
    let sign_in = matches!(error, AppError::Unauthenticated);
    view! {
        <div class=class role="alert">
            <strong>{title}</strong>
            <p>{error.to_string()}</p>
            {hint.map(|h| view! { <p class="muted">{h}</p> })}
            {sign_in.then(|| view! { <p><a href="/login" rel="external">"Sign in again"</a></p> })}
        </div>
    }
}

/// The message of a form field, if the last attempt was refused because of it.
#[component]
pub fn FieldError(
    #[prop(into)] error: Signal<Option<AppError>>,
    field: &'static str,
) -> impl IntoView {
    move || {
        error.get().and_then(|e| e.field_message(field)).map(
            |message| view! { <p class="field-error" id=format!("{field}-error")>{message}</p> },
        )
    }
}

/// A form-level message for errors that are not about one field.
#[component]
pub fn FormError(#[prop(into)] error: Signal<Option<AppError>>) -> impl IntoView {
    move || {
        error
            .get()
            .filter(|e| !matches!(e, AppError::Invalid { .. }))
            .map(|e| view! { <p class="form-error" role="alert">{e.to_string()}</p> })
    }
}

/// A big figure with its label.
#[component]
pub fn Stat(
    label: &'static str,
    value: i64,
    #[prop(optional)] hint: &'static str,
) -> impl IntoView {
    view! {
        <div class="stat">
            <span class="stat-value">{value}</span>
            <span class="stat-label">{label}</span>
            {(!hint.is_empty()).then(|| view! { <span class="stat-hint">{hint}</span> })}
        </div>
    }
}

pub fn format_time(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// Links to the pages before and after `page` (counted from 0), addressed by `href`.
#[component]
pub fn Pager(
    page: u32,
    has_next: bool,
    href: impl Fn(u32) -> String + 'static,
    #[prop(default = "← Previous")] previous: &'static str,
    #[prop(default = "Next →")] next: &'static str,
) -> impl IntoView {
    let before = (page > 0).then(|| href(page - 1));
    let after = has_next.then(|| href(page + 1));
    view! {
        <nav class="pager" aria-label="Pages">
            {before.map(|h| view! { <a href=h>{previous}</a> })}
            <span>"Page " {page + 1}</span>
            {after.map(|h| view! { <a href=h>{next}</a> })}
        </nav>
    }
}
