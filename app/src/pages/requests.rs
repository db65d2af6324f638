//! Asking for access (`/requests`) and deciding on it (`/approvals`).

use leptos::either::Either;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;
use uuid::Uuid;

use crate::api::requests::{
    load_approval_queue, load_request_form, my_requests, preview_request, CancelRequest,
    DecideRequest, DecideRequests, RequestAccess,
};
use crate::components::{format_time, ConditionsField, ErrorNotice, FieldError, FormError, StepUp};
use crate::model::requests::{RequestOptions, RequestPreview as Previewed, RequestRow};
use leptos::wasm_bindgen::JsCast;
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
    let mine = Resource::new(|| (), |_| my_requests());
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
                        <select id="r-principal" name="principal">{principals}</select>
                        <FieldError error field="principal" />
                    </div>
                    <div class="field">
                        <label for="r-bundle">"Role or permission set"</label>
                        <select id="r-bundle" name="bundle">{bundles}</select>
                        <FieldError error field="bundle" />
                    </div>
                    <div class="field">
                        <label for="r-account">"Account"</label>
                        <select id="r-account" name="account">
                            <option value="">"All accounts"</option>{accounts}
                        </select>
                        <FieldError error field="account" />
                    </div>
                    <div class="field">
                        <label for="r-duration">"For how long"</label>
                        <select id="r-duration" name="duration">
                            {presets}
                            <option value="date">"Until a date"</option>
                            <option value="none">"No end"</option>
                        </select>
                        <FieldError error field="duration" />
                    </div>
                    // Hidden by the page's script while no date is asked for.
                    <div class="field" id="r-until-field">
                        <label for="r-until">"Until (with “Until a date”)"</label>
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
                <RequestPreview />
                <button type="submit" class="btn btn-primary">"Send request"</button>
                {move || sent().then(|| view! { <span class="muted" role="status">" Sent: it is in the approvers' queue."</span> })}
            </ActionForm>
            <FormError error />
        </section>
    }
}

/// In the browser, what the request form's choices would add and the
/// separation-of-duties rules they meet, asked again as the choices change; and the
/// date field shown only when a date is chosen.
#[island]
fn RequestPreview() -> impl IntoView {
    let ask = Action::new_local(|(principal, bundle, account): &(Uuid, Uuid, String)| {
        preview_request(*principal, *bundle, account.clone())
    });
    let chosen = || {
        let value = |id: &str| {
            document()
                .get_element_by_id(id)
                .and_then(|e| e.dyn_into::<leptos::web_sys::HtmlSelectElement>().ok())
                .map(|e| e.value())
                .unwrap_or_default()
        };
        if let Some(until) = document().get_element_by_id("r-until-field") {
            let _ = until
                .class_list()
                .toggle_with_force("hidden", value("r-duration") != "date");
        }
        let id = |field: &str| Uuid::parse_str(&value(field)).ok();
        (id("r-principal"), id("r-bundle"), value("r-account"))
    };
    let again = move || {
        if let (Some(principal), Some(bundle), account) = chosen() {
            ask.dispatch((principal, bundle, account));
        }
    };
    // Effects run only in the browser: the first preview, for the choices the page came
    // with (a refused form comes back with them).
    Effect::new(move |_| again());
    let changes = window_event_listener(leptos::ev::change, move |ev| {
        let a_choice = ev
            .target()
            .and_then(|t| t.dyn_into::<leptos::web_sys::HtmlSelectElement>().ok())
            .is_some_and(|e| e.id().starts_with("r-"));
        if a_choice {
            again();
        }
    });
    on_cleanup(move || changes.remove());
    move || {
        ask.value().get().map(|answer| match answer {
            Ok(preview) => Either::Left(view! { <Preview preview /> }),
            Err(error) => Either::Right(view! { <ErrorNotice error /> }),
        })
    }
}

