//! The dormant report (`/reports/dormant`): principals with no activity within a window,
//! never active, or past their end date, grouped by kind, with their grants and who
//! answers for them; CSV of the filtered view; suspend or revoke for a selection.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::{Form, A};
use leptos_router::hooks::use_query_map;

use crate::api::reports::{load_dormant_report, ActOnPrincipals};
use crate::components::{ErrorNotice, FieldError, FormError, LagNotice, Pager};
use crate::model::reports::DormantQuery;
use crate::pages::hygiene::ReportTabs;
use rules::principals::{kind_label, PRINCIPAL_KINDS};
use rules::reports::{dormancy, WINDOWS};

fn query_string(q: &DormantQuery, page: Option<u32>) -> String {
    let pairs: Vec<(&str, String)> = [("days", q.days.clone()), ("kind", q.kind.clone())]
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .chain(page.map(|p| ("page", p.to_string())))
        .collect();
    serde_urlencoded::to_string(pairs).unwrap_or_default()
}

#[component]
pub fn DormantPage() -> impl IntoView {
    let params = use_query_map();
    let query = Memo::new(move |_| {
        let p = params.read();
        DormantQuery {
            days: p.get("days").unwrap_or_default(),
            kind: p.get("kind").unwrap_or_default(),
            page: p.get("page").and_then(|v| v.parse().ok()).unwrap_or(0),
        }
    });
    let act = crate::components::action::<ActOnPrincipals>();
    let report = Resource::new(move || query.get(), load_dormant_report);
    let error = Signal::derive(move || report.get().and_then(|r| r.err()));
    let act_error = Signal::derive(move || act.value().get().and_then(|r| r.err()));
    let presets = WINDOWS
        .iter()
        .map(|days| {
            let href = move || {
                let q = DormantQuery {
                    days: days.to_string(),
                    ..query.get()
                };
                format!("/reports/dormant?{}", query_string(&q, None))
            };
            view! { <a class="btn btn-quiet" href=href>{format!("{days} days")}</a> }
        })
        .collect_view();
    view! {
        <Title text="Dormant principals" />
        <ReportTabs />
        <h1>"Dormant principals"</h1>
        <LagNotice />
        <p class="muted">"People and non-human principals with no activity within the window (from the governed systems' activity and console sign-ins), never active, or past their end date, with the access they still hold."</p>
        <Form method="GET" action="" attr:class="form form-inline filters">
            <div class="field">
                <label for="d-days">"Quiet for (days)"</label>
                <input id="d-days" name="days" type="number" min="1" max="3650" placeholder="90"
                    value=move || query.read().days.clone() />
                <FieldError error field="days" />
            </div>
            <div class="field">
                <label for="d-kind">"Kind"</label>
                <select id="d-kind" name="kind">
                    <option value="">"All"</option>
                    {PRINCIPAL_KINDS.into_iter().map(|k| view! {
                        <option value=k selected=move || query.read().kind == k>{kind_label(k)}</option>
                    }).collect_view()}
                </select>
                <FieldError error field="kind" />
            </div>
            <button type="submit" class="btn">"Show"</button>
            {presets}
        </Form>
        <Transition fallback=|| view! { <p class="loading">"Loading the report…"</p> }>
            {move || Suspend::new(async move {
                match report.await {
                    Err(e) if e.field_message("days").is_some() || e.field_message("kind").is_some() => ().into_any(),
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                    Ok(r) => {
                        let q = query.get_untracked();
                        let csv = format!("/reports/dormant.csv?{}", query_string(&q, None));
                        let page_href = {
                            let q = q.clone();
                            move |n: u32| format!("/reports/dormant?{}", query_string(&q, Some(n)))
                        };
                        let summary = r.by_kind.iter().map(|(kind, n)| view! {
                            <li><strong>{*n}</strong>" " {kind_label(kind)}</li>
                        }).collect_view();
                        let (now, days) = (r.now, r.days);
                        let rows = r.rows.into_iter().map(|p| {
                            let why = dormancy(now, days, p.last_activity_at, p.created_at, p.end_date)
                                .map(|d| d.label()).unwrap_or_default();
                            let id = p.id.to_string();
                            view! {
                                <tr>
                                    <td><input type="checkbox" name="principals[]" value=id.clone()
                                        aria-label=format!("Select {}", p.display_name) /></td>
                                    <td><A href=format!("/principals/{id}")>{p.display_name.clone()}</A>
                                        <div class="muted small">{p.email.clone().or(p.external_id.clone()).unwrap_or_default()}</div></td>
                                    <td>{kind_label(&p.kind)}<div class="muted small">{p.employment_type.clone().unwrap_or_default().replace('_', " ")}</div></td>
                                    <td><span class="tag">{why}</span></td>
                                    <td class="nowrap">{p.last_activity_at.map(|t| t.format("%Y-%m-%d").to_string()).unwrap_or_else(|| "never".into())}</td>
                                    <td class="nowrap">{p.end_date.map(|d| d.to_string()).unwrap_or_default()}</td>
                                    <td>{p.responsible.clone().unwrap_or_default()}</td>
                                    <td class="num">{p.grants}</td>
                                    <td class="small">{p.bundles.join(", ")}</td>
                                </tr>
                            }
                        }).collect_view();
                        view! {
                            <ul class="figures">{summary}</ul>
                            <p>{format!("{} dormant principals match (quiet for {} days or more). ", r.total, r.days)}
                                <a href=csv rel="external" download="">"Download CSV"</a></p>
                            <ActionForm action=act attr:class="form">
                                <div class="table-wrap">
                                    <table class="table dormant">
                                        <thead><tr>
                                            <th></th><th>"Name"</th><th>"Kind"</th><th>"Why"</th><th>"Last activity"</th>
                                            <th>"End date"</th><th>"Manager / owner"</th><th class="num">"Grants"</th><th>"Roles and sets"</th>
                                        </tr></thead>
                                        <tbody>{rows}</tbody>
                                    </table>
                                </div>
                                <Pager page=r.page has_next=r.has_next href=page_href />
                                <fieldset class="form-inline bulk">
                                    <legend>"With the selected principals"</legend>
                                    <div class="field">
                                        <label for="d-action">"Action"</label>
                                        <select id="d-action" name="action">
                                            <option value="suspend">"Suspend (ends sessions, keeps grants for review)"</option>
                                            <option value="revoke_grants">"Revoke all their grants"</option>
                                            <option value="review">"Open an access review of their grants"</option>
                                        </select>
                                    </div>
                                    <div class="field">
                                        <label for="d-reason">"Reason"</label>
                                        <input id="d-reason" name="reason" required minlength="10" placeholder="Dormant since the spring campaign" />
                                    </div>
                                    <button type="submit" class="btn btn-danger">"Apply"</button>
                                </fieldset>
                            </ActionForm>
                        }.into_any()
                    }
                }
            })}
        </Transition>
        <FormError error=act_error />
        <FieldError error=act_error field="reason" />
        <FieldError error=act_error field="principals" />
        {move || act.value().get().and_then(|r| r.ok()).map(|o| view! {
            <div class="notice notice-ok" role="status">
                {match o.campaign {
                    Some(id) => view! { {format!("Review opened with {} items. ", o.done)}<A href=format!("/reviews/{id}")>"Open it"</A> }.into_any(),
                    None => format!("Done for {}.", o.done).into_any(),
                }}
                {(!o.skipped.is_empty()).then(|| view! {
                    <ul>{o.skipped.into_iter().map(|s| view! { <li>{s}</li> }).collect_view()}</ul>
                })}
            </div>
        })}
    }
}
