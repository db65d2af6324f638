use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::{Form, A};
use leptos_router::hooks::use_query_map;

use crate::api::principals::list_principals;
use crate::components::{ErrorNotice, FieldError, Pager};
use crate::model::principals::{PrincipalQuery, PrincipalRow};
use rules::principals::kind_label;

pub(crate) fn last_activity(row: &PrincipalRow) -> String {
    row.last_activity_at
        .map(|t| t.format("%Y-%m-%d").to_string())
        .unwrap_or_else(|| "never".into())
}

#[component]
pub fn PrincipalsPage() -> impl IntoView {
    let params = use_query_map();
    let query = Memo::new(move |_| {
        let p = params.read();
        let get = |k: &str| p.get(k).unwrap_or_default();
        PrincipalQuery {
            search: get("search"),
            kind: get("kind"),
            status: get("status"),
            account: get("account"),
            dormant: get("dormant"),
            sort: get("sort"),
            page: p.get("page").and_then(|v| v.parse().ok()).unwrap_or(0),
        }
    });
    let page = Resource::new(move || query.get(), list_principals);
    let error = Signal::derive(move || page.get().and_then(|r| r.err()));
    let value = move |f: fn(&PrincipalQuery) -> String| move || f(&query.read());
    let selected =
        move |f: fn(&PrincipalQuery) -> String, v: &'static str| move || f(&query.read()) == v;
    let page_href = move |n: u32| {
        let q = query.get_untracked();
        let pairs: Vec<(&str, String)> = [
            ("search", q.search),
            ("kind", q.kind),
            ("status", q.status),
            ("account", q.account),
            ("dormant", q.dormant),
            ("sort", q.sort),
        ]
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .chain(std::iter::once(("page", n.to_string())))
        .collect();
        format!(
            "/principals?{}",
            serde_urlencoded::to_string(pairs).unwrap_or_default()
        )
    };

    view! {
        <Title text="Principals" />
        <h1>"Principals"</h1>
        <p class="muted">"Everyone and everything that holds access: people, contractors, client users, AI agents, bots and integrations."</p>
        <Form method="GET" action="" attr:class="form form-inline filters">
            <div class="field">
                <label for="p-search">"Search"</label>
                <input id="p-search" name="search" value=value(|q| q.search.clone()) placeholder="name, email or id" />
            </div>
            <div class="field">
                <label for="p-kind">"Kind"</label>
                <select id="p-kind" name="kind">
                    <option value="">"All"</option>
                    <option value="human" selected=selected(|q| q.kind.clone(), "human")>"People"</option>
                    <option value="ai_agent" selected=selected(|q| q.kind.clone(), "ai_agent")>"AI agents"</option>
                    <option value="bot" selected=selected(|q| q.kind.clone(), "bot")>"Bots"</option>
                    <option value="integration" selected=selected(|q| q.kind.clone(), "integration")>"Integrations"</option>
                </select>
                <FieldError error field="kind" />
            </div>
            <div class="field">
                <label for="p-status">"Status"</label>
                <select id="p-status" name="status">
                    <option value="">"All"</option>
                    <option value="active" selected=selected(|q| q.status.clone(), "active")>"Active"</option>
                    <option value="suspended" selected=selected(|q| q.status.clone(), "suspended")>"Suspended"</option>
                    <option value="offboarded" selected=selected(|q| q.status.clone(), "offboarded")>"Offboarded"</option>
                </select>
            </div>
            <div class="field">
                <label for="p-account">"Account"</label>
                <Transition fallback=|| view! { <select id="p-account" name="account"><option value="">"All"</option></select> }>
                    {move || Suspend::new(async move {
                        let accounts = page.await.map(|p| p.accounts).unwrap_or_default();
                        let current = query.read_untracked().account.clone();
                        let options = accounts.into_iter().map(|(id, name)| {
                            let id = id.to_string();
                            let selected = current == id;
                            view! { <option value=id selected=selected>{name}</option> }
                        }).collect_view();
                        view! { <select id="p-account" name="account"><option value="">"All"</option>{options}</select> }
                    })}
                </Transition>
                <FieldError error field="account" />
            </div>
            <div class="field">
                <label for="p-dormant">"Activity"</label>
                <select id="p-dormant" name="dormant">
                    <option value="">"Any"</option>
                    <option value="yes" selected=selected(|q| q.dormant.clone(), "yes")>"Dormant (90 days)"</option>
                </select>
            </div>
            <div class="field">
                <label for="p-sort">"Sort by"</label>
                <select id="p-sort" name="sort">
                    <option value="name">"Name"</option>
                    <option value="last_activity" selected=selected(|q| q.sort.clone(), "last_activity")>"Last activity"</option>
                    <option value="end_date" selected=selected(|q| q.sort.clone(), "end_date")>"End date"</option>
                </select>
            </div>
            <button type="submit" class="btn">"Filter"</button>
            <a class="btn btn-quiet" href="/principals">"Clear"</a>
        </Form>
        <Transition fallback=|| view! { <p class="loading">"Loading principals…"</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(p) => {
                        let rows = p.rows.into_iter().map(|r| {
                            let activity = last_activity(&r);
                            view! {
                                <tr>
                                    <td><A href=format!("/principals/{}", r.id)>{r.display_name.clone()}</A>
                                        <div class="muted small">{r.email.clone().or(r.external_id.clone()).unwrap_or_default()}</div></td>
                                    <td>{kind_label(&r.kind)}</td>
                                    <td><span class=format!("status status-{}", r.status)>{r.status.as_str()}</span></td>
                                    <td>{r.employment_type.clone().unwrap_or_default().replace('_', " ")}</td>
                                    <td>{r.responsible.clone().unwrap_or_default()}</td>
                                    <td class="small">{r.accounts.clone().unwrap_or_default()}</td>
                                    <td class="nowrap">{activity}</td>
                                    <td class="nowrap">{r.end_date.map(|d| d.to_string()).unwrap_or_default()}</td>
                                </tr>
                            }
                        }).collect_view();
                        view! {
                            <div class="table-wrap">
                                <table class="table principals">
                                    <thead><tr>
                                        <th>"Name"</th><th>"Kind"</th><th>"Status"</th><th>"Employment"</th>
                                        <th>"Manager / owner"</th><th>"Accounts"</th><th>"Last activity"</th><th>"End date"</th>
                                    </tr></thead>
                                    <tbody>{rows}</tbody>
                                </table>
                            </div>
                            <Pager page=p.page has_next=p.has_next href=page_href />
                        }
                        .into_any()
                    }
                    Err(e) if e.field_message("kind").is_some() || e.field_message("account").is_some() => ().into_any(),
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                }
            })}
        </Transition>
    }
}
