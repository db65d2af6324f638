//! Access packages (`/packages`): bundles of roles and permission sets across
//! applications and accounts, asked for as one request, approved in one or two steps by
//! whom the package names, and given as grants that end together.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::packages::{
    load_packages, CreatePackage, DecidePackage, RequestPackage, RetirePackage,
};
use crate::components::{format_time, ErrorNotice, FieldError, FormError};
use crate::model::packages::{PackageRequestView, PackageView, PackagesOverview};
use rules::packages::Approver;

#[component]
pub fn PackagesPage() -> impl IntoView {
    let create = crate::components::action::<CreatePackage>();
    let retire = crate::components::action::<RetirePackage>();
    let ask = crate::components::action::<RequestPackage>();
    let decide = crate::components::action::<DecidePackage>();
    let overview = Resource::new(|| (), |_| load_packages());
    let retire_error = Signal::derive(move || retire.value().get().and_then(|r| r.err()));
    let decide_error = Signal::derive(move || decide.value().get().and_then(|r| r.err()));
    let decided = move || {
        decide.value().get().and_then(|r| r.ok()).map(|status| {
            let words = match status.as_str() {
                "approved" => "Approved: the package's grants are in force.",
                "denied" => "Denied.",
                _ => "Approved: the request now waits for the second approver.",
            };
            view! { <p class="notice" role="status">{words}</p> }
        })
    };
    view! {
        <Title text="Access packages" />
        <h1>"Access packages"</h1>
        <p class="muted">"A package gives several roles and permission sets at once, across applications and accounts. "
            "Ask for it once; the people its policy names approve it, in one or two steps; its grants start together "
            "and end together (revoking one revokes them all)."</p>
        <FormError error=retire_error />
        <FormError error=decide_error />
        {decided}
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match overview.await {
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                    Ok(o) => view! { <Overview o create retire ask decide /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Overview(
    o: PackagesOverview,
    create: ServerAction<CreatePackage>,
    retire: ServerAction<RetirePackage>,
    ask: ServerAction<RequestPackage>,
    decide: ServerAction<DecidePackage>,
) -> impl IntoView {
    let can_manage = o.can_manage;
    let no_packages = o.packages.is_empty();
    let choices: Vec<(String, String, i32)> = o
        .packages
        .iter()
        .map(|p| (p.id.to_string(), p.name.clone(), p.max_days))
        .collect();
    let packages = o
        .packages
        .into_iter()
        .map(|p| view! { <PackageCard p can_manage retire /> })
        .collect_view();
    let waiting = (!o.waiting.is_empty()).then(|| {
        let rows = o
            .waiting
            .into_iter()
            .map(|r| view! { <WaitingRequest r decide /> })
            .collect_view();
        view! {
            <section class="card">
                <h2>"Waiting for you"</h2>
                <div class="package-requests">{rows}</div>
            </section>
        }
    });
    view! {
        {waiting}
        <section class="card">
            <h2>"Packages"</h2>
            {if no_packages {
                view! { <p class="empty">"No package yet."</p> }.into_any()
            } else {
                view! { <div class="packages">{packages}</div> }.into_any()
            }}
        </section>
        {(!no_packages).then(|| view! { <AskForm ask packages=choices for_whom=o.for_whom /> })}
        <MyRequests requests=o.mine />
        {can_manage.then(|| view! { <NewPackage create /> })}
    }
}

#[component]
fn PackageCard(
    p: PackageView,
    can_manage: bool,
    retire: ServerAction<RetirePackage>,
) -> impl IntoView {
    let items = p
        .items
        .into_iter()
        .map(|i| view! { <li>{i}</li> })
        .collect_view();
    let steps = p
        .approvers
        .into_iter()
        .enumerate()
        .map(|(n, a)| view! { <li>{format!("Step {}: {a}", n + 1)}</li> })
        .collect_view();
    let id = p.id.to_string();
    let retire_label = format!("Retire {}", p.name);
    view! {
        <article class="package" aria-label=p.name.clone()>
            <h3>{p.name.clone()}</h3>
            {(!p.description.is_empty()).then(|| view! { <p>{p.description}</p> })}
            <dl class="facts">
                <dt>"Gives"</dt><dd><ul class="plain">{items}</ul></dd>
                <dt>"For"</dt><dd>{p.for_whom}</dd>
                <dt>"Approved by"</dt><dd><ol class="plain">{steps}</ol></dd>
                <dt>"Lasts"</dt><dd>{format!("at most {} days", p.max_days)}</dd>
                <dt>"Reviewed"</dt><dd>{match p.review_months {
                    Some(1) => "every month".to_string(),
                    Some(n) => format!("every {n} months"),
                    None => "not on a schedule".to_string(),
                }}</dd>
                <dt>"Held by"</dt><dd>{match p.holders {
                    1 => "1 principal".to_string(),
                    n => format!("{n} principals"),
                }}</dd>
            </dl>
            {can_manage.then(|| view! {
                <ActionForm action=retire>
                    <input type="hidden" name="package" value=id />
                    <button type="submit" class="btn btn-quiet">{retire_label}</button>
                </ActionForm>
            })}
        </article>
    }
}

#[component]
fn WaitingRequest(r: PackageRequestView, decide: ServerAction<DecidePackage>) -> impl IntoView {
    let id = r.id.to_string();
    let step = r.decisions.len() + 1;
    let items = r.items.join("; ");
    let earlier = (!r.decisions.is_empty())
        .then(|| view! { <p class="muted small">{r.decisions.join("; ")}</p> });
    let label = format!("Comment on {} for {}", r.package, r.principal);
    view! {
        <article class="package-request" aria-label=format!("{} for {}", r.package, r.principal)>
            <h3>{format!("{} for {}", r.package, r.principal)}</h3>
            <p class="muted small">{format!(
                "Asked by {} on {} for {} days; step {step} of {}.",
                r.requester, format_time(r.created_at), r.days, r.steps
            )}</p>
            <p>{items}</p>
            <blockquote>{r.justification}</blockquote>
            {earlier}
            <ActionForm action=decide attr:class="form form-inline">
                <input type="hidden" name="request" value=id.clone() />
                <div class="field">
                    <input name="comment" aria-label=label placeholder="Comment (needed to deny)" maxlength="1000" />
                </div>
                <button type="submit" name="approve" value="true" class="btn btn-primary">"Approve"</button>
                <button type="submit" name="approve" value="false" class="btn btn-danger">"Deny"</button>
            </ActionForm>
        </article>
    }
}

#[component]
fn AskForm(
    ask: ServerAction<RequestPackage>,
    packages: Vec<(String, String, i32)>,
    for_whom: Vec<(uuid::Uuid, String)>,
) -> impl IntoView {
    let error = Signal::derive(move || ask.value().get().and_then(|r| r.err()));
    let asked = move || {
        ask.value().get().and_then(|r| r.ok()).map(|_| {
            view! { <p class="notice" role="status">"Asked: the request waits for its first approver."</p> }
        })
    };
    let package_options = packages
        .into_iter()
        .map(|(id, name, max)| view! { <option value=id>{format!("{name} (at most {max} days)")}</option> })
        .collect_view();
    let principal_options = for_whom
        .into_iter()
        .map(|(id, name)| view! { <option value=id.to_string()>{name}</option> })
        .collect_view();
    view! {
        <section class="card">
            <h2>"Ask for a package"</h2>
            <ActionForm action=ask attr:class="form">
                <div class="field">
                    <label for="pk-package">"Package"</label>
                    <select id="pk-package" name="package">{package_options}</select>
                    <FieldError error field="package" />
                </div>
                <div class="field">
                    <label for="pk-principal">"For"</label>
                    <select id="pk-principal" name="principal">{principal_options}</select>
                    <FieldError error field="principal" />
                </div>
                <div class="field">
                    <label for="pk-days">"Days"</label>
                    <input id="pk-days" name="days" type="number" min="1" max="366" required value="30" />
                    <FieldError error field="days" />
                </div>
                <div class="field">
                    <label for="pk-justification">"Why"</label>
                    <textarea id="pk-justification" name="justification" rows="2" required minlength="20"
                        placeholder="what the access is for, in at least 20 characters"></textarea>
                    <FieldError error field="justification" />
                </div>
                <button type="submit" class="btn btn-primary">"Ask for the package"</button>
            </ActionForm>
            <FormError error />
            {asked}
        </section>
    }
}

#[component]
fn MyRequests(requests: Vec<PackageRequestView>) -> impl IntoView {
    if requests.is_empty() {
        return ().into_any();
    }
    let rows = requests
        .into_iter()
        .map(|r| {
            view! {
                <tr>
                    <td>{r.package}</td>
                    <td>{r.principal}</td>
                    <td>{r.days}</td>
                    <td class="nowrap">{format_time(r.created_at)}</td>
                    <td><span class=format!("status status-{}", r.status)>{r.status.clone()}</span>
                        <div class="muted small">{r.decisions.join("; ")}</div></td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section class="card">
            <h2>"Your package requests"</h2>
            <div class="table-wrap">
                <table class="table package-requests-mine">
                    <thead><tr><th>"Package"</th><th>"For"</th><th>"Days"</th><th>"Asked"</th><th>"Status"</th></tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
        </section>
    }
    .into_any()
}

#[component]
fn NewPackage(create: ServerAction<CreatePackage>) -> impl IntoView {
    let error = Signal::derive(move || create.value().get().and_then(|r| r.err()));
    let made = move || {
        create.value().get().and_then(|r| r.ok()).map(|_| {
            view! { <p class="notice" role="status">"Package made: people may ask for it now."</p> }
        })
    };
    let approver_options = |with_none: bool| {
        let none = with_none.then(|| view! { <option value="">"No second step"</option> });
        let each = Approver::ALL
            .into_iter()
            .map(|a| view! { <option value=a.as_str()>{a.label()}</option> })
            .collect_view();
        view! { {none}{each} }
    };
    let kinds = rules::packages::KINDS
        .into_iter()
        .map(|k| {
            let id = format!("pk-kind-{k}");
            view! {
                <span class="check">
                    <input id=id.clone() type="checkbox" name="package[for_kinds][]" value=k checked=k == "human" />
                    <label for=id>{rules::principals::kind_label(k)}</label>
                </span>
            }
        })
        .collect_view();
    view! {
        <section class="card">
            <h2>"New package"</h2>
            <ActionForm action=create attr:class="form">
                <div class="field">
                    <label for="np-name">"Name"</label>
                    <input id="np-name" name="package[name]" required maxlength="120" placeholder="Support team starter" />
                    <FieldError error field="name" />
                </div>
                <div class="field">
                    <label for="np-description">"Description"</label>
                    <input id="np-description" name="package[description]" maxlength="1000" />
                    <FieldError error field="description" />
                </div>
                <div class="field">
                    <label for="np-items">"Gives (one per line: Application / Role or permission set / Account)"</label>
                    <textarea id="np-items" name="package[items]" rows="4" required
                        placeholder="Acme CRM / Support Agent / Acme Retail\nChatbot Builder / Conversation Agent"></textarea>
                    <FieldError error field="items" />
                </div>
                <fieldset class="field">
                    <legend>"Who may have it"</legend>
                    {kinds}
                    <FieldError error field="for_kinds" />
                </fieldset>
                <div class="field">
                    <label for="np-criteria">"Only those whose (optional, one per line, all must hold)"</label>
                    <textarea id="np-criteria" name="package[for_criteria]" rows="2" placeholder="department = Support\ngroup = CRM users"></textarea>
                    <FieldError error field="for_criteria" />
                </div>
                <div class="field">
                    <label for="np-first">"First approver"</label>
                    <select id="np-first" name="package[first_approver]">{approver_options(false)}</select>
                    <FieldError error field="first_approver" />
                </div>
                <div class="field">
                    <label for="np-first-named">"Named first approvers' emails"</label>
                    <input id="np-first-named" name="package[first_named]" placeholder="only for named approvers" />
                    <FieldError error field="first_named" />
                </div>
                <div class="field">
                    <label for="np-second">"Second approver"</label>
                    <select id="np-second" name="package[second_approver]">{approver_options(true)}</select>
                    <FieldError error field="second_approver" />
                </div>
                <div class="field">
                    <label for="np-second-named">"Named second approvers' emails"</label>
                    <input id="np-second-named" name="package[second_named]" placeholder="only for named approvers" />
                    <FieldError error field="second_named" />
                </div>
                <div class="field">
                    <label for="np-max">"Lasts at most (days)"</label>
                    <input id="np-max" name="package[max_days]" type="number" min="1" max="366" required value="90" />
                    <FieldError error field="max_days" />
                </div>
                <div class="field">
                    <label for="np-review">"Reviewed every (months, optional)"</label>
                    <input id="np-review" name="package[review_months]" type="number" min="1" max="24" />
                    <FieldError error field="review_months" />
                </div>
                <button type="submit" class="btn btn-primary">"Make the package"</button>
            </ActionForm>
            <FormError error />
            {made}
        </section>
    }
}
