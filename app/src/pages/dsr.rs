//! Data-subject requests: the list (`/dsr`) with what is overdue and due soon, and a
//! request's page (`/dsr/{id}`) where a DPO takes it from received to completed or
//! rejected, and carries out what it asks.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::{Form, A};
use leptos_router::hooks::use_query_map;
use uuid::Uuid;

use crate::api::dsr::{
    list_requests, load_request, EraseSubject, ExtendRequest, RectifySubject, RequestStep,
    SetResponseDays,
};
use crate::components::{
    format_time, use_id_param, ErrorNotice, FieldError, FormError, Pager, Stat, StepUp,
};
use crate::model::dsr::{DsrDetail, DsrRow};
use rules::dsr::{DsrKind, DsrStatus, Urgency};

/// The request's status, and how urgent it is while open.
pub fn status_cell(r: &DsrRow) -> impl IntoView {
    let urgent = match r.urgency {
        Urgency::Overdue | Urgency::DueSoon => Some(view! {
            <span class=format!("tag urgency-{:?}", r.urgency).to_lowercase()>{r.urgency.label()}</span>
        }),
        Urgency::OnTime | Urgency::Closed => None,
    };
    view! {
        <span class=format!("tag dsr-{}", r.status.as_str())>{r.status.label()}</span>
        " "
        {urgent}
    }
}

/// Rows of requests: number, kind, subject, dates, status.
pub fn request_rows(rows: &[DsrRow], with_subject: bool) -> impl IntoView {
    rows.iter()
        .map(|r| {
            let subject = with_subject.then(|| {
                let (name, account) = (r.subject.clone(), r.account.clone());
                view! {
                    <td><A href=format!("/consent/{}", r.subject_id)>{name}</A>
                        <div class="muted small">{account}</div></td>
                }
            });
            let number = format!("DSR-{}", r.number);
            view! {
                <tr class=format!("urgency-row-{:?}", r.urgency).to_lowercase()>
                    <td><A href=format!("/dsr/{}", r.id)>{number}</A></td>
                    <td>{r.kind.label()}</td>
                    {subject}
                    <td class="nowrap">{r.received_on.to_string()}<div class="muted small">{r.arrived_by.replace('_', " ")}</div></td>
                    <td class="nowrap">{r.due.to_string()}{r.extended.then_some(" (extended)")}</td>
                    <td>{status_cell(r)}</td>
                </tr>
            }
        })
        .collect_view()
}

