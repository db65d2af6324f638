use std::collections::HashSet;

use leptos::prelude::*;
use leptos::wasm_bindgen::JsCast;
use leptos::web_sys::HtmlInputElement;
use leptos_router::components::Form;
use uuid::Uuid;

use super::bundles::ManageBundles;
use super::compare::Compare;
use super::MatrixAddress;
use crate::api::roles::{set_bundle_permission, CreateBundle, DeleteBundle, UpdateBundle};
use crate::components::Pager;
use crate::model::roles::{ApplicationRef, BundleKind, MatrixBundle, MatrixPermission, RoleMatrix};

/// The page's ticked cells, by (bundle, permission) positions in the page's lists.
type Ticks = RwSignal<HashSet<(usize, usize)>>;

#[component]
pub(super) fn MatrixView(
    matrix: RoleMatrix,
    address: MatrixAddress,
    can_manage: bool,
    create: ServerAction<CreateBundle>,
    update: ServerAction<UpdateBundle>,
    delete: ServerAction<DeleteBundle>,
) -> impl IntoView {
    let app = matrix.application.clone();
    let kind = matrix.kind;
    let editable = can_manage && !app.is_console;
    let grid = Grid {
        kind,
        editable,
        bundles: StoredValue::new(matrix.bundles.clone()),
        permissions: StoredValue::new(matrix.permissions.clone()),
        ticks: RwSignal::new(matrix.cells.iter().copied().collect()),
        counts: RwSignal::new(
            matrix
                .bundles
                .iter()
                .map(|b| (b.permissions, b.high_impact))
                .collect(),
        ),
        saved: RwSignal::new(0),
    };
    let (on_cell_change, cell_error) = grid.editing();
    let shown = matrix.permissions.len();
    let table = if shown == 0 {
        view! { <p class="empty">"No permission of this application matches the filter."</p> }
            .into_any()
    } else {
        let rows = if address.transposed {
            grid.by_bundle().into_any()
        } else {
            grid.by_permission().into_any()
        };
        view! {
            <div class="table-wrap">
                <table class="table matrix" class:transposed=address.transposed on:change=on_cell_change>{rows}</table>
            </div>
        }
        .into_any()
    };
    let page_href = {
        let address = address.clone();
        move |page: u32| {
            let mut to = address.clone();
            to.window.page = page + 1;
            to.href()
        }
    };
    let range = (shown > 0).then(|| {
        format!(
            "Permissions {}–{} of {}",
            matrix.first + 1,
            matrix.first + shown,
            matrix.matching
        )
    });

    view! {
        <Tabs applications=matrix.applications current_app=app.id kind address=address.clone() />
        {app.is_console.then(|| view! { <p class="notice notice-warn">"The console's own roles are defined by Gatehouse; they are shown read-only."</p> })}
        <Filters resources=matrix.resources address=address.clone() />
        {move || cell_error.get().map(|e| view! { <p class="notice notice-error" role="alert">{e}</p> })}
        {range.map(|r| view! { <p class="muted small matrix-range">{r}</p> })}
        {table}
        {(matrix.pages > 1).then(|| view! { <Pager page=matrix.page - 1 has_next=matrix.page < matrix.pages href=page_href /> })}
        {matrix.comparison.map(|compared| view! {
            <Compare bundles=matrix.bundles.clone() compared kind saved=grid.saved address=address.clone() />
        })}
        {editable.then(|| view! { <ManageBundles kind application=app.id bundles=matrix.bundles create update delete /> })}
    }
}

/// A tab per application, then the roles / permission sets switch.
#[component]
fn Tabs(
    applications: Vec<ApplicationRef>,
    current_app: Uuid,
    kind: BundleKind,
    address: MatrixAddress,
) -> impl IntoView {
    let app_tabs = applications
        .iter()
        .map(|a| {
            let current = a.id == current_app;
            view! { <a class=if current { "tab tab-current" } else { "tab" } href=address.tab(a.id, kind) aria-current=current.then_some("page")>{a.name.clone()}</a> }
        })
        .collect_view();
    let kind_tabs = [BundleKind::Role, BundleKind::PermissionSet]
        .into_iter()
        .map(|k| {
            let label = match k {
                BundleKind::Role => "Roles",
                BundleKind::PermissionSet => "Permission sets",
            };
            view! { <a class=if k == kind { "tab tab-current" } else { "tab" } href=address.tab(current_app, k)>{label}</a> }
        })
        .collect_view();
    view! {
        <nav class="tabs" aria-label="Applications">{app_tabs}</nav>
        <nav class="tabs tabs-small" aria-label="Bundles">{kind_tabs}</nav>
    }
}

