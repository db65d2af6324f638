//! Who may do what: `/access/explain` asks the evaluator one question and shows the
//! decision with its path; `/access/who` lists who may do something on an account.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::{Form, A};
use leptos_router::hooks::use_query_map;

use crate::api::access::{explain_access, load_access_choices, who_has_access};
use crate::components::{ErrorNotice, FieldError};
use crate::model::access::{AccessChoices, ExplainQuery, Holders, WhoQuery};

/// The permission and account pickers, with `permission` and `account` chosen.
#[component]
fn Pickers(
    choices: AccessChoices,
    permission: String,
    account: String,
    /// The label of the empty account choice.
    no_account: &'static str,
    #[prop(into)] error: Signal<Option<crate::error::AppError>>,
) -> impl IntoView {
    let permissions = choices
        .permissions
        .into_iter()
        .map(|p| {
            let selected = p.value == permission;
            view! { <option value=p.value selected=selected>{p.label}</option> }
        })
        .collect_view();
    let accounts = choices
        .accounts
        .into_iter()
        .map(|(id, name)| {
            let id = id.to_string();
            let selected = id == account;
            view! { <option value=id selected=selected>{name}</option> }
        })
        .collect_view();
    view! {
        <div class="field">
            <label for="a-permission">"Permission"</label>
            <select id="a-permission" name="permission">
                <option value="">"Choose a permission"</option>
                {permissions}
            </select>
            <FieldError error field="permission" />
        </div>
        <div class="field">
            <label for="a-account">"Account"</label>
            <select id="a-account" name="account">
                <option value="">{no_account}</option>
                {accounts}
            </select>
            <FieldError error field="account" />
        </div>
    }
}

