use leptos::prelude::*;
use leptos_router::components::Form;
use uuid::Uuid;

use super::MatrixAddress;
use crate::api::roles::compare_bundles;
use crate::components::FormError;
use crate::model::roles::{BundleComparison, BundleKind, MatrixBundle};

/// Two bundles side by side: what one holds that the other lacks. The server compares
/// them over the whole application; in the browser a choice, or a tick saved in the
/// matrix, asks it again in place.
#[component]
pub(super) fn Compare(
    bundles: Vec<MatrixBundle>,
    compared: BundleComparison,
    kind: BundleKind,
    /// How many ticks the matrix has saved.
    saved: RwSignal<usize>,
    address: MatrixAddress,
) -> impl IntoView {
    let left = RwSignal::new(compared.left);
    let right = RwSignal::new(compared.right);
    let ask = Action::new(move |&(l, r): &(Uuid, Uuid)| compare_bundles(kind, l, r));
    // Effects run only in the browser: the server's comparison is the first one shown.
    Effect::new(move |before: Option<()>| {
        let pair = (left.get(), right.get());
        saved.track();
        if before.is_some() {
            ask.dispatch(pair);
        }
    });
    let error = Signal::derive(move || ask.value().get().and_then(|r| r.err()));
    let names: Vec<(Uuid, String)> = bundles.iter().map(|b| (b.id, b.name.clone())).collect();
    let name = {
        let names = names.clone();
        move |id: Uuid| {
            names
                .iter()
                .find(|(b, _)| *b == id)
                .map(|(_, n)| n.clone())
                .unwrap_or_default()
        }
    };
    let options = move |selected: RwSignal<Uuid>| {
        names
            .iter()
            .map(|(id, n)| {
                let id = *id;
                view! { <option value=id.to_string() selected=move || selected.get() == id>{n.clone()}</option> }
            })
            .collect_view()
    };
    let diff = move || {
        let c = match ask.value().get() {
            Some(Ok(answer)) => answer,
            _ => compared.clone(),
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
                <div><h4>"Only " {name(c.left)}</h4>{list(c.only_left)}</div>
                <div><h4>"Both"</h4>{list(c.both)}</div>
                <div><h4>"Only " {name(c.right)}</h4>{list(c.only_right)}</div>
            </div>
        }
    };
    let parse = |ev: leptos::ev::Event| Uuid::parse_str(&event_target_value(&ev)).ok();
    let kept = MatrixAddress {
        left: None,
        right: None,
        ..address
    };
    view! {
        <section class="card compare">
            <h2>"Compare two " {kind.noun()} "s"</h2>
            <Form method="GET" action="" attr:class="form form-inline">
                {kept.hidden_fields()}
                <select name="left" aria-label="First" on:change=move |ev| if let Some(id) = parse(ev) { left.set(id) }>{options(left)}</select>
                <span class="muted">"with"</span>
                <select name="right" aria-label="Second" on:change=move |ev| if let Some(id) = parse(ev) { right.set(id) }>{options(right)}</select>
                <button type="submit" class="btn">"Compare"</button>
            </Form>
            <FormError error />
            {diff}
        </section>
    }
}
