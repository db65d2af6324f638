//! Asking for access (`/requests`) and deciding on it (`/approvals`).

use leptos::prelude::*;
use leptos_meta::Title;
use uuid::Uuid;

use crate::api::requests::{
    load_approval_queue, load_request_form, my_requests, preview_request, CancelRequest,
    DecideRequest, DecideRequests, RequestAccess,
};
use crate::components::{
    format_time, settled, ConditionsField, ErrorNotice, FieldError, FormError, StepUp,
};
use crate::model::requests::{RequestOptions, RequestRow};
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;
use rules::principals::PrincipalStatus;
use rules::requests::{RequestStatus, DURATION_PRESETS, MIN_JUSTIFICATION_CHARS, RISK_LEVELS};
use rules::sod::SodMode;

#[component]
pub fn RequestsPage() -> impl IntoView {
    let create = crate::components::action::<RequestAccess>();
    let cancel = crate::components::action::<CancelRequest>();
    let form = Resource::new(|| (), |_| load_request_form());
    let create_settled = settled(create);
    let cancel_settled = settled(cancel);
    let mine = Resource::new(
        move || (create_settled.get(), cancel_settled.get()),
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
    // Suspend, where the server has no request context to call with. It appears once
    // the page is hydrated, so that server and browser render the same markup first.
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
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
                <ConditionsField id="r-conditions" error />
                {move || hydrated.get().then(|| view! {
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        match preview.await {
                            Some(Ok(p)) => {
                                let adds = p.adds.into_iter().map(|(key, high)| view! {
                                    <li><code>{key}</code>{high.then(|| view! { <span class="badge badge-risk">"high impact"</span> })}</li>
                                }).collect_view();
                                let steps = (p.approvals_needed > 1).then(|| view! {
                                    <p class="notice notice-warn">{format!("{} different approvers must approve: it adds high-impact permissions or meets a separation-of-duties rule that asks for another approval.", p.approvals_needed)}</p>
                                });
                                let conflicts = (!p.conflicts.is_empty()).then(|| {
                                    let items = p.conflicts.iter().map(|c| {
                                        let effect = match c.mode {
                                            SodMode::Block => "it will be refused",
                                            SodMode::ExtraApproval => "one more approver is needed",
                                            SodMode::Record => "recorded for the approvers",
                                        };
                                        view! { <li><strong>{c.rule.clone()}</strong>" — "{effect}</li> }
                                    }).collect_view();
                                    view! {
                                        <div class="notice notice-error sod">
                                            <strong>"Separation-of-duties conflicts"</strong>
                                            <ul>{items}</ul>
                                        </div>
                                    }
                                });
                                view! {
                                    <div class="preview">
                                        <h3>"What it adds"</h3>
                                        <ul class="adds">{adds}</ul>
                                        <p class="muted small">{p.already_held} " of its permissions are already held there. Risk: " {p.risk.clone()} "."</p>
                                        {steps}
                                        {conflicts}
                                    </div>
                                }.into_any()
                            }
                            Some(Err(error)) => view! { <ErrorNotice error /> }.into_any(),
                            None => ().into_any(),
                        }
                    })}
                </Transition>
                })}
                <button type="submit" class="btn btn-primary">"Send request"</button>
                {move || sent().then(|| view! { <span class="muted" role="status">" Sent: it is in the approvers' queue."</span> })}
            </ActionForm>
            <FormError error />
        </section>
    }
}

/// The keyboard's reach in the queue: the rows in order, and which one is current.
#[derive(Clone, Copy)]
struct QueueKeys {
    ids: RwSignal<Vec<Uuid>>,
    current: RwSignal<usize>,
}

