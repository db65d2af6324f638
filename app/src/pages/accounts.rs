use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::accounts::{list_accounts, CreateAccount};
use crate::components::{ErrorNotice, FieldError, FormError, IfPermitted};
use rules::console::ConsolePermission;

#[component]
pub fn AccountsPage() -> impl IntoView {
    let create = crate::components::action::<CreateAccount>();
    let accounts = Resource::new(|| (), |_| list_accounts());
    view! {
        <Title text="Accounts" />
        <h1>"Client accounts"</h1>
        <p class="muted">"Grants are scoped to these accounts: brands, clients and regions of the agency."</p>
        <IfPermitted permission=ConsolePermission::AccountsManage>
            <NewAccountForm create />
        </IfPermitted>
        <Transition fallback=|| view! { <p class="loading">"Loading accounts…"</p> }>
            {move || Suspend::new(async move {
                match accounts.await {
                    Ok(rows) if rows.is_empty() => view! { <p class="empty">"No accounts yet."</p> }.into_any(),
                    Ok(rows) => view! {
                        <table class="table">
                            <thead>
                                <tr>
                                    <th>"Account"</th>
                                    <th>"Region"</th>
                                    <th class="num">"Assigned principals"</th>
                                    <th class="num">"Active grants"</th>
                                    <th>"Created"</th>
                                </tr>
                            </thead>
                            <tbody>
                                {rows
                                    .into_iter()
                                    .map(|a| view! {
                                        <tr>
                                            <td>{a.name}</td>
                                            <td><span class="badge">{a.region}</span></td>
                                            <td class="num">{a.principals}</td>
                                            <td class="num">{a.active_grants}</td>
                                            <td>{a.created_at.format("%Y-%m-%d").to_string()}</td>
                                        </tr>
                                    })
                                    .collect_view()}
                            </tbody>
                        </table>
                    }
                    .into_any(),
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn NewAccountForm(create: ServerAction<CreateAccount>) -> impl IntoView {
    let error = Signal::derive(move || create.value().get().and_then(|r| r.err()));
    let created = move || create.value().get().and_then(|r| r.ok());
    let form = NodeRef::<leptos::html::Form>::new();
    Effect::new(move |_| {
        if created().is_some() {
            if let Some(form) = form.get() {
                form.reset();
            }
        }
    });
    view! {
        <section class="card">
            <h2>"New account"</h2>
            <ActionForm action=create node_ref=form attr:class="form form-inline">
                <div class="field">
                    <label for="account-name">"Name"</label>
                    <input id="account-name" name="name" required maxlength="100" />
                    <FieldError error field="name" />
                </div>
                <div class="field">
                    <label for="account-region">"Region"</label>
                    <input id="account-region" name="region" required maxlength="40" placeholder="EU" />
                    <FieldError error field="region" />
                </div>
                <button type="submit" class="btn btn-primary">"Create account"</button>
            </ActionForm>
            <FormError error />
            {move || created().map(|a| view! { <p class="notice notice-ok" role="status">"Account “" {a.name} "” created."</p> })}
        </section>
    }
}
