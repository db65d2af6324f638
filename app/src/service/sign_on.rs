//! Single sign-on with an organisation's own OpenID provider: the authorization code
//! flow with PKCE, `state` and `nonce`, and an ID token checked for its issuer,
//! audience, expiry and signature by the provider's published keys (read again once
//! when a token names a key not seen before: the provider has rotated its keys). Who the
//! token names is decided in [`crate::service::sign_in::finish_with_provider`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata};
use openidconnect::{
    AuthorizationCode, ClaimsVerificationError, ClientId, ClientSecret, CsrfToken,
    EndpointMaybeSet, EndpointNotSet, EndpointSet, HttpRequest, HttpResponse, IssuerUrl, Nonce,
    PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, SignatureVerificationError,
    TokenResponse,
};
use rules::audit::AuditAction;
use rules::sign_on as sign_on_rules;
use rules::webhooks::Destinations;
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use uuid::Uuid;

use crate::caller::{Caller, RequestOrigin};
use crate::db;
use crate::db::audit::Change;
use crate::db::sign_on::{LocalSignIn, Provider};
use crate::error::AppError;
use crate::model::sign_on::{
    ProviderChoice, ProviderSettings, SignInOptions, SignOnForm, SignOnSettings,
};
use crate::service::outbound::{self, check_destination};
use crate::service::secrets::SecretKeys;
use crate::service::sign_in::{self, Outcome};

/// Where a sign-in started here waits in the server-side session for the provider's
/// answer (used once).
pub const PENDING_KEY: &str = "sign_on_pending";
/// Why the last sign-in through a provider failed, shown once on the sign-in page.
pub const NOTICE_KEY: &str = "sign_on_notice";
/// Where providers send people back.
pub const CALLBACK_PATH: &str = "/auth/sso/callback";
/// How long a person may take at the provider.
const WITHIN: chrono::Duration = chrono::Duration::minutes(10);
const TIMEOUT: Duration = Duration::from_secs(10);
/// Most bytes read from a provider's answer (discovery, keys, tokens are far smaller).
const MOST_BYTES: usize = 512 * 1024;
/// The operation that changes the settings.
pub const SETTINGS_PATH: &str = "/api/settings/sign-on";

type Client = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// A sign-in sent to a provider, waiting for its answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Pending {
    pub org_id: Uuid,
    state: String,
    nonce: String,
    verifier: String,
    pub next: String,
    started_at: DateTime<Utc>,
}

/// What this instance knows of each organisation's provider.
#[derive(Clone)]
pub struct SignOn {
    inner: Arc<Inner>,
}

struct Inner {
    redirect_uri: String,
    http: Fetcher,
    known: Mutex<HashMap<Uuid, (String, CoreProviderMetadata)>>,
}

/// Sends the requests to providers: to admitted addresses only, no redirects, bounded.
struct Fetcher {
    client: reqwest::Client,
    destinations: Destinations,
}

impl Fetcher {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, Outbound> {
        check_destination(&request.uri().to_string(), self.destinations)
            .await
            .map_err(Outbound::Refused)?;
        let request = reqwest::Request::try_from(request)?;
        let mut response = self.client.execute(request).await?;
        let mut answer = http::Response::builder().status(response.status());
        for (name, value) in response.headers() {
            answer = answer.header(name, value);
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await? {
            if body.len() + chunk.len() > MOST_BYTES {
                return Err(Outbound::TooLarge);
            }
            body.extend_from_slice(&chunk);
        }
        answer
            .body(body)
            .map_err(|e| Outbound::Unreadable(e.to_string()))
    }
}

impl<'c> openidconnect::AsyncHttpClient<'c> for Fetcher {
    type Error = Outbound;
    type Future = std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<HttpResponse, Outbound>> + Send + 'c>,
    >;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(self.send(request))
    }
}

/// Why a request to a provider was not answered.
#[derive(Debug, thiserror::Error)]
pub enum Outbound {
    #[error("{0}")]
    Refused(String),
    #[error("{0}")]
    Http(#[from] reqwest::Error),
    #[error("the answer is larger than {MOST_BYTES} bytes")]
    TooLarge,
    #[error("the answer cannot be read: {0}")]
    Unreadable(String),
}

impl SignOn {
    /// Providers send people back to `public_url` (else `http://localhost:{port}`).
    pub fn new(public_url: Option<&str>, port: u16, destinations: Destinations) -> Self {
        let origin = public_url
            .map(|u| u.trim_end_matches('/').to_string())
            .unwrap_or_else(|| format!("http://localhost:{port}"));
        SignOn {
            inner: Arc::new(Inner {
                redirect_uri: format!("{origin}{CALLBACK_PATH}"),
                http: Fetcher {
                    client: outbound::client(
                        destinations,
                        TIMEOUT,
                        concat!("Gatehouse/", env!("CARGO_PKG_VERSION")),
                    ),
                    destinations,
                },
                known: Mutex::new(HashMap::new()),
            }),
        }
    }

