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
    let ticks: HashSet<(usize, usize)> = matrix.cells.iter().copied().collect();
    let shown = matrix.permissions.len();
    let table = if shown == 0 {
        view! { <p class="empty">"No permission of this application matches the filter."</p> }
            .into_any()
    } else {
        let grid = Grid {
            kind,
            editable,
            bundles: &matrix.bundles,
            permissions: &matrix.permissions,
            ticks: &ticks,
        };
        let rows = if address.transposed {
            grid.by_bundle().into_any()
        } else {
            grid.by_permission().into_any()
        };
        let table = view! { <table class="table matrix" class:transposed=address.transposed>{rows}</table> };
        if editable {
            let bundles = matrix.bundles.iter().map(|b| b.id).collect();
            let permissions = matrix
                .permissions
                .iter()
                .map(|p| (p.id, p.high_impact))
                .collect();
            view! { <MatrixCells kind bundles permissions>{table}</MatrixCells> }.into_any()
        } else {
            view! { <div class="table-wrap">{table}</div> }.into_any()
        }
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
    let names = matrix
        .bundles
        .iter()
        .map(|b| (b.id, b.name.clone()))
        .collect::<Vec<_>>();

    view! {
        <Tabs applications=matrix.applications current_app=app.id kind address=address.clone() />
        {app.is_console.then(|| view! { <p class="notice notice-warn">"The console's own roles are defined by Gatehouse; they are shown read-only."</p> })}
        <Filters resources=matrix.resources address=address.clone() />
        {range.map(|r| view! { <p class="muted small matrix-range">{r}</p> })}
        {table}
        {(matrix.pages > 1).then(|| view! { <Pager page=matrix.page - 1 has_next=matrix.page < matrix.pages href=page_href /> })}
        {matrix.comparison.map(|compared| {
            let address = MatrixAddress { left: None, right: None, ..address.clone() };
            view! { <Compare names compared kind address /> }
        })}
        {editable.then(|| view! { <ManageBundles kind application=app.id bundles=matrix.bundles create update delete /> })}
    }
}

/// The name of the event a saved tick sends to the page, for the comparison to ask again.
pub(super) const TICK_SAVED: &str = "gatehouse-tick-saved";

