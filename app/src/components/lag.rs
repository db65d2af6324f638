use leptos::prelude::*;

use crate::api::dashboard::standby_lag;

/// On the pages that read from a standby: says how far behind their figures may be,
/// when it is more than a few seconds.
#[component]
pub fn LagNotice() -> impl IntoView {
    let lag = Resource::new(|| (), |_| standby_lag());
    view! {
        <Suspense fallback=|| ()>
            {move || {
                lag.get().and_then(Result::ok).flatten().map(|seconds| {
                    view! {
                        <p class="notice notice-warn" role="status">
                            {format!(
                                "These figures are read from a copy of the database that is {seconds} s behind: a change made in the last {seconds} s may not show yet.",
                            )}
                        </p>
                    }
                })
            }}
        </Suspense>
    }
}
