use std::collections::{BTreeSet, HashMap, HashSet};

use leptos::prelude::*;
use leptos::wasm_bindgen::JsCast;
use leptos::web_sys::HtmlInputElement;
use uuid::Uuid;

use super::bundles::ManageBundles;
use super::compare::Compare;
use super::matrix_href;
use crate::api::roles::{set_bundle_permission, CreateBundle, DeleteBundle, UpdateBundle};
use crate::model::roles::{ApplicationRef, BundleKind, MatrixBundle, MatrixPermission, RoleMatrix};

/// Which bundle holds which permission: a cell is a (bundle id, permission id) pair.
type Ticks = RwSignal<HashSet<(Uuid, Uuid)>>;

#[component]
pub(super) fn MatrixView(
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
    let resources: BTreeSet<String> = matrix
        .permissions
        .iter()
        .map(|p| p.resource.clone())
        .collect();
    let grid = Grid {
        kind,
        editable,
        transposed,
        bundles: StoredValue::new(matrix.bundles(kind).to_vec()),
        permissions: StoredValue::new(matrix.permissions.clone()),
        high_impact: StoredValue::new(
            matrix
                .permissions
                .iter()
                .map(|p| (p.id, p.high_impact))
                .collect(),
        ),
        ticks: RwSignal::new(matrix.cells(kind).iter().copied().collect()),
    };
    let filter = Filter::default();
    let (on_cell_change, cell_error) = grid.editing();
    let table = move || {
        let shown = grid.shown(filter);
        if transposed.get() {
            grid.by_bundle(&shown).into_any()
        } else {
            grid.by_permission(&shown).into_any()
        }
    };

    view! {
        <Tabs applications=matrix.applications current_app=app.id kind transposed />
        {app.is_console.then(|| view! { <p class="notice notice-warn">"The console's own roles are defined by Gatehouse; they are shown read-only."</p> })}
        <Filters filter resources application=app.id kind transposed />
        {move || cell_error.get().map(|e| view! { <p class="notice notice-error" role="alert">{e}</p> })}
        <div class="table-wrap">
            <table class="table matrix" class:transposed=transposed on:change=on_cell_change>{table}</table>
        </div>
        <Compare bundles=grid.bundles.get_value() ticks=grid.ticks permissions=grid.permissions.get_value() kind />
        {editable.then(|| view! { <ManageBundles kind application=app.id bundles=grid.bundles.get_value() create update delete /> })}
    }
}

/// A tab per application, then the roles / permission sets switch.
#[component]
fn Tabs(
    applications: Vec<ApplicationRef>,
    current_app: Uuid,
    kind: BundleKind,
    transposed: Memo<bool>,
) -> impl IntoView {
    let href =
        move |app_id: Uuid, kind: BundleKind| move || matrix_href(app_id, kind, transposed.get());
    let app_tabs = applications
        .iter()
        .map(|a| {
            let current = a.id == current_app;
            view! { <a class=if current { "tab tab-current" } else { "tab" } href=href(a.id, kind) aria-current=current.then_some("page")>{a.name.clone()}</a> }
        })
        .collect_view();
    let kind_tabs = [BundleKind::Role, BundleKind::PermissionSet]
        .into_iter()
        .map(|k| {
            let label = match k {
                BundleKind::Role => "Roles",
                BundleKind::PermissionSet => "Permission sets",
            };
            view! { <a class=if k == kind { "tab tab-current" } else { "tab" } href=href(current_app, k)>{label}</a> }
        })
        .collect_view();
    view! {
        <nav class="tabs" aria-label="Applications">{app_tabs}</nav>
        <nav class="tabs tabs-small" aria-label="Bundles">{kind_tabs}</nav>
    }
}

/// What the filters above the matrix hold; a permission is shown when it passes all three.
#[derive(Clone, Copy, Default)]
struct Filter {
    search: RwSignal<String>,
    resource: RwSignal<String>,
    /// A risk level, "high-impact", or empty for all.
    risk: RwSignal<String>,
}

impl Filter {
    fn shows(self, p: &MatrixPermission) -> bool {
        let q = self.search.get().to_lowercase();
        let risk = self.risk.get();
        let resource = self.resource.get();
        (q.is_empty() || p.key().contains(&q) || p.description.to_lowercase().contains(&q))
            && (risk.is_empty() || (risk == "high-impact" && p.high_impact) || risk == p.risk)
            && (resource.is_empty() || resource == p.resource)
    }
}

#[component]
fn Filters(
    filter: Filter,
    resources: BTreeSet<String>,
    application: Uuid,
    kind: BundleKind,
    transposed: Memo<bool>,
) -> impl IntoView {
    let layout_href = move || matrix_href(application, kind, !transposed.get());
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
        <div class="form form-inline filters">
            <div class="field">
                <label for="m-search">"Search"</label>
                <input id="m-search" placeholder="e.g. export" on:input=move |ev| filter.search.set(event_target_value(&ev)) />
            </div>
            <div class="field">
                <label for="m-resource">"Resource"</label>
                <select id="m-resource" on:change=move |ev| filter.resource.set(event_target_value(&ev))>
                    <option value="">"All"</option>
                    {resources.into_iter().map(|r| view! { <option value=r.clone()>{r.clone()}</option> }).collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="m-risk">"Risk"</label>
                <select id="m-risk" on:change=move |ev| filter.risk.set(event_target_value(&ev))>
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
    }
}

