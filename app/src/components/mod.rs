//! Widgets shared by several pages.

use leptos::prelude::*;

use crate::error::AppError;
use crate::UserSession;
use rules::console::ConsolePermission;

pub mod answer;
mod lag;
mod passkeys;
mod step_up;
pub use answer::{action, AnswerMeta};
pub use lag::LagNotice;
pub use passkeys::{ask_passkey, make_passkey};
pub use step_up::{CodeField, StepUp, StepUpAnswered};

/// The value of the field `name` of the form that `ev` submits ("" when it has none):
/// an island sends the form itself, with what the browser would have posted.
pub fn submitted(ev: &leptos::ev::SubmitEvent, name: &str) -> String {
    use leptos::wasm_bindgen::JsCast;
    use leptos::web_sys::{HtmlFormElement, HtmlInputElement};
    ev.target()
        .and_then(|t| t.dyn_into::<HtmlFormElement>().ok())
        .and_then(|f| f.elements().named_item(name))
        .and_then(|e| e.dyn_into::<HtmlInputElement>().ok())
        .map(|e| e.value())
        .unwrap_or_default()
}

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
        AppError::Unavailable => ("Not available just now", "notice notice-warn"),
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

/// The optional conditions of a grant or a request, in the condition language; a
/// refusal says what to write instead, under the field.
#[component]
pub fn ConditionsField(
    /// The textarea's id, unique on the page.
    id: &'static str,
    #[prop(into)] error: Signal<Option<AppError>>,
) -> impl IntoView {
    let hint = format!("{id}-hint");
    view! {
        <div class="field">
            <label for=id>"Conditions (optional)"</label>
            <textarea id=id name="conditions" rows="2" aria-describedby=hint.clone()
                placeholder="region = EU\ntime Mon-Fri 09:00-18:00 Europe/Paris"></textarea>
            <p class="muted small" id=hint>
                "One per line, all must hold: " <code>"region = EU"</code> ", " <code>"brand in Acme, Zest"</code> ", "
                <code>"principal.department = Sales"</code> ", " <code>"time Mon-Fri 09:00-18:00 Europe/Paris"</code> ", "
                <code>"sensitivity <= confidential"</code> "."
            </p>
            <FieldError error field="conditions" />
        </div>
    }
}

