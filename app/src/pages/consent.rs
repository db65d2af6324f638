//! The DPO's consent console: finding a data subject (`/consent`) and their page
//! (`/consent/{id}`) with the current channel × purpose grid, the full history, who looked
//! at or exported them, the proof export, and events recorded by hand.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::{Form, A};
use leptos_router::hooks::{use_params_map, use_query_map};
use uuid::Uuid;

use crate::api::consent::{
    consent_accounts, consent_purposes, load_account_consent, load_consent_attention, load_subject,
    search_subjects, AddPurpose, RecordConsent,
};
use crate::api::dsr::OpenRequest;
use crate::components::{
    format_time, use_id_param, ErrorNotice, FieldError, FormError, LagNotice, MonthlyChart, Pager,
    Stat,
};
use crate::model::consent::{AccountConsent, ConsentCell, SubjectDetail};
use crate::pages::dsr::request_rows;
use rules::consent::{LAWFUL_BASES, METHODS};
use rules::dsr::{DsrKind, ARRIVED_BY};
use rules::principals::kind_label;

fn label(key: &str) -> String {
    key.replace('_', " ")
}

/// Before any search: the latest withdrawals and the requests that are due.
#[component]
fn Attention() -> impl IntoView {
    let attention = Resource::new(|| (), |_| load_consent_attention());
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading what needs attention…"</p> }>
            {move || Suspend::new(async move {
                match attention.await {
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                    Ok(a) => {
                        let withdrawals = if a.withdrawals.is_empty() {
                            view! { <p class="empty">"Nobody has withdrawn consent."</p> }.into_any()
                        } else {
                            let rows = a.withdrawals.into_iter().map(|w| view! {
                                <tr>
                                    <td><A href=format!("/consent/{}", w.subject_id)>{w.subject}</A></td>
                                    <td>{w.account}</td>
                                    <td>{label(&w.channel)}</td>
                                    <td>{label(&w.purpose)}</td>
                                    <td class="nowrap">{format_time(w.occurred_at)}</td>
                                </tr>
                            }).collect_view();
                            view! {
                                <div class="table-wrap">
                                    <table class="table withdrawals">
                                        <thead><tr><th>"Subject"</th><th>"Account"</th><th>"Channel"</th><th>"Purpose"</th><th>"Withdrawn"</th></tr></thead>
                                        <tbody>{rows}</tbody>
                                    </table>
                                </div>
                            }.into_any()
                        };
                        let requests = if a.requests.is_empty() {
                            view! { <p class="empty">"No data-subject request is open."</p> }.into_any()
                        } else {
                            view! {
                                <div class="table-wrap">
                                    <table class="table requests-due">
                                        <thead><tr><th>"Request"</th><th>"Kind"</th><th>"Subject"</th><th>"Received"</th><th>"Due"</th><th>"Status"</th></tr></thead>
                                        <tbody>{request_rows(&a.requests, true)}</tbody>
                                    </table>
                                </div>
                            }.into_any()
                        };
                        view! {
                            <section class="attention" aria-labelledby="attention-requests">
                                <h2 id="attention-requests">"Data-subject requests"</h2>
                                <p class="muted">
                                    {format!("{} open, {} overdue. The most urgent first; ", a.open, a.overdue)}
                                    <A href="/dsr">"all requests"</A>"."
                                </p>
                                {requests}
                            </section>
                            <section class="attention" aria-labelledby="attention-withdrawals">
                                <h2 id="attention-withdrawals">"Latest withdrawals"</h2>
                                {withdrawals}
                            </section>
                        }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}

#[component]
pub fn ConsentPage() -> impl IntoView {
    let params = use_query_map();
    let query = Memo::new(move |_| {
        let p = params.read();
        (
            p.get("q").unwrap_or_default(),
            p.get("page").and_then(|v| v.parse().ok()).unwrap_or(0u32),
        )
    });
    let found = Resource::new(
        move || query.get(),
        |(q, page)| async move {
            if q.trim().is_empty() {
                None
            } else {
                Some(search_subjects(q, page).await)
            }
        },
    );
    let error = Signal::derive(move || found.get().flatten().and_then(|r| r.err()));
    let accounts = Resource::new(|| (), |_| consent_accounts());
    view! {
        <Title text="Consent" />
        <h1>"Consent"</h1>
        <p class="muted">"Find a data subject by email, by their id in the sending system, or by the start of their name."</p>
        <Form method="GET" action="" attr:class="form form-inline filters">
            <div class="field">
                <label for="c-q">"Email, external id or name"</label>
                <input id="c-q" name="q" type="search" required minlength="2" value=move || query.read().0.clone() />
                <FieldError error field="q" />
            </div>
            <button type="submit" class="btn">"Search"</button>
        </Form>
        <Transition fallback=|| view! { <p class="loading">"Searching…"</p> }>
            {move || Suspend::new(async move {
                match found.await {
                    None => ().into_any(),
                    Some(Err(e)) if e.field_message("q").is_some() => ().into_any(),
                    Some(Err(error)) => view! { <ErrorNotice error /> }.into_any(),
                    Some(Ok(s)) if s.rows.is_empty() => view! { <p class="empty">"No data subject matches."</p> }.into_any(),
                    Some(Ok(s)) => {
                        let q = query.get_untracked().0;
                        let href = move |n: u32| {
                            format!("/consent?{}", serde_urlencoded::to_string([("q", q.clone()), ("page", n.to_string())]).unwrap_or_default())
                        };
                        let rows = s.rows.into_iter().map(|r| view! {
                            <tr>
                                <td><A href=format!("/consent/{}", r.id)>{r.name.clone().unwrap_or_else(|| "(no name)".into())}</A></td>
                                <td>{r.email.clone().unwrap_or_default()}</td>
                                <td><code>{r.external_id.clone()}</code></td>
                                <td>{r.account.clone()}</td>
                                <td>{r.country.clone().unwrap_or_default()}</td>
                            </tr>
                        }).collect_view();
                        view! {
                            <div class="table-wrap">
                                <table class="table subjects">
                                    <thead><tr><th>"Name"</th><th>"Email"</th><th>"External id"</th><th>"Account"</th><th>"Country"</th></tr></thead>
                                    <tbody>{rows}</tbody>
                                </table>
                            </div>
                            <Pager page=s.page has_next=s.has_next href />
                        }.into_any()
                    }
                }
            })}
        </Transition>
        <Show when=move || query.read().0.trim().is_empty()>
            <Attention />
        </Show>
        <Purposes />
        <h2>"Consent by account"</h2>
        <p class="muted">"Opt-ins and withdrawals over the last year, and who may export or message each account's contacts."</p>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                accounts.await.map(|list| {
                    let links = list.into_iter().map(|a| view! {
                        <li><A href=format!("/consent/accounts/{}", a.id)>{a.name}</A></li>
                    }).collect_view();
                    view! { <ul class="account-links">{links}</ul> }
                })
            })}
        </Suspense>
    }
}

/// The purposes consent is asked for; a DPO adds the organisation's own.
#[component]
fn Purposes() -> impl IntoView {
    let add = crate::components::action::<AddPurpose>();
    let list = Resource::new(|| (), |_| consent_purposes());
    let error = Signal::derive(move || add.value().get().and_then(|r| r.err()));
    view! {
        <h2>"Purposes"</h2>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                list.await.map(|l| {
                    let items = l.purposes.into_iter().map(|p| view! {
                        <li><code>{p.key.clone()}</code>" — "{p.label}{p.built_in.then_some(" (built in)")}</li>
                    }).collect_view();
                    let form = l.can_add.then(|| view! {
                        <ActionForm action=add attr:class="form form-inline">
                            <div class="field"><label for="p-key">"New purpose key"</label>
                                <input id="p-key" name="key" required pattern="[a-z][a-z0-9_]*" placeholder="loyalty_programme" />
                                <FieldError error field="key" /></div>
                            <div class="field"><label for="p-label">"Label"</label>
                                <input id="p-label" name="label" required placeholder="Loyalty programme" />
                                <FieldError error field="label" /></div>
                            <button type="submit" class="btn">"Add purpose"</button>
                            <FormError error />
                        </ActionForm>
                    });
                    view! { <ul class="purposes">{items}</ul>{form} }
                })
            })}
        </Suspense>
    }
}

