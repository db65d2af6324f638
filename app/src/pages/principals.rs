use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::{Form, A};
use leptos_router::hooks::{use_params_map, use_query_map};
use uuid::Uuid;

use crate::api::grants::{GrantAccess, RevokeGrant};
use crate::api::principals::{list_principals, load_principal};
use crate::components::{format_time, ErrorNotice, FieldError, FormError};
use crate::domain::console::ConsolePermission;
use crate::model::principals::{GrantRow, GrantableBundle, PrincipalQuery, PrincipalRow};

fn kind_label(kind: &str) -> &'static str {
    match kind {
        "human" => "Person",
        "ai_agent" => "AI agent",
        "bot" => "Bot",
        "integration" => "Integration",
        _ => "Other",
    }
}

fn last_activity(row: &PrincipalRow) -> String {
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
                <input id="p-search" name="search" prop:value=value(|q| q.search.clone()) placeholder="name, email or id" />
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
                        let newer = (p.page > 0).then(|| page_href(p.page - 1));
                        let older = p.has_next.then(|| page_href(p.page + 1));
                        let rows = p.rows.into_iter().map(|r| {
                            let activity = last_activity(&r);
                            view! {
                                <tr>
                                    <td><A href=format!("/principals/{}", r.id)>{r.display_name.clone()}</A>
                                        <div class="muted small">{r.email.clone().or(r.external_id.clone()).unwrap_or_default()}</div></td>
                                    <td>{kind_label(&r.kind)}</td>
                                    <td><span class=format!("status status-{}", r.status)>{r.status.clone()}</span></td>
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
                            <nav class="pager" aria-label="Pages">
                                {newer.map(|href| view! { <a href=href>"← Previous"</a> })}
                                <span>"Page " {p.page + 1}</span>
                                {older.map(|href| view! { <a href=href>"Next →"</a> })}
                            </nav>
                        }
                        .into_any()
                    }
                    Err(e) if e.field_message("kind").is_some() => ().into_any(),
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
pub fn PrincipalPage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| {
        params
            .read()
            .get("id")
            .and_then(|id| Uuid::parse_str(&id).ok())
    });
    let grant = ServerAction::<GrantAccess>::new();
    let revoke = ServerAction::<RevokeGrant>::new();
    let session = expect_context::<crate::UserSession>();
    let detail = Resource::new(
        move || (id.get(), grant.version().get(), revoke.version().get()),
        |(id, ..)| async move {
            match id {
                Some(id) => load_principal(id).await,
                None => Err(crate::error::AppError::NotFound(
                    "There is no such principal.".into(),
                )),
            }
        },
    );
    view! {
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let can_assign = session.user.await.ok().flatten().is_some_and(|u| u.can(ConsolePermission::GrantsAssign));
                match detail.await {
                    Ok(d) => {
                        let p = d.principal;
                        let responsible_label = if p.kind == "human" { "Manager" } else { "Owner" };
                        let effective = d.effective.into_iter().map(|e| view! {
                            <tr>
                                <td>{e.application}</td>
                                <td>{e.account.unwrap_or_else(|| "All accounts".into())}</td>
                                <td><code>{e.permission}</code>{e.high_impact.then(|| view! { <span class="badge badge-risk">"high impact"</span> })}</td>
                                <td>{e.sources.join(", ")}</td>
                            </tr>
                        }).collect_view();
                        view! {
                            <Title text=p.display_name.clone() />
                            <p><a href="/principals">"← Principals"</a></p>
                            <h1>{p.display_name.clone()}</h1>
                            <dl class="facts">
                                <dt>"Kind"</dt><dd>{kind_label(&p.kind)}</dd>
                                <dt>"Status"</dt><dd>{p.status.clone()}</dd>
                                <dt>"Email / id"</dt><dd>{p.email.clone().or(p.external_id.clone()).unwrap_or_default()}</dd>
                                <dt>"Employment"</dt><dd>{p.employment_type.clone().unwrap_or_default().replace('_', " ")}</dd>
                                <dt>"Job"</dt><dd>{p.job_title.clone()}</dd>
                                <dt>{responsible_label}</dt><dd>{p.responsible.clone().unwrap_or_default()}</dd>
                                <dt>"Accounts"</dt><dd>{p.accounts.clone().unwrap_or_default()}</dd>
                                <dt>"Last activity"</dt><dd>{last_activity(&p)}</dd>
                                <dt>"End date"</dt><dd>{p.end_date.map(|d| d.to_string()).unwrap_or_else(|| "none".into())}</dd>
                            </dl>
                            <h2>"Effective permissions now"</h2>
                            <div class="table-wrap">
                                <table class="table effective">
                                    <thead><tr><th>"Application"</th><th>"Account"</th><th>"Permission"</th><th>"Given by"</th></tr></thead>
                                    <tbody>{effective}</tbody>
                                </table>
                            </div>
                            <h2>"Grants in force"</h2>
                            <GrantTable grants=d.current_grants revoke=can_assign.then_some(revoke) />
                            {can_assign.then(|| view! { <GrantForm principal=p.id grant grantable=d.grantable.clone() accounts=d.accounts.clone() /> })}
                            <h2>"Expired, future and revoked grants"</h2>
                            <GrantTable grants=d.other_grants revoke=None />
                        }
                        .into_any()
                    }
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn GrantForm(
    principal: Uuid,
    grant: ServerAction<GrantAccess>,
    grantable: Vec<GrantableBundle>,
    accounts: Vec<(Uuid, String)>,
) -> impl IntoView {
    let error = Signal::derive(move || grant.value().get().and_then(|r| r.err()));
    let bundles = grantable
        .into_iter()
        .map(|b| view! { <option value=b.id.to_string()>{format!("{} — {} ({})", b.application, b.name, b.kind)}</option> })
        .collect_view();
    let accounts = accounts
        .into_iter()
        .map(|(id, name)| view! { <option value=id.to_string()>{name}</option> })
        .collect_view();
    view! {
        <section class="card">
            <h2>"Grant access"</h2>
            <ActionForm action=grant attr:class="form form-inline">
                <input type="hidden" name="principal" value=principal.to_string() />
                <div class="field">
                    <label for="g-bundle">"Role or permission set"</label>
                    <select id="g-bundle" name="bundle">{bundles}</select>
                    <FieldError error field="bundle" />
                </div>
                <div class="field">
                    <label for="g-account">"Account"</label>
                    <select id="g-account" name="account"><option value="">"All accounts"</option>{accounts}</select>
                    <FieldError error field="account" />
                </div>
                <div class="field">
                    <label for="g-until">"Until"</label>
                    <input id="g-until" name="until" type="date" />
                    <FieldError error field="until" />
                </div>
                <div class="field">
                    <label for="g-reason">"Reason"</label>
                    <input id="g-reason" name="reason" required minlength="10" placeholder="why this access is needed" />
                    <FieldError error field="reason" />
                </div>
                <button type="submit" class="btn btn-primary">"Grant"</button>
            </ActionForm>
            <FormError error />
        </section>
    }
}

#[component]
fn GrantTable(grants: Vec<GrantRow>, revoke: Option<ServerAction<RevokeGrant>>) -> impl IntoView {
    if grants.is_empty() {
        return view! { <p class="empty">"None."</p> }.into_any();
    }
    let revoke_error =
        Signal::derive(move || revoke.and_then(|r| r.value().get()).and_then(|r| r.err()));
    let rows = grants
        .into_iter()
        .map(|g| {
            let conditions = (g.conditions.as_object().is_some_and(|o| !o.is_empty())).then(|| g.conditions.to_string());
            let revoked = g.revoked_at.map(|t| format!("revoked {} — {}", format_time(t), g.revoke_reason.clone().unwrap_or_default()));
            let bundle_label = format!("{} on {}", g.bundle, g.account.clone().unwrap_or_else(|| "all accounts".into()));
            view! {
                <tr>
                    <td>{g.bundle}<div class="muted small">{g.bundle_kind} " · " {g.application}</div></td>
                    <td>{g.account.unwrap_or_else(|| "All accounts".into())}</td>
                    <td class="nowrap">{g.valid_from.format("%Y-%m-%d").to_string()}</td>
                    <td class="nowrap">{g.valid_until.map(|t| t.format("%Y-%m-%d").to_string()).unwrap_or_else(|| "no end".into())}</td>
                    <td>{conditions.unwrap_or_default()}</td>
                    <td>{g.granted_by.unwrap_or_default()}</td>
                    <td>{g.reason}{revoked.map(|r| view! { <div class="muted small">{r}</div> })}</td>
                    <td class="small">{g.source_request_id.map(|r| r.to_string()).unwrap_or_default()}</td>
                    {revoke.map(|action| {
                        let label = format!("Reason to revoke {}", bundle_label);
                        view! {
                            <td>
                                <ActionForm action=action attr:class="form form-inline">
                                    <input type="hidden" name="grant" value=g.id.to_string() />
                                    <input name="reason" required minlength="10" placeholder="reason" aria-label=label />
                                    <button type="submit" class="btn btn-danger">"Revoke"</button>
                                </ActionForm>
                            </td>
                        }
                    })}
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="table-wrap">
            <table class="table grants">
                <thead><tr><th>"Role / set"</th><th>"Account"</th><th>"From"</th><th>"Until"</th><th>"Conditions"</th><th>"Granted by"</th><th>"Reason"</th><th>"Request"</th>
                    {revoke.map(|_| view! { <th></th> })}</tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
        <FieldError error=revoke_error field="reason" />
        <FormError error=revoke_error />
    }
    .into_any()
}
