//! `/access/fields`: what each governed resource's fields are and how sensitive, and the
//! clearance each role and permission set gives: together they decide what
//! `POST /api/v1/filter` lets a reader (or an AI agent answering for one) see.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::access::{load_fields, ClassifyField, SetBundleClearance, UnclassifyField};
use crate::components::{ErrorNotice, FieldError, FormError};
use crate::model::access::ResourceFields;
use rules::policy::conditions::Sensitivity;

#[component]
pub fn FieldsPage() -> impl IntoView {
    let classify = crate::components::action::<ClassifyField>();
    let unclassify = crate::components::action::<UnclassifyField>();
    let clear = crate::components::action::<SetBundleClearance>();
    let overview = Resource::new(|| (), |_| load_fields());
    let error = Signal::derive(move || classify.value().get().and_then(|r| r.err()));
    let other_error = Signal::derive(move || {
        unclassify
            .value()
            .get()
            .and_then(|r| r.err())
            .or_else(|| clear.value().get().and_then(|r| r.err()))
    });
    view! {
        <Title text="Fields and clearances" />
        <h1>"Fields and clearances"</h1>
        <p class="muted">"A field above its reader's clearance is removed from what "<code>"POST /api/v1/filter"</code>
            " returns. Fields not listed count as internal; special-category personal data counts as restricted. "
            "A reader's clearance is the highest its allowing roles give (internal unless set), lowered by its own."</p>
        <FormError error=other_error />
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match overview.await {
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                    Ok(o) => {
                        let options = o.resources.iter().map(|r| view! {
                            <option value=format!("{}/{}", r.application_id, r.resource)>{format!("{} — {}", r.application, r.resource)}</option>
                        }).collect_view();
                        let resources = o.resources.into_iter().map(|r| view! { <ResourceCard resource=r unclassify /> }).collect_view();
                        let bundles = o.bundles.into_iter().map(|b| {
                            let id = b.id.to_string();
                            let current = b.clearance.clone().unwrap_or_default();
                            let levels = Sensitivity::ALL.into_iter().map(|l| {
                                let selected = current == l.as_str();
                                view! { <option value=l.as_str() selected=selected>{l.as_str()}</option> }
                            }).collect_view();
                            view! {
                                <tr>
                                    <td>{b.application}</td>
                                    <td>{b.name}<div class="muted small">{b.kind}</div></td>
                                    <td>
                                        <ActionForm action=clear attr:class="form-inline">
                                            <input type="hidden" name="bundle" value=id />
                                            <label class="sr-only" for=format!("cl-{}", b.id)>"Clearance"</label>
                                            <select id=format!("cl-{}", b.id) name="clearance">
                                                <option value="" selected=current.is_empty()>"internal (default)"</option>
                                                {levels}
                                            </select>
                                            <button type="submit" class="btn btn-quiet">"Set"</button>
                                        </ActionForm>
                                    </td>
                                </tr>
                            }
                        }).collect_view();
                        view! {
                            <section class="card">
                                <h2>"Declare a field"</h2>
                                <ActionForm action=classify attr:class="form">
                                    <div class="field">
                                        <label for="fd-resource">"Resource"</label>
                                        <select id="fd-resource" name="resource" required>{options}</select>
                                        <FieldError error field="resource" />
                                    </div>
                                    <div class="field">
                                        <label for="fd-field">"Field"</label>
                                        <input id="fd-field" name="field" required maxlength="64" placeholder="phone_number" />
                                        <FieldError error field="field" />
                                    </div>
                                    <div class="field">
                                        <label for="fd-level">"Sensitivity"</label>
                                        <select id="fd-level" name="sensitivity">
                                            {Sensitivity::ALL.into_iter().map(|l| view! { <option value=l.as_str()>{l.as_str()}</option> }).collect_view()}
                                        </select>
                                        <FieldError error field="sensitivity" />
                                    </div>
                                    <div class="field">
                                        <label><input type="checkbox" name="special_category" value="yes" />" Special-category personal data"</label>
                                    </div>
                                    <button type="submit" class="btn btn-primary">"Save field"</button>
                                </ActionForm>
                                <FormError error />
                            </section>
                            {resources}
                            <h2>"Clearance of roles and permission sets"</h2>
                            <div class="table-wrap">
                                <table class="table">
                                    <thead><tr><th>"Application"</th><th>"Role or set"</th><th>"Clearance"</th></tr></thead>
                                    <tbody>{bundles}</tbody>
                                </table>
                            </div>
                        }.into_any()
                    }
                }
            })}
        </Transition>
    }
}

#[component]
fn ResourceCard(
    resource: ResourceFields,
    unclassify: ServerAction<UnclassifyField>,
) -> impl IntoView {
    let application = resource.application_id.to_string();
    let name = resource.resource.clone();
    let rows = resource.fields.into_iter().map(|f| {
        let (application, name) = (application.clone(), name.clone());
        view! {
            <tr>
                <td><code>{f.field.clone()}</code></td>
                <td><span class=format!("badge sensitivity-{}", f.sensitivity)>{f.sensitivity.clone()}</span>
                    {f.special_category.then(|| view! { <span class="badge badge-risk">"special category"</span> })}</td>
                <td>
                    <ActionForm action=unclassify>
                        <input type="hidden" name="resource" value=format!("{application}/{name}") />
                        <input type="hidden" name="field" value=f.field />
                        <button type="submit" class="btn btn-quiet">"Remove"</button>
                    </ActionForm>
                </td>
            </tr>
        }
    }).collect_view();
    view! {
        <h3>{format!("{} — {}", resource.application, resource.resource)}</h3>
        <div class="table-wrap">
            <table class="table">
                <thead><tr><th>"Field"</th><th>"Sensitivity"</th><th></th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}
