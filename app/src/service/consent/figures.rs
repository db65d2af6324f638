//! Each account's consent figures, and who may be contacted.

use chrono::{Datelike, Utc};
use sqlx::PgPool;

use uuid::Uuid;

use crate::db;
use crate::error::AppError;
use crate::model::consent::{AccountConsent, AccountRef};
use rules::consent::CHANNELS;
use rules::console::AccountScope;

use super::purpose_keys;

/// Months the account's chart covers, this one included.
pub const CHART_MONTHS: u32 = 12;

/// The accounts whose consent the caller may see.
pub async fn accounts(
    pool: &PgPool,
    org_id: Uuid,
    scope: &AccountScope,
) -> Result<Vec<AccountRef>, AppError> {
    Ok(db::consent::accounts(pool, org_id, scope.ids()).await?)
}

/// The first day of each of the `n` months up to the one `today` is in, oldest first.
pub fn last_months(today: chrono::NaiveDate, n: u32) -> Vec<chrono::NaiveDate> {
    let this = today.with_day(1).unwrap_or(today);
    (0..n)
        .rev()
        .filter_map(|back| this.checked_sub_months(chrono::Months::new(back)))
        .collect()
}

/// One account's consent: opt-ins and withdrawals per month on a channel and purpose
/// (empty: all), its subjects and those who withdrew marketing, and who may export or
/// message its contacts.
pub async fn account(
    pool: &PgPool,
    org_id: Uuid,
    scope: &AccountScope,
    account_id: Uuid,
    (channel, purpose): (&str, &str),
) -> Result<AccountConsent, AppError> {
    let not_found = || AppError::NotFound("There is no such account.".into());
    if !scope.allows(account_id) {
        return Err(not_found());
    }
    let channel = channel.trim();
    if !(channel.is_empty() || CHANNELS.contains(&channel)) {
        return Err(AppError::invalid("channel", "Choose one of the channels."));
    }
    let account = db::consent::accounts(pool, org_id, Some(&[account_id]))
        .await?
        .pop()
        .ok_or_else(not_found)?;
    let months = last_months(Utc::now().date_naive(), CHART_MONTHS);
    let since = months[0].and_hms_opt(0, 0, 0).unwrap_or_default().and_utc();
    let purpose = purpose.trim();
    let (monthly, (subjects, withdrawn_marketing), holders, own) = tokio::try_join!(
        db::consent::monthly(pool, org_id, account_id, since, (channel, purpose)),
        db::consent::withdrawn_marketing(pool, org_id, account_id),
        db::consent::contact_holders(pool, org_id, account_id),
        db::consent::own_purposes(pool, org_id),
    )?;
    let figure = |pick: fn(&(chrono::NaiveDate, i64, i64)) -> i64| -> Vec<i64> {
        months
            .iter()
            .map(|m| monthly.iter().find(|r| r.0 == *m).map(pick).unwrap_or(0))
            .collect()
    };
    Ok(AccountConsent {
        account_id,
        account: account.name,
        channel: channel.to_string(),
        purpose: purpose.to_string(),
        channels: CHANNELS.iter().map(|c| c.to_string()).collect(),
        purposes: purpose_keys(own),
        opt_ins: figure(|r| r.1),
        withdrawals: figure(|r| r.2),
        months,
        subjects,
        withdrawn_marketing,
        holders,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chart_covers_the_months_up_to_this_one() {
        let months = last_months("2026-02-14".parse().unwrap(), 12);
        assert_eq!(months.len(), 12);
        assert_eq!(months[0].to_string(), "2025-03-01");
        assert_eq!(months[11].to_string(), "2026-02-01");
    }
}