#[component]
pub fn ApprovalsPage() -> impl IntoView {
    let decide = crate::components::action::<DecideRequest>();
    let bulk = crate::components::action::<DecideRequests>();
    let params = use_query_map();
    let filters = Memo::new(move |_| {
        let p = params.read();
        let get = |k: &str| p.get(k).unwrap_or_default();
        (
            get("application"),
            get("account"),
            get("risk"),
            get("requester"),
        )
    });
    let decide_settled = settled(decide);
    let bulk_settled = settled(bulk);
    let queue = Resource::new(
        move || (filters.get(), decide_settled.get(), bulk_settled.get()),
        |((application, account, risk, requester), _, _)| {
            load_approval_queue(application, account, risk, requester)
        },
    );
    let error = Signal::derive(move || decide.value().get().and_then(|r| r.err()));
    let bulk_error = Signal::derive(move || bulk.value().get().and_then(|r| r.err()));
    let keys = QueueKeys {
        ids: RwSignal::new(Vec::new()),
        current: RwSignal::new(0),
    };
    let selected = RwSignal::new(Vec::<Uuid>::new());
    Effect::new(move |_| {
        if let Some(Ok(q)) = queue.get() {
            keys.ids.set(q.rows.iter().map(|r| r.id).collect());
            keys.current.set(0);
            selected.set(Vec::new());
        }
    });
    let keyboard = window_event_listener(leptos::ev::keydown, move |ev| {
        on_queue_key(&ev, keys, decide);
    });
    on_cleanup(move || keyboard.remove());
    let chosen = move |field: &'static str, value: String| {
        let p = params.read_untracked();
        p.get(field).unwrap_or_default() == value
    };
    view! {
        <Title text="Approvals" />
        <h1>"Pending approvals"</h1>
        <p class="muted">"Requests you may decide, oldest first. High-impact requests need two different approvers, and a separation-of-duties rule may ask for one more. Keyboard: " <kbd>"j"</kbd> " / " <kbd>"k"</kbd> " move, " <kbd>"a"</kbd> " approve, " <kbd>"d"</kbd> " deny."</p>
        <FieldError error field="comment" />
        <FormError error />
        <StepUp action=decide />
        <Transition fallback=|| view! { <p class="loading">"Loading the queue…"</p> }>
            {move || Suspend::new(async move {
                match queue.await {
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                    Ok(q) => {
                        let applications = q.applications.into_iter().map(|(id, name)| {
                            let id = id.to_string();
                            view! { <option value=id.clone() selected=chosen("application", id)>{name}</option> }
                        }).collect_view();
                        let accounts = q.accounts.into_iter().map(|(id, name)| {
                            let id = id.to_string();
                            view! { <option value=id.clone() selected=chosen("account", id)>{name}</option> }
                        }).collect_view();
                        let risks = RISK_LEVELS.iter().map(|r| view! {
                            <option value=*r selected=chosen("risk", r.to_string())>{*r}</option>
                        }).collect_view();
                        let requester = params.read_untracked().get("requester").unwrap_or_default();
                        let shown = q.rows.len();
                        let body = if q.rows.is_empty() {
                            view! { <p class="empty">{if q.total == 0 { "Nothing waits for you." } else { "No request matches these filters." }}</p> }.into_any()
                        } else {
                            view! {
                                <BulkBar bulk selected />
                                <RequestTable rows=q.rows cancel=None decide=Some(decide) keys selected />
                            }.into_any()
                        };
                        view! {
                            <Form method="GET" action="" attr:class="form form-inline filters">
                                <div class="field">
                                    <label for="q-application">"Application"</label>
                                    <select id="q-application" name="application"><option value="">"All"</option>{applications}</select>
                                </div>
                                <div class="field">
                                    <label for="q-account">"Account"</label>
                                    <select id="q-account" name="account"><option value="">"All"</option>{accounts}</select>
                                </div>
                                <div class="field">
                                    <label for="q-risk">"Risk"</label>
                                    <select id="q-risk" name="risk"><option value="">"Any"</option>{risks}</select>
                                </div>
                                <div class="field">
                                    <label for="q-requester">"Requester"</label>
                                    <input id="q-requester" name="requester" value=requester placeholder="name" />
                                </div>
                                <button type="submit" class="btn">"Filter"</button>
                            </Form>
                            <p class="muted small" role="status">{format!("{shown} shown of {} waiting for you.", q.total)}</p>
                            <FormError error=bulk_error />
                            <FieldError error=bulk_error field="comment" />
                            {move || bulk.value().get().and_then(|r| r.ok()).map(|o| view! {
                                <p class="notice notice-ok" role="status">
                                    {format!("{} decided.", o.decided)}
                                    {o.refused.into_iter().map(|(_, why)| view! { <span class="small">" " {why}</span> }).collect_view()}
                                </p>
                            })}
                            {body}
                        }.into_any()
                    }
                }
            })}
        </Transition>
    }
}