#[component]
pub fn DsrPage() -> impl IntoView {
    let params = use_query_map();
    let query = Memo::new(move |_| {
        let p = params.read();
        (
            p.get("show").unwrap_or_default(),
            p.get("kind").unwrap_or_default(),
            p.get("page").and_then(|v| v.parse().ok()).unwrap_or(0u32),
        )
    });
    let set_days = crate::components::action::<SetResponseDays>();
    let list = Resource::new(
        move || query.get(),
        |(show, kind, page)| list_requests(show, kind, page),
    );
    let days_error = Signal::derive(move || set_days.value().get().and_then(|r| r.err()));
    view! {
        <Title text="Data-subject requests" />
        <h1>"Data-subject requests"</h1>
        <p class="muted">"Requests to access, correct, erase, restrict or object, with their due dates. Open one from the subject's page under Consent."</p>
        <Transition fallback=|| view! { <p class="loading">"Loading requests…"</p> }>
            {move || Suspend::new(async move {
                match list.await {
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                    Ok(l) => {
                        let (show, kind, _) = query.get_untracked();
                        let href = {
                            let (show, kind) = (show.clone(), kind.clone());
                            move |n: u32| format!("/dsr?{}", serde_urlencoded::to_string([("show", show.clone()), ("kind", kind.clone()), ("page", n.to_string())]).unwrap_or_default())
                        };
                        let kinds = DsrKind::ALL.iter().map(|k| {
                            view! { <option value=k.as_str() selected=kind == k.as_str()>{k.label()}</option> }
                        }).collect_view();
                        let shows = [("open", "Open"), ("overdue", "Overdue"), ("due_soon", "Due within 7 days"), ("closed", "Closed"), ("all", "All")]
                            .into_iter()
                            .map(|(v, t)| view! { <option value=v selected=show == v>{t}</option> })
                            .collect_view();
                        let table = if l.rows.is_empty() {
                            view! { <p class="empty">"No request matches."</p> }.into_any()
                        } else {
                            view! {
                                <div class="table-wrap">
                                    <table class="table requests-list">
                                        <thead><tr><th>"Request"</th><th>"Kind"</th><th>"Subject"</th><th>"Received"</th><th>"Due"</th><th>"Status"</th></tr></thead>
                                        <tbody>{request_rows(&l.rows, true)}</tbody>
                                    </table>
                                </div>
                                <Pager page=l.page has_next=l.has_next href />
                            }.into_any()
                        };
                        let settings = l.can_manage.then(|| view! {
                            <section class="card">
                                <h2>"Response time"</h2>
                                <ActionForm action=set_days attr:class="form form-inline">
                                    <div class="field">
                                        <label for="dsr-days">"Days to answer a request"</label>
                                        <input id="dsr-days" name="days" type="number" min="1" max="90" required value=l.response_days.to_string() />
                                        <FieldError error=days_error field="days" />
                                    </div>
                                    <button type="submit" class="btn">"Save"</button>
                                    <FormError error=days_error />
                                </ActionForm>
                                <p class="muted small">"Requests opened from now on are due this many days after they were received; one already open keeps its date."</p>
                            </section>
                        });
                        view! {
                            <div class="stats">
                                <Stat label="Open" value=l.open />
                                <Stat label="Overdue" value=l.overdue />
                                <Stat label="Due within 7 days" value=l.due_soon />
                            </div>
                            <Form method="GET" action="" attr:class="form form-inline filters">
                                <div class="field"><label for="dsr-show">"Show"</label><select id="dsr-show" name="show">{shows}</select></div>
                                <div class="field"><label for="dsr-kind">"Kind"</label>
                                    <select id="dsr-kind" name="kind"><option value="">"Any"</option>{kinds}</select></div>
                                <button type="submit" class="btn">"Filter"</button>
                            </Form>
                            {table}
                            {settings}
                        }.into_any()
                    }
                }
            })}
        </Transition>
    }
}

/// A form for one step (a button, with a note when `note` names what to write).
#[component]
fn StepForm(
    id: Uuid,
    step: &'static str,
    button: &'static str,
    action: ServerAction<RequestStep>,
    #[prop(optional)] note: Option<(&'static str, &'static str)>,
    #[prop(optional)] danger: bool,
) -> impl IntoView {
    let error = Signal::derive(move || action.value().get().and_then(|r| r.err()));
    let field = note.map(|(label, placeholder)| {
        let input_id = format!("dsr-{step}-note");
        view! {
            <div class="field">
                <label for=input_id.clone()>{label}</label>
                <input id=input_id name="note" required minlength="10" placeholder=placeholder />
                <FieldError error field=if step == "reject" { "reason" } else { "note" } />
            </div>
        }
    });
    view! {
        <ActionForm action attr:class="form form-inline">
            <input type="hidden" name="id" value=id.to_string() />
            <input type="hidden" name="step" value=step />
            {field}
            <button type="submit" class=if danger { "btn btn-danger" } else { "btn btn-primary" }>{button}</button>
        </ActionForm>
    }
}

