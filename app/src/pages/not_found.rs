use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Not found" />
        <main class="login">
            <div class="login-card">
                <h1>"Nothing here"</h1>
                <p class="muted">"This page does not exist. It may have moved."</p>
                <p><a href="/">"Go to the console"</a></p>
            </div>
        </main>
    }
}
