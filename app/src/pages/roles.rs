use std::collections::{BTreeSet, HashMap, HashSet};

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use uuid::Uuid;

use crate::api::roles::{
    load_role_matrix, set_bundle_permission, CreateBundle, DeleteBundle, UpdateBundle,
};
use crate::components::{ErrorNotice, FieldError, FormError};
use crate::domain::console::ConsolePermission;
use crate::model::roles::{BundleKind, MatrixPermission, RoleMatrix};
use crate::UserSession;

#[component]
pub fn RolesPage() -> impl IntoView {
    let query = use_query_map();
    let application = Memo::new(move |_| {
        query
            .read()
            .get("app")
            .and_then(|a| Uuid::parse_str(&a).ok())
    });
    let kind = Memo::new(move |_| match query.read().get("tab").as_deref() {
        Some("sets") => BundleKind::PermissionSet,
        _ => BundleKind::Role,
    });
    let create = ServerAction::<CreateBundle>::new();
    let update = ServerAction::<UpdateBundle>::new();
    let delete = ServerAction::<DeleteBundle>::new();
    let matrix = Resource::new(
        move || {
            (
                application.get(),
                create.version().get(),
                update.version().get(),
                delete.version().get(),
            )
        },
        |(app, ..)| load_role_matrix(app),
    );
    let session = expect_context::<UserSession>();

    view! {
        <Title text="Role matrix" />
        <h1>"Role matrix"</h1>
        <p class="muted">"Which role and permission set holds which permission, per application. High-impact permissions are flagged."</p>
        <Transition fallback=|| view! { <p class="loading">"Loading the matrix…"</p> }>
            {move || Suspend::new(async move {
                let can_manage = session.user.await.ok().flatten().is_some_and(|u| u.can(ConsolePermission::RolesManage));
                match matrix.await {
                    Ok(m) => view! { <MatrixView matrix=m kind=kind.get() can_manage create update delete /> }.into_any(),
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn MatrixView(
    matrix: RoleMatrix,
    kind: BundleKind,
    can_manage: bool,
    create: ServerAction<CreateBundle>,
    update: ServerAction<UpdateBundle>,
    delete: ServerAction<DeleteBundle>,
) -> impl IntoView {
    let app = matrix.application.clone();
    let editable = can_manage && !app.is_console;
    let tab_href = move |app_id: Uuid, kind: BundleKind| {
        let tab = match kind {
            BundleKind::Role => "roles",
            BundleKind::PermissionSet => "sets",
        };
        format!("/roles?app={app_id}&tab={tab}")
    };
    let app_tabs = matrix
        .applications
        .iter()
        .map(|a| {
            let current = a.id == app.id;
            view! { <a class=if current { "tab tab-current" } else { "tab" } href=tab_href(a.id, kind) aria-current=current.then_some("page")>{a.name.clone()}</a> }
        })
        .collect_view();
    let kind_tabs = [BundleKind::Role, BundleKind::PermissionSet]
        .into_iter()
        .map(|k| {
            let label = match k {
                BundleKind::Role => "Roles",
                BundleKind::PermissionSet => "Permission sets",
            };
            view! { <a class=if k == kind { "tab tab-current" } else { "tab" } href=tab_href(app.id, k)>{label}</a> }
        })
        .collect_view();

    let bundles = StoredValue::new(matrix.bundles(kind).to_vec());
    let permissions = StoredValue::new(matrix.permissions.clone());
    let high_impact: HashMap<Uuid, bool> = matrix
        .permissions
        .iter()
        .map(|p| (p.id, p.high_impact))
        .collect();
    let high_impact = StoredValue::new(high_impact);
    let ticks = RwSignal::new(
        matrix
            .cells(kind)
            .iter()
            .copied()
            .collect::<HashSet<(Uuid, Uuid)>>(),
    );
    let cell_error = RwSignal::new(None::<String>);
    let toggle = Action::new(
        move |&(bundle, permission, granted): &(Uuid, Uuid, bool)| async move {
            (
                bundle,
                permission,
                granted,
                set_bundle_permission(kind, bundle, permission, granted).await,
            )
        },
    );
    Effect::new(move |_| {
        if let Some((bundle, permission, granted, Err(e))) = toggle.value().get() {
            ticks.update(|t| {
                if granted {
                    t.remove(&(bundle, permission));
                } else {
                    t.insert((bundle, permission));
                }
            });
            cell_error.set(Some(e.to_string()));
        }
    });

    let search = RwSignal::new(String::new());
    let risk = RwSignal::new(String::new());
    let resources: BTreeSet<String> = matrix
        .permissions
        .iter()
        .map(|p| p.resource.clone())
        .collect();
    let resource = RwSignal::new(String::new());
    let shown = move |p: &MatrixPermission| {
        let q = search.get().to_lowercase();
        (q.is_empty() || p.key().contains(&q) || p.description.to_lowercase().contains(&q))
            && (risk.get().is_empty()
                || (risk.get() == "high-impact" && p.high_impact)
                || risk.get() == p.risk)
            && (resource.get().is_empty() || resource.get() == p.resource)
    };

    let header = move || {
        bundles
            .get_value()
            .into_iter()
            .map(|b| {
                let id = b.id;
                let count = move || ticks.with(|t| t.iter().filter(|(bid, _)| *bid == id).count());
                let high = move || {
                    ticks.with(|t| t.iter().filter(|(bid, pid)| *bid == id && high_impact.with_value(|h| h.get(pid).copied().unwrap_or(false))).count())
                };
                view! {
                    <th class="bundle" title=b.description.clone()>
                        <span class="bundle-name">{b.name.clone()}</span>
                        <span class="bundle-figures">
                            {b.members} " members · " {count} " perms · " <span class="hi">{high} " high-impact"</span>
                        </span>
                        {b.overloaded.clone().map(|why| {
                            let title = why.clone();
                            view! { <span class="badge badge-warn" title=title>"Overloaded: " {why}</span> }
                        })}
                    </th>
                }
            })
            .collect_view()
    };

    let rows = move || {
        let mut last_resource = String::new();
        permissions
            .get_value()
            .into_iter()
            .filter(|p| shown(p))
            .map(|p| {
                let group = (p.resource != last_resource).then(|| {
                    last_resource = p.resource.clone();
                    let span = bundles.with_value(|b| b.len()) + 2;
                    view! { <tr class="group"><th colspan=span>{p.resource.clone()}</th></tr> }
                });
                let pid = p.id;
                let cells = bundles
                    .get_value()
                    .into_iter()
                    .map(|b| {
                        let bid = b.id;
                        let label = format!("{} holds {}", b.name, p.key());
                        let held = move || ticks.with(|t| t.contains(&(bid, pid)));
                        view! {
                            <td class="cell">
                                <input type="checkbox" aria-label=label prop:checked=held disabled=!editable
                                    on:change=move |ev| {
                                        let granted = event_target_checked(&ev);
                                        cell_error.set(None);
                                        ticks.update(|t| { if granted { t.insert((bid, pid)); } else { t.remove(&(bid, pid)); } });
                                        toggle.dispatch((bid, pid, granted));
                                    } />
                            </td>
                        }
                    })
                    .collect_view();
                view! {
                    {group}
                    <tr>
                        <td class="perm">
                            <code>{p.key()}</code>
                            {p.high_impact.then(|| view! { <span class="badge badge-risk">"high impact"</span> })}
                            <span class="muted small">" " {p.description.clone()}</span>
                        </td>
                        <td><span class=format!("risk risk-{}", p.risk)>{p.risk.clone()}</span></td>
                        {cells}
                    </tr>
                }
            })
            .collect_view()
    };

    view! {
        <nav class="tabs" aria-label="Applications">{app_tabs}</nav>
        <nav class="tabs tabs-small" aria-label="Bundles">{kind_tabs}</nav>
        {app.is_console.then(|| view! { <p class="notice notice-warn">"The console's own roles are defined by Gatehouse; they are shown read-only."</p> })}
        <div class="form form-inline filters">
            <div class="field">
                <label for="m-search">"Search"</label>
                <input id="m-search" placeholder="e.g. export" on:input=move |ev| search.set(event_target_value(&ev)) />
            </div>
            <div class="field">
                <label for="m-resource">"Resource"</label>
                <select id="m-resource" on:change=move |ev| resource.set(event_target_value(&ev))>
                    <option value="">"All"</option>
                    {resources.into_iter().map(|r| view! { <option value=r.clone()>{r.clone()}</option> }).collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="m-risk">"Risk"</label>
                <select id="m-risk" on:change=move |ev| risk.set(event_target_value(&ev))>
                    <option value="">"All"</option>
                    <option value="high-impact">"High impact only"</option>
                    <option value="low">"low"</option>
                    <option value="medium">"medium"</option>
                    <option value="high">"high"</option>
                    <option value="critical">"critical"</option>
                </select>
            </div>
        </div>
        {move || cell_error.get().map(|e| view! { <p class="notice notice-error" role="alert">{e}</p> })}
        <div class="table-wrap">
            <table class="table matrix">
                <thead><tr><th>"Permission"</th><th>"Risk"</th>{header}</tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
        <Compare bundles=bundles.get_value() ticks permissions=permissions.get_value() kind />
        {editable.then(|| view! { <ManageBundles kind application=app.id bundles=bundles.get_value() create update delete /> })}
    }
}

/// Two bundles side by side: what one holds that the other lacks.
#[component]
fn Compare(
    bundles: Vec<crate::model::roles::MatrixBundle>,
    ticks: RwSignal<HashSet<(Uuid, Uuid)>>,
    permissions: Vec<MatrixPermission>,
    kind: BundleKind,
) -> impl IntoView {
    let left = RwSignal::new(bundles.first().map(|b| b.id));
    let right = RwSignal::new(bundles.get(1).map(|b| b.id));
    let keys: HashMap<Uuid, String> = permissions.iter().map(|p| (p.id, p.key())).collect();
    let names: HashMap<Uuid, String> = bundles.iter().map(|b| (b.id, b.name.clone())).collect();
    let options = move |selected: RwSignal<Option<Uuid>>| {
        bundles
            .iter()
            .map(|b| {
                let id = b.id;
                view! { <option value=id.to_string() selected=move || selected.get() == Some(id)>{b.name.clone()}</option> }
            })
            .collect_view()
    };
    let held = move |bundle: Option<Uuid>| -> BTreeSet<String> {
        ticks.with(|t| {
            t.iter()
                .filter(|(b, _)| Some(*b) == bundle)
                .filter_map(|(_, p)| keys.get(p).cloned())
                .collect()
        })
    };
    let diff = move || {
        let (a, b) = (held(left.get()), held(right.get()));
        let name = |id: Option<Uuid>| {
            id.and_then(|id| names.get(&id).cloned())
                .unwrap_or_default()
        };
        let list = |items: Vec<String>| {
            if items.is_empty() {
                view! { <p class="muted">"Nothing."</p> }.into_any()
            } else {
                view! { <ul>{items.into_iter().map(|k| view! { <li><code>{k}</code></li> }).collect_view()}</ul> }.into_any()
            }
        };
        view! {
            <div class="compare-grid">
                <div><h4>"Only " {name(left.get())}</h4>{list(a.difference(&b).cloned().collect())}</div>
                <div><h4>"Both"</h4>{list(a.intersection(&b).cloned().collect())}</div>
                <div><h4>"Only " {name(right.get())}</h4>{list(b.difference(&a).cloned().collect())}</div>
            </div>
        }
    };
    let parse = |ev: leptos::ev::Event| Uuid::parse_str(&event_target_value(&ev)).ok();
    view! {
        <section class="card compare">
            <h2>"Compare two " {kind.noun()} "s"</h2>
            <div class="form form-inline">
                <select aria-label="First" on:change=move |ev| left.set(parse(ev))>{options(left)}</select>
                <span class="muted">"with"</span>
                <select aria-label="Second" on:change=move |ev| right.set(parse(ev))>{options(right)}</select>
            </div>
            {diff}
        </section>
    }
}

#[component]
fn ManageBundles(
    kind: BundleKind,
    application: Uuid,
    bundles: Vec<crate::model::roles::MatrixBundle>,
    create: ServerAction<CreateBundle>,
    update: ServerAction<UpdateBundle>,
    delete: ServerAction<DeleteBundle>,
) -> impl IntoView {
    let kind_value = match kind {
        BundleKind::Role => "Role",
        BundleKind::PermissionSet => "PermissionSet",
    };
    let create_error = Signal::derive(move || create.value().get().and_then(|r| r.err()));
    let update_error = Signal::derive(move || update.value().get().and_then(|r| r.err()));
    let delete_error = Signal::derive(move || delete.value().get().and_then(|r| r.err()));
    let noun = kind.noun();
    let rows = bundles
        .into_iter()
        .map(|b| {
            let (name_label, description_label, delete_label) =
                (format!("Name of {}", b.name), format!("Description of {}", b.name), format!("Delete {}", b.name));
            view! {
                <tr>
                    <td>
                        <ActionForm action=update attr:class="form form-inline">
                            <input type="hidden" name="kind" value=kind_value />
                            <input type="hidden" name="bundle" value=b.id.to_string() />
                            <input name="name" value=b.name.clone() aria-label=name_label required />
                            <input name="description" value=b.description.clone() aria-label=description_label />
                            <button type="submit" class="btn">"Save"</button>
                        </ActionForm>
                    </td>
                    <td>
                        <ActionForm action=delete>
                            <input type="hidden" name="kind" value=kind_value />
                            <input type="hidden" name="bundle" value=b.id.to_string() />
                            <button type="submit" class="btn btn-danger" aria-label=delete_label>"Delete"</button>
                        </ActionForm>
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section class="card">
            <h2>"New " {noun}</h2>
            <ActionForm action=create attr:class="form form-inline">
                <input type="hidden" name="kind" value=kind_value />
                <input type="hidden" name="application" value=application.to_string() />
                <div class="field">
                    <label for="new-bundle-name">"Name"</label>
                    <input id="new-bundle-name" name="name" required maxlength="80" />
                    <FieldError error=create_error field="name" />
                </div>
                <div class="field">
                    <label for="new-bundle-description">"Description"</label>
                    <input id="new-bundle-description" name="description" />
                </div>
                <button type="submit" class="btn btn-primary">"Create " {noun}</button>
            </ActionForm>
            <FormError error=create_error />
        </section>
        <section class="card">
            <h2>"Rename, describe or delete"</h2>
            <FieldError error=update_error field="name" />
            <FormError error=update_error />
            <FormError error=delete_error />
            <table class="table"><tbody>{rows}</tbody></table>
        </section>
    }
}