#[component]
pub fn ExplainPage() -> impl IntoView {
    let params = use_query_map();
    let query = Memo::new(move |_| {
        let p = params.read();
        let get = |k: &str| p.get(k).unwrap_or_default();
        ExplainQuery {
            principal: get("principal"),
            permission: get("permission"),
            account: get("account"),
            attributes: get("attributes"),
            on_behalf_of: get("on_behalf_of"),
        }
    });
    let choices = Resource::new(|| (), |_| load_access_choices());
    let answer = Resource::new(move || query.get(), explain_access);
    let error = Signal::derive(move || answer.get().and_then(|r| r.err()));
    let value = move |f: fn(&ExplainQuery) -> String| move || f(&query.read());

    view! {
        <Title text="Explain a decision" />
        <h1>"Explain a decision"</h1>
        <p class="muted">"Ask what a governed system would be told: may this principal do this, on this account, to a resource with these attributes? The answer comes from the same evaluator as the decision API, with the grants that allow it or why each one does not."</p>
        <Form method="GET" action="" attr:class="form filters">
            <div class="field">
                <label for="a-principal">"Principal"</label>
                <input id="a-principal" name="principal" value=value(|q| q.principal.clone()) placeholder="email, id or external id" />
                <FieldError error field="principal" />
            </div>
            <Transition fallback=|| view! { <p class="loading">"Loading permissions…"</p> }>
                {move || Suspend::new(async move {
                    let q = query.read_untracked().clone();
                    match choices.await {
                        Ok(c) => view! { <Pickers choices=c permission=q.permission account=q.account no_account="No account" error /> }.into_any(),
                        Err(error) => view! { <ErrorNotice error /> }.into_any(),
                    }
                })}
            </Transition>
            <div class="field">
                <label for="a-attributes">"Resource attributes"</label>
                <input id="a-attributes" name="attributes" value=value(|q| q.attributes.clone()) placeholder="region = EU, brand = Acme" />
                <FieldError error field="attributes" />
            </div>
            <div class="field">
                <label for="a-behalf">"On behalf of"</label>
                <input id="a-behalf" name="on_behalf_of" value=value(|q| q.on_behalf_of.clone()) placeholder="the person an agent acts for (optional)" />
                <FieldError error field="on_behalf_of" />
            </div>
            <button type="submit" class="btn">"Explain"</button>
        </Form>
        <Transition fallback=|| view! { <p class="loading">"Deciding…"</p> }>
            {move || Suspend::new(async move {
                match answer.await {
                    Ok(None) => view! { <p class="empty">"Choose a principal and a permission."</p> }.into_any(),
                    Ok(Some(a)) => {
                        let (class, verdict) = if a.allowed {
                            ("notice notice-ok decision", "Allowed")
                        } else {
                            ("notice notice-warn decision", "Denied")
                        };
                        let reasons = a.reasons.into_iter().map(|r| view! { <li>{r}</li> }).collect_view();
                        view! {
                            <section class=class role="status" aria-label="Decision">
                                <h2>{verdict}": "{a.principal}</h2>
                                <ul class="reasons">{reasons}</ul>
                                <p class="muted small">"Policy version "{a.policy_version}</p>
                            </section>
                        }
                        .into_any()
                    }
                    Err(crate::error::AppError::Invalid { .. }) => ().into_any(),
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

fn holders_table(h: Holders) -> impl IntoView {
    if h.holders.is_empty() {
        return view! { <p class="empty">"Nobody may do this there."</p> }.into_any();
    }
    let rows = h
        .holders
        .into_iter()
        .map(|holder| {
            let grants = holder
                .grants
                .into_iter()
                .map(|g| {
                    let until = g
                        .valid_until
                        .map(|t| format!(" until {}", t.format("%Y-%m-%d")))
                        .unwrap_or_default();
                    let when = (!g.conditions.is_empty())
                        .then(|| view! { <div class="muted small">"only when "{g.conditions}</div> });
                    view! { <li>{g.through}" on "{g.account}{until}{when}</li> }
                })
                .collect_view();
            view! {
                <tr>
                    <td><A href=format!("/principals/{}", holder.principal_id)>{holder.principal}</A>
                        {holder.conditional.then(|| view! { <span class="badge">"conditional"</span> })}</td>
                    <td><ul class="plain">{grants}</ul></td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="table-wrap">
            <table class="table holders">
                <thead><tr><th>"Principal"</th><th>"Given by"</th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
        {h.truncated.then(|| view! { <p class="muted">"Only the first holders are listed."</p> })}
        <p class="muted small">"Policy version "{h.policy_version}</p>
    }
    .into_any()
}

#[component]
pub fn WhoPage() -> impl IntoView {
    let params = use_query_map();
    let query = Memo::new(move |_| {
        let p = params.read();
        WhoQuery {
            permission: p.get("permission").unwrap_or_default(),
            account: p.get("account").unwrap_or_default(),
        }
    });
    let choices = Resource::new(|| (), |_| load_access_choices());
    let answer = Resource::new(move || query.get(), who_has_access);
    let error = Signal::derive(move || answer.get().and_then(|r| r.err()));

    view! {
        <Title text="Who has access" />
        <h1>"Who has access"</h1>
        <p class="muted">"Everyone who may do something on an account, with the grant that lets them."</p>
        <Form method="GET" action="" attr:class="form form-inline filters">
            <Transition fallback=|| view! { <p class="loading">"Loading permissions…"</p> }>
                {move || Suspend::new(async move {
                    let q = query.read_untracked().clone();
                    match choices.await {
                        Ok(c) => view! { <Pickers choices=c permission=q.permission account=q.account no_account="Any account" error /> }.into_any(),
                        Err(error) => view! { <ErrorNotice error /> }.into_any(),
                    }
                })}
            </Transition>
            <button type="submit" class="btn">"Show"</button>
        </Form>
        <Transition fallback=|| view! { <p class="loading">"Loading holders…"</p> }>
            {move || Suspend::new(async move {
                match answer.await {
                    Ok(None) => view! { <p class="empty">"Choose a permission."</p> }.into_any(),
                    Ok(Some(h)) => holders_table(h).into_any(),
                    Err(crate::error::AppError::Invalid { .. }) => ().into_any(),
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                }
            })}
        </Transition>
    }
}
