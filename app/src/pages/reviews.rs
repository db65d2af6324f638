//! Access reviews (`/reviews`, `/reviews/{id}`): campaigns with their progress, the
//! form that starts one, and a campaign's items to keep or revoke.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::{use_params_map, use_query_map};
use uuid::Uuid;

use crate::api::reviews::{
    load_review, load_reviews, CloseReview, CreateReview, DecideReviewItems,
};
use crate::components::{format_time, ErrorNotice, FieldError, FormError, Pager};
use rules::principals::kind_label;
use rules::principals::PRINCIPAL_KINDS;

fn bar(done: i64, of: i64) -> impl IntoView {
    let percent = if of == 0 { 100 } else { done * 100 / of };
    view! {
        <progress value=done max=of.max(1) aria-label=format!("{done} of {of} decided")></progress>
        <span class="small muted">{format!(" {done} of {of} ({percent}%)")}</span>
    }
}

#[component]
pub fn ReviewsPage() -> impl IntoView {
    let create = crate::components::action::<CreateReview>();
    let query = use_query_map();
    let page = move || query.with(|q| q.get("page").and_then(|v| v.parse().ok()).unwrap_or(0u32));
    let overview = Resource::new(page, load_reviews);
    let error = Signal::derive(move || create.value().get().and_then(|r| r.err()));
    let in_two_weeks = (chrono::Utc::now().date_naive() + chrono::Duration::days(14)).to_string();
    view! {
        <Title text="Access reviews" />
        <h1>"Access reviews"</h1>
        <p class="muted">"A campaign freezes the grants in its scope; each reviewer keeps or revokes theirs; closing it revokes what was decided (and what nobody decided, if the campaign says so) in one go."</p>
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || {
                let in_two_weeks = in_two_weeks.clone();
                Suspend::new(async move {
                match overview.await {
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                    Ok(o) => {
                        let rows = o.campaigns.into_iter().map(|c| view! {
                            <tr>
                                <td><A href=format!("/reviews/{}", c.id)>{c.name.clone()}</A>
                                    <div class="muted small">{c.created_by.clone().unwrap_or_default()}</div></td>
                                <td class="nowrap">{c.due_on.to_string()}</td>
                                <td>{match c.closed_at { Some(at) => format!("closed {}", format_time(at)), None => "open".into() }}</td>
                                <td>{bar(c.decided, c.items)}</td>
                                <td>{(c.mine > 0).then(|| bar(c.mine_decided, c.mine))}</td>
                                <td class="num">{c.to_revoke}</td>
                            </tr>
                        }).collect_view();
                        let form = o.can_manage.then(|| {
                            let applications = o.applications.into_iter().map(|a| view! { <option value=a.id.to_string()>{a.name}</option> }).collect_view();
                            let accounts = o.accounts.into_iter().map(|a| view! { <option value=a.id.to_string()>{a.name}</option> }).collect_view();
                            let roles = o.roles.into_iter().map(|r| view! { <option value=r.id.to_string()>{r.name}</option> }).collect_view();
                            let people = o.people.into_iter().map(|p| view! {
                                <label class="check"><input type="checkbox" name="reviewers[]" value=p.id.to_string() />{p.name}</label>
                            }).collect_view();
                            let kinds = PRINCIPAL_KINDS.into_iter().map(|k| view! {
                                <label class="check"><input type="checkbox" name="kinds[]" value=k />{kind_label(k)}</label>
                            }).collect_view();
                            view! {
                                <section class="card">
                                    <h2>"Start a campaign"</h2>
                                    <ActionForm action=create attr:class="form">
                                        <div class="field">
                                            <label for="rv-name">"Name"</label>
                                            <input id="rv-name" name="name" required maxlength="120" placeholder="Q4 CRM access review" />
                                            <FieldError error field="name" />
                                        </div>
                                        <div class="form-inline">
                                            <div class="field">
                                                <label for="rv-app">"Application"</label>
                                                <select id="rv-app" name="application"><option value="">"Every application"</option>{applications}</select>
                                            </div>
                                            <div class="field">
                                                <label for="rv-accounts">"Accounts (none chosen: every account)"</label>
                                                <select id="rv-accounts" name="accounts[]" multiple size="4">{accounts}</select>
                                            </div>
                                            <div class="field">
                                                <label for="rv-roles">"Roles (none chosen: every role and permission set)"</label>
                                                <select id="rv-roles" name="roles[]" multiple size="4">{roles}</select>
                                            </div>
                                        </div>
                                        <fieldset class="field">
                                            <legend>"Kinds of principal (none ticked: all)"</legend>
                                            {kinds}
                                            <FieldError error field="kinds" />
                                        </fieldset>
                                        <fieldset class="field">
                                            <legend>"Reviewers (none ticked: each principal's manager, or the owner of a bot, agent or integration)"</legend>
                                            {people}
                                        </fieldset>
                                        <div class="form-inline">
                                            <div class="field">
                                                <label for="rv-due">"Due on"</label>
                                                <input id="rv-due" name="due_on" type="date" required value=in_two_weeks />
                                                <FieldError error field="due_on" />
                                            </div>
                                            <div class="field">
                                                <label for="rv-undecided">"Items nobody decides"</label>
                                                <select id="rv-undecided" name="undecided">
                                                    <option value="keep">"are kept"</option>
                                                    <option value="revoke">"are revoked"</option>
                                                </select>
                                            </div>
                                        </div>
                                        <FieldError error field="scope" />
                                        <button type="submit" class="btn btn-primary">"Start campaign"</button>
                                    </ActionForm>
                                    <FormError error />
                                    {move || create.value().get().and_then(|r| r.ok()).map(|made| view! {
                                        <div class="notice notice-ok" role="status">
                                            {format!("Campaign started with {} items. ", made.items)}
                                            <A href=format!("/reviews/{}", made.id)>"Open it"</A>
                                        </div>
                                    })}
                                </section>
                            }
                        });
                        view! {
                            {form}
                            <div class="table-wrap">
                                <table class="table campaigns">
                                    <thead><tr><th>"Campaign"</th><th>"Due"</th><th>"State"</th><th>"Progress"</th><th>"Yours"</th><th class="num">"To revoke"</th></tr></thead>
                                    <tbody>{rows}</tbody>
                                </table>
                            </div>
                            <Pager page=o.page has_next=o.has_next href=|n: u32| format!("/reviews?page={n}") />
                        }.into_any()
                    }
                }
            })}}
        </Transition>
    }
}

