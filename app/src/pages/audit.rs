use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;

use crate::api::audit::audit_events;
use crate::components::{format_time, ErrorNotice, FieldError, IfPermitted, LagNotice, Pager};
use crate::model::{AuditEvent, AuditQuery, ChainState};
use rules::console::ConsolePermission;

#[component]
pub fn AuditPage() -> impl IntoView {
    let params = use_query_map();
    let query = Memo::new(move |_| {
        let p = params.read();
        let get = |k: &str| p.get(k).unwrap_or_default();
        AuditQuery {
            actor: get("actor"),
            action: get("action"),
            target: get("target"),
            from: get("from"),
            to: get("to"),
            page: p.get("page").and_then(|v| v.parse().ok()).unwrap_or(0),
        }
    });
    let events = Resource::new(move || query.get(), audit_events);
    let error = Signal::derive(move || events.get().and_then(|r| r.err()));
    let value = move |f: fn(&AuditQuery) -> String| move || f(&query.read());

    view! {
        <Title text="Audit trail" />
        <h1>"Audit trail"</h1>
        <LagNotice />
        <p class="muted">"Every change and every sign-in, newest first. The trail is append-only, and each event is sealed into a hash chain that shows any later change."</p>
        <Form method="GET" action="" attr:class="form form-inline filters">
            <div class="field">
                <label for="f-actor">"Actor"</label>
                <input id="f-actor" name="actor" value=value(|q| q.actor.clone()) placeholder="name or email" />
            </div>
            <div class="field">
                <label for="f-action">"Action"</label>
                <input id="f-action" name="action" value=value(|q| q.action.clone()) placeholder="e.g. account." />
            </div>
            <div class="field">
                <label for="f-target">"Target"</label>
                <input id="f-target" name="target" value=value(|q| q.target.clone()) />
            </div>
            <div class="field">
                <label for="f-from">"From"</label>
                <input id="f-from" name="from" type="date" value=value(|q| q.from.clone()) />
                <FieldError error field="from" />
            </div>
            <div class="field">
                <label for="f-to">"To"</label>
                <input id="f-to" name="to" type="date" value=value(|q| q.to.clone()) />
                <FieldError error field="to" />
            </div>
            <button type="submit" class="btn">"Filter"</button>
            <a class="btn btn-quiet" href="/audit">"Clear"</a>
            <IfPermitted permission=ConsolePermission::AuditExport>
                <a class="btn btn-quiet" rel="external" download="audit-trail.csv"
                    href=move || format!("/audit/export.csv?{}", query.read().to_query_string(None))>
                    "Export CSV"
                </a>
            </IfPermitted>
        </Form>
        <Transition fallback=|| view! { <p class="loading">"Loading events…"</p> }>
            {move || Suspend::new(async move {
                match events.await {
                    Ok(page) => {
                        let q = query.get_untracked();
                        let href = move |n: u32| format!("/audit?{}", q.to_query_string(Some(n)));
                        view! {
                            {page.chain.map(|chain| view! { <Chain chain /> })}
                            {if page.events.is_empty() {
                                view! { <p class="empty">"No events match these filters."</p> }.into_any()
                            } else {
                                view! { <AuditTable events=page.events /> }.into_any()
                            }}
                            <Pager page=page.page has_next=page.has_next href previous="← Newer" next="Older →" />
                        }
                        .into_any()
                    }
                    Err(error) if error.field_message("from").is_some() || error.field_message("to").is_some() => ().into_any(),
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// How far the trail's hash chain was last verified.
#[component]
fn Chain(chain: ChainState) -> impl IntoView {
    let when = chain.verified_at.map(format_time);
    match (chain.broken, when) {
        (_, None) => view! {
            <p class="muted chain">"The trail is sealed in a hash chain as it is written; it has not been verified yet (gatehouse audit verify)."</p>
        }
        .into_any(),
        (None, Some(when)) => view! {
            <p class="muted chain">
                {format!(
                    "Sealed in a hash chain: verified whole up to link {} on {when}; {} newer events were not sealed then.",
                    chain.up_to, chain.unsealed
                )}
            </p>
        }
        .into_any(),
        (Some(broken), Some(when)) => view! {
            <p class="notice notice-error chain" role="alert">
                {format!(
                    "The hash chain is broken: {broken}. Verified on {when}, whole up to link {}.",
                    chain.up_to
                )}
            </p>
        }
        .into_any(),
    }
}

#[component]
fn AuditTable(events: Vec<AuditEvent>) -> impl IntoView {
    view! {
        <div class="table-wrap">
        <table class="table audit">
            <thead>
                <tr>
                    <th>"When"</th>
                    <th>"Actor"</th>
                    <th>"Action"</th>
                    <th>"Target"</th>
                    <th>"Reason"</th>
                    <th>"From"</th>
                    <th>"Change"</th>
                </tr>
            </thead>
            <tbody>
                {events.into_iter().map(|e| view! { <AuditRow event=e /> }).collect_view()}
            </tbody>
        </table>
        </div>
    }
}

#[component]
fn AuditRow(event: AuditEvent) -> impl IntoView {
    let pretty = |v: Option<serde_json::Value>| {
        v.map(|v| serde_json::to_string_pretty(&v).unwrap_or_default())
            .unwrap_or_else(|| "—".into())
    };
    let has_change = event.before.is_some() || event.after.is_some();
    let before = pretty(event.before);
    let after = pretty(event.after);
    view! {
        <tr>
            <td class="nowrap">{format_time(event.occurred_at)}</td>
            <td>{event.actor_label}</td>
            <td><code>{event.action}</code></td>
            <td>
                <span class="muted">{event.target_type}</span>
                " "
                {event.target_label}
            </td>
            <td>{event.reason.unwrap_or_default()}</td>
            <td class="muted small" title=event.user_agent.unwrap_or_default()>{event.source_ip.unwrap_or_default()}</td>
            <td>
                {has_change.then(|| view! {
                    <details>
                        <summary>"Before / after"</summary>
                        <div class="diff">
                            <div><h4>"Before"</h4><pre>{before}</pre></div>
                            <div><h4>"After"</h4><pre>{after}</pre></div>
                        </div>
                    </details>
                })}
            </td>
        </tr>
    }
}
