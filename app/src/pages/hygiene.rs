//! The hygiene reports (`/reports` and one page each): filters in the address, a page of
//! the table, and the CSV of the filtered view.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::{Form, A};
use leptos_router::hooks::use_query_map;

use crate::api::reports::{load_report, SetClientAccountLimit};
use crate::components::{ErrorNotice, FieldError, FormError, IfPermitted, LagNotice, Pager};
use crate::model::reports::{Cell, ReportQuery};
use rules::console::ConsolePermission;
use rules::hygiene::Hygiene;
use rules::principals::kind_label;

const DORMANT: (&str, &str, &str) = (
    "/reports/dormant",
    "Dormant principals",
    "Principals with no activity within a window, never active, or past their end date, with the access they still hold.",
);

/// Every report: address, title, what it shows.
fn reports() -> impl Iterator<Item = (String, &'static str, &'static str)> {
    std::iter::once((DORMANT.0.to_string(), DORMANT.1, DORMANT.2)).chain(
        Hygiene::ALL
            .into_iter()
            .map(|r| (format!("/reports/{}", r.slug()), r.title(), r.summary())),
    )
}

/// Links between the reports, the current one marked.
#[component]
pub fn ReportTabs() -> impl IntoView {
    let links = reports()
        .map(|(href, title, _)| view! { <A href=href exact=true attr:class="tab">{title}</A> })
        .collect_view();
    view! { <nav class="tabs" aria-label="Reports">{links}</nav> }
}

/// `/reports`: what each report shows.
#[component]
pub fn ReportsPage() -> impl IntoView {
    let items = reports()
        .map(|(href, title, summary)| {
            view! { <li><A href=href>{title}</A><p class="muted">{summary}</p></li> }
        })
        .collect_view();
    view! {
        <Title text="Reports" />
        <h1>"Access-hygiene reports"</h1>
        <p class="muted">"Each report has filters, pages and a CSV of the filtered view."</p>
        <ul class="report-list">{items}</ul>
    }
}

fn query_string(q: &ReportQuery, page: Option<u32>) -> String {
    let pairs: Vec<(&str, String)> = [
        ("days", q.days.clone()),
        ("application", q.application.clone()),
        ("kind", q.kind.clone()),
        ("show", q.show.clone()),
    ]
    .into_iter()
    .filter(|(_, v)| !v.is_empty())
    .chain(page.map(|p| ("page", p.to_string())))
    .collect();
    serde_urlencoded::to_string(pairs).unwrap_or_default()
}

fn cell_view(cell: Cell) -> impl IntoView {
    match cell.href {
        Some(href) => view! { <td><A href=href>{cell.text}</A></td> }.into_any(),
        None => view! { <td>{cell.text}</td> }.into_any(),
    }
}