fn cell(state: &[ConsentCell], channel: &str, purpose: &str) -> impl IntoView {
    match state
        .iter()
        .find(|c| c.channel == channel && c.purpose == purpose)
    {
        Some(c) => view! {
            <td><span class=format!("tag consent-{}", c.status)>{c.status.clone()}</span>
                <div class="muted small">{c.occurred_at.format("%Y-%m-%d").to_string()}</div></td>
        }
        .into_any(),
        None => view! { <td class="muted">"—"</td> }.into_any(),
    }
}

fn options(values: &[&'static str]) -> impl IntoView {
    values
        .iter()
        .map(|v| view! { <option value=*v>{label(v)}</option> })
        .collect_view()
}

#[component]
fn RecordForm(d: SubjectDetail, record: ServerAction<RecordConsent>) -> impl IntoView {
    let error = Signal::derive(move || record.value().get().and_then(|r| r.err()));
    let channels = d
        .channels
        .iter()
        .map(|c| view! { <option value=c.clone()>{label(c)}</option> })
        .collect_view();
    let purposes = d
        .purposes
        .iter()
        .map(|p| view! { <option value=p.clone()>{label(p)}</option> })
        .collect_view();
    view! {
        <section class="card">
            <h2>"Record an event by hand"</h2>
            <p class="muted">"For consent given or withdrawn outside the connected systems (a letter, a call). It is dated now and kept with your name and reason."</p>
            <ActionForm action=record attr:class="form">
                <input type="hidden" name="subject" value=d.subject.id.to_string() />
                <div class="form-inline">
                    <div class="field"><label for="h-channel">"Channel"</label><select id="h-channel" name="channel">{channels}</select></div>
                    <div class="field"><label for="h-purpose">"Purpose"</label><select id="h-purpose" name="purpose">{purposes}</select></div>
                    <div class="field"><label for="h-status">"Status"</label>
                        <select id="h-status" name="status">{options(&["withdrawn", "granted", "refused"])}</select></div>
                    <div class="field"><label for="h-basis">"Lawful basis"</label><select id="h-basis" name="lawful_basis">{options(&LAWFUL_BASES)}</select></div>
                    <div class="field"><label for="h-method">"How it was collected"</label><select id="h-method" name="method">{options(&METHODS)}</select></div>
                </div>
                <div class="form-inline">
                    <div class="field"><label for="h-version">"Notice version"</label><input id="h-version" name="notice_version" required /></div>
                    <div class="field"><label for="h-hash">"SHA-256 of the notice text"</label><input id="h-hash" name="notice_sha256" required size="66" /></div>
                    <div class="field"><label for="h-language">"Language"</label><input id="h-language" name="language" required value="en" size="6" /></div>
                    <div class="field"><label for="h-jurisdiction">"Jurisdiction"</label><input id="h-jurisdiction" name="jurisdiction" required value="EU" size="6" /></div>
                </div>
                <div class="field">
                    <label for="h-reason">"Reason"</label>
                    <input id="h-reason" name="reason" required minlength="10" placeholder="Letter of 2026-11-20 asking to stop marketing" />
                    <FieldError error field="reason" />
                </div>
                <FieldError error field="event" />
                <FieldError error field="purpose" />
                <FormError error />
                <button type="submit" class="btn btn-primary">"Record"</button>
            </ActionForm>
        </section>
    }
}

/// One line of a subject's timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimelineEntry {
    pub at: chrono::DateTime<chrono::Utc>,
    pub what: &'static str,
    pub text: String,
}