    pub fn redirect_uri(&self) -> &str {
        &self.inner.redirect_uri
    }

    /// The provider's discovery document and keys: as last read, or read now.
    async fn metadata(
        &self,
        org_id: Uuid,
        issuer: &str,
        fresh: bool,
    ) -> Result<CoreProviderMetadata, String> {
        if !fresh {
            let known = self.inner.known.lock().unwrap_or_else(|e| e.into_inner());
            if let Some((at, metadata)) = known.get(&org_id) {
                if at == issuer {
                    return Ok(metadata.clone());
                }
            }
        }
        let url = IssuerUrl::new(issuer.to_string()).map_err(|e| e.to_string())?;
        let metadata = CoreProviderMetadata::discover_async(url, &self.inner.http)
            .await
            .map_err(|e| describe(&e).chars().take(300).collect::<String>())?;
        self.inner
            .known
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(org_id, (issuer.to_string(), metadata.clone()));
        Ok(metadata)
    }

    fn client(
        &self,
        metadata: CoreProviderMetadata,
        provider: &Provider,
        keys: &SecretKeys,
    ) -> Result<Client, AppError> {
        Ok(CoreClient::from_provider_metadata(
            metadata,
            ClientId::new(provider.client_id.clone()),
            Some(ClientSecret::new(keys.open(&provider.client_secret)?)),
        )
        .set_redirect_uri(
            RedirectUrl::new(self.redirect_uri().to_string()).map_err(AppError::internal)?,
        ))
    }

    /// Where to send the person to sign in at the organisation's provider, and what to
    /// keep until they come back.
    pub async fn start(
        &self,
        pool: &PgPool,
        keys: &SecretKeys,
        org_id: Uuid,
        next: String,
    ) -> Result<(String, Pending), AppError> {
        let provider = db::sign_on::provider(pool, org_id)
            .await?
            .ok_or_else(|| refused("That organisation does not sign in through a provider."))?;
        let metadata = self
            .metadata(org_id, &provider.issuer, false)
            .await
            .map_err(|why| unreachable(&provider, &why))?;
        let client = self.client(metadata, &provider, keys)?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state, nonce) = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .add_scope(Scope::new("email".into()))
            .add_scope(Scope::new("profile".into()))
            .set_pkce_challenge(challenge)
            .url();
        Ok((
            url.to_string(),
            Pending {
                org_id,
                state: state.secret().clone(),
                nonce: nonce.secret().clone(),
                verifier: verifier.secret().clone(),
                next,
                started_at: Utc::now(),
            },
        ))
    }