#[component]
pub fn HygienePage(report: Hygiene) -> impl IntoView {
    let params = use_query_map();
    let query = Memo::new(move |_| {
        let p = params.read();
        ReportQuery {
            days: p.get("days").unwrap_or_default(),
            application: p.get("application").unwrap_or_default(),
            kind: p.get("kind").unwrap_or_default(),
            show: p.get("show").unwrap_or_default(),
            page: p.get("page").and_then(|v| v.parse().ok()).unwrap_or(0),
        }
    });
    let set_limit = crate::components::action::<SetClientAccountLimit>();
    let table = Resource::new(move || query.get(), move |q| load_report(report, q));
    let error = Signal::derive(move || table.get().and_then(|r| r.err()));
    let limit_error = Signal::derive(move || set_limit.value().get().and_then(|r| r.err()));
    let base = format!("/reports/{}", report.slug());
    let window = report.window().map(|(presets, default)| {
        let presets = presets
            .iter()
            .map(|days| {
                let base = base.clone();
                let href = move || {
                    let q = ReportQuery {
                        days: days.to_string(),
                        ..query.get()
                    };
                    format!("{base}?{}", query_string(&q, None))
                };
                view! { <a class="btn btn-quiet" href=href>{format!("{days} days")}</a> }
            })
            .collect_view();
        view! {
            <div class="field">
                <label for="r-days">"Window (days)"</label>
                <input id="r-days" name="days" type="number" min="1" max="3650" placeholder=default.to_string()
                    value=move || query.read().days.clone() />
                <FieldError error field="days" />
            </div>
            {presets}
        }
    });
    let kinds = (!report.kinds().is_empty()).then(|| {
        view! {
            <div class="field">
                <label for="r-kind">"Kind"</label>
                <select id="r-kind" name="kind">
                    <option value="">"All"</option>
                    {report.kinds().iter().map(|k| view! {
                        <option value=*k selected=move || query.read().kind == *k>{kind_label(k)}</option>
                    }).collect_view()}
                </select>
                <FieldError error field="kind" />
            </div>
        }
    });
    let show_all = (report == Hygiene::OverloadedRoles).then(|| {
        view! {
            <div class="field">
                <label for="r-show">"Roles"</label>
                <select id="r-show" name="show">
                    <option value="">"Overloaded only"</option>
                    <option value="all" selected=move || query.read().show == "all">"Every role"</option>
                </select>
            </div>
        }
    });
    view! {
        <Title text=report.title() />
        <ReportTabs />
        <h1>{report.title()}</h1>
        <LagNotice />
        <p class="muted">{report.summary()}</p>
        <Form method="GET" action="" attr:class="form form-inline filters">
            {window}
            {report.filters_by_application().then(|| view! {
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        let apps = table.await.map(|t| t.applications).unwrap_or_default();
                        let chosen = query.read_untracked().application.clone();
                        let options = apps.into_iter().map(|(id, name)| {
                            let id = id.to_string();
                            let selected = chosen == id;
                            view! { <option value=id selected=selected>{name}</option> }
                        }).collect_view();
                        view! {
                            <div class="field">
                                <label for="r-application">"Application"</label>
                                <select id="r-application" name="application">
                                    <option value="">"All"</option>
                                    {options}
                                </select>
                                <FieldError error field="application" />
                            </div>
                        }
                    })}
                </Transition>
            })}
            {kinds}
            {show_all}
            <button type="submit" class="btn">"Show"</button>
        </Form>
        <Transition fallback=|| view! { <p class="loading">"Loading the report…"</p> }>
            {move || Suspend::new(async move {
                match table.await {
                    Err(e) if ["days", "application", "kind"].iter().any(|f| e.field_message(f).is_some()) => ().into_any(),
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                    Ok(t) => {
                        let q = query.get_untracked();
                        let slug = report.slug();
                        let csv = format!("/reports/{slug}.csv?{}", query_string(&q, None));
                        let page_href = move |n: u32| format!("/reports/{slug}?{}", query_string(&q, Some(n)));
                        let head = t.columns.into_iter().map(|c| view! { <th>{c}</th> }).collect_view();
                        let empty = t.rows.is_empty();
                        let rows = t.rows.into_iter().map(|row| view! {
                            <tr>{row.into_iter().map(cell_view).collect_view()}</tr>
                        }).collect_view();
                        let window = t.days.map(|d| format!(" (window: {d} days)")).unwrap_or_default();
                        let limit = t.account_limit.map(|limit| view! {
                            <p class="muted">{format!("The organisation's limit: {limit} client accounts per principal.")}</p>
                            <IfPermitted permission=ConsolePermission::AccountsManage>
                                <ActionForm action=set_limit attr:class="form form-inline">
                                    <div class="field">
                                        <label for="r-limit">"Client accounts per principal"</label>
                                        <input id="r-limit" name="limit" type="number" min="1" max="1000" value=limit.to_string() required />
                                    </div>
                                    <button type="submit" class="btn">"Change the limit"</button>
                                </ActionForm>
                            </IfPermitted>
                        });
                        view! {
                            {limit}
                            <p>{format!("{} rows match{window}. ", t.total)}
                                <a href=csv rel="external" download="">"Download CSV"</a></p>
                            {if empty {
                                view! { <p class="empty">"Nothing to report with these filters."</p> }.into_any()
                            } else {
                                view! {
                                    <div class="table-wrap">
                                        <table class="table report">
                                            <thead><tr>{head}</tr></thead>
                                            <tbody>{rows}</tbody>
                                        </table>
                                    </div>
                                }.into_any()
                            }}
                            <Pager page=t.page has_next=t.has_next href=page_href />
                        }.into_any()
                    }
                }
            })}
        </Transition>
        <FormError error=limit_error />
        <FieldError error=limit_error field="limit" />
    }
}
