//! Separation-of-duties rules (`/sod`) and the principals who break them now.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::sod::{load_sod_rules, CreateSodRule, DeleteSodRule};
use crate::components::{ErrorNotice, FieldError, FormError};
use crate::model::sod::SodOverview;
use rules::sod::SodMode;

fn mode_label(mode: &str) -> &'static str {
    SodMode::parse(mode).map_or("", SodMode::label)
}

#[component]
pub fn SodPage() -> impl IntoView {
    let create = crate::components::action::<CreateSodRule>();
    let delete = crate::components::action::<DeleteSodRule>();
    let overview = Resource::new(|| (), |_| load_sod_rules());
    let delete_error = Signal::derive(move || delete.value().get().and_then(|r| r.err()));
    view! {
        <Title text="Separation of duties" />
        <h1>"Separation of duties"</h1>
        <p class="muted">"Pairs of permissions, or a permission and a role, that one principal must not hold on the same account. A grant for every account meets every account."</p>
        <FormError error=delete_error />
        <Transition fallback=|| view! { <p class="loading">"Loading the rules…"</p> }>
            {move || Suspend::new(async move {
                match overview.await {
                    Ok(o) => view! { <SodRules overview=o create delete /> }.into_any(),
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn SodRules(
    overview: SodOverview,
    create: ServerAction<CreateSodRule>,
    delete: ServerAction<DeleteSodRule>,
) -> impl IntoView {
    let SodOverview {
        rules,
        violations,
        permissions,
        roles,
    } = overview;
    // The choices come only to those who may add and delete rules.
    let can_manage = !permissions.is_empty();
    let rule_rows = rules
        .into_iter()
        .map(|r| {
            let id = r.id.to_string();
            view! {
                <tr>
                    <td><strong>{r.name}</strong><div class="muted small">{r.description}</div></td>
                    <td>{r.permission}</td>
                    <td>{r.conflicting}</td>
                    <td><span class=format!("mode mode-{}", r.mode)>{mode_label(&r.mode)}</span></td>
                    {can_manage.then(|| view! {
                        <td>
                            <ActionForm action=delete>
                                <input type="hidden" name="rule" value=id.clone() />
                                <button type="submit" class="btn btn-quiet">"Delete"</button>
                            </ActionForm>
                        </td>
                    })}
                </tr>
            }
        })
        .collect_view();
    let violation_rows = violations
        .iter()
        .map(|v| {
            view! {
                <tr>
                    <td><a href=format!("/principals/{}", v.principal_id)>{v.principal.clone()}</a>
                        <div class="muted small">{v.principal_kind.replace('_', " ")}</div></td>
                    <td>{v.account.clone().unwrap_or_else(|| "All accounts".into())}</td>
                    <td>{v.rule.clone()}</td>
                    <td>{mode_label(&v.mode)}</td>
                </tr>
            }
        })
        .collect_view();
    let no_violations = violations.is_empty();
    view! {
        <div class="table-wrap">
            <table class="table sod-rules">
                <thead><tr><th>"Rule"</th><th>"Holding"</th><th>"Must not go with"</th><th>"Mode"</th>
                    {can_manage.then(|| view! { <th></th> })}</tr></thead>
                <tbody>{rule_rows}</tbody>
            </table>
        </div>
        {can_manage.then(|| view! { <NewRuleForm create permissions roles /> })}
        <h2>"Violations now"</h2>
        {if no_violations {
            view! { <p class="empty">"Nobody holds both sides of a rule."</p> }.into_any()
        } else {
            view! {
                <div class="table-wrap">
                    <table class="table sod-violations">
                        <thead><tr><th>"Principal"</th><th>"Account"</th><th>"Rule"</th><th>"Mode"</th></tr></thead>
                        <tbody>{violation_rows}</tbody>
                    </table>
                </div>
                <p class="muted">"Up to 500 are shown here; "<a href="/reports/sod-violations">"the violations report"</a>" lists every one, with filters and CSV."</p>
            }.into_any()
        }}
    }
}

#[component]
fn NewRuleForm(
    create: ServerAction<CreateSodRule>,
    permissions: Vec<(uuid::Uuid, String)>,
    roles: Vec<(uuid::Uuid, String)>,
) -> impl IntoView {
    let error = Signal::derive(move || create.value().get().and_then(|r| r.err()));
    let first = permissions
        .iter()
        .map(|(id, label)| view! { <option value=id.to_string()>{label.clone()}</option> })
        .collect_view();
    let other_permissions = permissions
        .iter()
        .map(|(id, label)| view! { <option value=format!("permission:{id}")>{label.clone()}</option> })
        .collect_view();
    let other_roles = roles
        .iter()
        .map(|(id, label)| view! { <option value=format!("role:{id}")>{label.clone()}</option> })
        .collect_view();
    let modes = SodMode::ALL
        .into_iter()
        .map(|m| view! { <option value=m.as_str()>{m.label()}</option> })
        .collect_view();
    view! {
        <section class="card">
            <h2>"New rule"</h2>
            <ActionForm action=create attr:class="form">
                <div class="form form-inline">
                    <div class="field">
                        <label for="sod-name">"Name"</label>
                        <input id="sod-name" name="name" required maxlength="120" placeholder="e.g. Refunds need a second person" />
                        <FieldError error field="name" />
                    </div>
                    <div class="field">
                        <label for="sod-permission">"Whoever holds"</label>
                        <select id="sod-permission" name="permission">{first}</select>
                        <FieldError error field="permission" />
                    </div>
                    <div class="field">
                        <label for="sod-conflicting">"must not also hold"</label>
                        <select id="sod-conflicting" name="conflicting">
                            <optgroup label="Permissions">{other_permissions}</optgroup>
                            <optgroup label="Roles">{other_roles}</optgroup>
                        </select>
                        <FieldError error field="conflicting" />
                    </div>
                    <div class="field">
                        <label for="sod-mode">"When a request would break it"</label>
                        <select id="sod-mode" name="mode">{modes}</select>
                        <FieldError error field="mode" />
                    </div>
                </div>
                <div class="field">
                    <label for="sod-description">"Why (optional)"</label>
                    <input id="sod-description" name="description" maxlength="1000" />
                </div>
                <button type="submit" class="btn btn-primary">"Add rule"</button>
            </ActionForm>
            <FormError error />
        </section>
    }
}