/// What the request asks for, once work has started.
#[component]
fn Carry(
    d: DsrDetail,
    step: ServerAction<RequestStep>,
    rectify: ServerAction<RectifySubject>,
    erase: ServerAction<EraseSubject>,
) -> impl IntoView {
    let id = d.row.id;
    match d.row.kind {
        DsrKind::Access => view! {
            <form method="post" action=format!("/dsr/{id}/export.json") class="form-inline">
                <button type="submit" class="btn">"Download everything held about the subject (JSON)"</button>
                {if d.exported { " · downloaded" } else { "" }}
            </form>
            <StepForm id step="complete" button="Complete: the export was sent" action=step />
        }
        .into_any(),
        DsrKind::Rectification => {
            let error = Signal::derive(move || rectify.value().get().and_then(|r| r.err()));
            let s = d.subject.clone();
            view! {
                <p class="muted">"Enter the corrected details (leave a field blank to keep it). Saving completes the request; before and after are kept."</p>
                <ActionForm action=rectify attr:class="form">
                    <input type="hidden" name="id" value=id.to_string() />
                    <div class="form-inline">
                        <div class="field"><label for="r-email">"Email"</label><input id="r-email" name="email" type="email" placeholder=s.email.unwrap_or_default() /><FieldError error field="email" /></div>
                        <div class="field"><label for="r-name">"Name"</label><input id="r-name" name="name" placeholder=s.name.unwrap_or_default() /><FieldError error field="name" /></div>
                        <div class="field"><label for="r-country">"Country"</label><input id="r-country" name="country" size="4" placeholder=s.country.unwrap_or_default() /><FieldError error field="country" /></div>
                    </div>
                    <FormError error />
                    <button type="submit" class="btn btn-primary">"Save the correction"</button>
                </ActionForm>
            }
            .into_any()
        }
        DsrKind::Erasure => {
            let error = Signal::derive(move || erase.value().get().and_then(|r| r.err()));
            let number = format!("DSR-{}", d.row.number);
            view! {
                <p class="notice notice-warn">"Erasure replaces the subject's email, name, country and external id with a pseudonym everywhere Gatehouse holds them — the audit trail included — and keeps their consent history as pseudonymised proof. It cannot be undone."</p>
                <ActionForm action=erase attr:class="form form-inline">
                    <input type="hidden" name="id" value=id.to_string() />
                    <div class="field">
                        <label for="e-confirm">{format!("Type {number} to confirm")}</label>
                        <input id="e-confirm" name="confirm" required autocomplete="off" />
                        <FieldError error field="confirm" />
                    </div>
                    <button type="submit" class="btn btn-danger">"Erase the subject"</button>
                    <FormError error />
                </ActionForm>
                <StepUp action=erase />
            }
            .into_any()
        }
        DsrKind::Restriction | DsrKind::Objection => view! {
            <StepForm id step="complete" button="Complete" action=step note=("What was done", "Marketing stopped in every connected system on 2026-11-27") />
        }
        .into_any(),
    }
}

fn outcome_view(d: &DsrDetail) -> Option<impl IntoView> {
    let outcome = d.facts.outcome.clone()?;
    let shown = match d.row.kind {
        DsrKind::Rectification => {
            let rows = outcome["after"]
                .as_object()
                .map(|after| {
                    after
                        .iter()
                        .map(|(field, new)| {
                            let old = outcome["before"][field].as_str().unwrap_or("—").to_string();
                            view! { <tr><td>{field.clone()}</td><td>{old}</td><td>{new.as_str().unwrap_or_default().to_string()}</td></tr> }
                        })
                        .collect_view()
                });
            view! {
                <table class="table rectification">
                    <thead><tr><th>"Field"</th><th>"Before"</th><th>"After"</th></tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            }
            .into_any()
        }
        DsrKind::Erasure => view! {
            <p>{format!("Erased: the subject is now {}.", outcome["pseudonym"].as_str().unwrap_or_default())}</p>
        }
        .into_any(),
        DsrKind::Access => view! {
            <p>{format!("Export downloaded {} (SHA-256 {}).", outcome["exported_at"].as_str().unwrap_or_default(), outcome["sha256"].as_str().unwrap_or_default())}</p>
        }
        .into_any(),
        DsrKind::Restriction | DsrKind::Objection => {
            view! { <p>{outcome["note"].as_str().unwrap_or_default().to_string()}</p> }.into_any()
        }
    };
    Some(view! { <section class="card outcome"><h2>"Outcome"</h2>{shown}</section> })
}

const STEPS: [DsrStatus; 4] = [
    DsrStatus::Received,
    DsrStatus::IdentityVerified,
    DsrStatus::InProgress,
    DsrStatus::Completed,
];

