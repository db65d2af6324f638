//! Outbound webhooks (`/webhooks`): endpoints, and what happened to each delivery.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::webhooks::{load_webhooks, CreateWebhook, RetryDelivery, SetWebhookActive};
use crate::components::{format_time, ErrorNotice, FieldError, FormError};
use rules::webhooks::EVENTS;

#[component]
pub fn WebhooksPage() -> impl IntoView {
    let create = crate::components::action::<CreateWebhook>();
    let toggle = crate::components::action::<SetWebhookActive>();
    let retry = crate::components::action::<RetryDelivery>();
    let overview = Resource::new(|| (), |_| load_webhooks());
    let error = Signal::derive(move || create.value().get().and_then(|r| r.err()));
    let change_error = Signal::derive(move || {
        toggle
            .value()
            .get()
            .and_then(|r| r.err())
            .or_else(|| retry.value().get().and_then(|r| r.err()))
    });
    let events = EVENTS
        .iter()
        .map(|(event, what)| {
            view! {
                <label class="check"><input type="checkbox" name="events[]" value=*event checked=true />
                    <code>{*event}</code>" " <span class="muted small">{*what}</span></label>
            }
        })
        .collect_view();
    view! {
        <Title text="Webhooks" />
        <h1>"Webhooks"</h1>
        <p class="muted">"Gatehouse posts a signed JSON event to each endpoint when a request is made, decided or expires, and when a grant nears its end. The "
            <code>"X-Gatehouse-Signature"</code> " header is " <code>"sha256="</code> " and the HMAC-SHA256 of " <code>"{X-Gatehouse-Timestamp}.{body}"</code>
            " under the endpoint's secret. Failed deliveries are tried again with growing waits, up to 8 times."</p>
        <section class="card">
            <h2>"New endpoint"</h2>
            <ActionForm action=create attr:class="form">
                <div class="field">
                    <label for="wh-url">"Address"</label>
                    <input id="wh-url" name="url" type="url" required placeholder="https://hooks.example.com/gatehouse" />
                    <FieldError error field="url" />
                </div>
                <fieldset class="field">
                    <legend>"Events"</legend>
                    {events}
                    <FieldError error field="events" />
                </fieldset>
                <button type="submit" class="btn btn-primary">"Add endpoint"</button>
            </ActionForm>
            <FormError error />
            {move || create.value().get().and_then(|r| r.ok()).map(|made| view! {
                <div class="notice notice-ok" role="status">
                    <strong>"Endpoint added. Its signing secret, shown only now:"</strong>
                    <p><code class="secret">{made.secret}</code></p>
                </div>
            })}
        </section>
        <FormError error=change_error />
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match overview.await {
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                    Ok(o) => {
                        let endpoints = o.webhooks.into_iter().map(|w| {
                            let id = w.id.to_string();
                            let (label, turn_to) = if w.active { ("Turn off", "false") } else { ("Turn on", "true") };
                            view! {
                                <tr>
                                    <td><code>{w.url}</code></td>
                                    <td class="small">{w.events.join(", ")}</td>
                                    <td>{if w.active { "on" } else { "off" }}</td>
                                    <td class="num">{w.delivered}</td>
                                    <td class="num">{w.pending}</td>
                                    <td class="num">{w.failed}</td>
                                    <td>
                                        <ActionForm action=toggle>
                                            <input type="hidden" name="webhook" value=id />
                                            <input type="hidden" name="active" value=turn_to />
                                            <button type="submit" class="btn btn-quiet">{label}</button>
                                        </ActionForm>
                                    </td>
                                </tr>
                            }
                        }).collect_view();
                        let deliveries = o.deliveries.into_iter().map(|d| {
                            let id = d.id.to_string();
                            let failed = d.status == "failed";
                            let next = (d.status == "pending").then(|| format!("next try {}", format_time(d.next_attempt_at)));
                            view! {
                                <tr>
                                    <td class="nowrap">{format_time(d.created_at)}</td>
                                    <td><code>{d.event}</code></td>
                                    <td class="small"><code>{d.url}</code></td>
                                    <td><span class=format!("status status-{}", d.status)>{d.status.clone()}</span>
                                        {next.map(|n| view! { <div class="muted small">{n}</div> })}</td>
                                    <td class="num">{d.attempts}</td>
                                    <td class="small">{d.last_response.unwrap_or_default()}</td>
                                    <td>{failed.then(|| view! {
                                        <ActionForm action=retry>
                                            <input type="hidden" name="delivery" value=id.clone() />
                                            <button type="submit" class="btn btn-quiet">"Send again"</button>
                                        </ActionForm>
                                    })}</td>
                                </tr>
                            }
                        }).collect_view();
                        view! {
                            <h2>"Endpoints"</h2>
                            <div class="table-wrap">
                                <table class="table webhooks">
                                    <thead><tr><th>"Address"</th><th>"Events"</th><th>"State"</th><th class="num">"Delivered"</th><th class="num">"Waiting"</th><th class="num">"Given up"</th><th></th></tr></thead>
                                    <tbody>{endpoints}</tbody>
                                </table>
                            </div>
                            <h2>"Recent deliveries"</h2>
                            <div class="table-wrap">
                                <table class="table deliveries">
                                    <thead><tr><th>"Queued"</th><th>"Event"</th><th>"To"</th><th>"Status"</th><th class="num">"Attempts"</th><th>"Last answer"</th><th></th></tr></thead>
                                    <tbody>{deliveries}</tbody>
                                </table>
                            </div>
                        }.into_any()
                    }
                }
            })}
        </Transition>
    }
}