/// Consent events, data-subject requests (on the day received) and console accesses,
/// newest first; at the same instant, the order they are listed in.
pub fn timeline(d: &SubjectDetail) -> Vec<TimelineEntry> {
    let mut entries: Vec<TimelineEntry> = d
        .events
        .iter()
        .map(|e| TimelineEntry {
            at: e.occurred_at,
            what: "Consent",
            text: format!(
                "{} on {}: {} ({})",
                label(&e.purpose),
                label(&e.channel),
                e.status,
                e.recorded_by
            ),
        })
        .chain(d.requests.iter().map(|r| TimelineEntry {
            at: r.received_on.and_time(chrono::NaiveTime::MIN).and_utc(),
            what: "Request",
            text: format!(
                "DSR-{} {} received by {}: {}",
                r.number,
                r.kind.label().to_lowercase(),
                r.arrived_by.replace('_', " "),
                r.status.label().to_lowercase()
            ),
        }))
        .chain(d.accesses.iter().map(|a| TimelineEntry {
            at: a.occurred_at,
            what: "Console",
            text: format!("{}: {}", a.actor, label(&a.action.replace('.', " "))),
        }))
        .collect();
    entries.sort_by_key(|e| std::cmp::Reverse(e.at));
    entries
}

/// How many timeline lines the page shows; the sections below have every detail.
const TIMELINE_LINES: usize = 40;

