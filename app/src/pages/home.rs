use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::dashboard::load_dashboard;
use crate::components::{ErrorNotice, LagNotice, Stat, TrendChart};
use crate::model::DailySnapshot;
use crate::UserSession;

#[component]
pub fn HomePage() -> impl IntoView {
    let summary = Resource::new(|| (), |_| load_dashboard());
    let session = expect_context::<UserSession>();
    view! {
        <Title text="Home" />
        <Transition fallback=|| view! { <h1>"Welcome"</h1> }>
            {move || Suspend::new(async move {
                session.user.await.ok().flatten().map(|user| {
                    let roles = if user.roles.is_empty() { "none".to_string() } else { user.roles.join(", ") };
                    view! {
                        <h1>"Welcome, " {user.display_name}</h1>
                        <p class="muted">"Your console roles: " {roles}</p>
                    }
                })
            })}
        </Transition>
        <LagNotice />
        <Suspense fallback=|| view! { <p class="loading">"Loading figures…"</p> }>
            {move || Suspend::new(async move {
                match summary.await {
                    Ok(s) => {
                        let days: Vec<_> = s.trend.iter().map(|d| d.day).collect();
                        let series = |f: fn(&DailySnapshot) -> i64| s.trend.iter().map(f).collect::<Vec<_>>();
                        let charts = view! {
                            <section class="trends" aria-label="Trends over the last 90 days">
                                <TrendChart title="Dormant principals" days=days.clone() values=series(|d| d.dormant_principals) />
                                <TrendChart title="Pending requests" days=days.clone() values=series(|d| d.pending_requests) />
                                <TrendChart title="Active grants" days values=series(|d| d.active_grants) />
                            </section>
                        };
                        view! {
                        <section class="stats" aria-label="Headline figures">
                            <Stat label="Client accounts" value=s.accounts />
                            <Stat label="Applications" value=s.applications />
                            <Stat label="People" value=s.humans />
                            <Stat label="Bots, agents and integrations" value=s.non_humans />
                            <Stat label="Pending requests" value=s.pending_requests />
                            <Stat label="Active grants" value=s.active_grants />
                            <Stat label="Time-bound grants" value=s.time_bound_grants hint="with an end date" />
                            <Stat label="Dormant principals" value=s.dormant_principals hint="quiet 90 days, never active, or past end date" />
                            <Stat label="Past their end date" value=s.past_end_date hint="still active" />
                        </section>
                        <h2>"Last 90 days"</h2>
                        {charts}
                    }
                    .into_any()
                    }
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}
