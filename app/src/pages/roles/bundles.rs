use leptos::prelude::*;
use uuid::Uuid;

use crate::api::roles::{CreateBundle, DeleteBundle, UpdateBundle};
use crate::components::{FieldError, FormError};
use crate::model::roles::{BundleKind, MatrixBundle};

/// Creating, renaming and deleting the application's roles or permission sets.
#[component]
pub(super) fn ManageBundles(
    kind: BundleKind,
    application: Uuid,
    bundles: Vec<MatrixBundle>,
    create: ServerAction<CreateBundle>,
    update: ServerAction<UpdateBundle>,
    delete: ServerAction<DeleteBundle>,
) -> impl IntoView {
    let kind_value = match kind {
        BundleKind::Role => "Role",
        BundleKind::PermissionSet => "PermissionSet",
    };
    let create_error = Signal::derive(move || create.value().get().and_then(|r| r.err()));
    let update_error = Signal::derive(move || update.value().get().and_then(|r| r.err()));
    let delete_error = Signal::derive(move || delete.value().get().and_then(|r| r.err()));
    let noun = kind.noun();
    let rows = bundles
        .into_iter()
        .map(|b| {
            let (name_label, description_label, delete_label) =
                (format!("Name of {}", b.name), format!("Description of {}", b.name), format!("Delete {}", b.name));
            view! {
                <tr>
                    <td>
                        <ActionForm action=update attr:class="form form-inline">
                            <input type="hidden" name="kind" value=kind_value />
                            <input type="hidden" name="bundle" value=b.id.to_string() />
                            <input name="name" value=b.name.clone() aria-label=name_label required />
                            <input name="description" value=b.description.clone() aria-label=description_label />
                            <button type="submit" class="btn">"Save"</button>
                        </ActionForm>
                    </td>
                    <td>
                        <ActionForm action=delete>
                            <input type="hidden" name="kind" value=kind_value />
                            <input type="hidden" name="bundle" value=b.id.to_string() />
                            <button type="submit" class="btn btn-danger" aria-label=delete_label>"Delete"</button>
                        </ActionForm>
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section class="card">
            <h2>"New " {noun}</h2>
            <ActionForm action=create attr:class="form form-inline">
                <input type="hidden" name="kind" value=kind_value />
                <input type="hidden" name="application" value=application.to_string() />
                <div class="field">
                    <label for="new-bundle-name">"Name"</label>
                    <input id="new-bundle-name" name="name" required maxlength="80" />
                    <FieldError error=create_error field="name" />
                </div>
                <div class="field">
                    <label for="new-bundle-description">"Description"</label>
                    <input id="new-bundle-description" name="description" />
                </div>
                <button type="submit" class="btn btn-primary">"Create " {noun}</button>
            </ActionForm>
            <FormError error=create_error />
        </section>
        <section class="card">
            <h2>"Rename, describe or delete"</h2>
            <FieldError error=update_error field="name" />
            <FormError error=update_error />
            <FormError error=delete_error />
            <table class="table"><tbody>{rows}</tbody></table>
        </section>
    }
}
