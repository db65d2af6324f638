//! Application API tokens (`/tokens`): the governed systems report activity with them.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::tokens::{load_tokens, CreateToken, RevokeToken};
use crate::components::{format_time, ErrorNotice, FieldError, FormError};

#[component]
pub fn TokensPage() -> impl IntoView {
    let create = ServerAction::<CreateToken>::new();
    let revoke = ServerAction::<RevokeToken>::new();
    let overview = Resource::new(
        move || (create.version().get(), revoke.version().get()),
        |_| load_tokens(),
    );
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
                        let applications = o.applications.into_iter().map(|a| view! {
                            <option value=a.id.to_string()>{a.name}</option>
                        }).collect_view();
                        let rows = o.tokens.into_iter().map(|t| {
                            let id = t.id.to_string();
                            let state = match (t.revoked_at, t.expires_at) {
                                (Some(at), _) => format!("revoked {}", format_time(at)),
                                (None, Some(end)) if end <= chrono::Utc::now() => format!("expired {}", format_time(end)),
                                (None, Some(end)) => format!("in use, ends {}", format_time(end)),
                                (None, None) => "in use".to_string(),
                            };
                            let live = t.revoked_at.is_none();
                            view! {
                                <tr>
                                    <td>{t.application}</td>
                                    <td>{t.name}</td>
                                    <td><code>{t.hint}"…"</code></td>
                                    <td class="small">{state}</td>
                                    <td class="nowrap small">{format_time(t.created_at)}<div class="muted">{t.created_by.unwrap_or_default()}</div></td>
                                    <td class="nowrap small">{t.last_used_at.map(format_time).unwrap_or_else(|| "never".into())}</td>
                                    <td>{live.then(|| view! {
                                        <ActionForm action=revoke>
                                            <input type="hidden" name="token" value=id.clone() />
                                            <button type="submit" class="btn btn-quiet">"Revoke"</button>
                                        </ActionForm>
                                    })}</td>
                                </tr>
                            }
                        }).collect_view();
                        view! {
                            <section class="card">
                                <h2>"New token"</h2>
                                <ActionForm action=create attr:class="form">
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
                                        <label for="tk-until">"Ends on (optional)"</label>
                                        <input id="tk-until" name="until" type="date" />
                                        <FieldError error field="until" />
                                    </div>
                                    <button type="submit" class="btn btn-primary">"Make token"</button>
                                </ActionForm>
                                <FormError error />
                                {move || create.value().get().and_then(|r| r.ok()).map(|made| view! {
                                    <div class="notice notice-ok" role="status">
                                        <strong>"Token made. Copy it now: it is shown only this once."</strong>
                                        <p><code class="secret">{made.token}</code></p>
                                    </div>
                                })}
                            </section>
                            <FormError error=revoke_error />
                            <div class="table-wrap">
                                <table class="table tokens">
                                    <thead><tr><th>"Application"</th><th>"Name"</th><th>"Token"</th><th>"State"</th><th>"Made"</th><th>"Last used"</th><th></th></tr></thead>
                                    <tbody>{rows}</tbody>
                                </table>
                            </div>
                        }.into_any()
                    }
                }
            })}
        </Transition>
    }
}
