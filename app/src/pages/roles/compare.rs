use std::collections::{BTreeSet, HashMap, HashSet};

use leptos::prelude::*;
use uuid::Uuid;

use crate::model::roles::{BundleKind, MatrixBundle, MatrixPermission};

/// Two bundles side by side: what one holds that the other lacks.
#[component]
pub(super) fn Compare(
    bundles: Vec<MatrixBundle>,
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
