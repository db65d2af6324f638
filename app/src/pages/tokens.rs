//! Application API tokens (`/tokens`): the governed systems report activity with them.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::tokens::{
    load_principal_tokens, load_tokens, CreatePrincipalToken, CreateProvisioningToken, CreateToken,
    RevokePrincipalToken, RevokeToken,
};
use crate::components::{format_time, ErrorNotice, FieldError, FormError, StepUp};
use crate::error::AppError;
use crate::model::principals::PrincipalDetail;
use crate::model::tokens::{CreatedToken, PrincipalTokens, TokenApplication, TokenRow};

#[component]
pub fn TokensPage() -> impl IntoView {
    let create = crate::components::action::<CreateToken>();
    let provision = crate::components::action::<CreateProvisioningToken>();
    let revoke = crate::components::action::<RevokeToken>();
    let overview = Resource::new(|| (), |_| load_tokens());
    let error = Signal::derive(move || create.value().get().and_then(|r| r.err()));
    let revoke_error = Signal::derive(move || revoke.value().get().and_then(|r| r.err()));
    view! {
        <Title text="API tokens" />
        <h1>"API tokens"</h1>
        <p class="muted">"A governed system reports what its principals do to "<code>"POST /api/v1/activity"</code>
            " with a token made here for its application. Gatehouse keeps only a hash of each token: copy it when it is shown."</p>
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match overview.await {
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                    Ok(o) => {
                        view! {
                            <section class="card">
                                <h2>"New token"</h2>
                                <ActionForm action=create attr:class="form">
                                    <TokenFields applications=o.applications error ends=None />
                                </ActionForm>
                                <FormError error />
                                <StepUp action=create />
                                <MadeToken made=Signal::derive(move || create.value().get().and_then(|r| r.ok())) />
                            </section>
                            <ProvisioningTokenForm action=provision />
                            <FormError error=revoke_error />
                            <TokenTable tokens=o.tokens revoke=move |id: uuid::Uuid| view! {
                                <ActionForm action=revoke>
                                    <input type="hidden" name="token" value=id.to_string() />
                                    <button type="submit" class="btn btn-quiet">"Revoke"</button>
                                </ActionForm>
                            }.into_any() />
                        }.into_any()
                    }
                }
            })}
        </Transition>
    }
}

/// Tokens as a table: application, name (and the principal a principal's token speaks
/// for), hint, state, when and by whom made, last use; `revoke` draws the form that
/// revokes a token still in use.
#[component]
pub fn TokenTable(
    tokens: Vec<TokenRow>,
    revoke: impl Fn(uuid::Uuid) -> AnyView + 'static,
) -> impl IntoView {
    let rows = tokens
        .into_iter()
        .map(|t| {
            let state = match (t.revoked_at, t.expires_at) {
                (Some(at), _) => format!("revoked {}", format_time(at)),
                (None, Some(end)) if end <= chrono::Utc::now() => {
                    format!("expired {}", format_time(end))
                }
                (None, Some(end)) => format!("in use, ends {}", format_time(end)),
                (None, None) => "in use".to_string(),
            };
            let form = t.revoked_at.is_none().then(|| revoke(t.id));
            view! {
                <tr>
                    <td>{t.application}</td>
                    <td>{t.name}{t.principal.map(|p| view! { <div class="muted small">"for " {p}</div> })}</td>
                    <td><code>{t.hint}"…"</code></td>
                    <td class="small">{state}</td>
                    <td class="nowrap small">{format_time(t.created_at)}<div class="muted">{t.created_by.unwrap_or_default()}</div></td>
                    <td class="nowrap small">{t.last_used_at.map(format_time).unwrap_or_else(|| "never".into())}</td>
                    <td>{form}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="table-wrap">
            <table class="table tokens">
                <thead><tr><th>"Application"</th><th>"Name"</th><th>"Token"</th><th>"State"</th><th>"Made"</th><th>"Last used"</th><th></th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}

/// The tokens of an AI agent, bot or integration of its own, and the actions on them.
/// Made by the principal's page outside its `Suspense`: a resource made inside one is
/// made again whenever it renders again, and on the server the earlier one can then
/// run without the request it belongs to, its answer (an error) sent to the browser
/// beside markup drawn from the later one.
#[derive(Clone, Copy)]
pub struct OwnTokens {
    /// None for a person: people have no tokens of their own.
    tokens: Resource<Result<Option<PrincipalTokens>, AppError>>,
    create: ServerAction<CreatePrincipalToken>,
    revoke: ServerAction<RevokePrincipalToken>,
}

impl OwnTokens {
    /// The tokens of `principal`, read once its `detail` has loaded (a person's are
    /// not read at all).
    pub fn new(
        principal: Memo<Option<uuid::Uuid>>,
        detail: Resource<Result<PrincipalDetail, AppError>>,
    ) -> Self {
        let create = crate::components::action::<CreatePrincipalToken>();
        let revoke = crate::components::action::<RevokePrincipalToken>();
        let tokens = Resource::new(
            move || principal.get(),
            move |principal| async move {
                let Some(id) = principal else {
                    return Ok(None);
                };
                match detail.await {
                    Ok(d) if d.principal.id == id && d.principal.kind == "human" => Ok(None),
                    // Another principal's detail is one not read again yet.
                    _ => load_principal_tokens(id).await.map(Some),
                }
            },
        );
        OwnTokens {
            tokens,
            create,
            revoke,
        }
    }
}

/// A principal's own tokens on its page: each speaks for it alone, in one application,
/// until an end date within the organisation's cap.
#[component]
pub fn PrincipalTokenSection(
    principal: uuid::Uuid,
    own: OwnTokens,
    can_manage: bool,
) -> impl IntoView {
    let OwnTokens {
        tokens,
        create,
        revoke,
    } = own;
    let error = Signal::derive(move || create.value().get().and_then(|r| r.err()));
    let revoke_error = Signal::derive(move || revoke.value().get().and_then(|r| r.err()));
    view! {
        <h2>"Tokens of its own"</h2>
        <p class="muted">"With one of these, its system asks "<code>"POST /api/v1/decisions"</code>
            " about this principal only (and for the person it acts for), and asks for access with "
            <code>"POST /api/v1/requests"</code>". It stops at once when the principal is suspended or ends."</p>
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match tokens.await {
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                    Ok(None) => ().into_any(),
                    Ok(Some(t)) => {
                        let principal = principal.to_string();
                        let form_principal = principal.clone();
                        view! {
                            <FormError error=revoke_error />
                            <TokenTable tokens=t.tokens revoke=move |id: uuid::Uuid| {
                                let principal = principal.clone();
                                if can_manage {
                                    view! {
                                        <ActionForm action=revoke>
                                            <input type="hidden" name="principal" value=principal />
                                            <input type="hidden" name="token" value=id.to_string() />
                                            <button type="submit" class="btn btn-quiet">"Revoke"</button>
                                        </ActionForm>
                                    }.into_any()
                                } else {
                                    ().into_any()
                                }
                            } />
                            {can_manage.then(|| view! {
                                <section class="card">
                                    <h3>"New token"</h3>
                                    <ActionForm action=create attr:class="form">
                                        <input type="hidden" name="principal" value=form_principal />
                                        <TokenFields applications=t.applications error ends=Some(t.max_days) />
                                    </ActionForm>
                                    <FormError error />
                                    <StepUp action=create />
                                    <MadeToken made=Signal::derive(move || create.value().get().and_then(|r| r.ok())) />
                                </section>
                            })}
                        }.into_any()
                    }
                }
            })}
        </Transition>
    }
}