/// What a request would add, how many approvers it needs and the rules it meets.
#[component]
fn Preview(preview: Previewed) -> impl IntoView {
    let p = preview;
    let adds = p.adds.into_iter().map(|(key, high)| view! {
        <li><code>{key}</code>{high.then(|| view! { <span class="badge badge-risk">"high impact"</span> })}</li>
    }).collect_view();
    let steps = (p.approvals_needed > 1).then(|| view! {
        <p class="notice notice-warn">{format!("{} different approvers must approve: it adds high-impact permissions or meets a separation-of-duties rule that asks for another approval.", p.approvals_needed)}</p>
    });
    let conflicts = (!p.conflicts.is_empty()).then(|| {
        let items = p
            .conflicts
            .iter()
            .map(|c| {
                let effect = match c.mode {
                    SodMode::Block => "it will be refused",
                    SodMode::ExtraApproval => "one more approver is needed",
                    SodMode::Record => "recorded for the approvers",
                };
                view! { <li><strong>{c.rule.clone()}</strong>" — "{effect}</li> }
            })
            .collect_view();
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
    }
}

/// The approvals page's filters, as its address gives them.
#[derive(Clone, Debug, PartialEq, Eq)]
struct QueueFilters {
    application: String,
    account: String,
    risk: String,
    requester: String,
}

#[component]
pub fn ApprovalsPage() -> impl IntoView {
    let decide = crate::components::action::<DecideRequest>();
    let params = use_query_map();
    let filters = move || {
        let p = params.read_untracked();
        let get = |k: &str| p.get(k).unwrap_or_default();
        QueueFilters {
            application: get("application"),
            account: get("account"),
            risk: get("risk"),
            requester: get("requester"),
        }
    };
    let queue = Resource::new(filters, |f| {
        load_approval_queue(f.application, f.account, f.risk, f.requester)
    });
    view! {
        <Title text="Approvals" />
        <h1>"Pending approvals"</h1>
        <p class="muted">"Requests you may decide, oldest first. High-impact requests need two different approvers, and a separation-of-duties rule may ask for one more. Keyboard: " <kbd>"j"</kbd> " / " <kbd>"k"</kbd> " move, " <kbd>"a"</kbd> " approve, " <kbd>"d"</kbd> " deny."</p>
        <Transition fallback=|| view! { <p class="loading">"Loading the queue…"</p> }>
            {move || Suspend::new(async move {
                match queue.await {
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                    Ok(q) => {
                        let f = filters();
                        let chosen = |now: &str, value: &str| now == value;
                        let applications = q.applications.into_iter().map(|(id, name)| {
                            let id = id.to_string();
                            view! { <option value=id.clone() selected=chosen(&f.application, &id)>{name}</option> }
                        }).collect_view();
                        let accounts = q.accounts.into_iter().map(|(id, name)| {
                            let id = id.to_string();
                            view! { <option value=id.clone() selected=chosen(&f.account, &id)>{name}</option> }
                        }).collect_view();
                        let risks = RISK_LEVELS.iter().map(|r| view! {
                            <option value=*r selected=chosen(&f.risk, r)>{*r}</option>
                        }).collect_view();
                        let shown = q.rows.len();
                        // The queue answers a decision posted without the script even when
                        // it took the last row.
                        let empty = q.rows.is_empty();
                        let body = if empty {
                            view! { <p class="empty">{if q.total == 0 { "Nothing waits for you." } else { "No request matches these filters." }}</p> }.into_any()
                        } else {
                            view! { <RequestTable rows=q.rows cancel=None decide=Some(decide) pick=true /> }.into_any()
                        };
                        let body = view! { <ApprovalQueue empty>{body}</ApprovalQueue> };
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
                                    <input id="q-requester" name="requester" value=f.requester placeholder="name" />
                                </div>
                                <button type="submit" class="btn">"Filter"</button>
                            </Form>
                            <p class="muted small" role="status">{format!("{shown} shown of {} waiting for you.", q.total)}</p>
                            {body}
                        }.into_any()
                    }
                }
            })}
        </Transition>
    }
}

