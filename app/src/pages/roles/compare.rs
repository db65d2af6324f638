use leptos::either::Either;
use leptos::prelude::*;
use uuid::Uuid;

use super::matrix::TICK_SAVED;
use super::MatrixAddress;
use crate::api::roles::compare_bundles;
use crate::components::FormError;
use crate::model::roles::{BundleComparison, BundleKind};

/// Two bundles side by side: what one holds that the other lacks. The server compares
/// them over the whole application; in the browser a choice, or a tick saved in the
/// matrix, asks it again in place. `names` are the page's bundles; `address` is the
/// matrix's address without the two compared, which the form keeps.
#[island]
pub(super) fn Compare(
    names: Vec<(Uuid, String)>,
    compared: BundleComparison,
    kind: BundleKind,
    address: MatrixAddress,
) -> impl IntoView {
    let left = RwSignal::new(compared.left);
    let right = RwSignal::new(compared.right);
    let saved = RwSignal::new(0usize);
    let listener = window_event_listener_untyped(TICK_SAVED, move |_| saved.update(|n| *n += 1));
    on_cleanup(move || listener.remove());
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
                Either::Left(view! { <p class="muted">"Nothing."</p> })
            } else {
                Either::Right(
                    view! { <ul>{items.into_iter().map(|k| view! { <li><code>{k}</code></li> }).collect_view()}</ul> },
                )
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
    view! {
        <section class="card compare">
            <h2>"Compare two " {kind.noun()} "s"</h2>
            <form method="GET" action="/roles" class="form form-inline">
                {address.hidden_fields()}
                <select name="left" aria-label="First" on:change=move |ev| if let Some(id) = parse(ev) { left.set(id) }>{options(left)}</select>
                <span class="muted">"with"</span>
                <select name="right" aria-label="Second" on:change=move |ev| if let Some(id) = parse(ev) { right.set(id) }>{options(right)}</select>
                <button type="submit" class="btn">"Compare"</button>
            </form>
            <FormError error />
            {diff}
        </section>
    }
}
