use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::components::{FieldError, FormError};
use crate::UserSession;

#[component]
pub fn LoginPage() -> impl IntoView {
    let session = expect_context::<UserSession>();
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();
    let error = Signal::derive(move || session.login.value().get().and_then(|r| r.err()));
    let pending = session.login.pending();
    view! {
        <Title text="Sign in" />
        <main class="login">
            <div class="login-card">
                <p class="brand">
                    <span class="brand-mark">"◆"</span>
                    "Gatehouse"
                </p>
                <h1>"Sign in"</h1>
                <p class="muted">"Decide, grant, review and prove who may do what."</p>
                <ActionForm action=session.login attr:class="form">
                    <input type="hidden" name="next" value=next />
                    <div class="field">
                        <label for="email">"Email"</label>
                        <input id="email" type="email" name="email" autocomplete="username" required />
                        <FieldError error field="email" />
                    </div>
                    <div class="field">
                        <label for="password">"Password"</label>
                        <input id="password" type="password" name="password" autocomplete="current-password" required />
                        <FieldError error field="password" />
                    </div>
                    <FormError error />
                    <button type="submit" class="btn btn-primary" disabled=pending>
                        {move || if pending.get() { "Signing in…" } else { "Sign in" }}
                    </button>
                </ActionForm>
            </div>
        </main>
    }
}