/// A new token's fields: its application, name and end (required within `ends` days for
/// a principal's token, optional otherwise), and the button.
#[component]
fn TokenFields(
    applications: Vec<TokenApplication>,
    error: Signal<Option<AppError>>,
    ends: Option<i32>,
) -> impl IntoView {
    let applications = applications
        .into_iter()
        .map(|a| view! { <option value=a.id.to_string()>{a.name}</option> })
        .collect_view();
    let until = match ends {
        Some(days) => format!("Ends on (within {days} days)"),
        None => "Ends on (optional)".to_string(),
    };
    view! {
        <div class="field">
            <label for="tk-app">"Application"</label>
            <select id="tk-app" name="application" required>{applications}</select>
            <FieldError error field="application" />
        </div>
        <div class="field">
            <label for="tk-name">"Name"</label>
            <input id="tk-name" name="name" required maxlength="100" placeholder="CRM activity export" />
            <FieldError error field="name" />
        </div>
        <div class="field">
            <label for="tk-until">{until}</label>
            <input id="tk-until" name="until" type="date" required=ends.is_some() />
            <FieldError error field="until" />
        </div>
        <button type="submit" class="btn btn-primary">"Make token"</button>
    }
}

/// A provisioning token for the organisation's identity provider, which then creates,
/// changes and removes people at `/scim/v2`.
#[component]
fn ProvisioningTokenForm(action: ServerAction<CreateProvisioningToken>) -> impl IntoView {
    let error = Signal::derive(move || action.value().get().and_then(|r| r.err()));
    view! {
        <section class="card">
            <h2>"New provisioning token (SCIM)"</h2>
            <p class="muted small">"Your identity provider creates, updates and removes people with it at "
                <code>"/scim/v2"</code>" (SCIM 2.0). It must end within a year."</p>
            <ActionForm action attr:class="form">
                <div class="field">
                    <label for="pv-name">"Identity provider"</label>
                    <input id="pv-name" name="name" required maxlength="100" placeholder="e.g. Entra ID" />
                    <FieldError error field="name" />
                </div>
                <div class="field">
                    <label for="pv-until">"Provisioning token ends on"</label>
                    <input id="pv-until" name="until" type="date" required />
                    <FieldError error field="until" />
                </div>
                <button type="submit" class="btn btn-primary">"Make provisioning token"</button>
            </ActionForm>
            <FormError error />
            <StepUp action />
            <MadeToken made=Signal::derive(move || action.value().get().and_then(|r| r.ok())) />
        </section>
    }
}

/// The token just made, shown this once.
#[component]
fn MadeToken(made: Signal<Option<CreatedToken>>) -> impl IntoView {
    move || {
        made.get().map(|made| {
            view! {
                <div class="notice notice-ok" role="status">
                    <strong>"Token made. Copy it now: it is shown only this once."</strong>
                    <p><code class="secret">{made.token}</code></p>
                </div>
            }
        })
    }
}