    /// The provider's answer: the code is exchanged for tokens, the ID token checked,
    /// and the person it names signed in (or asked for their second factor).
    pub async fn finish(
        &self,
        pool: &PgPool,
        keys: &SecretKeys,
        pending: Pending,
        (code, state): (&str, &str),
        origin: &RequestOrigin,
    ) -> Result<Outcome, AppError> {
        if !rules::web_security::same_secret(state.as_bytes(), pending.state.as_bytes()) {
            return Err(refused(
                "This answer does not belong to the sign-in started here. Start again.",
            ));
        }
        if Utc::now() - pending.started_at > WITHIN {
            return Err(refused("That took too long. Start again."));
        }
        let provider = db::sign_on::provider(pool, pending.org_id)
            .await?
            .ok_or_else(|| refused("That organisation no longer signs in through a provider."))?;
        let metadata = self
            .metadata(pending.org_id, &provider.issuer, false)
            .await
            .map_err(|why| unreachable(&provider, &why))?;
        let client = self.client(metadata, &provider, keys)?;
        let token = client
            .exchange_code(AuthorizationCode::new(code.to_string()))
            .map_err(|_| unreachable(&provider, "it publishes no token endpoint"))?
            .set_pkce_verifier(PkceCodeVerifier::new(pending.verifier))
            .request_async(&self.inner.http)
            .await
            .map_err(|e| {
                tracing::warn!(provider = %provider.issuer, error = %describe(&e), "the provider refused the code");
                refused(&format!(
                    "{} did not confirm the sign-in. Start again.",
                    provider.name
                ))
            })?;
        let id_token = token
            .id_token()
            .ok_or_else(|| untrusted(&provider, "no ID token in the answer"))?;
        let nonce = Nonce::new(pending.nonce);
        let fresh_client;
        let claims = match id_token.claims(&client.id_token_verifier(), &nonce) {
            Ok(claims) => claims.clone(),
            Err(ClaimsVerificationError::SignatureVerification(
                SignatureVerificationError::NoMatchingKey,
            )) => {
                // Signed by a key not seen before: the provider has rotated its keys.
                // Read them again, once.
                let metadata = self
                    .metadata(pending.org_id, &provider.issuer, true)
                    .await
                    .map_err(|why| unreachable(&provider, &why))?;
                fresh_client = self.client(metadata, &provider, keys)?;
                id_token
                    .claims(&fresh_client.id_token_verifier(), &nonce)
                    .map_err(|e| untrusted(&provider, &e.to_string()))?
                    .clone()
            }
            Err(e) => return Err(untrusted(&provider, &e.to_string())),
        };
        let identity = sign_in::ProvidedIdentity {
            subject: claims.subject().to_string(),
            // An address that is not one (control characters, no `@`…) vouches for
            // no one.
            email: claims.email().and_then(|e| {
                rules::validation::Email::parse("email", e.as_str())
                    .ok()
                    .map(|e| e.as_str().to_string())
            }),
            email_verified: claims.email_verified() == Some(true),
            name: claims
                .name()
                .and_then(|n| n.get(None))
                .map(|n| n.as_str().trim().to_string())
                .filter(|n| !n.is_empty()),
        };
        sign_in::finish_with_provider(pool, &provider, identity, origin).await
    }

    /// The organisation's settings, for those who may change them.
    pub async fn settings(&self, pool: &PgPool, org_id: Uuid) -> Result<SignOnSettings, AppError> {
        let provider = db::sign_on::provider(pool, org_id).await?;
        let local = db::sign_on::local_sign_in(pool, org_id).await?;
        let break_glass = match local.break_glass_principal {
            Some(p) => db::sign_on::console_user(pool, org_id, p)
                .await?
                .map(|u| u.email),
            None => None,
        };
        Ok(SignOnSettings {
            provider: provider.map(|p| ProviderSettings {
                name: p.name,
                issuer: p.issuer,
                client_id: p.client_id,
                allowed_domains: p.allowed_domains,
                create_unknown: p.create_unknown,
            }),
            password_sign_in: local.password_sign_in,
            break_glass,
            redirect_uri: self.redirect_uri().to_string(),
        })
    }