/// The filter: a form that asks the server for the permissions that pass it (a search
/// starts again from the first page), and the link that turns the matrix round.
#[component]
fn Filters(resources: Vec<String>, address: MatrixAddress) -> impl IntoView {
    let turned = MatrixAddress {
        transposed: !address.transposed,
        ..address.clone()
    };
    let layout_label = if address.transposed {
        "Permissions as rows"
    } else if address.kind == BundleKind::Role {
        "Roles as rows"
    } else {
        "Permission sets as rows"
    };
    let w = address.window.clone();
    let chosen_risk = w.risk.clone();
    let risk = move |value: &'static str, label: &'static str| {
        view! { <option value=value selected=chosen_risk == value>{label}</option> }
    };
    let resource_options = resources
        .into_iter()
        .map(|r| {
            let selected = w.resource == r;
            view! { <option value=r.clone() selected=selected>{r.clone()}</option> }
        })
        .collect_view();
    let hidden = MatrixAddress {
        window: Default::default(),
        left: None,
        right: None,
        ..address.clone()
    };
    view! {
        <Form method="GET" action="" attr:class="form form-inline filters">
            {hidden.hidden_fields()}
            <div class="field">
                <label for="m-search">"Search"</label>
                <input id="m-search" name="q" value=w.search.clone() placeholder="e.g. export" />
            </div>
            <div class="field">
                <label for="m-resource">"Resource"</label>
                <select id="m-resource" name="resource">
                    <option value="">"All"</option>
                    {resource_options}
                </select>
            </div>
            <div class="field">
                <label for="m-risk">"Risk"</label>
                <select id="m-risk" name="risk">
                    {risk("", "All")}
                    {risk("high-impact", "High impact only")}
                    {risk("low", "low")}
                    {risk("medium", "medium")}
                    {risk("high", "high")}
                    {risk("critical", "critical")}
                </select>
            </div>
            <button type="submit" class="btn">"Filter"</button>
            <a class="btn btn-quiet" href=turned.href()>{layout_label}</a>
        </Form>
    }
}

