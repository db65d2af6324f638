//! Grants ending soon (`/access/expiring`), with a renewal request one click away.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::requests::{load_expiring_grants, RenewGrant};
use crate::components::{format_time, ErrorNotice, FormError};

#[component]
pub fn ExpiringPage() -> impl IntoView {
    let renew = crate::components::action::<RenewGrant>();
    let params = use_query_map();
    let days = Memo::new(move |_| {
        if params.read().get("days").as_deref() == Some("30") {
            30
        } else {
            7
        }
    });
    let grants = Resource::new(move || days.get(), load_expiring_grants);
    let error = Signal::derive(move || renew.value().get().and_then(|r| r.err()));
    let tab = move |n: i32| {
        view! {
            <a href=format!("/access/expiring?days={n}") class="tab" class:active=move || days.get() == n
                aria-current=move || (days.get() == n).then_some("page")>{format!("Next {n} days")}</a>
        }
    };
    view! {
        <Title text="Expiring access" />
        <h1>"Expiring access"</h1>
        <p class="muted">"Grants ending soon on the accounts and roles you approve for. A renewal asks for 30 more days (or the application's limit); another approver decides it."</p>
        <nav class="tabs" aria-label="Period">{tab(7)}{tab(30)}</nav>
        <FormError error />
        {move || renew.value().get().and_then(|r| r.ok()).map(|_| view! {
            <p class="notice notice-ok" role="status">"Renewal requested: it is in the approvers' queue."</p>
        })}
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match grants.await {
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                    Ok(rows) if rows.is_empty() => view! { <p class="empty">"Nothing of yours ends in this period."</p> }.into_any(),
                    Ok(rows) => {
                        let rows = rows.into_iter().map(|g| {
                            let id = g.id.to_string();
                            let action = if g.renewal_pending {
                                view! { <span class="badge">"Renewal requested"</span> }.into_any()
                            } else {
                                view! {
                                    <ActionForm action=renew>
                                        <input type="hidden" name="grant" value=id />
                                        <button type="submit" class="btn">"Request renewal"</button>
                                    </ActionForm>
                                }.into_any()
                            };
                            view! {
                                <tr>
                                    <td><a href=format!("/principals/{}", g.principal_id)>{g.principal}</a>
                                        <div class="muted small">{g.principal_kind.replace('_', " ")}</div></td>
                                    <td>{g.bundle}<div class="muted small">{g.application}</div></td>
                                    <td>{g.account.unwrap_or_else(|| "All accounts".into())}
                                        {(!g.conditions.is_empty()).then(|| view! { <div class="small conditions" title=g.conditions.text.clone()>"Only when " {g.conditions.words.clone()}</div> })}</td>
                                    <td class="nowrap">{format_time(g.valid_until)}</td>
                                    <td class="small">{g.reason}</td>
                                    <td>{action}</td>
                                </tr>
                            }
                        }).collect_view();
                        view! {
                            <div class="table-wrap">
                                <table class="table expiring">
                                    <thead><tr><th>"Principal"</th><th>"Role or set"</th><th>"Account"</th><th>"Ends"</th><th>"Given for"</th><th></th></tr></thead>
                                    <tbody>{rows}</tbody>
                                </table>
                            </div>
                        }.into_any()
                    }
                }
            })}
        </Transition>
    }
}
