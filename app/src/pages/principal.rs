//! One principal: who they are, what they can do now and through which grants, and
//! (for those allowed) granting, revoking, editing, account assignment and suspension.

use leptos::prelude::*;
use leptos_meta::Title;
use uuid::Uuid;

use super::principals::last_activity;
use super::tokens::{OwnTokens, PrincipalTokenSection};
use crate::api::access::SetPrincipalClearance;
use crate::api::grants::{GrantAccess, RevokeGrant};
use crate::api::principals::{
    load_principal, ResetSecondFactor, SetPrincipalAccount, SetPrincipalStatus, UpdatePrincipal,
};
use crate::components::{
    format_time, use_id_param, ConditionsField, ErrorNotice, FieldError, FormError,
};
use crate::model::packages::PackageAssignmentView;
use crate::model::principals::{GrantRow, GrantableBundle, PrincipalRow};
use crate::model::requests::GrantOutcome;
use rules::console::ConsolePermission;
use rules::principals::{kind_label, PrincipalStatus};

#[component]
pub fn PrincipalPage() -> impl IntoView {
    let id = use_id_param();
    let grant = crate::components::action::<GrantAccess>();
    let revoke = crate::components::action::<RevokeGrant>();
    let edit = crate::components::action::<UpdatePrincipal>();
    let status = crate::components::action::<SetPrincipalStatus>();
    let assign = crate::components::action::<SetPrincipalAccount>();
    let clearance = crate::components::action::<SetPrincipalClearance>();
    let reset = crate::components::action::<ResetSecondFactor>();
    let session = expect_context::<crate::UserSession>();
    let detail = Resource::new(
        move || id.get(),
        |id| async move {
            match id {
                Some(id) => load_principal(id).await,
                None => Err(crate::error::AppError::NotFound(
                    "There is no such principal.".into(),
                )),
            }
        },
    );
    let own_tokens = OwnTokens::new(id, detail);
    view! {
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let user = session.user.await.ok().flatten();
                let can_assign = user.as_ref().is_some_and(|u| u.can(ConsolePermission::GrantsAssign));
                let can_manage = user.as_ref().is_some_and(|u| u.can(ConsolePermission::PrincipalsManage));
                let can_integrate = user.as_ref().is_some_and(|u| u.can(ConsolePermission::IntegrationsManage));
                match detail.await {
                    Ok(d) => {
                        let p = d.principal;
                        let responsible_label = if p.kind == "human" { "Manager" } else { "Owner" };
                        let effective = d.effective.into_iter().map(|e| view! {
                            <tr>
                                <td>{e.application}</td>
                                <td>{e.account.unwrap_or_else(|| "All accounts".into())}</td>
                                <td><code>{e.permission}</code>{e.high_impact.then(|| view! { <span class="badge badge-risk">"high impact"</span> })}</td>
                                <td>
                                    {e.sources.join(", ")}
                                    {(!e.only_when.is_empty()).then(|| view! {
                                        <div><span class="badge badge-warn">"conditional"</span>
                                        <span class="muted small">" only when " {e.only_when.join("; or when ")}</span></div>
                                    })}
                                </td>
                            </tr>
                        }).collect_view();
                        view! {
                            <Title text=p.display_name.clone() />
                            <p><a href="/principals">"← Principals"</a></p>
                            <h1>{p.display_name.clone()}</h1>
                            {(p.status == PrincipalStatus::Suspended).then(|| view! {
                                <p class="notice notice-warn">"Suspended: cannot sign in to the console. Grants are kept for review."</p>
                            })}
                            <dl class="facts">
                                <dt>"Kind"</dt><dd>{kind_label(&p.kind)}</dd>
                                <dt>"Status"</dt><dd><span class=format!("status status-{}", p.status)>{p.status.as_str()}</span></dd>
                                <dt>"Email / id"</dt><dd>{p.email.clone().or(p.external_id.clone()).unwrap_or_default()}</dd>
                                <dt>"Employment"</dt><dd>{p.employment_type.clone().unwrap_or_default().replace('_', " ")}</dd>
                                <dt>"Job"</dt><dd>{p.job_title.clone()}</dd>
                                <dt>{responsible_label}</dt><dd>{p.responsible.clone().unwrap_or_default()}</dd>
                                <dt>"Accounts"</dt><dd>{p.accounts.clone().unwrap_or_default()}</dd>
                                <dt>"Last activity"</dt><dd>{last_activity(&p)}</dd>
                                <dt>"Clearance"</dt><dd>{p.clearance.clone().unwrap_or_else(|| "no limit of its own".into())}</dd>
                                <dt>"End date"</dt><dd>{p.end_date.map(|d| d.to_string()).unwrap_or_else(|| "none".into())}</dd>
                                <dt>"Second factor"</dt><dd>{second_factor(d.second_factor_since, d.passkeys)}</dd>
                            </dl>
                            {can_manage.then(|| view! {
                                <div class="manage-grid">
                                    <EditPrincipal principal=p.clone() action=edit />
                                    <div>
                                        <StatusForm principal=p.clone() action=status />
                                        <AccountAssignments principal=p.id assigned=d.assigned_accounts.clone() accounts=d.accounts.clone() action=assign />
                                        <ClearanceForm principal=p.clone() action=clearance />
                                        {((d.second_factor_since.is_some() || d.passkeys > 0) && user.as_ref().is_none_or(|u| u.principal_id != p.id)).then(|| view! {
                                            <ResetSecondFactorForm principal=p.id action=reset />
                                        })}
                                    </div>
                                </div>
                            })}
                            <h2>"Effective permissions now"</h2>
                            <div class="table-wrap">
                                <table class="table effective">
                                    <thead><tr><th>"Application"</th><th>"Account"</th><th>"Permission"</th><th>"Given by"</th></tr></thead>
                                    <tbody>{effective}</tbody>
                                </table>
                            </div>
                            <PackageList packages=d.packages />
                            <h2>"Grants in force"</h2>
                            <GrantTable grants=d.current_grants revoke=can_assign.then_some(revoke) />
                            {can_assign.then(|| view! { <GrantForm principal=p.id grant grantable=d.grantable.clone() accounts=d.accounts.clone() /> })}
                            <h2>"Expired, future and revoked grants"</h2>
                            <GrantTable grants=d.other_grants revoke=None />
                            {(p.kind != "human").then(|| view! { <PrincipalTokenSection principal=p.id own=own_tokens can_manage=can_integrate /> })}
                        }
                        .into_any()
                    }
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn GrantForm(
    principal: Uuid,
    grant: ServerAction<GrantAccess>,
    grantable: Vec<GrantableBundle>,
    accounts: Vec<(Uuid, String)>,
) -> impl IntoView {
    let error = Signal::derive(move || grant.value().get().and_then(|r| r.err()));
    let bundles = grantable
        .into_iter()
        .map(|b| view! { <option value=b.id.to_string()>{format!("{} — {} ({})", b.application, b.name, b.kind)}</option> })
        .collect_view();
    let accounts = accounts
        .into_iter()
        .map(|(id, name)| view! { <option value=id.to_string()>{name}</option> })
        .collect_view();
    view! {
        <section class="card">
            <h2>"Grant access"</h2>
            <ActionForm action=grant attr:class="form form-inline">
                <input type="hidden" name="principal" value=principal.to_string() />
                <div class="field">
                    <label for="g-bundle">"Role or permission set"</label>
                    <select id="g-bundle" name="bundle">{bundles}</select>
                    <FieldError error field="bundle" />
                </div>
                <div class="field">
                    <label for="g-account">"Account"</label>
                    <select id="g-account" name="account"><option value="">"All accounts"</option>{accounts}</select>
                    <FieldError error field="account" />
                </div>
                <div class="field">
                    <label for="g-until">"Until"</label>
                    <input id="g-until" name="until" type="date" />
                    <FieldError error field="until" />
                </div>
                <div class="field">
                    <label for="g-reason">"Reason"</label>
                    <input id="g-reason" name="reason" required minlength="10" placeholder="why this access is needed" />
                    <FieldError error field="reason" />
                </div>
                <ConditionsField id="g-conditions" error />
                <button type="submit" class="btn btn-primary">"Grant"</button>
            </ActionForm>
            <FormError error />
            {move || match grant.value().get() {
                Some(Ok(GrantOutcome::Requested { approvals_needed, because, .. })) => Some(view! {
                    <p class="notice" role="status">
                        {format!(
                            "Sent for approval: {because}. It waits in the approvals queue for {approvals_needed} approver{} other than you.",
                            if approvals_needed == 1 { "" } else { "s" }
                        )}
                    </p>
                }),
                _ => None,
            }}
        </section>
    }
}

/// The access packages a principal holds or held.
#[component]
fn PackageList(packages: Vec<PackageAssignmentView>) -> impl IntoView {
    if packages.is_empty() {
        return ().into_any();
    }
    let now = chrono::Utc::now();
    let rows = packages
        .into_iter()
        .map(|p| {
            let state = if p.grants_in_force == 0 || p.ends_at <= now {
                "ended".to_string()
            } else {
                format!("in force ({} of {} grants)", p.grants_in_force, p.grants)
            };
            view! {
                <tr>
                    <td>{p.package}</td>
                    <td class="nowrap">{p.granted_at.format("%Y-%m-%d").to_string()}</td>
                    <td class="nowrap">{p.ends_at.format("%Y-%m-%d").to_string()}</td>
                    <td class="nowrap">{p.next_review_on.map(|d| d.to_string()).unwrap_or_else(|| "none".into())}</td>
                    <td>{state}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <h2>"Access packages"</h2>
        <div class="table-wrap">
            <table class="table packages-held">
                <thead><tr><th>"Package"</th><th>"Since"</th><th>"Ends"</th><th>"Next review"</th><th>"State"</th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
    .into_any()
}

#[component]
fn GrantTable(grants: Vec<GrantRow>, revoke: Option<ServerAction<RevokeGrant>>) -> impl IntoView {
    if grants.is_empty() {
        return view! { <p class="empty">"None."</p> }.into_any();
    }
    let revoke_error =
        Signal::derive(move || revoke.and_then(|r| r.value().get()).and_then(|r| r.err()));
    let rows = grants
        .into_iter()
        .map(|g| {
            let revoked = g.revoked_at.map(|t| format!("revoked {} — {}", format_time(t), g.revoke_reason.clone().unwrap_or_default()));
            let bundle_label = format!("{} on {}", g.bundle, g.account.clone().unwrap_or_else(|| "all accounts".into()));
            view! {
                <tr>
                    <td>{g.bundle}<div class="muted small">{g.bundle_kind} " · " {g.application}</div></td>
                    <td>{g.account.unwrap_or_else(|| "All accounts".into())}</td>
                    <td class="nowrap">{g.valid_from.format("%Y-%m-%d").to_string()}</td>
                    <td class="nowrap">{g.valid_until.map(|t| t.format("%Y-%m-%d").to_string()).unwrap_or_else(|| "no end".into())}</td>
                    <td>{(!g.conditions.is_empty()).then(|| view! { <span title=g.conditions.text.clone()>"Only when " {g.conditions.words.clone()}</span> })}</td>
                    <td>{match (g.birthright_rule, &g.package) {
                        (Some(rule), _) => format!("from rule \u{201c}{rule}\u{201d}"),
                        (None, Some(package)) => format!("package \u{201c}{package}\u{201d}"),
                        (None, None) => g.granted_by.unwrap_or_default(),
                    }}</td>
                    <td>{g.reason}{revoked.map(|r| view! { <div class="muted small">{r}</div> })}
                        {g.removal_due.map(|d| {
                            let why = if g.package.is_some() { "Package review" } else { "Moved" };
                            view! { <div class="removal-due small">{format!("{why}: revoked on {d} unless their manager keeps it")}</div> }
                        })}</td>
                    <td class="small">{g.source_request_id.map(|r| r.to_string()).unwrap_or_default()}</td>
                    {revoke.map(|action| {
                        let label = format!("Reason to revoke {}", bundle_label);
                        view! {
                            <td>
                                <ActionForm action=action attr:class="form form-inline">
                                    <input type="hidden" name="grant" value=g.id.to_string() />
                                    <input name="reason" required minlength="10" placeholder="reason" aria-label=label />
                                    <button type="submit" class="btn btn-danger">"Revoke"</button>
                                </ActionForm>
                            </td>
                        }
                    })}
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="table-wrap">
            <table class="table grants">
                <thead><tr><th>"Role / set"</th><th>"Account"</th><th>"From"</th><th>"Until"</th><th>"Conditions"</th><th>"Granted by"</th><th>"Reason"</th><th>"Request"</th>
                    {revoke.map(|_| view! { <th></th> })}</tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
        <FieldError error=revoke_error field="reason" />
        <FormError error=revoke_error />
    }
    .into_any()
}

#[component]
fn EditPrincipal(principal: PrincipalRow, action: ServerAction<UpdatePrincipal>) -> impl IntoView {
    let error = Signal::derive(move || action.value().get().and_then(|r| r.err()));
    let saved = move || match action.value().get() {
        Some(Ok(true)) => Some("Saved."),
        Some(Ok(false)) => Some("Nothing to change."),
        _ => None,
    };
    let human = principal.kind == "human";
    let employment = principal.employment_type.clone().unwrap_or_default();
    let employment_options = [
        ("employee", "Employee"),
        ("contractor", "Contractor"),
        ("client_user", "Client user"),
    ]
    .into_iter()
    .map(|(value, label)| view! { <option value=value selected=employment == value>{label}</option> })
    .collect_view();
    view! {
        <section class="card">
            <h2>"Details"</h2>
            <ActionForm action attr:class="form">
                <input type="hidden" name="principal" value=principal.id.to_string() />
                <div class="field">
                    <label for="e-name">"Name"</label>
                    <input id="e-name" name="display_name" value=principal.display_name.clone() required maxlength="120" />
                    <FieldError error field="display_name" />
                </div>
                <div class="field">
                    <label for="e-job">{if human { "Job title" } else { "Purpose" }}</label>
                    <input id="e-job" name="job_title" value=principal.job_title.clone() maxlength="120" />
                    <FieldError error field="job_title" />
                </div>
                {if human {
                    view! {
                        <div class="field">
                            <label for="e-employment">"Employment"</label>
                            <select id="e-employment" name="employment_type">{employment_options}</select>
                            <FieldError error field="employment_type" />
                        </div>
                    }.into_any()
                } else {
                    view! { <input type="hidden" name="employment_type" value="" /> }.into_any()
                }}
                <div class="field">
                    <label for="e-responsible">{if human { "Manager's email" } else { "Owner's email" }}</label>
                    <input id="e-responsible" name="responsible" type="email" value=principal.responsible_email.clone().unwrap_or_default()
                        required=!human placeholder="name@example.com" />
                    <FieldError error field="responsible" />
                </div>
                <div class="field">
                    <label for="e-end">"End date"</label>
                    <input id="e-end" name="end_date" type="date" value=principal.end_date.map(|d| d.to_string()).unwrap_or_default() />
                    <FieldError error field="end_date" />
                </div>
                <button type="submit" class="btn btn-primary">"Save details"</button>
                {move || saved().map(|m| view! { <span class="muted" role="status">" " {m}</span> })}
            </ActionForm>
            <FormError error />
        </section>
    }
}

#[component]
fn StatusForm(principal: PrincipalRow, action: ServerAction<SetPrincipalStatus>) -> impl IntoView {
    let error = Signal::derive(move || action.value().get().and_then(|r| r.err()));
    let (target, button, class, hint) = match principal.status {
        PrincipalStatus::Active => (
            "suspended",
            "Suspend",
            "btn btn-danger",
            "Ends their console sessions at once and stops sign-in; grants are kept for review.",
        ),
        PrincipalStatus::Suspended => (
            "active",
            "Reactivate",
            "btn btn-primary",
            "Lets them sign in again with the grants they hold.",
        ),
        PrincipalStatus::Offboarded => {
            return view! {
                <section class="card"><h2>"Status"</h2><p class="muted">"Offboarded: this is final."</p></section>
            }
            .into_any()
        }
    };
    view! {
        <section class="card">
            <h2>"Status"</h2>
            <p class="muted small">{hint}</p>
            <ActionForm action attr:class="form form-inline">
                <input type="hidden" name="principal" value=principal.id.to_string() />
                <input type="hidden" name="status" value=target />
                <div class="field">
                    <label for="s-reason">{format!("Reason to {}", button.to_lowercase())}</label>
                    <input id="s-reason" name="reason" required minlength="10" placeholder="why" />
                </div>
                <button type="submit" class=class>{button}</button>
            </ActionForm>
            <FieldError error field="reason" />
            <FormError error />
        </section>
    }
    .into_any()
}

/// Removes another user's authenticator app (a lost phone).
#[component]
fn ResetSecondFactorForm(
    principal: uuid::Uuid,
    action: ServerAction<ResetSecondFactor>,
) -> impl IntoView {
    let error = Signal::derive(move || action.value().get().and_then(|r| r.err()));
    view! {
        <section class="card">
            <h2>"Second factor"</h2>
            <p class="muted small">"For a lost phone: removes their authenticator app and recovery codes, so that they sign in with their password and set it up again."</p>
            <ActionForm action attr:class="form form-inline">
                <input type="hidden" name="principal" value=principal.to_string() />
                <div class="field">
                    <label for="f-reason">"Reason to reset"</label>
                    <input id="f-reason" name="reason" required minlength="10" placeholder="why" />
                </div>
                <button type="submit" class="btn btn-danger">"Reset second factor"</button>
            </ActionForm>
            <FieldError error field="reason" />
            <FormError error />
        </section>
    }
}

#[component]
fn AccountAssignments(
    principal: Uuid,
    assigned: Vec<(Uuid, String)>,
    accounts: Vec<(Uuid, String)>,
    action: ServerAction<SetPrincipalAccount>,
) -> impl IntoView {
    let error = Signal::derive(move || action.value().get().and_then(|r| r.err()));
    let unassigned = accounts
        .into_iter()
        .filter(|(id, _)| !assigned.iter().any(|(a, _)| a == id))
        .map(|(id, name)| view! { <option value=id.to_string()>{name}</option> })
        .collect_view();
    let rows = assigned
        .into_iter()
        .map(|(id, name)| {
            let label = format!("Unassign {name}");
            view! {
                <li>
                    {name}
                    <ActionForm action attr:class="inline">
                        <input type="hidden" name="principal" value=principal.to_string() />
                        <input type="hidden" name="account" value=id.to_string() />
                        <input type="hidden" name="assigned" value="false" />
                        <button type="submit" class="btn btn-quiet btn-small" aria-label=label>"Unassign"</button>
                    </ActionForm>
                </li>
            }
        })
        .collect_view();
    view! {
        <section class="card">
            <h2>"Accounts served"</h2>
            <ul class="plain">{rows}</ul>
            <ActionForm action attr:class="form form-inline">
                <input type="hidden" name="principal" value=principal.to_string() />
                <input type="hidden" name="assigned" value="true" />
                <div class="field">
                    <label for="a-account">"Assign to account"</label>
                    <select id="a-account" name="account">{unassigned}</select>
                </div>
                <button type="submit" class="btn">"Assign"</button>
            </ActionForm>
            <FormError error />
        </section>
    }
}

/// A principal's own clearance: the most sensitive data it may see, whatever its roles
/// give (blank: no limit of its own).
#[component]
fn ClearanceForm(
    principal: PrincipalRow,
    action: ServerAction<SetPrincipalClearance>,
) -> impl IntoView {
    let error = Signal::derive(move || action.value().get().and_then(|r| r.err()));
    let current = principal.clearance.unwrap_or_default();
    let levels = rules::policy::conditions::Sensitivity::ALL
        .into_iter()
        .map(|l| view! { <option value=l.as_str() selected=current == l.as_str()>{l.as_str()}</option> })
        .collect_view();
    view! {
        <section class="card">
            <h2>"Clearance"</h2>
            <ActionForm action attr:class="form form-inline">
                <input type="hidden" name="principal" value=principal.id.to_string() />
                <label for="pr-clearance">"Sees at most"</label>
                <select id="pr-clearance" name="clearance">
                    <option value="">"no limit of its own"</option>
                    {levels}
                </select>
                <button type="submit" class="btn">"Set"</button>
            </ActionForm>
            <FieldError error field="clearance" />
            <FormError error />
        </section>
    }
}

/// The principal's second factors, said in a few words.
fn second_factor(app_since: Option<chrono::DateTime<chrono::Utc>>, passkeys: i64) -> String {
    let app = app_since.map(|t| format!("authenticator app since {}", format_time(t)));
    let passkeys = match passkeys {
        0 => None,
        1 => Some("1 passkey".to_string()),
        n => Some(format!("{n} passkeys")),
    };
    match (app, passkeys) {
        (None, None) => "none".into(),
        (Some(one), None) | (None, Some(one)) => one,
        (Some(app), Some(passkeys)) => format!("{app}; {passkeys}"),
    }
}
