//! The signed-in user's own sign-in security (`/security`): an authenticator app as a
//! second factor, and recovery codes for when the phone is lost.

use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;

use crate::api::security::{
    add_passkey, passkey_challenge, security_state, ConfirmAuthenticator, RemoveAuthenticator,
    RemovePasskey, RemoveSignOn, RenewRecoveryCodes, SetSecondFactorPolicy, SetSignOn,
    StartAuthenticator,
};
use crate::components::{
    format_time, make_passkey, CodeField, ErrorNotice, FieldError, FormError, StepUp,
};
use crate::error::AppError;
use crate::model::second_factor::{Enrolment, PasskeyRow, SecondFactorPolicy};
use crate::model::sign_on::SignOnSettings;

#[component]
pub fn SecurityPage() -> impl IntoView {
    let remove = crate::components::action::<RemoveAuthenticator>();
    let renew = crate::components::action::<RenewRecoveryCodes>();
    let confirm = crate::components::action::<ConfirmAuthenticator>();
    let remove_passkey = crate::components::action::<RemovePasskey>();
    let policy = crate::components::action::<SetSecondFactorPolicy>();
    let sign_on = SignOnActions {
        save: crate::components::action::<SetSignOn>(),
        remove: crate::components::action::<RemoveSignOn>(),
    };
    let state = Resource::new(|| (), |_| security_state());
    let remove_error = Signal::derive(move || remove.value().get().and_then(|r| r.err()));
    let renew_error = Signal::derive(move || renew.value().get().and_then(|r| r.err()));
    // Codes made by a form posted without the page's script: its page shows them.
    let codes = renew
        .value()
        .get_untracked()
        .and_then(|r| r.ok())
        .or_else(|| confirm.value().get_untracked().and_then(|r| r.ok()));
    view! {
        <Title text="Sign-in security" />
        <h1>"Sign-in security"</h1>
        <p class="muted">"With an authenticator app, signing in takes your password and a six-digit code from your phone: "
            "a stolen password alone no longer opens the console."</p>
        {codes.map(|codes| view! { <RecoveryCodes codes /> })}
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match state.await {
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                    Ok(s) => {
                        let mine = match s.enrolled_at {
                        Some(since) => view! {
                            <section class="card" aria-labelledby="app-on">
                                <h2 id="app-on">"Authenticator app: on"</h2>
                                <p>"Since " {format_time(since)} ". "
                                    <strong data-testid="codes-left">{s.recovery_codes_left}</strong>
                                    " recovery codes left."
                                    {(s.recovery_codes_left <= 2).then_some(" Running low: make new ones before the last is gone.")}</p>
                                <ActionForm action=renew attr:class="form form-inline">
                                    <CodeField error=renew_error id="renew-code" label="Code, to make new recovery codes" />
                                    <button type="submit" class="btn">"Make new recovery codes"</button>
                                </ActionForm>
                                <FormError error=renew_error />
                                <ActionForm action=remove attr:class="form form-inline">
                                    <CodeField error=remove_error id="remove-code" label="Code, to remove the app" />
                                    <button type="submit" class="btn">"Remove the authenticator app"</button>
                                </ActionForm>
                                <FormError error=remove_error />
                                <p class="muted small">"Removing it, or making new recovery codes, takes a code from the app or a recovery code."</p>
                            </section>
                        }.into_any(),
                        None => view! { <AuthenticatorSetup /> }.into_any(),
                        };
                        let provider = s.sign_on.clone().map(|settings| view! { <SignOnCard settings actions=sign_on /> });
                        view! {
                            {mine}
                            <PasskeysCard passkeys=s.passkeys.clone() offered=s.passkeys_offered remove=remove_passkey />
                            <PolicyCard policy=s.policy.clone() action=policy />
                            {provider}
                        }.into_any()
                    }
                }
            })}
        </Transition>
    }
}