#[component]
fn OpenRequestForm(subject: Uuid, open: ServerAction<OpenRequest>) -> impl IntoView {
    let error = Signal::derive(move || open.value().get().and_then(|r| r.err()));
    let kinds = DsrKind::ALL
        .iter()
        .map(|k| view! { <option value=k.as_str()>{k.label()}</option> })
        .collect_view();
    let today = chrono::Utc::now().date_naive().to_string();
    view! {
        <section class="card">
            <h2>"Open a data-subject request"</h2>
            <ActionForm action=open attr:class="form">
                <input type="hidden" name="subject" value=subject.to_string() />
                <div class="form-inline">
                    <div class="field"><label for="d-kind">"Kind"</label><select id="d-kind" name="kind">{kinds}</select></div>
                    <div class="field"><label for="d-received">"Received on"</label>
                        <input id="d-received" name="received_on" type="date" required value=today.clone() max=today />
                        <FieldError error field="received_on" /></div>
                    <div class="field"><label for="d-arrived">"Arrived by"</label><select id="d-arrived" name="arrived_by">{options(&ARRIVED_BY)}</select></div>
                </div>
                <div class="field"><label for="d-details">"Details"</label>
                    <textarea id="d-details" name="details" rows="2" placeholder="What they asked, in their words"></textarea></div>
                <FormError error />
                <button type="submit" class="btn btn-primary">"Open the request"</button>
            </ActionForm>
        </section>
    }
}