/// The matrix's contents and how it is drawn. Cells are named by their bundle's and
/// permission's positions, so one change listener serves the whole table.
#[derive(Clone, Copy)]
struct Grid {
    kind: BundleKind,
    editable: bool,
    transposed: Memo<bool>,
    bundles: StoredValue<Vec<MatrixBundle>>,
    permissions: StoredValue<Vec<MatrixPermission>>,
    high_impact: StoredValue<HashMap<Uuid, bool>>,
    ticks: Ticks,
}

impl Grid {
    fn ids(self, b: usize, p: usize) -> Option<(Uuid, Uuid)> {
        Some((
            self.bundles.with_value(|v| v.get(b).map(|x| x.id))?,
            self.permissions.with_value(|v| v.get(p).map(|x| x.id))?,
        ))
    }

    /// The table's change listener and the last refusal to show. A tick changes at once;
    /// when the server refuses, it is put back and the server's message shown.
    fn editing(self) -> (impl Fn(leptos::ev::Event) + Copy, RwSignal<Option<String>>) {
        let error = RwSignal::new(None::<String>);
        let toggle = Action::new(move |&(b, p, granted): &(usize, usize, bool)| async move {
            let result = match self.ids(b, p) {
                Some((bundle, permission)) => {
                    set_bundle_permission(self.kind, bundle, permission, granted).await
                }
                None => Ok(granted),
            };
            (b, p, granted, result)
        });
        Effect::new(move |_| {
            if let Some((b, p, granted, Err(e))) = toggle.value().get() {
                let Some(cell) = self.ids(b, p) else { return };
                self.tick(cell, !granted);
                if let Some(input) = document()
                    .query_selector(&format!("input[data-b=\"{b}\"][data-p=\"{p}\"]"))
                    .ok()
                    .flatten()
                    .and_then(|e| e.dyn_into::<HtmlInputElement>().ok())
                {
                    input.set_checked(!granted);
                }
                error.set(Some(e.to_string()));
            }
        });
        let on_change = move |ev: leptos::ev::Event| {
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
            let Some(cell) = self.ids(b, p) else { return };
            let granted = input.checked();
            error.set(None);
            self.tick(cell, granted);
            toggle.dispatch((b, p, granted));
        };
        (on_change, error)
    }

    fn tick(self, cell: (Uuid, Uuid), held: bool) {
        self.ticks.update(|t| {
            if held {
                t.insert(cell);
            } else {
                t.remove(&cell);
            }
        });
    }

    /// The permissions the filter lets through, with their positions.
    fn shown(self, filter: Filter) -> Vec<(usize, MatrixPermission)> {
        self.permissions.with_value(|all| {
            all.iter()
                .enumerate()
                .filter(|(_, p)| filter.shows(p))
                .map(|(i, p)| (i, p.clone()))
                .collect()
        })
    }

    /// A bundle's heading: name, live counts and the overload mark.
    fn heading(self, b: MatrixBundle) -> impl IntoView {
        let id = b.id;
        let ticks = self.ticks;
        let high_impact = self.high_impact;
        let transposed = self.transposed;
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
    }

    /// Permissions in rows, grouped by resource; bundles in columns. With hundreds of
    /// permissions and dozens of roles this is thousands of cells of plain markup, so the
    /// body is written as one string. Rows are rebuilt when the filters or the layout
    /// change, not on every toggle: the clicked checkbox already shows its new state.
    fn by_permission(self, shown: &[(usize, MatrixPermission)]) -> impl IntoView {
        let body = self.bundles.with_value(|bs| {
            self.ticks
                .with_untracked(|t| permission_rows(shown, bs, t, self.editable))
        });
        let headings = self
            .bundles
            .get_value()
            .into_iter()
            .map(|b| self.heading(b))
            .collect_view();
        view! {
            <thead><tr><th>"Permission"</th><th>"Risk"</th>{headings}</tr></thead>
            <tbody inner_html=body></tbody>
        }
    }

    /// Bundles in rows; permissions in columns under their resource.
    fn by_bundle(self, shown: &[(usize, MatrixPermission)]) -> impl IntoView {
        let mut groups: Vec<(String, usize)> = Vec::new();
        for (_, p) in shown {
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
        let rows = self
            .bundles
            .get_value()
            .into_iter()
            .enumerate()
            .map(|(bi, b)| {
                let cells = shown
                    .iter()
                    .map(|(pi, p)| self.cell(bi, &b, *pi, p))
                    .collect_view();
                view! { <tr>{self.heading(b)}{cells}</tr> }
            })
            .collect_view();
        view! {
            <thead>
                <tr class="group"><th rowspan="2">{self.kind.noun()}</th>
                    {groups.into_iter().map(|(resource, n)| view! { <th colspan=n>{resource}</th> }).collect_view()}
                </tr>
                <tr>{columns}</tr>
            </thead>
            <tbody>{rows}</tbody>
        }
    }

    fn cell(
        self,
        b: usize,
        bundle: &MatrixBundle,
        p: usize,
        permission: &MatrixPermission,
    ) -> impl IntoView {
        let held = self
            .ticks
            .with_untracked(|t| t.contains(&(bundle.id, permission.id)));
        let label = format!("{} holds {}", bundle.name, permission.key());
        view! {
            <td class="cell">
                <input type="checkbox" data-b=b data-p=p aria-label=label checked=held disabled=!self.editable />
            </td>
        }
    }
}

/// The body of the matrix with permissions in rows: a group row per resource, then per
/// permission its key, flags, description, risk and one checkbox per bundle (named by
/// positions, for the table's change listener).
fn permission_rows(
    shown: &[(usize, MatrixPermission)],
    bundles: &[MatrixBundle],
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