#[component]
pub fn DsrRequestPage() -> impl IntoView {
    let id = use_id_param();
    let step = crate::components::action::<RequestStep>();
    let extend = crate::components::action::<ExtendRequest>();
    let rectify = crate::components::action::<RectifySubject>();
    let erase = crate::components::action::<EraseSubject>();
    let detail = Resource::new(
        move || id.get(),
        |id| async move {
            match id {
                Some(id) => load_request(id).await,
                None => Err(crate::error::AppError::NotFound(
                    "There is no such data-subject request.".into(),
                )),
            }
        },
    );
    let step_error = Signal::derive(move || step.value().get().and_then(|r| r.err()));
    let extend_error = Signal::derive(move || extend.value().get().and_then(|r| r.err()));
    view! {
        <Title text="Data-subject request" />
        <Transition fallback=|| view! { <p class="loading">"Loading the request…"</p> }>
            {move || Suspend::new(async move {
                match detail.await {
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                    Ok(d) => {
                        let r = d.row.clone();
                        let f = d.facts.clone();
                        let open = !r.status.is_closed();
                        let subject_name = r.subject.clone();
                        let progress = STEPS.iter().map(|s| {
                            let reached = STEPS.iter().position(|x| x == s) <= STEPS.iter().position(|x| *x == r.status);
                            view! { <li class:reached=reached>{s.label()}</li> }
                        }).collect_view();
                        let actions = (d.can_manage && open).then(|| {
                            let next = match r.status {
                                DsrStatus::Received => view! { <StepForm id=r.id step="verify_identity" button="Identity verified" action=step /> }.into_any(),
                                DsrStatus::IdentityVerified => view! { <StepForm id=r.id step="start" button="Start work" action=step /> }.into_any(),
                                _ => view! { <Carry d=d.clone() step rectify erase /> }.into_any(),
                            };
                            view! {
                                <section class="card">
                                    <h2>"Next step"</h2>
                                    {next}
                                    <FormError error=step_error />
                                </section>
                                <section class="card">
                                    <h2>"Extend or reject"</h2>
                                    <ActionForm action=extend attr:class="form form-inline">
                                        <input type="hidden" name="id" value=r.id.to_string() />
                                        <div class="field"><label for="x-to">"New due date"</label>
                                            <input id="x-to" name="to" type="date" required max=d.latest_extension.to_string() />
                                            <FieldError error=extend_error field="to" /></div>
                                        <div class="field"><label for="x-reason">"Reason"</label>
                                            <input id="x-reason" name="reason" required minlength="10" placeholder="Complex request: records in three systems" />
                                            <FieldError error=extend_error field="reason" /></div>
                                        <button type="submit" class="btn">"Extend"</button>
                                        <FormError error=extend_error />
                                    </ActionForm>
                                    <StepForm id=r.id step="reject" button="Reject" action=step danger=true note=("Reason for rejecting", "Identity could not be verified") />
                                </section>
                            }
                        });
                        view! {
                            <h1>{format!("DSR-{} · {}", r.number, r.kind.label())}</h1>
                            <p>{status_cell(&r)}</p>
                            <ol class="steps">{progress}</ol>
                            <dl class="facts">
                                <dt>"Subject"</dt><dd><A href=format!("/consent/{}", r.subject_id)>{subject_name}</A>{format!(" · {}", r.account)}</dd>
                                <dt>"Received"</dt><dd>{format!("{} by {}", r.received_on, r.arrived_by.replace('_', " "))}</dd>
                                <dt>"Due"</dt><dd>{if r.extended { format!("{} (extended from {})", r.due, f.due_on) } else { r.due.to_string() }}</dd>
                                {f.extension_reason.clone().map(|why| view! { <dt>"Extended because"</dt><dd>{why}</dd> })}
                                <dt>"Opened"</dt><dd>{format!("{} by {}", format_time(f.opened_at), f.opened_by)}</dd>
                                {f.closed_at.map(|at| view! { <dt>"Closed"</dt><dd>{format_time(at)}</dd> })}
                                {f.rejection_reason.clone().map(|why| view! { <dt>"Rejected because"</dt><dd>{why}</dd> })}
                                {(!f.details.is_empty()).then(|| view! { <dt>"Details"</dt><dd class="prewrap">{f.details.clone()}</dd> })}
                            </dl>
                            {outcome_view(&d)}
                            {actions}
                        }.into_any()
                    }
                }
            })}
        </Transition>
    }
}
