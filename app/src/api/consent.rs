//! The DPO's consent console: search, the subject page, events recorded by hand.

use leptos::prelude::*;
use uuid::Uuid;

use crate::error::AppError;
use crate::model::consent::{
    AccountConsent, AccountRef, ConsentAttention, HandEvent, PurposeList, SubjectDetail,
    SubjectSearch,
};

#[server(endpoint = "consent/search")]
pub async fn search_subjects(
    q: String,
    #[server(default)] page: u32,
) -> Result<SubjectSearch, AppError> {
    use crate::api::guard;
    use rules::console::ConsolePermission;
    let caller = guard::authorize::<SearchSubjects>().await?;
    let scope = caller.accounts(ConsolePermission::ConsentView);
    crate::service::consent::search(&guard::pool()?, caller.org_id, &scope, &q, page).await
}

/// The subject page; each look is audited.
#[server(endpoint = "consent/subject")]
pub async fn load_subject(subject: Uuid) -> Result<SubjectDetail, AppError> {
    use crate::api::guard;
    use crate::service::consent::{detail, SubjectRights};
    use rules::console::ConsolePermission;
    let caller = guard::authorize::<LoadSubject>().await?;
    let rights = SubjectRights {
        record: caller.can(ConsolePermission::ConsentManage),
        open_request: caller.can(ConsolePermission::DsrManage),
    };
    let scope = caller.accounts(ConsolePermission::ConsentView);
    detail(&guard::pool()?, &caller.actor(), &scope, subject, rights).await
}

#[server(endpoint = "consent/record")]
pub async fn record_consent(#[server(flatten)] event: HandEvent) -> Result<(), AppError> {
    use crate::api::guard;
    use rules::console::ConsolePermission;
    let caller = guard::authorize::<RecordConsent>().await?;
    let scope = caller.accounts(ConsolePermission::ConsentManage);
    crate::service::consent::record_by_hand(&guard::pool()?, &caller.actor(), &scope, &event).await
}

/// What waits before any search: the latest withdrawals and the most urgent requests.
#[server(endpoint = "consent/attention")]
pub async fn load_consent_attention() -> Result<ConsentAttention, AppError> {
    use crate::api::guard;
    use rules::console::ConsolePermission;
    let caller = guard::authorize::<LoadConsentAttention>().await?;
    let scope = caller.accounts(ConsolePermission::ConsentView);
    crate::service::consent::attention(&guard::pool()?, &caller.actor(), &scope).await
}

#[server(endpoint = "consent/accounts")]
pub async fn consent_accounts() -> Result<Vec<AccountRef>, AppError> {
    use crate::api::guard;
    use rules::console::ConsolePermission;
    let caller = guard::authorize::<ConsentAccounts>().await?;
    let scope = caller.accounts(ConsolePermission::ConsentView);
    crate::service::consent::accounts(&guard::pool()?, caller.org_id, &scope).await
}

/// One account's consent figures and who may export or message its contacts.
#[server(endpoint = "consent/account")]
pub async fn load_account_consent(
    account: Uuid,
    #[server(default)] channel: String,
    #[server(default)] purpose: String,
) -> Result<AccountConsent, AppError> {
    use crate::api::guard;
    use rules::console::ConsolePermission;
    let caller = guard::authorize::<LoadAccountConsent>().await?;
    let scope = caller.accounts(ConsolePermission::ConsentView);
    let pool = guard::read_pool()?;
    crate::service::consent::account(&pool, caller.org_id, &scope, account, (&channel, &purpose))
        .await
}

#[server(endpoint = "consent/purposes")]
pub async fn consent_purposes() -> Result<PurposeList, AppError> {
    use crate::api::guard;
    use rules::console::{AccountScope, ConsolePermission};
    let caller = guard::authorize::<ConsentPurposes>().await?;
    let purposes = crate::service::consent::purposes(&guard::pool()?, caller.org_id).await?;
    Ok(PurposeList {
        purposes,
        can_add: caller.accounts(ConsolePermission::ConsentManage) == AccountScope::Every,
    })
}

/// Adds a purpose of the organisation's own: for DPOs of every account.
#[server(endpoint = "consent/add-purpose")]
pub async fn add_purpose(key: String, label: String) -> Result<(), AppError> {
    use crate::api::guard;
    use rules::console::{AccountScope, ConsolePermission};
    let caller = guard::authorize::<AddPurpose>().await?;
    if caller.accounts(ConsolePermission::ConsentManage) != AccountScope::Every {
        return Err(AppError::Forbidden);
    }
    crate::service::consent::add_purpose(&guard::pool()?, &caller.actor(), &key, &label).await
}
