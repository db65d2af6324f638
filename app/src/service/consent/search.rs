//! Finding data subjects by email, external id or name.

use sqlx::PgPool;

use uuid::Uuid;

use crate::db;
use crate::error::AppError;
use crate::model::consent::{SubjectSearch, SUBJECTS_PAGE_SIZE};
use crate::service::split_page;
use rules::console::AccountScope;

/// Subjects matching an email, an external id or the start of a name.
pub async fn search(
    pool: &PgPool,
    org_id: Uuid,
    scope: &AccountScope,
    term: &str,
    page: u32,
) -> Result<SubjectSearch, AppError> {
    let term = term.trim();
    if term.chars().count() < 2 {
        return Err(AppError::invalid(
            "q",
            "Type at least two characters: an email, an external id or the start of a name.",
        ));
    }
    let size = i64::from(SUBJECTS_PAGE_SIZE);
    let rows = db::consent::search(
        pool,
        org_id,
        scope.ids(),
        term,
        size + 1,
        i64::from(page) * size,
    )
    .await?;
    let (rows, has_next) = split_page(rows, SUBJECTS_PAGE_SIZE as usize);
    Ok(SubjectSearch {
        rows,
        page,
        has_next,
    })
}