/// The queue made live: a decision (a row's button, `a` or `d` on the current row, or
/// the selected low-risk requests at once) is sent by the script and its rows leave the
/// table; one refused for want of a second factor asks for it in place and goes ahead
/// once it is given. `j` and `k` move through the rows. Without the script, each form
/// posts and the page comes back.
#[island]
fn ApprovalQueue(
    /// Whether the page came with no row (then there is nothing to pick in bulk).
    empty: bool,
    children: Children,
) -> impl IntoView {
    let decide = crate::components::action::<DecideRequest>();
    let bulk = crate::components::action::<DecideRequests>();
    let current = RwSignal::new(0usize);
    let selected = RwSignal::new(0usize);
    // What was sent (an action forgets its input once answered): one decision at a
    // time, so that an answer is always that of the rows recorded. A step-up sends the
    // same decision again. Effects run only in the browser.
    let sent = StoredValue::new((None::<Uuid>, Vec::<Uuid>::new()));
    let send = move |decision: DecideRequest| {
        if !decide.pending().get_untracked() {
            sent.update_value(|s| s.0 = Some(decision.request));
            decide.dispatch(decision);
        }
    };
    Effect::new(move |_| {
        if let Some(Ok(_)) = decide.value().get() {
            if let Some(request) = sent.with_value(|s| s.0) {
                queue::remove(&[request]);
            }
            selected.set(queue::selected().len());
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(outcome)) = bulk.value().get() {
            let decided: Vec<Uuid> = sent.with_value(|s| {
                s.1.iter()
                    .filter(|r| !outcome.refused.iter().any(|(id, _)| id == *r))
                    .copied()
                    .collect()
            });
            queue::remove(&decided);
            selected.set(queue::selected().len());
        }
    });
    Effect::new(move |_| {
        queue::mark(current.get());
        selected.set(queue::selected().len());
    });
    let keyboard = window_event_listener(leptos::ev::keydown, move |ev| {
        on_queue_key(&ev, current, send);
    });
    on_cleanup(move || keyboard.remove());
    // A row's form is sent by the script, with the button that sent it.
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        let Some(sent) = queue::decision(&ev) else {
            return;
        };
        ev.prevent_default();
        send(sent);
    };
    let on_bulk = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if bulk.pending().get_untracked() {
            return;
        }
        let requests = queue::selected();
        sent.update_value(|s| s.1 = requests.clone());
        bulk.dispatch(DecideRequests {
            requests,
            approve: queue::approves(&ev),
            comment: crate::components::submitted(&ev, "comment"),
        });
    };
    let error = Signal::derive(move || decide.value().get().and_then(|r| r.err()));
    let bulk_error = Signal::derive(move || bulk.value().get().and_then(|r| r.err()));
    view! {
        <FieldError error field="comment" />
        <FormError error />
        <StepUp action=decide live=true />
        <FormError error=bulk_error />
        <FieldError error=bulk_error field="comment" />
        {move || bulk.value().get().and_then(|r| r.ok()).map(|o| view! {
            <p class="notice notice-ok" role="status">
                {format!("{} decided.", o.decided)}
                {o.refused.into_iter().map(|(_, why)| view! { <span class="small">" " {why}</span> }).collect_view()}
            </p>
        })}
        {(!empty).then(|| view! {
            <form id="bulk" class="bulk form form-inline" action=DecideRequests::url() method="post" on:submit=on_bulk>
                <span>{move || format!("{} low-risk selected", selected.get())}</span>
                <input name="comment" aria-label="Comment for the selected requests" placeholder="comment (needed to deny)" />
                <button type="submit" name="approve" value="true" class="btn btn-primary">"Approve selected"</button>
                <button type="submit" name="approve" value="false" class="btn btn-danger">"Deny selected"</button>
            </form>
        })}
        <div on:submit=on_submit on:change=move |_| selected.set(queue::selected().len())>{children()}</div>
    }
}

/// The queue's rows as the page holds them (the browser's side of [`ApprovalQueue`]).
mod queue {
    use leptos::prelude::*;
    use leptos::wasm_bindgen::JsCast;
    use leptos::web_sys::{Element, HtmlFormElement, HtmlInputElement};
    use uuid::Uuid;

    use crate::api::requests::DecideRequest;
    use crate::components::submitted;
    use leptos::server_fn::ServerFn;

    const ROWS: &str = "table.requests tbody tr";

    /// The rows' requests, in order.
    pub fn rows() -> Vec<Uuid> {
        let Ok(rows) = document().query_selector_all(ROWS) else {
            return Vec::new();
        };
        (0..rows.length())
            .filter_map(|i| rows.item(i)?.dyn_into::<Element>().ok())
            .filter_map(|row| Uuid::parse_str(row.id().strip_prefix("request-")?).ok())
            .collect()
    }

    /// Takes the rows of `requests` out of the table.
    pub fn remove(requests: &[Uuid]) {
        for id in requests {
            if let Some(row) = document().get_element_by_id(&format!("request-{id}")) {
                row.remove();
            }
        }
    }

    /// Marks the row at `index` as the current one.
    pub fn mark(index: usize) {
        for (i, id) in rows().into_iter().enumerate() {
            if let Some(row) = document().get_element_by_id(&format!("request-{id}")) {
                let _ = row.class_list().toggle_with_force("current", i == index);
            }
        }
    }