/// j / k move through the queue, a approves the current request, d asks for a reason
/// and denies it. Keys typed into a field are the field's.
fn on_queue_key(
    ev: &leptos::ev::KeyboardEvent,
    keys: QueueKeys,
    decide: ServerAction<DecideRequest>,
) {
    use wasm_bindgen::JsCast;
    let typing = ev
        .target()
        .and_then(|t| t.dyn_into::<leptos::web_sys::Element>().ok())
        .is_some_and(|el| matches!(el.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT"));
    if typing || ev.ctrl_key() || ev.meta_key() || ev.alt_key() {
        return;
    }
    let ids = keys.ids.get_untracked();
    if ids.is_empty() {
        return;
    }
    let current = keys.current.get_untracked().min(ids.len() - 1);
    let focus = |index: usize| {
        keys.current.set(index);
        if let Some(row) = document()
            .get_element_by_id(&format!("request-{}", ids[index]))
            .and_then(|el| el.dyn_into::<leptos::web_sys::HtmlElement>().ok())
        {
            let _ = row.focus();
        }
    };
    match ev.key().as_str() {
        "j" => focus((current + 1).min(ids.len() - 1)),
        "k" => focus(current.saturating_sub(1)),
        "a" => {
            decide.dispatch(DecideRequest {
                request: ids[current],
                approve: true,
                comment: String::new(),
            });
        }
        "d" => {
            let reason = window()
                .prompt_with_message(
                    "Why do you deny this request? The requester sees your reason.",
                )
                .ok()
                .flatten()
                .unwrap_or_default();
            if !reason.trim().is_empty() {
                decide.dispatch(DecideRequest {
                    request: ids[current],
                    approve: false,
                    comment: reason,
                });
            }
        }
        _ => return,
    }
    ev.prevent_default();
}

/// Decides the selected low-risk requests at once.
#[component]
fn BulkBar(bulk: ServerAction<DecideRequests>, selected: RwSignal<Vec<Uuid>>) -> impl IntoView {
    let comment = RwSignal::new(String::new());
    let send = move |approve: bool| {
        bulk.dispatch(DecideRequests {
            requests: selected.get_untracked(),
            approve,
            comment: comment.get_untracked(),
        });
    };
    view! {
        <div class="bulk form form-inline" class:hidden=move || selected.read().is_empty()>
            <span>{move || format!("{} low-risk selected", selected.read().len())}</span>
            <input aria-label="Comment for the selected requests" placeholder="comment (needed to deny)"
                prop:value=comment on:input=move |ev| comment.set(event_target_value(&ev)) />
            <button type="button" class="btn btn-primary" on:click=move |_| send(true)>"Approve selected"</button>
            <button type="button" class="btn btn-danger" on:click=move |_| send(false)>"Deny selected"</button>
        </div>
    }
}

#[component]
fn RequestTable(
    rows: Vec<RequestRow>,
    cancel: Option<ServerAction<CancelRequest>>,
    decide: Option<ServerAction<DecideRequest>>,
    #[prop(optional)] keys: Option<QueueKeys>,
    #[prop(optional)] selected: Option<RwSignal<Vec<Uuid>>>,
) -> impl IntoView {
    let rows = rows
        .into_iter()
        .enumerate()
        .map(|(index, r)| {
            let id = r.id.to_string();
            let pending = r.status == RequestStatus::Pending;
            let step = (r.approvals_needed > 1).then(|| {
                let done = r.decisions.len() as i16;
                format!("step {} of {}", (done + 1).min(r.approvals_needed), r.approvals_needed)
            });
            let request_id = r.id;
            let pick = selected.map(|selected| {
                let label = format!("Select the request for {} ({})", r.principal, r.bundle);
                if r.low_risk() {
                    view! {
                        <input type="checkbox" aria-label=label
                            prop:checked=move || selected.read().contains(&request_id)
                            on:change=move |ev| {
                                let on = event_target_checked(&ev);
                                selected.update(|s| {
                                    s.retain(|x| *x != request_id);
                                    if on { s.push(request_id); }
                                });
                            } />
                    }.into_any()
                } else {
                    view! { <span class="muted small" title="Only low-risk requests are decided in bulk">"—"</span> }.into_any()
                }
            });
            let risk = view! {
                <span class=format!("risk risk-{}", r.risk)>{r.risk.clone()}</span>
                {r.high_impact.then(|| view! { <span class="badge badge-risk">"high impact"</span> })}
                {(!r.sod_conflicts.is_empty()).then(|| view! {
                    <div class="badge badge-warn sod">"SoD: " {r.sod_conflicts.join(", ")}</div>
                })}
            };
            let facts = [
                (r.principal_status != PrincipalStatus::Active).then(|| r.principal_status.to_string()),
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
            let current = move || keys.is_some_and(|k| k.current.get() == index);
            // What an approver weighs: what the principal holds now and what this adds.
            let details = decide.map(|_| {
                let holds = if r.current_access.is_empty() {
                    view! { <li class="muted">"nothing"</li> }.into_any()
                } else {
                    r.current_access.iter().map(|a| view! { <li>{a.clone()}</li> }).collect_view().into_any()
                };
                let adds = r.adds.iter().map(|k| view! { <li><code>{k.clone()}</code></li> }).collect_view();
                view! {
                    <details class="small">
                        <summary>{format!("Holds {} grant(s); adds {} permission(s)", r.current_access.len(), r.adds.len())}</summary>
                        <div class="columns">
                            <div><strong>"Holds now"</strong><ul>{holds}</ul></div>
                            <div><strong>"Adds"</strong><ul>{adds}</ul></div>
                        </div>
                    </details>
                }
            });
            view! {
                <tr id=format!("request-{request_id}") tabindex=keys.map(|_| "-1") class:current=current>
                    {pick.map(|p| view! { <td>{p}</td> })}
                    <td>{r.principal.clone()}<div class="muted small">{r.principal_kind.replace('_', " ")} {(!facts.is_empty()).then(|| view! { <span class="badge badge-warn">{facts}</span> })}</div></td>
                    <td>{r.bundle.clone()}<div class="muted small">{r.bundle_kind.clone()} " · " {r.application.clone()}</div><div class="small">{risk}</div></td>
                    <td>{r.account.clone().unwrap_or_else(|| "All accounts".into())}
                        {(!r.conditions.is_empty()).then(|| view! {
                            <div class="small conditions" title=r.conditions.text.clone()>"Only when " {r.conditions.words.clone()}</div>
                        })}</td>
                    <td class="nowrap">{r.duration.clone()}</td>
                    <td>{r.justification.clone()}<div class="muted small">"asked by " {r.requester.clone()} " · " {format_time(r.created_at)}</div>
                        {details}</td>
                    <td>
                        <span class=format!("status status-{}", r.status)>{r.status.as_str()}</span>
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
                <thead><tr>{selected.map(|_| view! { <th><span class="sr-only">"Select"</span></th> })}<th>"For"</th><th>"What"</th><th>"Account"</th><th>"How long"</th><th>"Why"</th><th>"Status"</th>
                    {(cancel.is_some() || decide.is_some()).then(|| view! { <th></th> })}</tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}
