//! The DPO's consent console: search, the subject page, events recorded by hand.
// The hand-recorded event's form has more fields than clippy's default limit.
#![allow(clippy::too_many_arguments)]

use leptos::prelude::*;
use uuid::Uuid;

use crate::error::AppError;
use crate::model::consent::{SubjectDetail, SubjectSearch};

#[server(endpoint = "consent/search")]
pub async fn search_subjects(
    q: String,
    #[server(default)] page: u32,
) -> Result<SubjectSearch, AppError> {
    use crate::api::guard;
    use crate::domain::console::ConsolePermission;
    let caller = guard::authorize(ConsolePermission::ConsentView).await?;
    let scope = caller.accounts(ConsolePermission::ConsentView);
    crate::service::consent::search(&guard::pool()?, caller.org_id, &scope, &q, page).await
}

/// The subject page; each look is audited.
#[server(endpoint = "consent/subject")]
pub async fn load_subject(subject: Uuid) -> Result<SubjectDetail, AppError> {
    use crate::api::guard;
    use crate::domain::console::ConsolePermission;
    use crate::service::consent::{detail, SubjectRights};
    let caller = guard::authorize(ConsolePermission::ConsentView).await?;
    let rights = SubjectRights {
        record: caller.can(ConsolePermission::ConsentManage),
        open_request: caller.can(ConsolePermission::DsrManage),
    };
    let scope = caller.accounts(ConsolePermission::ConsentView);
    detail(&guard::pool()?, &caller.actor(), &scope, subject, rights).await
}

#[server(endpoint = "consent/record")]
pub async fn record_consent(
    subject: Uuid,
    channel: String,
    purpose: String,
    status: String,
    lawful_basis: String,
    method: String,
    notice_version: String,
    notice_sha256: String,
    language: String,
    jurisdiction: String,
    reason: String,
) -> Result<(), AppError> {
    use crate::api::guard;
    use crate::domain::console::ConsolePermission;
    use crate::service::consent::{record_by_hand, HandEvent};
    let caller = guard::authorize(ConsolePermission::ConsentManage).await?;
    let form = HandEvent {
        channel: &channel,
        purpose: &purpose,
        status: &status,
        lawful_basis: &lawful_basis,
        method: &method,
        notice_version: &notice_version,
        notice_sha256: &notice_sha256,
        language: &language,
        jurisdiction: &jurisdiction,
    };
    record_by_hand(
        &guard::pool()?,
        &caller.actor(),
        (
            &caller.accounts(ConsolePermission::ConsentManage),
            caller.principal_id,
        ),
        subject,
        &form,
        &reason,
    )
    .await
}