/// Setting up an authenticator app: its QR code, then a code read back; once it is on,
/// the recovery codes, shown this once.
#[island]
fn AuthenticatorSetup() -> impl IntoView {
    let start = crate::components::action::<StartAuthenticator>();
    let confirm = crate::components::action::<ConfirmAuthenticator>();
    let start_error = Signal::derive(move || start.value().get().and_then(|r| r.err()));
    let confirm_error = Signal::derive(move || confirm.value().get().and_then(|r| r.err()));
    // Each part is drawn again only when it changes: a refused code leaves the form as
    // it was typed.
    let enrolment = Memo::new(move |_| start.value().get().and_then(|r| r.ok()));
    let codes = Memo::new(move |_| confirm.value().get().and_then(|r| r.ok()));
    view! {
        {move || codes.get().map(|codes| {
            let left = codes.len();
            view! {
                <RecoveryCodes codes />
                <section class="card" aria-labelledby="app-on">
                    <h2 id="app-on">"Authenticator app: on"</h2>
                    <p><strong data-testid="codes-left">{left}</strong> " recovery codes left. "
                        <a href="/security">"Make new ones or remove the app"</a></p>
                </section>
            }
        })}
        <section class="card" aria-labelledby="app-off" class:hidden=move || codes.with(Option::is_some)>
            <h2 id="app-off">"Authenticator app: off"</h2>
            <p>"Any app that makes time-based codes works (for example Google Authenticator, Microsoft Authenticator, 1Password or Bitwarden)."</p>
            <form action=StartAuthenticator::url() method="post"
                on:submit=move |ev: leptos::ev::SubmitEvent| { ev.prevent_default(); start.dispatch(StartAuthenticator {}); }>
                <button type="submit" class="btn btn-primary">"Set up an authenticator app"</button>
            </form>
            <FormError error=start_error />
            {move || enrolment.get().map(|enrolment| view! {
                <NewAuthenticator enrolment confirm error=confirm_error />
            })}
        </section>
    }
}

/// The user's passkeys: each signs in without a password, or stands in for a code.
#[component]
fn PasskeysCard(
    passkeys: Vec<PasskeyRow>,
    offered: bool,
    remove: ServerAction<RemovePasskey>,
) -> impl IntoView {
    let remove_error = Signal::derive(move || remove.value().get().and_then(|r| r.err()));
    let rows = passkeys
        .into_iter()
        .map(|p| {
            let used = p.last_used_at.map_or("never used".to_string(), |t| format!("last used {}", format_time(t)));
            view! {
                <li>
                    <strong>{p.name}</strong>
                    <span class="muted small">" added " {format_time(p.created_at)} ", " {used}</span>
                    <ActionForm action=remove attr:class="form-inline">
                        <input type="hidden" name="passkey" value=p.id.to_string() />
                        <button type="submit" class="btn btn-quiet">"Remove"</button>
                    </ActionForm>
                </li>
            }
        })
        .collect_view();
    view! {
        <section class="card" aria-labelledby="passkeys">
            <h2 id="passkeys">"Passkeys"</h2>
            <p>"A passkey signs you in with this device's fingerprint, face or PIN, no password needed; "
                "after a password it stands in for the code."</p>
            <ul class="passkeys" data-testid="passkeys">{rows}</ul>
            <FormError error=remove_error />
            <StepUp action=remove />
            {if offered {
                view! { <AddPasskey /> }.into_any()
            } else {
                view! { <p class="muted small">"Passkeys work when the console is opened by its host name (for example localhost), not by an IP address."</p> }.into_any()
            }}
        </section>
    }
}

/// A new passkey, made by this device's browser (only a script can ask it); once it is
/// stored, the page is read again to list it.
#[island]
fn AddPasskey() -> impl IntoView {
    let add = Action::new_local(|name: &String| {
        let name = name.clone();
        async move {
            let options = passkey_challenge(name).await?;
            add_passkey(make_passkey(options).await?).await
        }
    });
    // Effects run only in the browser.
    Effect::new(move |_| {
        if let Some(Ok(())) = add.value().get() {
            let _ = window().location().reload();
        }
    });
    let error = Signal::derive(move || add.value().get().and_then(|r| r.err()));
    let pending = add.pending();
    let name = RwSignal::new(String::new());
    let send = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        add.dispatch(name.get_untracked());
    };
    view! {
        <form class="form form-inline" on:submit=send>
            <div class="field">
                <label for="passkey-name">"Name of the new passkey"</label>
                <input id="passkey-name" name="name" required maxlength="60" placeholder="Work laptop"
                    bind:value=name />
                <FieldError error field="name" />
            </div>
            <button type="submit" class="btn btn-primary" disabled=pending>"Add a passkey"</button>
        </form>
        <FormError error />
        <StepUp action=add live=true />
    }
}

