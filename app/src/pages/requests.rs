//! Asking for access (`/requests`) and deciding on it (`/approvals`).

use leptos::prelude::*;
use leptos_meta::Title;
use uuid::Uuid;

use crate::api::requests::{
    approval_queue, load_request_form, my_requests, preview_request, CancelRequest, DecideRequest,
    RequestAccess,
};
use crate::components::{format_time, ErrorNotice, FieldError, FormError};
use crate::domain::requests::{DURATION_PRESETS, MIN_JUSTIFICATION_CHARS};
use crate::model::requests::{RequestOptions, RequestRow};

#[component]
pub fn RequestsPage() -> impl IntoView {
    let create = ServerAction::<RequestAccess>::new();
    let cancel = ServerAction::<CancelRequest>::new();
    let form = Resource::new(|| (), |_| load_request_form());
    let mine = Resource::new(
        move || (create.version().get(), cancel.version().get()),
        |_| my_requests(),
    );
    let cancel_error = Signal::derive(move || cancel.value().get().and_then(|r| r.err()));
    view! {
        <Title text="Access requests" />
        <h1>"Access requests"</h1>
        <p class="muted">"Ask for a role or permission set on an account, for yourself or for someone you manage or own. An approver for the account decides."</p>
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match form.await {
                    Ok(options) => view! { <RequestForm options create /> }.into_any(),
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                }
            })}
        </Transition>
        <h2>"Your requests"</h2>
        <FormError error=cancel_error />
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match mine.await {
                    Ok(rows) if rows.is_empty() => view! { <p class="empty">"None yet."</p> }.into_any(),
                    Ok(rows) => view! { <RequestTable rows cancel=Some(cancel) decide=None /> }.into_any(),
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn RequestForm(options: RequestOptions, create: ServerAction<RequestAccess>) -> impl IntoView {
    let error = Signal::derive(move || create.value().get().and_then(|r| r.err()));
    let sent = move || matches!(create.value().get(), Some(Ok(_)));
    let principal = RwSignal::new(options.principals.first().map(|(id, _)| *id));
    let bundle = RwSignal::new(options.bundles.first().map(|b| b.id));
    let account = RwSignal::new(String::new());
    let duration = RwSignal::new("30".to_string());
    // Follows the form's fields in the browser only: it is created inside the page's
    // Suspend, where the server has no request context to call with.
    let preview = LocalResource::new(move || {
        let (principal, bundle, account) = (principal.get(), bundle.get(), account.get());
        async move {
            match (principal, bundle) {
                (Some(p), Some(b)) => Some(preview_request(p, b, account).await),
                _ => None,
            }
        }
    });
    let parse = |ev: leptos::ev::Event| Uuid::parse_str(&event_target_value(&ev)).ok();
    let principals = options
        .principals
        .into_iter()
        .map(|(id, name)| view! { <option value=id.to_string()>{name}</option> })
        .collect_view();
    let bundles = options
        .bundles
        .into_iter()
        .map(|b| view! { <option value=b.id.to_string()>{format!("{} — {} ({})", b.application, b.name, b.kind)}</option> })
        .collect_view();
    let accounts = options
        .accounts
        .into_iter()
        .map(|(id, name)| view! { <option value=id.to_string()>{name}</option> })
        .collect_view();
    let presets = DURATION_PRESETS
        .into_iter()
        .map(|d| {
            let label = if d == 1 {
                "1 day".to_string()
            } else {
                format!("{d} days")
            };
            view! { <option value=d.to_string() selected=d == 30>{label}</option> }
        })
        .collect_view();
    view! {
        <section class="card">
            <h2>"New request"</h2>
            <ActionForm action=create attr:class="form">
                <div class="form form-inline">
                    <div class="field">
                        <label for="r-principal">"For"</label>
                        <select id="r-principal" name="principal" on:change=move |ev| principal.set(parse(ev))>{principals}</select>
                        <FieldError error field="principal" />
                    </div>
                    <div class="field">
                        <label for="r-bundle">"Role or permission set"</label>
                        <select id="r-bundle" name="bundle" on:change=move |ev| bundle.set(parse(ev))>{bundles}</select>
                        <FieldError error field="bundle" />
                    </div>
                    <div class="field">
                        <label for="r-account">"Account"</label>
                        <select id="r-account" name="account" on:change=move |ev| account.set(event_target_value(&ev))>
                            <option value="">"All accounts"</option>{accounts}
                        </select>
                        <FieldError error field="account" />
                    </div>
                    <div class="field">
                        <label for="r-duration">"For how long"</label>
                        <select id="r-duration" name="duration" on:change=move |ev| duration.set(event_target_value(&ev))>
                            {presets}
                            <option value="date">"Until a date"</option>
                            <option value="none">"No end"</option>
                        </select>
                        <FieldError error field="duration" />
                    </div>
                    <div class="field" class:hidden=move || duration.get() != "date">
                        <label for="r-until">"Until"</label>
                        <input id="r-until" name="until" type="date" />
                        <FieldError error field="until" />
                    </div>
                </div>
                <div class="field">
                    <label for="r-justification">"Why"</label>
                    <textarea id="r-justification" name="justification" required minlength=MIN_JUSTIFICATION_CHARS rows="3"
                        placeholder="What you need it for, and why this duration"></textarea>
                    <FieldError error field="justification" />
                </div>
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        match preview.await {
                            Some(Ok(p)) => {
                                let adds = p.adds.into_iter().map(|(key, high)| view! {
                                    <li><code>{key}</code>{high.then(|| view! { <span class="badge badge-risk">"high impact"</span> })}</li>
                                }).collect_view();
                                let two_step = (p.approvals_needed > 1).then(|| view! {
                                    <p class="notice notice-warn">"Adds high-impact permissions: two different approvers must approve."</p>
                                });
                                view! {
                                    <div class="preview">
                                        <h3>"What it adds"</h3>
                                        <ul class="adds">{adds}</ul>
                                        <p class="muted small">{p.already_held} " of its permissions are already held there."</p>
                                        {two_step}
                                    </div>
                                }.into_any()
                            }
                            Some(Err(error)) => view! { <ErrorNotice error /> }.into_any(),
                            None => ().into_any(),
                        }
                    })}
                </Transition>
                <button type="submit" class="btn btn-primary">"Send request"</button>
                {move || sent().then(|| view! { <span class="muted" role="status">" Sent: it is in the approvers' queue."</span> })}
            </ActionForm>
            <FormError error />
        </section>
    }
}