/// The matrix's cells made editable: a tick changes at once and is saved by the server;
/// when the server refuses, it is put back and the server's message shown. Cells are
/// named by their bundle's and permission's positions in `bundles` and `permissions`
/// (with whether it is high-impact), so one change listener serves the whole table.
#[island]
fn MatrixCells(
    kind: BundleKind,
    bundles: Vec<Uuid>,
    permissions: Vec<(Uuid, bool)>,
    children: Children,
) -> impl IntoView {
    let (bundles, permissions) = (StoredValue::new(bundles), StoredValue::new(permissions));
    let ids = move |b: usize, p: usize| {
        Some((
            bundles.with_value(|v| v.get(b).copied())?,
            permissions.with_value(|v| v.get(p).copied())?,
        ))
    };
    let error = RwSignal::new(None::<String>);
    let toggle = Action::new(move |&(b, p, granted): &(usize, usize, bool)| async move {
        let result = match ids(b, p) {
            Some((bundle, (permission, _))) => {
                set_bundle_permission(kind, bundle, permission, granted).await
            }
            None => Ok(granted),
        };
        (b, p, granted, result)
    });
    // Effects run only in the browser.
    Effect::new(move |_| match toggle.value().get() {
        Some((b, p, granted, Err(e))) => {
            if let Some(input) = document()
                .query_selector(&format!("input[data-b=\"{b}\"][data-p=\"{p}\"]"))
                .ok()
                .flatten()
                .and_then(|e| e.dyn_into::<HtmlInputElement>().ok())
            {
                input.set_checked(!granted);
            }
            count(b, ids(b, p).is_some_and(|(_, (_, high))| high), !granted);
            error.set(Some(e.to_string()));
        }
        Some((_, _, _, Ok(_))) => {
            if let Ok(saved) = leptos::web_sys::Event::new(TICK_SAVED) {
                let _ = window().dispatch_event(&saved);
            }
        }
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
        let Some((_, (_, high))) = ids(b, p) else {
            return;
        };
        let granted = input.checked();
        error.set(None);
        count(b, high, granted);
        toggle.dispatch((b, p, granted));
    };
    view! {
        {move || error.get().map(|e| view! { <p class="notice notice-error" role="alert">{e}</p> })}
        <div class="table-wrap" on:change=on_change>{children()}</div>
    }
}

/// Moves bundle `b`'s figures in its heading by one permission (high-impact or not),
/// up when `held`.
fn count(b: usize, high: bool, held: bool) {
    let step = if held { 1 } else { -1 };
    let figures = [("data-perms", true), ("data-high", high)];
    for (name, moves) in figures {
        let figure = document()
            .query_selector(&format!("[{name}=\"{b}\"]"))
            .ok()
            .flatten();
        if let (true, Some(figure)) = (moves, figure) {
            let now: i64 = figure
                .text_content()
                .and_then(|t| t.trim().parse().ok())
                .unwrap_or(0);
            figure.set_text_content(Some(&(now + step).to_string()));
        }
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

/// The page of the matrix as the server draws it. Cells are named by their bundle's and
/// permission's positions (see [`MatrixCells`]).
#[derive(Clone, Copy)]
struct Grid<'a> {
    kind: BundleKind,
    editable: bool,
    bundles: &'a [MatrixBundle],
    permissions: &'a [MatrixPermission],
    ticks: &'a HashSet<(usize, usize)>,
}

impl Grid<'_> {
    /// A bundle's heading: name, counts (over the whole application, moved by the ticks
    /// made on the page) and the overload mark.
    fn heading(b: usize, bundle: &MatrixBundle, scope: &'static str) -> impl IntoView {
        view! {
            <th class="bundle" scope=scope title=bundle.description.clone()>
                <span class="bundle-name">{bundle.name.clone()}</span>
                <span class="bundle-figures">
                    {bundle.members} " members · " <span data-perms=b>{bundle.permissions}</span> " perms · "
                    <span class="hi"><span data-high=b>{bundle.high_impact}</span> " high-impact"</span>
                </span>
                {bundle.overloaded.clone().map(|why| {
                    let title = why.clone();
                    view! { <span class="badge badge-warn" title=title>"Overloaded: " {why}</span> }
                })}
            </th>
        }
    }

    /// Permissions in rows, grouped by resource; bundles in columns. A page is a few
    /// thousand cells of plain markup, so the body is written as one string.
    fn by_permission(self) -> impl IntoView {
        let body = permission_rows(self.permissions, self.bundles, self.ticks, self.editable);
        let headings = self
            .bundles
            .iter()
            .enumerate()
            .map(|(i, b)| Self::heading(i, b, "col"))
            .collect_view();
        view! {
            <thead><tr><th>"Permission"</th><th>"Risk"</th>{headings}</tr></thead>
            <tbody inner_html=body></tbody>
        }
    }

    /// Bundles in rows; permissions in columns under their resource.
    fn by_bundle(self) -> impl IntoView {
        let mut groups: Vec<(String, usize)> = Vec::new();
        for p in self.permissions {
            match groups.last_mut() {
                Some((resource, n)) if *resource == p.resource => *n += 1,
                _ => groups.push((p.resource.clone(), 1)),
            }
        }
        let columns = self
            .permissions
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
            .iter()
            .enumerate()
            .map(|(bi, b)| {
                let cells = self
                    .permissions
                    .iter()
                    .enumerate()
                    .map(|(pi, p)| self.cell(bi, b, pi, p))
                    .collect_view();
                view! { <tr>{Self::heading(bi, b, "row")}{cells}</tr> }
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
        let held = self.ticks.contains(&(b, p));
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