#[component]
pub fn ReviewPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let decide = crate::components::action::<DecideReviewItems>();
    let close = crate::components::action::<CloseReview>();
    let key = Memo::new(move |_| {
        let id = params
            .read()
            .get("id")
            .and_then(|v| Uuid::parse_str(&v).ok());
        let q = query.read();
        let page = q.get("page").and_then(|v| v.parse().ok()).unwrap_or(0u32);
        let mine = q.get("mine").as_deref() == Some("1");
        (id, page, mine)
    });
    let detail = Resource::new(
        move || key.get(),
        |(id, page, mine)| async move {
            match id {
                Some(id) => load_review(id, page, mine).await,
                None => Err(crate::error::AppError::NotFound(
                    "There is no such review campaign.".into(),
                )),
            }
        },
    );
    let decide_error = Signal::derive(move || decide.value().get().and_then(|r| r.err()));
    let close_error = Signal::derive(move || close.value().get().and_then(|r| r.err()));
    view! {
        <Title text="Access review" />
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match detail.await {
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                    Ok(d) => {
                        let c = d.campaign;
                        let id = c.id;
                        let open = c.closed_at.is_none();
                        let mine = d.mine_only;
                        let href = move |n: u32| format!("/reviews/{id}?page={n}{}", if mine { "&mine=1" } else { "" });
                        let reviewers = d.reviewers.into_iter().map(|r| view! {
                            <tr><td>{r.reviewer}</td><td>{bar(r.decided, r.items)}</td></tr>
                        }).collect_view();
                        let now = d.now;
                        let rows = d.items.into_iter().map(|i| {
                            let dormant = i.last_activity_at.is_none_or(|t| now - t > chrono::Duration::days(90));
                            let decision = match (&i.outcome, &i.decision) {
                                (Some(outcome), _) => outcome.clone(),
                                (None, Some(decision)) => decision.clone(),
                                (None, None) => "undecided".into(),
                            };
                            view! {
                                <tr>
                                    <td>{open.then(|| view! {
                                        <input type="checkbox" name="grants[]" value=i.grant_id.to_string()
                                            aria-label=format!("Select {} \u{2192} {}", i.principal, i.bundle) />
                                    })}</td>
                                    <td><A href=format!("/principals/{}", i.principal_id)>{i.principal.clone()}</A>
                                        <div class="muted small">{kind_label(&i.principal_kind)}</div></td>
                                    <td>{i.bundle.clone()}<div class="muted small">{i.application.clone()}</div>
                                        {(!i.conditions.is_empty()).then(|| view! { <div class="muted small">"only when " {i.conditions.words.clone()}</div> })}</td>
                                    <td>{i.account.clone().unwrap_or_else(|| "all accounts".into())}</td>
                                    <td class="nowrap small">{i.last_used_at.map(|t| t.format("%Y-%m-%d").to_string()).unwrap_or_else(|| "never".into())}</td>
                                    <td class="nowrap small">{i.last_activity_at.map(|t| t.format("%Y-%m-%d").to_string()).unwrap_or_else(|| "never".into())}
                                        {dormant.then(|| view! { <span class="tag">"dormant"</span> })}</td>
                                    <td class="small">{i.sod.join(", ")}</td>
                                    <td class="small">{i.reviewer.clone()}</td>
                                    <td><span class=format!("status status-{decision}")>{decision.clone()}</span>
                                        <div class="muted small">{i.reason.clone().unwrap_or_default()}</div></td>
                                </tr>
                            }
                        }).collect_view();
                        view! {
                            <h1>{c.name.clone()}</h1>
                            <p class="muted">{d.scope}" \u{b7} due " {c.due_on.to_string()} " \u{b7} items nobody decides are " {if c.undecided == "revoke" { "revoked" } else { "kept" }}
                                {c.closed_at.map(|at| format!(" \u{b7} closed {}", format_time(at)))}</p>
                            <p>{bar(c.decided, c.items)}</p>
                            {d.can_manage.then(|| view! {
                                <table class="table reviewers"><thead><tr><th>"Reviewer"</th><th>"Progress"</th></tr></thead><tbody>{reviewers}</tbody></table>
                            })}
                            {(d.can_manage && open).then(|| view! {
                                <ActionForm action=close attr:class="form form-inline">
                                    <input type="hidden" name="campaign" value=id.to_string() />
                                    <button type="submit" class="btn btn-danger">"Close campaign and apply"</button>
                                </ActionForm>
                            })}
                            <nav class="tabs">
                                <a href=format!("/reviews/{id}") class:active=!mine>"All items"</a>
                                <a href=format!("/reviews/{id}?mine=1") class:active=mine>"Mine"</a>
                            </nav>
                            <ActionForm action=decide attr:class="form">
                                <input type="hidden" name="campaign" value=id.to_string() />
                                <div class="table-wrap">
                                    <table class="table review-items">
                                        <thead><tr><th></th><th>"Principal"</th><th>"Role or set"</th><th>"Account"</th><th>"Last used"</th><th>"Last active"</th><th>"SoD"</th><th>"Reviewer"</th><th>"Decision"</th></tr></thead>
                                        <tbody>{rows}</tbody>
                                    </table>
                                </div>
                                <Pager page=d.page has_next=d.has_next href />
                                {open.then(|| view! {
                                    <fieldset class="form-inline bulk">
                                        <legend>"With the selected items"</legend>
                                        <div class="field">
                                            <label for="ri-decision">"Decision"</label>
                                            <select id="ri-decision" name="decision">
                                                <option value="keep">"Keep"</option>
                                                <option value="revoke">"Revoke"</option>
                                            </select>
                                        </div>
                                        <div class="field">
                                            <label for="ri-reason">"Reason (needed to revoke)"</label>
                                            <input id="ri-reason" name="reason" placeholder="No longer works on this client" />
                                        </div>
                                        <button type="submit" class="btn">"Record decision"</button>
                                    </fieldset>
                                })}
                            </ActionForm>
                        }.into_any()
                    }
                }
            })}
        </Transition>
        <FormError error=decide_error />
        <FieldError error=decide_error field="reason" />
        <FieldError error=decide_error field="grants" />
        <FormError error=close_error />
        {move || decide.value().get().and_then(|r| r.ok()).map(|n| view! {
            <div class="notice notice-ok" role="status">{format!("Decision recorded for {n} items.")}</div>
        })}
        {move || close.value().get().and_then(|r| r.ok()).map(|c| view! {
            <div class="notice notice-ok" role="status">{format!("Campaign closed: {} revoked, {} kept, {} already gone.", c.revoked, c.kept, c.gone)}</div>
        })}
    }
}
