//! People joining, moving and leaving (`/lifecycle`): what happens when the identity
//! provider says a person has left, and who takes over what they owned.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::lifecycle::{load_lifecycle, SetFallbackOwner};
use crate::components::{settled, ErrorNotice, FieldError, FormError};

#[component]
pub fn LifecyclePage() -> impl IntoView {
    let save = ServerAction::<SetFallbackOwner>::new();
    let saved = settled(save);
    let settings = Resource::new(move || saved.get(), |_| load_lifecycle());
    let error = Signal::derive(move || save.value().get().and_then(|r| r.err()));
    view! {
        <Title text="Lifecycle" />
        <h1>"Lifecycle"</h1>
        <p class="muted">"People come and go through your identity provider ("<a href="/tokens">"a provisioning token"</a>
            ", SCIM 2.0). When it deactivates or deletes a person, Gatehouse at once ends their sessions, revokes every grant they hold, "
            "and hands the AI agents, bots and integrations they owned to their manager, or, without one, to the fallback owner below. "
            "With nobody to take them over, those are suspended: no agent acts without a person answering for it."</p>
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match settings.await {
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                    Ok(s) => view! {
                        <section class="card">
                            <h2>"Fallback owner"</h2>
                            <p class="fallback-owner">{match s.fallback_owner {
                                Some(name) => format!("Now: {name}."),
                                None => "Now: nobody.".to_string(),
                            }}</p>
                            <ActionForm action=save attr:class="form form-inline">
                                <div class="field">
                                    <label for="lc-email">"Fallback owner's email"</label>
                                    <input id="lc-email" name="email" type="email" value=s.fallback_email.unwrap_or_default()
                                        placeholder="Empty: nobody" />
                                    <FieldError error field="email" />
                                </div>
                                <button type="submit" class="btn btn-primary">"Save"</button>
                            </ActionForm>
                            <FormError error />
                        </section>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}