/// The page of the matrix and how it is drawn. Cells are named by their bundle's and
/// permission's positions, so one change listener serves the whole table.
#[derive(Clone, Copy)]
struct Grid {
    kind: BundleKind,
    editable: bool,
    bundles: StoredValue<Vec<MatrixBundle>>,
    permissions: StoredValue<Vec<MatrixPermission>>,
    ticks: Ticks,
    /// Each bundle's permissions and high-impact permissions, over the whole
    /// application (the server's figures, moved by the ticks made here).
    counts: RwSignal<Vec<(i64, i64)>>,
    /// How many ticks the server has saved since the page loaded.
    saved: RwSignal<usize>,
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
        Effect::new(move |_| match toggle.value().get() {
            Some((b, p, granted, Err(e))) => {
                self.tick(b, p, !granted);
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
            Some((_, _, _, Ok(_))) => self.saved.update(|n| *n += 1),
            None => {}
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
            if self.ids(b, p).is_none() {
                return;
            }
            let granted = input.checked();
            error.set(None);
            self.tick(b, p, granted);
            toggle.dispatch((b, p, granted));
        };
        (on_change, error)
    }

    /// Marks a cell held or not, and moves its bundle's counts with it.
    fn tick(self, b: usize, p: usize, held: bool) {
        let changed = self.ticks.try_update(|t| {
            if held {
                t.insert((b, p))
            } else {
                t.remove(&(b, p))
            }
        });
        if changed != Some(true) {
            return;
        }
        let high = self
            .permissions
            .with_value(|v| v.get(p).is_some_and(|x| x.high_impact));
        let step = if held { 1 } else { -1 };
        self.counts.update(|c| {
            if let Some((all, high_impact)) = c.get_mut(b) {
                *all += step;
                if high {
                    *high_impact += step;
                }
            }
        });
    }

    /// A bundle's heading: name, live counts and the overload mark.
    fn heading(self, b: usize, bundle: MatrixBundle, scope: &'static str) -> impl IntoView {
        let counts = self.counts;
        let count = move || counts.with(|c| c.get(b).map(|x| x.0).unwrap_or(0));
        let high = move || counts.with(|c| c.get(b).map(|x| x.1).unwrap_or(0));
        view! {
            <th class="bundle" scope=scope title=bundle.description.clone()>
                <span class="bundle-name">{bundle.name.clone()}</span>
                <span class="bundle-figures">
                    {bundle.members} " members · " {count} " perms · " <span class="hi">{high} " high-impact"</span>
                </span>
                {bundle.overloaded.clone().map(|why| {
                    let title = why.clone();
                    view! { <span class="badge badge-warn" title=title>"Overloaded: " {why}</span> }
                })}
            </th>
        }
    }

    /// Permissions in rows, grouped by resource; bundles in columns. A page is a few
    /// thousand cells of plain markup, so the body is written as one string. The rows are
    /// not rebuilt on a toggle: the clicked checkbox already shows its new state.
    fn by_permission(self) -> impl IntoView {
        let body = self.bundles.with_value(|bs| {
            self.permissions.with_value(|ps| {
                self.ticks
                    .with_untracked(|t| permission_rows(ps, bs, t, self.editable))
            })
        });
        let headings = self
            .bundles
            .get_value()
            .into_iter()
            .enumerate()
            .map(|(i, b)| self.heading(i, b, "col"))
            .collect_view();
        view! {
            <thead><tr><th>"Permission"</th><th>"Risk"</th>{headings}</tr></thead>
            <tbody inner_html=body></tbody>
        }
    }

    /// Bundles in rows; permissions in columns under their resource.
    fn by_bundle(self) -> impl IntoView {
        let permissions = self.permissions.get_value();
        let mut groups: Vec<(String, usize)> = Vec::new();
        for p in &permissions {
            match groups.last_mut() {
                Some((resource, n)) if *resource == p.resource => *n += 1,
                _ => groups.push((p.resource.clone(), 1)),
            }
        }
        let columns = permissions
            .iter()
            .map(|p| view! {
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
                let cells = permissions
                    .iter()
                    .enumerate()
                    .map(|(pi, p)| self.cell(bi, &b, pi, p))
                    .collect_view();
                view! { <tr>{self.heading(bi, b, "row")}{cells}</tr> }
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
        let held = self.ticks.with_untracked(|t| t.contains(&(b, p)));
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
    permissions: &[MatrixPermission],
    bundles: &[MatrixBundle],
    ticks: &HashSet<(usize, usize)>,
    editable: bool,
) -> String {
    use html_escape::{encode_double_quoted_attribute as attr, encode_text as text};
    use std::fmt::Write;
    let mut html = String::with_capacity(permissions.len() * (bundles.len() + 2) * 120);
    let mut resource = None;
    for (pi, p) in permissions.iter().enumerate() {
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
                if ticks.contains(&(bi, pi)) { " checked" } else { "" },
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
        let ticks = HashSet::from([(0, 0)]);
        let html = permission_rows(&[permission], &bundles, &ticks, false);
        assert!(html.contains("Export &lt;all&gt; contacts"), "{html}");
        assert!(html.contains(
            r#"data-b="0" data-p="0" aria-label="Sales &quot;A&quot; &amp; Co holds contacts.export" checked disabled>"#
        ), "{html}");
        assert!(
            html.contains(r#"aria-label="Viewer holds contacts.export" disabled>"#),
            "{html}"
        );
        assert_eq!(html.matches("<tr class=\"group\">").count(), 1);
    }
}