/// The organisation's policy: which console roles must sign in with a second factor,
/// and how long their holders have to set one up. Changed by those who manage
/// principals across the organisation.
#[component]
fn PolicyCard(
    policy: SecondFactorPolicy,
    action: ServerAction<SetSecondFactorPolicy>,
) -> impl IntoView {
    let error = Signal::derive(move || action.value().get().and_then(|r| r.err()));
    let required = if policy.roles.is_empty() {
        "No console role needs a second factor.".to_string()
    } else {
        format!("Needed for: {}.", policy.roles.join(", "))
    };
    let form = policy.may_change.then(|| {
        let boxes = policy
            .all_roles
            .iter()
            .enumerate()
            .map(|(i, role)| {
                let id = format!("role-{i}");
                let label_for = id.clone();
                view! {
                    <label class="check" for=label_for>
                        <input type="checkbox" id=id name=format!("roles[{i}]") value=role.clone()
                            checked=policy.roles.contains(role) />
                        {role.clone()}
                    </label>
                }
            })
            .collect_view();
        view! {
            <ActionForm action attr:class="form">
                <fieldset>
                    <legend>"Console roles that need a second factor"</legend>
                    {boxes}
                </fieldset>
                <FieldError error field="roles" />
                <div class="field">
                    <label for="grace-days">"Days to set one up (from now)"</label>
                    <input id="grace-days" name="grace_days" type="number" min="0" max="90" required value=policy.grace_days.to_string() />
                    <FieldError error field="grace_days" />
                </div>
                <button type="submit" class="btn">"Save the policy"</button>
            </ActionForm>
            <FormError error />
            <StepUp action />
        }
    });
    view! {
        <section class="card" aria-labelledby="policy">
            <h2 id="policy">"Your organisation's policy"</h2>
            <p>{required} " Holders without one have until " {format_time(policy.grace_until)}
                " to set one up; after that they can only do that, and sign out."</p>
            {form}
        </section>
    }
}

/// What changes the organisation's single sign-on.
#[derive(Clone, Copy)]
struct SignOnActions {
    save: ServerAction<SetSignOn>,
    remove: ServerAction<RemoveSignOn>,
}