#[component]
pub fn SubjectPage() -> impl IntoView {
    let id = use_id_param();
    let record = crate::components::action::<RecordConsent>();
    let open = crate::components::action::<OpenRequest>();
    let detail = Resource::new(
        move || id.get(),
        |id| async move {
            match id {
                Some(id) => load_subject(id).await,
                None => Err(crate::error::AppError::NotFound(
                    "There is no such data subject.".into(),
                )),
            }
        },
    );
    view! {
        <Title text="Data subject" />
        <Transition fallback=|| view! { <p class="loading">"Loading the subject…"</p> }>
            {move || Suspend::new(async move {
                match detail.await {
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                    Ok(d) => {
                        let s = d.subject.clone();
                        let grid = d.purposes.iter().map(|p| {
                            let cells = d.channels.iter().map(|c| cell(&d.state, c, p)).collect_view();
                            view! { <tr><th scope="row">{label(p)}</th>{cells}</tr> }
                        }).collect_view();
                        let heads = d.channels.iter().map(|c| view! { <th>{label(c)}</th> }).collect_view();
                        let events = d.events.iter().map(|e| view! {
                            <tr>
                                <td class="nowrap">{format_time(e.occurred_at)}</td>
                                <td>{label(&e.channel)}</td>
                                <td>{label(&e.purpose)}</td>
                                <td><span class=format!("tag consent-{}", e.status)>{e.status.clone()}</span></td>
                                <td>{label(&e.lawful_basis)}<div class="muted small">{label(&e.method)}</div></td>
                                <td>{e.recorded_by.clone()}<div class="muted small">{e.source_system.clone()}</div></td>
                                <td>{e.notice_version.clone()}<div class="muted small"><code>{e.notice_sha256[..12].to_string()}"…"</code></div></td>
                                <td>{format!("{} · {}", e.language, e.jurisdiction)}</td>
                                <td class="small">{e.reason.clone().unwrap_or_default()}</td>
                            </tr>
                        }).collect_view();
                        let accesses = d.accesses.iter().map(|a| view! {
                            <tr><td class="nowrap">{format_time(a.occurred_at)}</td><td>{a.actor.clone()}</td><td>{label(&a.action.replace('.', " "))}</td></tr>
                        }).collect_view();
                        let entries = timeline(&d);
                        let more = entries.len().saturating_sub(TIMELINE_LINES);
                        let lines = entries.into_iter().take(TIMELINE_LINES).map(|t| view! {
                            <li><time class="muted small nowrap">{format_time(t.at)}</time>" "
                                <span class=format!("tag timeline-{}", t.what.to_lowercase())>{t.what}</span>" "{t.text}</li>
                        }).collect_view();
                        let form = d.can_record.then(|| view! { <RecordForm d=d.clone() record /> });
                        let open_form = d.can_open_request.then(|| view! { <OpenRequestForm subject=d.subject.id open /> });
                        let requests = if d.requests.is_empty() {
                            view! { <p class="empty">"No data-subject request."</p> }.into_any()
                        } else {
                            view! {
                                <div class="table-wrap">
                                    <table class="table subject-requests">
                                        <thead><tr><th>"Request"</th><th>"Kind"</th><th>"Received"</th><th>"Due"</th><th>"Status"</th></tr></thead>
                                        <tbody>{request_rows(&d.requests, false)}</tbody>
                                    </table>
                                </div>
                            }.into_any()
                        };
                        view! {
                            <h1>{s.name.clone().unwrap_or_else(|| s.external_id.clone())}</h1>
                            <p class="muted">{format!("{} · {} · id {} in ", s.email.clone().unwrap_or_default(), s.country.clone().unwrap_or_default(), s.external_id)}
                                <A href=format!("/consent/accounts/{}", s.account_id)>{s.account.clone()}</A></p>
                            {s.pseudonymised_at.map(|at| view! {
                                <p class="notice notice-warn">{format!("Erased on {}: the history below is kept as pseudonymised proof.", format_time(at))}</p>
                            })}
                            <p>
                                <a href=format!("/consent/{}/proof.json", s.id) rel="external" download="">"Consent proof (JSON)"</a>" · "
                                <a href=format!("/consent/{}/proof.csv", s.id) rel="external" download="">"Consent proof (CSV)"</a>
                            </p>
                            <h2>"Current consent"</h2>
                            <div class="table-wrap">
                                <table class="table consent-grid">
                                    <thead><tr><th>"Purpose"</th>{heads}</tr></thead>
                                    <tbody>{grid}</tbody>
                                </table>
                            </div>
                            {form}
                            {move || record.value().get().and_then(|r| r.ok()).map(|_| view! {
                                <p class="notice notice-ok" role="status">"Recorded."</p>
                            })}
                            <h2>"Timeline"</h2>
                            <ol class="timeline">{lines}</ol>
                            {(more > 0).then(|| view! { <p class="muted small">{format!("{more} earlier lines: see the sections below.")}</p> })}
                            <h2>"Consent history"</h2>
                            <div class="table-wrap">
                                <table class="table consent-history">
                                    <thead><tr><th>"When (UTC)"</th><th>"Channel"</th><th>"Purpose"</th><th>"Status"</th><th>"Basis and method"</th>
                                        <th>"Recorded by"</th><th>"Notice"</th><th>"Language · jurisdiction"</th><th>"Reason"</th></tr></thead>
                                    <tbody>{events}</tbody>
                                </table>
                            </div>
                            <h2>"Data-subject requests"</h2>
                            {requests}
                            {open_form}
                            <h2>"Console access"</h2>
                            <div class="table-wrap">
                                <table class="table subject-access">
                                    <thead><tr><th>"When"</th><th>"Who"</th><th>"What"</th></tr></thead>
                                    <tbody>{accesses}</tbody>
                                </table>
                            </div>
                        }.into_any()
                    }
                }
            })}
        </Transition>
    }
}

