use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::auth::{passkey_sign_in, sign_in_options};
use crate::components::{FieldError, FormError};
use crate::error::AppError;
use crate::UserSession;

#[component]
pub fn LoginPage() -> impl IntoView {
    let session = expect_context::<UserSession>();
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();
    let error = refusal(session.login);
    let pending = session.login.pending();
    view! {
        <Title text="Sign in" />
        <LoginCard>
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
                <PasskeySignIn label="Use a passkey".to_string() next=next() />
                <ProviderSignIn />
        </LoginCard>
    }
}

/// "Sign in with …" for each organisation's provider, and why the last sign-in through
/// one did not go through. Rendered with the page, so that it works without scripts.
#[component]
fn ProviderSignIn() -> impl IntoView {
    let query = use_query_map();
    let options = Resource::new_blocking(|| (), |_| sign_in_options());
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let options = options.await.unwrap_or_default();
                let next = query.read_untracked().get("next").unwrap_or_default();
                let links = options
                    .providers
                    .into_iter()
                    .map(|p| {
                        let href = format!(
                            "/auth/sso/start?{}",
                            serde_urlencoded::to_string([("provider", p.id.to_string()), ("next", next.clone())])
                                .unwrap_or_default()
                        );
                        view! { <a class="btn" rel="external" href=href>"Sign in with " {p.name}</a> }
                    })
                    .collect_view();
                view! {
                    {options.notice.map(|n| view! { <div class="notice notice-error" role="alert">{n}</div> })}
                    <div class="provider-sign-in">{links}</div>
                }
            })}
        </Suspense>
    }
}

/// The second step of a sign-in with a second factor: the code from the authenticator
/// app, or a recovery code.
#[component]
pub fn SignInCodePage() -> impl IntoView {
    let code = expect_context::<UserSession>().code;
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();
    let error = refusal(code);
    let pending = code.pending();
    view! {
        <Title text="Sign-in code" />
        <LoginCard>
                <h1>"Enter your code"</h1>
                <p class="muted">"Open your authenticator app and type the six digits it shows for Gatehouse. "
                    "Without your phone, type one of your recovery codes instead."</p>
                <ActionForm action=code attr:class="form">
                    <input type="hidden" name="next" value=next />
                    <div class="field">
                        <label for="code">"Code"</label>
                        <input id="code" name="code" autocomplete="one-time-code" autocapitalize="none"
                            spellcheck="false" required autofocus aria-describedby="code-error" />
                        <FieldError error field="code" />
                    </div>
                    <FormError error />
                    <button type="submit" class="btn btn-primary" disabled=pending>
                        {move || if pending.get() { "Checking…" } else { "Sign in" }}
                    </button>
                </ActionForm>
                <PasskeySignIn label="Use a passkey instead".to_string() next=next() />
                <p class="muted small"><a href="/login">"Start again with your password"</a></p>
        </LoginCard>
    }
}

/// Signs in with a passkey of this device (without a password, or in place of the
/// code), then goes where the sign-in was going (the server's answer sends it there).
#[island]
fn PasskeySignIn(
    label: String,
    /// Where the sign-in goes (the page's `next`).
    next: String,
) -> impl IntoView {
    let passkey = Action::new_local(|next: &String| {
        let next = next.clone();
        async move {
            let credential = crate::components::ask_passkey().await?;
            passkey_sign_in(credential, Some(next)).await
        }
    });
    let error = Signal::derive(move || passkey.value().get().and_then(|r| r.err()));
    let pending = passkey.pending();
    let go = move |_| {
        passkey.dispatch(next.clone());
    };
    view! {
        <div class="passkey-sign-in">
            <button type="button" class="btn" on:click=go disabled=pending>
                {move || if pending.get() { "Waiting for the passkey…".to_string() } else { label.clone() }}
            </button>
            <FormError error />
        </div>
    }
}

/// What refused the last attempt at a sign-in step: the action's answer, whether its
/// form was sent by the page's script or posted without it (see `components::answer`).
fn refusal<S>(action: ServerAction<S>) -> Signal<Option<AppError>>
where
    S: leptos::server_fn::ServerFn<Output = (), Error = AppError> + Clone + Send + Sync + 'static,
{
    Signal::derive(move || action.value().get().and_then(Result::err))
}

/// The card the sign-in steps are shown on.
#[component]
fn LoginCard(children: Children) -> impl IntoView {
    view! {
        <main class="login">
            <div class="login-card">
                <p class="brand">
                    <span class="brand-mark">"◆"</span>
                    "Gatehouse"
                </p>
                {children()}
            </div>
        </main>
    }
}
