//! People joining, moving and leaving (`/lifecycle`): the birthright rules that give
//! access by what the identity provider says of a person, how long a mover keeps access
//! the rules no longer justify, and who takes over what a leaver owned.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::lifecycle::{
    load_held, load_lifecycle, ChangeBirthrightRule, CreateBirthrightRule, DecideHeld,
    PreviewInactivity, RetireBirthrightRule, SetFailsafe, SetFallbackOwner, SetInactivity,
    SetMoverGrace,
};
use crate::components::{ErrorNotice, FieldError, FormError};
use crate::model::lifecycle::{BirthrightRun, LifecycleSettings};

#[component]
pub fn LifecyclePage() -> impl IntoView {
    let save = crate::components::action::<SetFallbackOwner>();
    let grace = crate::components::action::<SetMoverGrace>();
    let create = crate::components::action::<CreateBirthrightRule>();
    let retire = crate::components::action::<RetireBirthrightRule>();
    let failsafe = crate::components::action::<SetFailsafe>();
    let inactivity = crate::components::action::<SetInactivity>();
    let change = crate::components::action::<ChangeBirthrightRule>();
    let settings = Resource::new(|| (), |_| load_lifecycle());
    let retire_error = Signal::derive(move || retire.value().get().and_then(|r| r.err()));
    let retired = move || {
        retire
            .value()
            .get()
            .and_then(|r| r.ok())
            .map(|run| run_words("Retired", &run))
    };
    view! {
        <Title text="Lifecycle" />
        <h1>"Lifecycle"</h1>
        <p class="muted">"People come and go through your identity provider ("<a href="/tokens">"a provisioning token"</a>
            ", SCIM 2.0). Birthright rules give access from the day a person joins, by their department, groups or employment type. "
            "When a person moves, access the rules no longer justify waits a grace period while their manager keeps or drops it "
            "(under "<a href="/reviews">"Reviews"</a>"). When the provider deactivates or deletes a person, or their end date passes, "
            "Gatehouse at once ends their sessions, revokes every grant they hold, and hands the AI agents, bots and integrations "
            "they owned to their manager, or, without one, to the fallback owner below. With nobody to take them over, those are "
            "suspended: no agent acts without a person answering for it."</p>
        <FormError error=retire_error />
        {move || retired().map(|m| view! { <p class="notice" role="status">{m}</p> })}
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match settings.await {
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                    Ok(s) => view! { <Settings s save grace create retire failsafe inactivity change /> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// What a run did, in words: "Made: 3 granted, 1 withheld …".
fn run_words(done: &str, run: &BirthrightRun) -> String {
    let mut parts = vec![format!("{} granted", run.granted)];
    if run.scheduled > 0 {
        parts.push(format!("{} waiting in movers' reviews", run.scheduled));
    }
    if run.revoked > 0 {
        parts.push(format!("{} revoked", run.revoked));
    }
    if run.withheld > 0 {
        parts.push(format!(
            "{} withheld by separation-of-duties rules",
            run.withheld
        ));
    }
    if run.changed > 0 {
        parts.push(format!("{} now from another rule", run.changed));
    }
    format!("{done}: {}.", parts.join(", "))
}

#[component]
fn Settings(
    s: LifecycleSettings,
    save: ServerAction<SetFallbackOwner>,
    grace: ServerAction<SetMoverGrace>,
    create: ServerAction<CreateBirthrightRule>,
    retire: ServerAction<RetireBirthrightRule>,
    failsafe: ServerAction<SetFailsafe>,
    inactivity: ServerAction<SetInactivity>,
    change: ServerAction<ChangeBirthrightRule>,
) -> impl IntoView {
    let error = Signal::derive(move || save.value().get().and_then(|r| r.err()));
    let failsafe_error = Signal::derive(move || failsafe.value().get().and_then(|r| r.err()));
    let limit = |l: Option<i32>| l.map(|n| n.to_string()).unwrap_or_default();
    let grace_error = Signal::derive(move || grace.value().get().and_then(|r| r.err()));
    let no_rules = s.rules.is_empty();
    let named: Vec<(String, String, String)> = s
        .rules
        .iter()
        .map(|r| (r.id.to_string(), r.name.clone(), r.criteria.clone()))
        .collect();
    let rows = s
        .rules
        .into_iter()
        .map(|r| {
            let id = r.id.to_string();
            view! {
                <tr>
                    <td><strong>{r.name}</strong></td>
                    <td><pre class="criteria">{r.criteria}</pre></td>
                    <td>{r.bundle}<div class="muted small">{r.application}" \u{b7} "
                        {r.account.unwrap_or_else(|| "every account".into())}</div></td>
                    <td>{if r.until_end_date { "With their end date" } else { "No end" }}</td>
                    <td class="num">{r.holders}</td>
                    <td>
                        <ActionForm action=retire>
                            <input type="hidden" name="rule" value=id />
                            <button type="submit" class="btn btn-quiet">"Retire"</button>
                        </ActionForm>
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section class="card">
            <h2>"Birthright rules"</h2>
            {if no_rules {
                view! { <p class="empty">"No rule yet: people get access only by request or from an admin."</p> }.into_any()
            } else {
                view! {
                    <div class="table-wrap">
                        <table class="table birthright-rules">
                            <thead><tr><th>"Rule"</th><th>"For"</th><th>"Gives"</th><th>"Ends"</th>
                                <th class="num">"Holders"</th><th></th></tr></thead>
                            <tbody>{rows}</tbody>
                        </table>
                    </div>
                }.into_any()
            }}
            {(!no_rules).then(|| view! { <ChangeRule rules=named change /> })}
            <NewRule create bundles=s.bundles accounts=s.accounts />
        </section>
        <section class="card">
            <h2>"Movers"</h2>
            <ActionForm action=grace attr:class="form form-inline">
                <div class="field">
                    <label for="lc-grace">"Days a mover keeps access the rules no longer justify"</label>
                    <input id="lc-grace" name="days" type="number" min="0" max="90" required value=s.grace_days.to_string() />
                    <FieldError error=grace_error field="grace_days" />
                </div>
                <button type="submit" class="btn btn-primary">"Set the grace period"</button>
            </ActionForm>
            <p class="muted small">"Their manager (else the fallback owner) is asked to keep or drop it; what nobody decides is revoked when the days are up. 0: revoked at once."</p>
            <FormError error=grace_error />
        </section>
        <Inactivity rules=s.inactivity save=inactivity />
        <section class="card">
            <h2>"Failsafe"</h2>
            <p class="muted small">"Within any hour, automation (the identity provider deactivating or deleting people, end dates passing, a rule retired) "
                "may revoke at most this many grants and suspend at most this many principals. A run that would go past either is held whole, "
                "for an admin to confirm or discard. Empty: no limit."</p>
            <p class="held-count"><a href="/lifecycle/held">{match s.held {
                0 => "No held changes.".to_string(),
                1 => "1 held change waits for an admin.".to_string(),
                n => format!("{n} held changes wait for an admin."),
            }}</a></p>
            <ActionForm action=failsafe attr:class="form form-inline">
                <div class="field">
                    <label for="fs-grants">"Grants revoked per hour"</label>
                    <input id="fs-grants" name="grants" inputmode="numeric" value=limit(s.failsafe_grants) />
                    <FieldError error=failsafe_error field="grants" />
                </div>
                <div class="field">
                    <label for="fs-principals">"Principals suspended per hour"</label>
                    <input id="fs-principals" name="principals" inputmode="numeric" value=limit(s.failsafe_principals) />
                    <FieldError error=failsafe_error field="principals" />
                </div>
                <button type="submit" class="btn btn-primary">"Set the limits"</button>
            </ActionForm>
            <FormError error=failsafe_error />
        </section>
        <section class="card">
            <h2>"Fallback owner"</h2>
            <p class="fallback-owner">{match s.fallback_owner {
                Some(name) => format!("Now: {name}."),
                None => "Now: nobody.".to_string(),
            }}</p>
            <ActionForm action=save attr:class="form form-inline">
                <div class="field">
                    <label for="lc-email">"Fallback owner's email"</label>
                    <input id="lc-email" name="email" type="email" value=s.fallback_email.unwrap_or_default()
                        placeholder="Empty: nobody" />
                    <FieldError error field="email" />
                </div>
                <button type="submit" class="btn btn-primary">"Save"</button>
            </ActionForm>
            <FormError error />
        </section>
    }
}

/// Changes who a rule is for: a department renamed, a group added.
#[component]
fn ChangeRule(
    rules: Vec<(String, String, String)>,
    change: ServerAction<ChangeBirthrightRule>,
) -> impl IntoView {
    let error = Signal::derive(move || change.value().get().and_then(|r| r.err()));
    let changed = move || {
        change.value().get().and_then(|r| r.ok()).map(
            |run| view! { <p class="notice" role="status">{run_words("Rule changed", &run)}</p> },
        )
    };
    let options = rules
        .into_iter()
        .map(|(id, name, criteria)| {
            view! { <option value=id>{format!("{name} (now: {})", criteria.replace('\n', "; "))}</option> }
        })
        .collect_view();
    view! {
        <h3>"Change who a rule is for"</h3>
        <ActionForm action=change attr:class="form">
            <div class="field">
                <label for="bc-rule">"Rule"</label>
                <select id="bc-rule" name="rule">{options}</select>
            </div>
            <div class="field">
                <label for="bc-criteria">"Now for people whose"</label>
                <textarea id="bc-criteria" name="criteria" rows="2" required placeholder="department = Revenue"></textarea>
                <FieldError error field="criteria" />
            </div>
            <button type="submit" class="btn">"Change the rule"</button>
        </ActionForm>
        <FormError error />
        {changed}
    }
}

#[component]
fn NewRule(
    create: ServerAction<CreateBirthrightRule>,
    bundles: Vec<crate::model::principals::GrantableBundle>,
    accounts: Vec<crate::model::reviews::Choice>,
) -> impl IntoView {
    let error = Signal::derive(move || create.value().get().and_then(|r| r.err()));
    let made = move || {
        create
            .value()
            .get()
            .and_then(|r| r.ok())
            .map(|run| run_words("Rule made", &run))
    };
    let bundle_options = bundles
        .into_iter()
        .map(|b| {
            view! { <option value=b.id.to_string()>{format!("{} \u{b7} {} ({})", b.application, b.name, b.kind)}</option> }
        })
        .collect_view();
    let account_options = accounts
        .into_iter()
        .map(|a| view! { <option value=a.id.to_string()>{a.name}</option> })
        .collect_view();
    view! {
        <h3>"New rule"</h3>
        <ActionForm action=create attr:class="form">
            <div class="field">
                <label for="br-name">"Name"</label>
                <input id="br-name" name="rule[name]" required maxlength="120" placeholder="Sales: CRM editor" />
                <FieldError error field="name" />
            </div>
            <div class="field">
                <label for="br-criteria">"For people whose (one per line, all must hold)"</label>
                <textarea id="br-criteria" name="rule[criteria]" rows="3" required
                    placeholder="department = Sales\nemployment_type in employee, contractor\ngroup = CRM users"></textarea>
                <FieldError error field="criteria" />
            </div>
            <div class="field">
                <label for="br-bundle">"Gives"</label>
                <select id="br-bundle" name="rule[bundle]" required>{bundle_options}</select>
                <FieldError error field="bundle" />
            </div>
            <div class="field">
                <label for="br-account">"On"</label>
                <select id="br-account" name="rule[account]">
                    <option value="">"Every account"</option>
                    {account_options}
                </select>
                <FieldError error field="account" />
            </div>
            <div class="field field-check">
                <input id="br-until" name="rule[until_end_date]" type="checkbox" value="true" />
                <label for="br-until">"Ends with the person's end date (contractors)"</label>
            </div>
            <button type="submit" class="btn btn-primary">"Make the rule"</button>
        </ActionForm>
        <FormError error />
        {move || made().map(|m| view! { <p class="notice" role="status">{m}</p> })}
    }
}

/// `/lifecycle/held`: the runs the failsafe held, each to confirm or discard.
#[component]
pub fn HeldChangesPage() -> impl IntoView {
    let decide = crate::components::action::<DecideHeld>();
    let held = Resource::new(|| (), |_| load_held());
    let error = Signal::derive(move || decide.value().get().and_then(|r| r.err()));
    view! {
        <Title text="Held changes" />
        <h1>"Held changes"</h1>
        <p class="muted">"Runs the "<a href="/lifecycle">"failsafe"</a>" stopped because they would take away more within an hour than the organisation allows. "
            "Nothing of them was done. Confirm one to do it now, past the limit; discard it to leave things as they are "
            "(the same change asked again is refused)."</p>
        <FormError error />
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match held.await {
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                    Ok(rows) if rows.is_empty() => view! { <p class="empty">"Nothing is held."</p> }.into_any(),
                    Ok(rows) => {
                        let rows = rows
                            .into_iter()
                            .map(|h| {
                                let (id, again) = (h.id.to_string(), h.id.to_string());
                                view! {
                                    <tr>
                                        <td>{h.summary}</td>
                                        <td class="num">{h.grants}</td>
                                        <td class="num">{h.principals}</td>
                                        <td class="nowrap">{h.held_at.format("%Y-%m-%d %H:%M UTC").to_string()}</td>
                                        <td class="actions">
                                            <ActionForm action=decide attr:class="form-inline">
                                                <input type="hidden" name="held" value=id />
                                                <input type="hidden" name="confirm" value="true" />
                                                <button type="submit" class="btn btn-danger">"Confirm"</button>
                                            </ActionForm>
                                            <ActionForm action=decide attr:class="form-inline">
                                                <input type="hidden" name="held" value=again />
                                                <button type="submit" class="btn btn-quiet">"Discard"</button>
                                            </ActionForm>
                                        </td>
                                    </tr>
                                }
                            })
                            .collect_view();
                        view! {
                            <div class="table-wrap">
                                <table class="table held-changes">
                                    <thead><tr><th>"Change"</th><th class="num">"Grants revoked"</th>
                                        <th class="num">"Principals suspended"</th><th>"Held"</th><th></th></tr></thead>
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

/// Suspension after so many days without activity, per kind, with a preview.
#[component]
fn Inactivity(
    rules: Vec<crate::model::lifecycle::InactivityRuleView>,
    save: ServerAction<SetInactivity>,
) -> impl IntoView {
    let preview = crate::components::action::<PreviewInactivity>();
    let error = Signal::derive(move || save.value().get().and_then(|r| r.err()));
    let preview_error = Signal::derive(move || preview.value().get().and_then(|r| r.err()));
    let kinds = || {
        rules::principals::PRINCIPAL_KINDS
            .iter()
            .map(|k| view! { <option value=*k>{k.replace('_', " ")}</option> })
            .collect_view()
    };
    let now = if rules.is_empty() {
        "Now: no kind is suspended for inactivity.".to_string()
    } else {
        let each: Vec<String> = rules
            .iter()
            .map(|r| format!("{} after {} days", r.kind.replace('_', " "), r.days))
            .collect();
        format!("Now: {}.", each.join("; "))
    };
    let previewed = move || {
        preview.value().get().and_then(|r| r.ok()).map(|p| {
            let names = p.names.join(", ");
            view! {
                <p class="notice inactivity-preview" role="status">
                    {format!(
                        "{} {} quiet longer than {} days: each is told (the principal.dormant_soon webhook) and suspended seven days later unless active by then. {} more would be told now.",
                        p.would_suspend, p.kind.replace('_', " "), p.days, p.noticed
                    )}
                    {(!names.is_empty()).then(|| view! { <span class="muted small">" First: "{names}"."</span> })}
                </p>
            }
        })
    };
    view! {
        <section class="card">
            <h2>"Inactivity"</h2>
            <p class="inactivity-now">{now}</p>
            <p class="muted small">"A kind of principal may be suspended after so many days without activity (grants kept, for a review or a reactivation). "
                "Nobody is suspended sooner than seven days after being told; the failsafe counts the suspensions."</p>
            <ActionForm action=preview attr:class="form form-inline">
                <div class="field">
                    <label for="in-kind-p">"Kind"</label>
                    <select id="in-kind-p" name="kind">{kinds()}</select>
                </div>
                <div class="field">
                    <label for="in-days-p">"Days to preview"</label>
                    <input id="in-days-p" name="days" inputmode="numeric" required />
                    <FieldError error=preview_error field="days" />
                </div>
                <button type="submit" class="btn">"Preview"</button>
            </ActionForm>
            {previewed}
            <ActionForm action=save attr:class="form form-inline">
                <div class="field">
                    <label for="in-kind">"Suspend"</label>
                    <select id="in-kind" name="kind">{kinds()}</select>
                </div>
                <div class="field">
                    <label for="in-days">"after days without activity"</label>
                    <input id="in-days" name="days" inputmode="numeric" placeholder="Empty: never" />
                    <FieldError error field="days" />
                </div>
                <button type="submit" class="btn btn-primary">"Set inactivity"</button>
            </ActionForm>
            <FormError error />
        </section>
    }
}