fn holders_table(a: &AccountConsent) -> impl IntoView {
    if a.holders.is_empty() {
        return view! { <p class="empty">"Nobody may export or message this account's contacts."</p> }.into_any();
    }
    let rows = a
        .holders
        .iter()
        .map(|h| {
            let name = h.principal.clone();
            let reach = if h.organisation_wide {
                "every account"
            } else {
                "this account"
            };
            view! {
                <tr>
                    <td><A href=format!("/principals/{}", h.principal_id)>{name}</A></td>
                    <td>{kind_label(&h.kind)}</td>
                    <td>{h.permissions.join(", ")}</td>
                    <td>{reach}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="table-wrap">
            <table class="table contact-holders">
                <thead><tr><th>"Who"</th><th>"Kind"</th><th>"Permissions"</th><th>"Held on"</th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
    .into_any()
}

/// `/consent/accounts/{id}`: one account's consent over the last year and who may reach
/// its contacts.
#[component]
pub fn AccountConsentPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let key = Memo::new(move |_| {
        let q = query.read();
        (
            params
                .read()
                .get("id")
                .and_then(|id| Uuid::parse_str(&id).ok()),
            q.get("channel").unwrap_or_default(),
            q.get("purpose").unwrap_or_default(),
        )
    });
    let data = Resource::new(
        move || key.get(),
        |(id, channel, purpose)| async move {
            match id {
                Some(id) => load_account_consent(id, channel, purpose).await,
                None => Err(crate::error::AppError::NotFound(
                    "There is no such account.".into(),
                )),
            }
        },
    );
    view! {
        <Title text="Consent by account" />
        <LagNotice />
        <Transition fallback=|| view! { <p class="loading">"Loading the account…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                    Ok(a) => {
                        let channels = a.channels.iter().map(|c| view! {
                            <option value=c.clone() selected=a.channel == *c>{label(c)}</option>
                        }).collect_view();
                        let purposes = a.purposes.iter().map(|p| view! {
                            <option value=p.clone() selected=a.purpose == *p>{label(p)}</option>
                        }).collect_view();
                        let on = match (a.channel.as_str(), a.purpose.as_str()) {
                            ("", "") => "every channel and purpose".to_string(),
                            ("", p) => format!("{} on every channel", label(p)),
                            (c, "") => format!("every purpose by {}", label(c)),
                            (c, p) => format!("{} by {}", label(p), label(c)),
                        };
                        let holders = holders_table(&a);
                        view! {
                            <h1>{format!("Consent in {}", a.account)}</h1>
                            <div class="stats">
                                <Stat label="Data subjects" value=a.subjects />
                                <Stat label="Withdrew marketing" value=a.withdrawn_marketing hint="on at least one channel, as things stand" />
                                <Stat label="May export or message them" value=a.holders.len() as i64 />
                            </div>
                            <Form method="GET" action="" attr:class="form form-inline filters">
                                <div class="field"><label for="a-channel">"Channel"</label>
                                    <select id="a-channel" name="channel"><option value="">"Any"</option>{channels}</select></div>
                                <div class="field"><label for="a-purpose">"Purpose"</label>
                                    <select id="a-purpose" name="purpose"><option value="">"Any"</option>{purposes}</select></div>
                                <button type="submit" class="btn">"Show"</button>
                            </Form>
                            <MonthlyChart
                                title=format!("Opt-ins and withdrawals, {on}")
                                months=a.months.clone()
                                series=vec![("Opt-ins", "line-in", a.opt_ins.clone()), ("Withdrawals", "line-out", a.withdrawals.clone())]
                            />
                            <h2>"Who may export or message these contacts"</h2>
                            <p class="muted">{format!(
                                "People, agents and integrations whose access in force includes exporting or messaging ({}), beside the {} of {} subjects who have withdrawn marketing consent.",
                                rules::consent::CONTACT_ACTIONS.join(", "), a.withdrawn_marketing, a.subjects
                            )}</p>
                            {holders}
                        }.into_any()
                    }
                }
            })}
        </Transition>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::consent::{ConsentEventRow, SubjectAccess, SubjectRow};
    use crate::model::dsr::DsrRow;
    use rules::dsr::{DsrKind, DsrStatus, Urgency};

    fn at(s: &str) -> chrono::DateTime<chrono::Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn the_timeline_merges_events_requests_and_accesses_newest_first() {
        let subject = SubjectRow {
            id: Uuid::nil(),
            account_id: Uuid::nil(),
            account: "Acme".into(),
            external_id: "c-1".into(),
            email: None,
            name: None,
            country: None,
            pseudonymised_at: None,
        };
        let event = ConsentEventRow {
            id: Uuid::nil(),
            seq: 1,
            channel: "sms".into(),
            purpose: "marketing".into(),
            status: "withdrawn".into(),
            lawful_basis: "consent".into(),
            method: "chatbot".into(),
            source_system: "Bot".into(),
            notice_version: "1".into(),
            notice_sha256: "ab".repeat(32),
            language: "en".into(),
            jurisdiction: "EU".into(),
            occurred_at: at("2026-11-02T10:00:00Z"),
            recorded_at: at("2026-11-02T10:00:01Z"),
            recorded_by: "Chatbot Builder".into(),
            source_event_id: None,
            evidence: serde_json::json!({}),
            reason: None,
        };
        let request = DsrRow {
            id: Uuid::nil(),
            number: 7,
            kind: DsrKind::Erasure,
            status: DsrStatus::Received,
            subject_id: Uuid::nil(),
            subject: "c-1".into(),
            account: "Acme".into(),
            received_on: "2026-11-03".parse().unwrap(),
            arrived_by: "web_form".into(),
            due: "2026-12-03".parse().unwrap(),
            extended: false,
            urgency: Urgency::OnTime,
        };
        let access = SubjectAccess {
            occurred_at: at("2026-11-01T09:00:00Z"),
            actor: "Ingrid".into(),
            action: "data_subject.viewed".into(),
        };
        let d = SubjectDetail {
            subject,
            channels: vec![],
            purposes: vec![],
            state: vec![],
            events: vec![event],
            accesses: vec![access],
            requests: vec![request],
            can_record: false,
            can_open_request: false,
        };
        let t = timeline(&d);
        let what: Vec<&str> = t.iter().map(|e| e.what).collect();
        assert_eq!(what, ["Request", "Consent", "Console"]);
        assert_eq!(t[0].text, "DSR-7 erasure received by web form: received");
        assert_eq!(t[1].text, "marketing on sms: withdrawn (Chatbot Builder)");
        assert_eq!(t[2].text, "Ingrid: data subject viewed");
    }
}