#[component]
pub fn ApprovalsPage() -> impl IntoView {
    let decide = ServerAction::<DecideRequest>::new();
    let queue = Resource::new(move || decide.version().get(), |_| approval_queue());
    let error = Signal::derive(move || decide.value().get().and_then(|r| r.err()));
    view! {
        <Title text="Approvals" />
        <h1>"Pending approvals"</h1>
        <p class="muted">"Requests you may decide, oldest first. A request that adds high-impact permissions needs two different approvers."</p>
        <FieldError error field="comment" />
        <FormError error />
        <Transition fallback=|| view! { <p class="loading">"Loading the queue…"</p> }>
            {move || Suspend::new(async move {
                match queue.await {
                    Ok(rows) if rows.is_empty() => view! { <p class="empty">"Nothing waits for you."</p> }.into_any(),
                    Ok(rows) => view! { <RequestTable rows cancel=None decide=Some(decide) /> }.into_any(),
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn RequestTable(
    rows: Vec<RequestRow>,
    cancel: Option<ServerAction<CancelRequest>>,
    decide: Option<ServerAction<DecideRequest>>,
) -> impl IntoView {
    let rows = rows
        .into_iter()
        .map(|r| {
            let id = r.id.to_string();
            let pending = r.status == "pending";
            let step = (r.approvals_needed > 1).then(|| {
                let done = r.decisions.len();
                format!("step {} of 2", (done + 1).min(2))
            });
            let facts = [
                (r.principal_status != "active").then(|| r.principal_status.clone()),
                r.principal_end_date
                    .filter(|d| *d <= chrono::Utc::now().date_naive())
                    .map(|d| format!("past end date {d}")),
                r.principal_last_activity
                    .is_none_or(|t| chrono::Utc::now() - t > chrono::Duration::days(90))
                    .then(|| "dormant".to_string()),
            ]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(", ");
            let cancel_form = cancel.filter(|_| pending).map(|action| {
                let id = id.clone();
                view! {
                    <ActionForm action>
                        <input type="hidden" name="request" value=id />
                        <button type="submit" class="btn btn-quiet">"Cancel"</button>
                    </ActionForm>
                }
            });
            let decide_form = decide.map(|action| {
                let label = format!("Comment on the request for {} ({})", r.principal, r.bundle);
                view! {
                    <ActionForm action attr:class="form form-inline decide">
                        <input type="hidden" name="request" value=id.clone() />
                        <input name="comment" placeholder="comment (needed to deny)" aria-label=label />
                        <button type="submit" name="approve" value="true" class="btn btn-primary">"Approve"</button>
                        <button type="submit" name="approve" value="false" class="btn btn-danger">"Deny"</button>
                    </ActionForm>
                }
            });
            view! {
                <tr>
                    <td>{r.principal.clone()}<div class="muted small">{r.principal_kind.replace('_', " ")} {(!facts.is_empty()).then(|| view! { <span class="badge badge-warn">{facts}</span> })}</div></td>
                    <td>{r.bundle.clone()}<div class="muted small">{r.bundle_kind.clone()} " · " {r.application.clone()}</div></td>
                    <td>{r.account.clone().unwrap_or_else(|| "All accounts".into())}</td>
                    <td class="nowrap">{r.duration.clone()}</td>
                    <td>{r.justification.clone()}<div class="muted small">"asked by " {r.requester.clone()} " · " {format_time(r.created_at)}</div></td>
                    <td>
                        <span class=format!("status status-{}", r.status)>{r.status.clone()}</span>
                        {step.map(|s| view! { <div class="muted small">{s}</div> })}
                        {r.decisions.iter().map(|d| view! { <div class="small">{d.clone()}</div> }).collect_view()}
                    </td>
                    {cancel.map(|_| view! { <td>{cancel_form}</td> })}
                    {decide_form.map(|f| view! { <td>{f}</td> })}
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="table-wrap">
            <table class="table requests">
                <thead><tr><th>"For"</th><th>"What"</th><th>"Account"</th><th>"How long"</th><th>"Why"</th><th>"Status"</th>
                    {(cancel.is_some() || decide.is_some()).then(|| view! { <th></th> })}</tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}
