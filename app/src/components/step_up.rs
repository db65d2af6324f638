//! Asking again for a second factor before a risky action, in place: the action's form
//! stays as it was, a code field (or a passkey) appears beside it, and once it is
//! accepted the action is sent again with what was submitted.

use leptos::either::Either;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;

use super::passkeys::ask_passkey;
use super::FieldError;
use crate::api::security::{prove_with_passkey, ProveSecondFactor};
use crate::error::AppError;

/// How many times `action` has finished with an answer that `counts`.
fn counted<I, O>(
    action: Action<I, Result<O, AppError>>,
    counts: fn(&Result<O, AppError>) -> bool,
) -> Memo<usize>
where
    I: Send + Sync + 'static,
    O: Send + Sync + 'static,
{
    Memo::new(move |before: Option<&usize>| {
        if action.value().with(|v| v.as_ref().is_some_and(counts)) {
            action.version().get()
        } else {
            before.copied().unwrap_or(0)
        }
    })
}

/// The one field of a form that takes a code from an authenticator app (or a recovery
/// code).
#[component]
pub fn CodeField(
    #[prop(into)] error: Signal<Option<AppError>>,
    id: &'static str,
    label: &'static str,
) -> impl IntoView {
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <input id=id name="code" autocomplete="one-time-code" autocapitalize="none" spellcheck="false" required />
            <FieldError error field="code" />
        </div>
    }
}

/// Shown when `action` was refused for want of a recent second factor: a code field,
/// or a passkey, that proves it. In an island (`live`), the action is then sent again
/// with its last input; on a page drawn by the server, the code's form posts and the
/// page says to send the action again ([`StepUpAnswered`]), as does the passkey.
#[component]
pub fn StepUp<I, O>(
    #[prop(into)] action: Action<I, Result<O, AppError>>,
    /// Whether `action` is dispatched by an island's script.
    #[prop(optional)]
    live: bool,
) -> impl IntoView
where
    I: Clone + Send + Sync + 'static,
    O: Send + Sync + 'static,
{
    let prove = crate::components::action::<ProveSecondFactor>();
    let passkey = passkey_proof();
    let last = StoredValue::new(None::<I>);
    Effect::new(move |_| {
        if let Some(input) = action.input().get() {
            last.set_value(Some(input));
        }
    });
    let proved = (
        counted(prove.into(), Result::is_ok),
        counted(passkey, Result::is_ok),
    );
    Effect::watch(
        move || (proved.0.get(), proved.1.get()),
        move |_, _, _| {
            if let Some(input) = last.get_value() {
                action.dispatch(input);
            }
        },
        false,
    );
    let error = Signal::derive(move || {
        let by_code = prove.value().get().and_then(|r| r.err());
        by_code.or_else(|| passkey.value().get().and_then(|r| r.err()))
    });
    let asked = move || {
        action
            .value()
            .with(|v| matches!(v, Some(Err(AppError::StepUpRequired))))
    };
    let send = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        prove.dispatch(ProveSecondFactor {
            code: super::submitted(&ev, "code"),
        });
    };
    move || {
        asked().then(|| {
            let by_passkey = if live {
                Either::Left(view! {
                    <button type="button" class="btn" on:click=move |_| { passkey.dispatch(()); }>"Use a passkey instead"</button>
                })
            } else {
                Either::Right(view! { <ProveWithPasskey /> })
            };
            view! {
                <div class="notice notice-warn step-up" role="group" aria-labelledby="step-up-title">
                    <p><strong id="step-up-title">"Confirm it is you"</strong>
                        " " {AppError::StepUpRequired.to_string()} " Once it is accepted, what you asked for goes ahead."</p>
                    <form action=ProveSecondFactor::url() method="post" class="form form-inline" on:submit=send>
                        <CodeField error id="step-up-code" label="Code from your app" />
                        <button type="submit" class="btn btn-primary">"Confirm and carry on"</button>
                    </form>
                    {by_passkey}
                    <super::FormError error />
                </div>
            }
        })
    }
}

/// Asks the browser for a passkey and proves the second factor with it.
fn passkey_proof() -> Action<(), Result<(), AppError>> {
    Action::new_local(|_: &()| async {
        let credential = ask_passkey().await?;
        prove_with_passkey(credential).await
    })
}

/// A passkey in place of the code, on a page drawn by the server: once it is accepted,
/// the page says to send what was asked for again.
#[island]
fn ProveWithPasskey() -> impl IntoView {
    let passkey = passkey_proof();
    view! {
        <button type="button" class="btn" on:click=move |_| { passkey.dispatch(()); }>"Use a passkey instead"</button>
        {move || passkey.value().get().map(|answer| match answer {
            Ok(()) => Either::Left(view! { <Confirmed /> }),
            Err(error) => Either::Right(view! { <p class="form-error" role="alert">{error.to_string()}</p> }),
        })}
    }
}

/// A second factor was given: what was refused for want of one may be sent again.
#[component]
fn Confirmed() -> impl IntoView {
    view! {
        <p class="notice notice-ok" role="status">
            "Confirmed. Send what you asked for again: for the next 15 minutes it goes ahead without a code."
        </p>
    }
}

/// The answer to a code given in [`StepUp`]'s form when it was posted without the page's
/// script, which would have sent the refused action again by itself: said once, on the
/// page the form came back to.
#[component]
pub fn StepUpAnswered() -> impl IntoView {
    let prove = super::action::<ProveSecondFactor>();
    move || {
        prove.value().get().map(|answer| match answer {
            Ok(()) => view! { <Confirmed /> }.into_any(),
            Err(error) => {
                view! { <p class="form-error" role="alert">{error.to_string()}</p> }.into_any()
            }
        })
    }
}
