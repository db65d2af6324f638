//! People joining, moving and leaving (`/lifecycle`): the birthright rules that give
//! access by what the identity provider says of a person, how long a mover keeps access
//! the rules no longer justify, and who takes over what a leaver owned.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::lifecycle::{
    load_lifecycle, CreateBirthrightRule, RetireBirthrightRule, SetFallbackOwner, SetMoverGrace,
};
use crate::components::{settled, ErrorNotice, FieldError, FormError};
use crate::model::lifecycle::{BirthrightRun, LifecycleSettings};

#[component]
pub fn LifecyclePage() -> impl IntoView {
    let save = ServerAction::<SetFallbackOwner>::new();
    let grace = ServerAction::<SetMoverGrace>::new();
    let create = ServerAction::<CreateBirthrightRule>::new();
    let retire = ServerAction::<RetireBirthrightRule>::new();
    let changed = (
        settled(save),
        settled(grace),
        settled(create),
        settled(retire),
    );
    let settings = Resource::new(
        move || {
            (
                changed.0.get(),
                changed.1.get(),
                changed.2.get(),
                changed.3.get(),
            )
        },
        |_| load_lifecycle(),
    );
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
                    Ok(s) => view! { <Settings s save grace create retire /> }.into_any(),
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
) -> impl IntoView {
    let error = Signal::derive(move || save.value().get().and_then(|r| r.err()));
    let grace_error = Signal::derive(move || grace.value().get().and_then(|r| r.err()));
    let no_rules = s.rules.is_empty();
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