    /// Sets up (or changes) the organisation's provider and whether passwords still
    /// sign in. The issuer is asked for its discovery document before anything is
    /// saved, so that a mistyped address is said at once.
    pub async fn save(
        &self,
        pool: &PgPool,
        keys: &SecretKeys,
        caller: &Caller,
        form: SignOnForm,
    ) -> Result<(), AppError> {
        fn invalid(field: &'static str) -> impl Fn(String) -> AppError {
            move |m| AppError::invalid(field, m)
        }
        let name = sign_on_rules::parse_name(&form.name).map_err(invalid("name"))?;
        let issuer = sign_on_rules::parse_issuer(&form.issuer).map_err(invalid("issuer"))?;
        let client_id =
            sign_on_rules::parse_client_id(&form.client_id).map_err(invalid("client_id"))?;
        let allowed_domains = sign_on_rules::parse_domains(&form.allowed_domains)
            .map_err(invalid("allowed_domains"))?;
        let secret = form.client_secret.trim();
        if secret.len() > 500 || secret.chars().any(char::is_control) {
            return Err(AppError::invalid(
                "client_secret",
                "The client secret is at most 500 characters on one line.",
            ));
        }
        let break_glass_email = form.break_glass.trim().to_lowercase();
        let password_sign_in = form.password_sign_in.is_some();
        if !password_sign_in && break_glass_email.is_empty() {
            return Err(AppError::invalid(
                "break_glass",
                "Before passwords are switched off, name the admin who keeps one for when the provider is away.",
            ));
        }
        // Read the provider before anything is kept (and before any row is locked: the
        // provider may take seconds to answer), so that a wrong address is said now.
        self.metadata(caller.org_id, &issuer, true)
            .await
            .map_err(|why| {
                AppError::invalid(
                    "issuer",
                    format!("Gatehouse could not read the provider's discovery document at {issuer}: {why}"),
                )
            })?;

        let mut tx = pool.begin().await?;
        let before_local = db::sign_on::local_sign_in_for_update(&mut tx, caller.org_id).await?;
        let before = db::sign_on::provider(&mut *tx, caller.org_id).await?;
        let client_secret = match (secret.is_empty(), &before) {
            (false, _) => keys.seal(secret)?,
            (true, Some(before)) => before.client_secret.clone(),
            (true, None) => {
                return Err(AppError::invalid(
                    "client_secret",
                    "Give the client secret the provider issued for Gatehouse.",
                ))
            }
        };
        let break_glass = if break_glass_email.is_empty() {
            None
        } else {
            let user =
                db::sign_on::console_user_by_email(&mut tx, caller.org_id, &break_glass_email)
                    .await?
                    .filter(|u| u.active)
                    .ok_or_else(|| {
                        AppError::invalid(
                            "break_glass",
                            "Name the email of an active console user of this organisation.",
                        )
                    })?;
            Some(user.principal_id)
        };
        let local = LocalSignIn {
            password_sign_in,
            break_glass_principal: break_glass,
        };
        let provider = Provider {
            org_id: caller.org_id,
            name,
            issuer,
            client_id,
            client_secret,
            allowed_domains,
            create_unknown: form.create_unknown.is_some(),
        };
        db::sign_on::save_provider(&mut tx, &provider).await?;
        db::sign_on::set_local_sign_in(&mut tx, caller.org_id, local).await?;
        let described = |p: Option<&Provider>, l: &LocalSignIn| {
            serde_json::json!({
                "provider": p.map(|p| serde_json::json!({
                    "name": p.name, "issuer": p.issuer, "client_id": p.client_id,
                    "allowed_domains": p.allowed_domains, "create_unknown": p.create_unknown,
                })),
                "password_sign_in": l.password_sign_in,
                "break_glass_principal": l.break_glass_principal,
            })
        };
        db::audit::record(
            &mut tx,
            &caller.actor(),
            Change::on(
                AuditAction::SignOnChanged,
                caller.org_id,
                caller.organisation.clone(),
            )
            .before(described(before.as_ref(), &before_local))
            .after({
                let mut after = described(Some(&provider), &local);
                after["client_secret_changed"] = (!secret.is_empty()).into();
                after
            }),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// Removes the organisation's provider: its button leaves the sign-in page. Refused
/// while passwords are off, for then no one but the break-glass admin could sign in.
pub async fn remove(pool: &PgPool, caller: &Caller) -> Result<(), AppError> {
    let mut tx = pool.begin().await?;
    let local = db::sign_on::local_sign_in_for_update(&mut tx, caller.org_id).await?;
    if !local.password_sign_in {
        return Err(AppError::Conflict(
            "Passwords are off: switch them back on before removing single sign-on.".into(),
        ));
    }
    let Some(before) = db::sign_on::provider(&mut *tx, caller.org_id).await? else {
        return Err(AppError::NotFound(
            "Single sign-on is not set up for your organisation.".into(),
        ));
    };
    db::sign_on::remove_provider(&mut tx, caller.org_id).await?;
    db::audit::record(
        &mut tx,
        &caller.actor(),
        Change::on(
            AuditAction::SignOnChanged,
            caller.org_id,
            caller.organisation.clone(),
        )
        .before(serde_json::json!({ "provider": { "name": before.name, "issuer": before.issuer } }))
        .after(serde_json::json!({ "provider": null })),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The providers on the sign-in page, and the notice of a failed sign-in (said once).
pub async fn options(
    pool: &PgPool,
    session: &tower_sessions::Session,
) -> Result<SignInOptions, AppError> {
    let providers = db::sign_on::offered(pool)
        .await?
        .into_iter()
        .map(|(id, name)| ProviderChoice { id, name })
        .collect();
    let notice = session.remove::<String>(NOTICE_KEY).await?;
    Ok(SignInOptions { providers, notice })
}

fn refused(message: &str) -> AppError {
    AppError::SignInRefused(message.to_string())
}

fn unreachable(provider: &Provider, why: &str) -> AppError {
    tracing::warn!(provider = %provider.issuer, %why, "the sign-on provider cannot be read");
    refused(&format!(
        "{} cannot be reached just now. Try again in a moment, or ask your administrator.",
        provider.name
    ))
}

/// An ID token that fails its checks: the reason is logged, the person told plainly.
fn untrusted(provider: &Provider, why: &str) -> AppError {
    tracing::warn!(provider = %provider.issuer, %why, "an ID token was refused");
    refused(&format!(
        "The answer from {} could not be verified, so you are not signed in.",
        provider.name
    ))
}

/// An error and its causes on one line.
fn describe(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