    /// The requests whose boxes are ticked for a decision in bulk.
    pub fn selected() -> Vec<Uuid> {
        let Ok(boxes) = document().query_selector_all("input[form=\"bulk\"]:checked") else {
            return Vec::new();
        };
        (0..boxes.length())
            .filter_map(|i| boxes.item(i)?.dyn_into::<HtmlInputElement>().ok())
            .filter_map(|b| Uuid::parse_str(&b.value()).ok())
            .collect()
    }

    fn form(ev: &leptos::ev::SubmitEvent) -> Option<HtmlFormElement> {
        ev.target()?.dyn_into::<HtmlFormElement>().ok()
    }

    /// Whether the button that sent the form approves.
    pub fn approves(ev: &leptos::ev::SubmitEvent) -> bool {
        ev.submitter()
            .and_then(|b| b.get_attribute("value"))
            .is_some_and(|v| v == "true")
    }

    /// The decision a row's form sends; `None` for any other form.
    pub fn decision(ev: &leptos::ev::SubmitEvent) -> Option<DecideRequest> {
        let decides = form(ev)?.get_attribute("action")? == DecideRequest::url();
        decides.then(|| DecideRequest {
            request: Uuid::parse_str(&submitted(ev, "request")).unwrap_or_default(),
            approve: approves(ev),
            comment: submitted(ev, "comment"),
        })
    }
}

/// j / k move through the queue, a approves the current request, d asks for a reason
/// and denies it. Keys typed into a field are the field's.
fn on_queue_key(
    ev: &leptos::ev::KeyboardEvent,
    current: RwSignal<usize>,
    decide: impl Fn(DecideRequest),
) {
    use wasm_bindgen::JsCast;
    let typing = ev
        .target()
        .and_then(|t| t.dyn_into::<leptos::web_sys::Element>().ok())
        .is_some_and(|el| matches!(el.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT"));
    if typing || ev.ctrl_key() || ev.meta_key() || ev.alt_key() {
        return;
    }
    let ids = queue::rows();
    if ids.is_empty() {
        return;
    }
    let now = current.get_untracked().min(ids.len() - 1);
    let focus = |index: usize| {
        current.set(index);
        if let Some(row) = document()
            .get_element_by_id(&format!("request-{}", ids[index]))
            .and_then(|el| el.dyn_into::<leptos::web_sys::HtmlElement>().ok())
        {
            let _ = row.focus();
        }
    };
    match ev.key().as_str() {
        "j" => focus((now + 1).min(ids.len() - 1)),
        "k" => focus(now.saturating_sub(1)),
        "a" => {
            decide(DecideRequest {
                request: ids[now],
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
                decide(DecideRequest {
                    request: ids[now],
                    approve: false,
                    comment: reason,
                });
            }
        }
        _ => return,
    }
    ev.prevent_default();
}

#[component]
fn RequestTable(
    rows: Vec<RequestRow>,
    cancel: Option<ServerAction<CancelRequest>>,
    decide: Option<ServerAction<DecideRequest>>,
    /// Whether low-risk rows have a box that picks them for a decision in bulk (the
    /// queue's `bulk` form).
    #[prop(optional)]
    pick: bool,
) -> impl IntoView {
    let rows = rows
        .into_iter()
        .map(|r| {
            let id = r.id.to_string();
            let pending = r.status == RequestStatus::Pending;
            let step = (r.approvals_needed > 1).then(|| {
                let done = r.decisions.len() as i16;
                format!("step {} of {}", (done + 1).min(r.approvals_needed), r.approvals_needed)
            });
            let request_id = r.id;
            let picker = pick.then(|| {
                let label = format!("Select the request for {} ({})", r.principal, r.bundle);
                if r.low_risk() {
                    view! {
                        <input type="checkbox" form="bulk" name="requests[]" value=id.clone() aria-label=label />
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
                <tr id=format!("request-{request_id}") tabindex=pick.then_some("-1")>
                    {picker.map(|p| view! { <td>{p}</td> })}
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
                <thead><tr>{pick.then(|| view! { <th><span class="sr-only">"Select"</span></th> })}<th>"For"</th><th>"What"</th><th>"Account"</th><th>"How long"</th><th>"Why"</th><th>"Status"</th>
                    {(cancel.is_some() || decide.is_some()).then(|| view! { <th></th> })}</tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}
