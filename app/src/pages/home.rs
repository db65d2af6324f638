use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::dashboard::load_dashboard;
use crate::components::{ErrorNotice, Stat};
use crate::use_current_user;

#[component]
pub fn HomePage() -> impl IntoView {
    let summary = Resource::new(|| (), |_| load_dashboard());
    let user = use_current_user();
    let greeting = user
        .as_ref()
        .map(|u| u.display_name.clone())
        .unwrap_or_default();
    let roles = user.map(|u| u.roles).unwrap_or_default();
    view! {
        <Title text="Home" />
        <h1>"Welcome, " {greeting}</h1>
        <p class="muted">
            "Your console roles: "
            {if roles.is_empty() { "none".to_string() } else { roles.join(", ") }}
        </p>
        <Suspense fallback=|| view! { <p class="loading">"Loading figures…"</p> }>
            {move || Suspend::new(async move {
                match summary.await {
                    Ok(s) => view! {
                        <section class="stats" aria-label="Headline figures">
                            <Stat label="Client accounts" value=s.accounts />
                            <Stat label="Applications" value=s.applications />
                            <Stat label="People" value=s.humans />
                            <Stat label="Bots, agents and integrations" value=s.non_humans />
                            <Stat label="Active grants" value=s.active_grants />
                            <Stat label="Time-bound grants" value=s.time_bound_grants hint="with an end date" />
                            <Stat label="Dormant principals" value=s.dormant_principals hint="no activity for 90 days" />
                            <Stat label="Past their end date" value=s.past_end_date hint="still active" />
                        </section>
                    }
                    .into_any(),
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}