/// A form-level message for errors that are not about one field (a request for a
/// second factor is [`StepUp`]'s to show).
#[component]
pub fn FormError(#[prop(into)] error: Signal<Option<AppError>>) -> impl IntoView {
    move || {
        error
            .get()
            .filter(|e| !matches!(e, AppError::Invalid { .. } | AppError::StepUpRequired))
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

/// The page's `:id` route parameter as a UUID (`None` when it is not one).
pub fn use_id_param() -> Memo<Option<uuid::Uuid>> {
    let params = leptos_router::hooks::use_params_map();
    Memo::new(move |_| {
        params
            .read()
            .get("id")
            .and_then(|id| uuid::Uuid::parse_str(&id).ok())
    })
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

const CHART_WIDTH: f64 = 240.0;
const CHART_HEIGHT: f64 = 60.0;
const CHART_PAD: f64 = 4.0;

/// The points of a line through `values`, spread over the chart's width, the smallest
/// value at the bottom and the largest at the top (a flat line sits in the middle).
pub fn chart_points(values: &[i64]) -> Vec<(f64, f64)> {
    let (Some(&min), Some(&max)) = (values.iter().min(), values.iter().max()) else {
        return Vec::new();
    };
    chart_points_within(values, min, max)
}

/// As `chart_points`, on a scale from `min` to `max` (several lines on one chart share it).
pub fn chart_points_within(values: &[i64], min: i64, max: i64) -> Vec<(f64, f64)> {
    let span = (max - min) as f64;
    let step = if values.len() > 1 {
        (CHART_WIDTH - 2.0 * CHART_PAD) / (values.len() - 1) as f64
    } else {
        0.0
    };
    values
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            let x = if values.len() > 1 {
                CHART_PAD + step * i as f64
            } else {
                CHART_WIDTH / 2.0
            };
            let y = if span == 0.0 {
                CHART_HEIGHT / 2.0
            } else {
                CHART_HEIGHT
                    - CHART_PAD
                    - (v - min) as f64 / span * (CHART_HEIGHT - 2.0 * CHART_PAD)
            };
            (x, y)
        })
        .collect()
}

fn polyline(points: &[(f64, f64)]) -> String {
    points
        .iter()
        .map(|(x, y)| format!("{x:.1},{y:.1}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Lines of figures per month on one scale from zero, drawn as SVG on the server, with
/// the figures themselves in a table beneath.
#[component]
pub fn MonthlyChart(
    title: String,
    months: Vec<chrono::NaiveDate>,
    series: Vec<(&'static str, &'static str, Vec<i64>)>,
) -> impl IntoView {
    let max = series
        .iter()
        .flat_map(|(_, _, v)| v.iter().copied())
        .max()
        .unwrap_or(0);
    let lines = series
        .iter()
        .map(|(name, class, values)| {
            let points = polyline(&chart_points_within(values, 0, max.max(1)));
            view! { <polyline class=*class points=points fill="none" stroke="currentColor" stroke-width="2"><title>{*name}</title></polyline> }
        })
        .collect_view();
    let summary = series
        .iter()
        .map(|(name, _, v)| format!("{name} {}", v.iter().sum::<i64>()))
        .collect::<Vec<_>>()
        .join(", ");
    let span = match (months.first(), months.last()) {
        (Some(a), Some(b)) => format!("{} to {}", a.format("%b %Y"), b.format("%b %Y")),
        _ => String::new(),
    };
    let label = format!("{title}, {span}: {summary}; highest month {max}");
    let described = label.clone();
    let heads = months
        .iter()
        .map(|m| view! { <th scope="col">{m.format("%b %y").to_string()}</th> })
        .collect_view();
    let rows = series
        .iter()
        .map(|(name, class, values)| {
            let cells = values
                .iter()
                .map(|v| view! { <td class="num">{*v}</td> })
                .collect_view();
            view! { <tr><th scope="row"><span class=format!("key {class}")></span>{*name}</th>{cells}</tr> }
        })
        .collect_view();
    view! {
        <figure class="trend monthly">
            <figcaption>{title}</figcaption>
            <svg viewBox=format!("0 0 {CHART_WIDTH} {CHART_HEIGHT}") role="img" aria-label=described>
                <title>{label}</title>
                {lines}
            </svg>
            <div class="table-wrap">
                <table class="table monthly-figures">
                    <thead><tr><th></th>{heads}</tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
        </figure>
    }
}

/// A small line chart of one figure over days, drawn as SVG on the server.
#[component]
pub fn TrendChart(
    title: &'static str,
    days: Vec<chrono::NaiveDate>,
    values: Vec<i64>,
) -> impl IntoView {
    let points = chart_points(&values);
    let line = polyline(&points);
    let last = points.last().copied();
    let (min, max) = (
        values.iter().min().copied().unwrap_or(0),
        values.iter().max().copied().unwrap_or(0),
    );
    let span = match (days.first(), days.last()) {
        (Some(first), Some(last)) if first != last => format!("{first} to {last}"),
        (Some(day), _) => format!("{day} (the first day recorded)"),
        _ => "no days recorded yet".to_string(),
    };
    let label = format!(
        "{title}: {} on {} days, lowest {min}, highest {max}, now {}",
        span,
        values.len(),
        values.last().copied().unwrap_or(0)
    );
    let described = label.clone();
    view! {
        <figure class="trend">
            <figcaption>{title}</figcaption>
            <svg viewBox=format!("0 0 {CHART_WIDTH} {CHART_HEIGHT}") role="img" aria-label=described>
                <title>{label}</title>
                <polyline points=line fill="none" stroke="currentColor" stroke-width="2" />
                {last.map(|(x, y)| view! { <circle cx=format!("{x:.1}") cy=format!("{y:.1}") r="3" fill="currentColor" /> })}
            </svg>
            <p class="muted small">{span}{format!(" · low {min}, high {max}")}</p>
        </figure>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chart_points_span_the_width_and_put_the_largest_on_top() {
        let p = chart_points(&[10, 30, 20]);
        assert_eq!(p.len(), 3);
        assert_eq!(p[0], (CHART_PAD, CHART_HEIGHT - CHART_PAD));
        assert_eq!(p[1], (CHART_WIDTH / 2.0, CHART_PAD));
        assert_eq!(p[2].0, CHART_WIDTH - CHART_PAD);
        assert_eq!(p[2].1, CHART_HEIGHT / 2.0);
    }

    #[test]
    fn lines_on_one_scale_put_half_the_highest_halfway_up() {
        let p = chart_points_within(&[0, 5], 0, 10);
        assert_eq!(p[0].1, CHART_HEIGHT - CHART_PAD);
        assert_eq!(p[1].1, CHART_HEIGHT / 2.0);
    }

    #[test]
    fn flat_and_single_values_sit_in_the_middle() {
        assert_eq!(
            chart_points(&[5]),
            [(CHART_WIDTH / 2.0, CHART_HEIGHT / 2.0)]
        );
        assert!(chart_points(&[7, 7])
            .iter()
            .all(|&(_, y)| y == CHART_HEIGHT / 2.0));
        assert!(chart_points(&[]).is_empty());
    }
}
