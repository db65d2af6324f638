use std::collections::{BTreeSet, HashMap, HashSet};

use leptos::prelude::*;
use leptos::wasm_bindgen::JsCast;
use leptos::web_sys::HtmlInputElement;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use uuid::Uuid;

use crate::api::roles::{
    load_role_matrix, set_bundle_permission, CreateBundle, DeleteBundle, UpdateBundle,
};
use crate::components::{ErrorNotice, FieldError, FormError};
use crate::model::roles::{BundleKind, MatrixPermission, RoleMatrix};
use crate::UserSession;
use rules::console::ConsolePermission;

/// Value of the `layout` query parameter that puts bundles in rows.
const TRANSPOSED: &str = "bundles-as-rows";

fn matrix_href(app_id: Uuid, kind: BundleKind, transposed: bool) -> String {
    let tab = match kind {
        BundleKind::Role => "roles",
        BundleKind::PermissionSet => "sets",
    };
    let layout = if transposed {
        format!("&layout={TRANSPOSED}")
    } else {
        String::new()
    };
    format!("/roles?app={app_id}&tab={tab}{layout}")
}

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
    // Roles as rows and permissions as columns, instead of the other way round.
    let transposed = Memo::new(move |_| query.read().get("layout").as_deref() == Some(TRANSPOSED));
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
                    Ok(m) => view! { <MatrixView matrix=m kind=kind.get() transposed can_manage create update delete /> }.into_any(),
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
    transposed: Memo<bool>,
    can_manage: bool,
    create: ServerAction<CreateBundle>,
    update: ServerAction<UpdateBundle>,
    delete: ServerAction<DeleteBundle>,
) -> impl IntoView {
    let app = matrix.application.clone();
    let editable = can_manage && !app.is_console;
    let tab_href =
        move |app_id: Uuid, kind: BundleKind| move || matrix_href(app_id, kind, transposed.get());
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
    // A cell is named by its bundle's and permission's positions in the matrix.
    let ids = move |b: usize, p: usize| {
        Some((
            bundles.with_value(|v| v.get(b).map(|x| x.id))?,
            permissions.with_value(|v| v.get(p).map(|x| x.id))?,
        ))
    };
    let toggle = Action::new(move |&(b, p, granted): &(usize, usize, bool)| async move {
        let result = match ids(b, p) {
            Some((bundle, permission)) => {
                set_bundle_permission(kind, bundle, permission, granted).await
            }
            None => Ok(granted),
        };
        (b, p, granted, result)
    });
    Effect::new(move |_| {
        if let Some((b, p, granted, Err(e))) = toggle.value().get() {
            let Some(cell) = ids(b, p) else { return };
            ticks.update(|t| {
                if granted {
                    t.remove(&cell);
                } else {
                    t.insert(cell);
                }
            });
            if let Some(input) = document()
                .query_selector(&format!("input[data-b=\"{b}\"][data-p=\"{p}\"]"))
                .ok()
                .flatten()
                .and_then(|e| e.dyn_into::<HtmlInputElement>().ok())
            {
                input.set_checked(!granted);
            }
            cell_error.set(Some(e.to_string()));
        }
    });
    // One listener for the whole table: cells are plain markup, cheap to render.
    let on_cell_change = move |ev: leptos::ev::Event| {
        let Some(input) = ev
            .target()
            .and_then(|t| t.dyn_into::<HtmlInputElement>().ok())
        else {
            return;
        };
        let index = |name: &str| {
            input
                .get_attribute(name)
                .and_then(|v| v.parse::<usize>().ok())
        };
        let (Some(b), Some(p)) = (index("data-b"), index("data-p")) else {
            return;
        };
        let Some(cell) = ids(b, p) else { return };
        let granted = input.checked();
        cell_error.set(None);
        ticks.update(|t| {
            if granted {
                t.insert(cell);
            } else {
                t.remove(&cell);
            }
        });
        toggle.dispatch((b, p, granted));
    };

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

    // What a bundle's heading shows: name, live counts and the overload mark.
    let bundle_heading = move |b: crate::model::roles::MatrixBundle| {
        let id = b.id;
        let count = move || ticks.with(|t| t.iter().filter(|(bid, _)| *bid == id).count());
        let high = move || {
            ticks.with(|t| {
                t.iter()
                    .filter(|(bid, pid)| {
                        *bid == id
                            && high_impact.with_value(|h| h.get(pid).copied().unwrap_or(false))
                    })
                    .count()
            })
        };
        view! {
            <th class="bundle" scope=move || if transposed.get() { "row" } else { "col" } title=b.description.clone()>
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
    };
    // Rows are rebuilt when the filters or the layout change, not on every toggle: the
    // clicked checkbox already shows its new state.
    let cell = move |b: usize,
                     bundle: &crate::model::roles::MatrixBundle,
                     p: usize,
                     permission: &MatrixPermission| {
        let held = ticks.with_untracked(|t| t.contains(&(bundle.id, permission.id)));
        let label = format!("{} holds {}", bundle.name, permission.key());
        view! {
            <td class="cell">
                <input type="checkbox" data-b=b data-p=p aria-label=label checked=held disabled=!editable />
            </td>
        }
    };
    let shown_permissions = move || {
        permissions.with_value(|all| {
            all.iter()
                .enumerate()
                .filter(|(_, p)| shown(p))
                .map(|(i, p)| (i, p.clone()))
                .collect::<Vec<_>>()
        })
    };

    // Permissions in rows, grouped by resource; bundles in columns. With hundreds of
    // permissions and dozens of roles this is thousands of cells of plain markup, so the
    // body is written as one string.
    let by_permission = move || {
        let shown = shown_permissions();
        let body = bundles
            .with_value(|bs| ticks.with_untracked(|t| permission_rows(&shown, bs, t, editable)));
        view! {
            <thead><tr><th>"Permission"</th><th>"Risk"</th>{bundles.get_value().into_iter().map(bundle_heading).collect_view()}</tr></thead>
            <tbody inner_html=body></tbody>
        }
    };

    // Bundles in rows; permissions in columns under their resource.
    let by_bundle = move || {
        let shown = shown_permissions();
        let mut groups: Vec<(String, usize)> = Vec::new();
        for (_, p) in &shown {
            match groups.last_mut() {
                Some((resource, n)) if *resource == p.resource => *n += 1,
                _ => groups.push((p.resource.clone(), 1)),
            }
        }
        let columns = shown
            .iter()
            .map(|(_, p)| view! {
                <th class="perm-col" scope="col" title=p.description.clone()>
                    <code>{p.key()}</code>
                    {p.high_impact.then(|| view! { <span class="badge badge-risk">"high impact"</span> })}
                    <span class=format!("risk risk-{}", p.risk)>{p.risk.clone()}</span>
                </th>
            })
            .collect_view();
        let rows = bundles
            .get_value()
            .into_iter()
            .enumerate()
            .map(|(bi, b)| {
                let cells = shown
                    .iter()
                    .map(|(pi, p)| cell(bi, &b, *pi, p))
                    .collect_view();
                view! { <tr>{bundle_heading(b)}{cells}</tr> }
            })
            .collect_view();
        view! {
            <thead>
                <tr class="group"><th rowspan="2">{kind.noun()}</th>
                    {groups.into_iter().map(|(resource, n)| view! { <th colspan=n>{resource}</th> }).collect_view()}
                </tr>
                <tr>{columns}</tr>
            </thead>
            <tbody>{rows}</tbody>
        }
    };
    let matrix_table = move || {
        if transposed.get() {
            by_bundle().into_any()
        } else {
            by_permission().into_any()
        }
    };
    let layout_href = move || matrix_href(app.id, kind, !transposed.get());
    let layout_label = move || {
        if transposed.get() {
            "Permissions as rows"
        } else if kind == BundleKind::Role {
            "Roles as rows"
        } else {
            "Permission sets as rows"
        }
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
            <a class="btn btn-quiet" href=layout_href>{layout_label}</a>
        </div>
        {move || cell_error.get().map(|e| view! { <p class="notice notice-error" role="alert">{e}</p> })}
        <div class="table-wrap">
            <table class="table matrix" class:transposed=transposed on:change=on_cell_change>{matrix_table}</table>
        </div>
        <Compare bundles=bundles.get_value() ticks permissions=permissions.get_value() kind />
        {editable.then(|| view! { <ManageBundles kind application=app.id bundles=bundles.get_value() create update delete /> })}
    }
}

/// The body of the matrix with permissions in rows: a group row per resource, then per
/// permission its key, flags, description, risk and one checkbox per bundle (named by
/// positions, for the table's change listener).
fn permission_rows(
    shown: &[(usize, MatrixPermission)],
    bundles: &[crate::model::roles::MatrixBundle],
    ticks: &HashSet<(Uuid, Uuid)>,
    editable: bool,
) -> String {
    use html_escape::{encode_double_quoted_attribute as attr, encode_text as text};
    use std::fmt::Write;
    let mut html = String::with_capacity(shown.len() * (bundles.len() + 2) * 120);
    let mut resource = None;
    for (pi, p) in shown {
        let key = p.key();
        if resource != Some(&p.resource) {
            resource = Some(&p.resource);
            let _ = write!(
                html,
                "<tr class=\"group\"><th colspan=\"{}\">{}</th></tr>",
                bundles.len() + 2,
                text(&p.resource)
            );
        }
        let _ = write!(html, "<tr><td class=\"perm\"><code>{}</code>", text(&key));
        if p.high_impact {
            html.push_str("<span class=\"badge badge-risk\">high impact</span>");
        }
        let _ = write!(
            html,
            "<span class=\"muted small\"> {}</span></td><td><span class=\"risk risk-{}\">{}</span></td>",
            text(&p.description),
            attr(&p.risk),
            text(&p.risk)
        );
        for (bi, b) in bundles.iter().enumerate() {
            let _ = write!(
                html,
                "<td class=\"cell\"><input type=\"checkbox\" data-b=\"{bi}\" data-p=\"{pi}\" aria-label=\"{} holds {}\"{}{}></td>",
                attr(&b.name),
                attr(&key),
                if ticks.contains(&(b.id, p.id)) { " checked" } else { "" },
                if editable { "" } else { " disabled" }
            );
        }
        html.push_str("</tr>");
    }
    html
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::roles::MatrixBundle;

    #[test]
    fn matrix_rows_escape_names_and_show_ticks() {
        let permission = MatrixPermission {
            id: Uuid::from_u128(1),
            resource: "contacts".into(),
            action: "export".into(),
            risk: "high".into(),
            high_impact: true,
            description: "Export <all> contacts".into(),
        };
        let bundle = |id: u128, name: &str| MatrixBundle {
            id: Uuid::from_u128(id),
            name: name.into(),
            description: String::new(),
            members: 0,
            permissions: 0,
            high_impact: 0,
            overloaded: None,
        };
        let bundles = [bundle(10, "Sales \"A\" & Co"), bundle(11, "Viewer")];
        let ticks = HashSet::from([(Uuid::from_u128(10), Uuid::from_u128(1))]);
        let html = permission_rows(&[(4, permission)], &bundles, &ticks, false);
        assert!(html.contains("Export &lt;all&gt; contacts"), "{html}");
        assert!(html.contains(
            r#"data-b="0" data-p="4" aria-label="Sales &quot;A&quot; &amp; Co holds contacts.export" checked disabled>"#
        ), "{html}");
        assert!(
            html.contains(r#"aria-label="Viewer holds contacts.export" disabled>"#),
            "{html}"
        );
        assert_eq!(html.matches("<tr class=\"group\">").count(), 1);
    }
}