/// The organisation's single sign-on: its OpenID provider, and whether passwords still
/// sign in. Shown to those who may change it.
#[component]
fn SignOnCard(settings: SignOnSettings, actions: SignOnActions) -> impl IntoView {
    let action = actions.save;
    let error = Signal::derive(move || action.value().get().and_then(|r| r.err()));
    let saved = Signal::derive(move || action.value().get().is_some_and(|r| r.is_ok()));
    let remove_error = Signal::derive(move || actions.remove.value().get().and_then(|r| r.err()));
    let provider = settings.provider.clone();
    let value = move |f: fn(&crate::model::sign_on::ProviderSettings) -> String| {
        provider.as_ref().map(f).unwrap_or_default()
    };
    let summary = match &settings.provider {
        Some(p) => format!(
            "People of {} sign in with {} ({}).",
            p.allowed_domains.join(", "),
            p.name,
            p.issuer
        ),
        None => "Not set up: everyone signs in with a password.".to_string(),
    };
    let passwords = if settings.password_sign_in {
        "Passwords and passkeys also sign in.".to_string()
    } else {
        format!(
            "Passwords are off: only {} signs in without the provider.",
            settings.break_glass.clone().unwrap_or_default()
        )
    };
    let configured = settings.provider.is_some();
    view! {
        <section class="card" aria-labelledby="sign-on">
            <h2 id="sign-on">"Single sign-on"</h2>
            <p data-testid="sign-on-summary">{summary} " " {passwords}</p>
            <p class="small">"Register Gatehouse with the provider as a web application using the authorization code flow, with this redirect URI: "
                <code data-testid="redirect-uri">{settings.redirect_uri.clone()}</code></p>
            <ActionForm action attr:class="form">
                <div class="field">
                    <label for="sso-name">"Provider's name, on the sign-in button"</label>
                    <input id="sso-name" name="settings[name]" required maxlength="60" placeholder="Acme Okta" value=value(|p| p.name.clone()) />
                    <FieldError error field="name" />
                </div>
                <div class="field">
                    <label for="sso-issuer">"Issuer"</label>
                    <input id="sso-issuer" name="settings[issuer]" type="url" required placeholder="https://login.example.com" value=value(|p| p.issuer.clone()) />
                    <FieldError error field="issuer" />
                </div>
                <div class="field">
                    <label for="sso-client-id">"Client id"</label>
                    <input id="sso-client-id" name="settings[client_id]" required value=value(|p| p.client_id.clone()) />
                    <FieldError error field="client_id" />
                </div>
                <div class="field">
                    <label for="sso-client-secret">{if configured { "Client secret (leave empty to keep the one stored)" } else { "Client secret" }}</label>
                    <input id="sso-client-secret" name="settings[client_secret]" type="password" autocomplete="off" required=!configured />
                    <FieldError error field="client_secret" />
                </div>
                <div class="field">
                    <label for="sso-domains">"Email domains it signs in (separated by commas)"</label>
                    <input id="sso-domains" name="settings[allowed_domains]" required placeholder="example.com" value=value(|p| p.allowed_domains.join(", ")) />
                    <FieldError error field="allowed_domains" />
                </div>
                <label class="check" for="sso-create">
                    <input type="checkbox" id="sso-create" name="settings[create_unknown]" value="on"
                        checked=settings.provider.as_ref().is_some_and(|p| p.create_unknown) />
                    "Create a console user (with no console role) for someone the provider signs in who has no account yet"
                </label>
                <label class="check" for="sso-passwords">
                    <input type="checkbox" id="sso-passwords" name="settings[password_sign_in]" value="on" checked=settings.password_sign_in />
                    "Passwords and passkeys also sign in"
                </label>
                <div class="field">
                    <label for="sso-break-glass">"Break-glass admin: keeps a password when the others may not (email)"</label>
                    <input id="sso-break-glass" name="settings[break_glass]" type="email" value=settings.break_glass.clone().unwrap_or_default() />
                    <FieldError error field="break_glass" />
                </div>
                <button type="submit" class="btn btn-primary">"Save single sign-on"</button>
            </ActionForm>
            <FormError error />
            <StepUp action />
            {move || saved.get().then(|| view! { <p class="notice notice-ok" role="status">"Single sign-on saved."</p> })}
            {configured.then(|| view! {
                <ActionForm action=actions.remove attr:class="form-inline">
                    <button type="submit" class="btn btn-danger">"Remove single sign-on"</button>
                </ActionForm>
                <FormError error=remove_error />
                <StepUp action=actions.remove />
            })}
        </section>
    }
}

/// The QR code and secret of a new authenticator, and the form that reads a code back.
#[component]
fn NewAuthenticator(
    enrolment: Enrolment,
    confirm: ServerAction<ConfirmAuthenticator>,
    error: Signal<Option<AppError>>,
) -> impl IntoView {
    let send = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        confirm.dispatch(ConfirmAuthenticator {
            code: crate::components::submitted(&ev, "code"),
        });
    };
    view! {
        <ol class="enrol-steps">
            <li>"Scan this code with the app:"
                <div class="qr" role="img" aria-label="QR code of the authenticator link" inner_html=enrolment.qr_svg></div>
            </li>
            <li>"Or add it by hand with this key: "
                <code class="secret" data-testid="totp-secret">{enrolment.secret}</code>
                <details><summary class="small">"The whole link"</summary><code class="small">{enrolment.uri}</code></details>
            </li>
            <li>
                <form action=ConfirmAuthenticator::url() method="post" class="form form-inline" on:submit=send>
                    <CodeField error id="confirm-code" label="The six digits the app shows now" />
                    <button type="submit" class="btn btn-primary">"Turn it on"</button>
                </form>
                <FormError error />
            </li>
        </ol>
    }
}

/// Recovery codes just made: shown this once.
#[component]
fn RecoveryCodes(codes: Vec<String>) -> impl IntoView {
    let items = codes
        .into_iter()
        .map(|c| view! { <li><code>{c}</code></li> })
        .collect_view();
    view! {
        <div class="notice notice-ok" role="status">
            <strong>"Your recovery codes. Keep them somewhere safe: they are shown only this once."</strong>
            <p class="small">"Each one signs you in once in place of a code from the app."</p>
            <ul class="recovery-codes" data-testid="recovery-codes">{items}</ul>
        </div>
    }
}
