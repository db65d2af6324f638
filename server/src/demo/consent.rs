//! Consent histories of the demo's customers and the data-subject requests in hand.

use app::db;
use app::db::Tx;
use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use uuid::Uuid;

use super::catalogue::{FIRST, LAST};
use super::{email_for, DemoError};

/// Consent histories of two accounts' customers over the last year, as the chatbot and
/// preference centre reported them, and three data-subject requests in hand: one
/// overdue, one due soon, one answered. Answers the number of data subjects.
pub(super) async fn consent_history(
    tx: &mut Tx<'_>,
    org: Uuid,
    accounts: &[Uuid],
    chatbot: Uuid,
    dpo: Uuid,
    now: DateTime<Utc>,
) -> Result<usize, DemoError> {
    use rules::consent::{parse_event, ConsentEvent};
    use rules::dsr::{due_on, DsrKind, DsrStatus, DEFAULT_RESPONSE_DAYS};
    use sha2::{Digest, Sha256};

    const SUBJECTS: usize = 40;
    let notice = |text: &str| hex::encode(Sha256::digest(text.as_bytes()));
    let notices = [
        (
            "2025-09",
            notice("We would like to send you offers and news. Reply STOP at any time."),
        ),
        (
            "2026-06",
            notice(
                "May we send you offers and news, and tailor them to you? Reply STOP at any time.",
            ),
        ),
    ];
    let mut events = vec![];
    for i in 0..SUBJECTS {
        let (first, last) = (FIRST[(i + 7) % FIRST.len()], LAST[(i * 7 + 3) % LAST.len()]);
        let telecom = subject_account(i) == 1;
        let (account, channels, countries) = if telecom {
            (
                "Bluebird Telecom",
                ["sms", "whatsapp"],
                ["PT", "ES", "DE", "FR", "IE"],
            )
        } else {
            (
                "Evergreen Foods",
                ["email", "messenger"],
                ["IE", "NL", "SE", "DK", "FI"],
            )
        };
        let start = now
            - Duration::days(30 * (i as i64 % 12) + (i as i64 % 7) + 1)
            - Duration::hours(i as i64);
        let (version, hash) = &notices[usize::from(start > now - Duration::days(150))];
        let mut event = |k: usize,
                         channel: &str,
                         purpose: &str,
                         status: &str,
                         at: DateTime<Utc>| {
            if at >= now {
                return;
            }
            let value = json!({
                "id": format!("demo-{i}-{k}"), "subject": format!("cust-{}", 1000 + i),
                "email": email_for(first, last, "mail.example"), "name": format!("{first} {last}"),
                "country": countries[i % countries.len()], "account": account, "channel": channel,
                "purpose": purpose, "status": status, "lawful_basis": "consent",
                "method": if telecom { "chatbot" } else { "preference_centre" },
                "source": if telecom { "Chatbot Builder" } else { "Preference centre" },
                "notice_version": version, "notice_sha256": hash, "language": "en",
                "jurisdiction": "EU", "at": at.to_rfc3339(),
                "evidence": { "flow": "welcome", "message_id": format!("demo.{i}.{k}") },
            });
            if let Ok(e) = parse_event(&value, now) {
                events.push((e, accounts[subject_account(i)]));
            }
        };
        event(0, channels[0], "marketing", "granted", start);
        event(1, channels[0], "analytics", "granted", start);
        if i % 2 == 0 {
            event(2, channels[0], "personalisation", "granted", start);
        }
        if i % 3 == 0 {
            event(3, channels[0], "ai_processing", "refused", start);
        }
        if i % 5 == 2 {
            event(
                4,
                channels[1],
                "marketing",
                "granted",
                start + Duration::days(5),
            );
        }
        if i % 4 == 1 {
            event(
                5,
                channels[0],
                "marketing",
                "withdrawn",
                start + Duration::days(20 + i as i64),
            );
        }
    }
    let named: Vec<(&ConsentEvent, Uuid)> = events.iter().map(|(e, a)| (e, *a)).collect();
    db::consent::record(tx, org, chatbot, "demo import", &named).await?;

    let today = now.date_naive();
    let requests = [
        (
            1,
            DsrKind::Access,
            33,
            "email",
            "Asks for a copy of everything held about them.",
            DsrStatus::IdentityVerified,
        ),
        (
            5,
            DsrKind::Erasure,
            25,
            "chatbot",
            "Closing their contract; asks to be forgotten.",
            DsrStatus::InProgress,
        ),
        (
            26,
            DsrKind::Objection,
            50,
            "letter",
            "Objects to profiling for offers.",
            DsrStatus::Completed,
        ),
    ];
    for (subject, kind, days_ago, arrived_by, details, status) in requests {
        let (account, external_id) = (subject_account(subject), format!("cust-{}", 1000 + subject));
        let subject_id = db::consent::subject_id(tx, org, accounts[account], &external_id)
            .await?
            .ok_or(DemoError::Missing("a data subject of the consent history"))?;
        let received_on = today - Duration::days(days_ago);
        let request = db::dsr::NewRequest {
            subject: subject_id,
            kind,
            received_on,
            due_on: due_on(received_on, DEFAULT_RESPONSE_DAYS),
            arrived_by,
            details,
        };
        let (id, _) = db::dsr::open(tx, org, &request, (dpo, "Demo DPO")).await?;
        let outcome = (status == DsrStatus::Completed).then(
            || json!({ "note": "Profiling for offers switched off in the CRM and the chatbot." }),
        );
        db::dsr::set_status(tx, org, id, status, None, outcome.as_ref()).await?;
    }
    Ok(SUBJECTS)
}

/// The first subjects are Bluebird Telecom's customers (`accounts[1]`), the rest
/// Evergreen Foods' (`accounts[4]`).
fn subject_account(subject: usize) -> usize {
    const TELECOM_SUBJECTS: usize = 24;
    if subject < TELECOM_SUBJECTS {
        1
    } else {
        4
    }
}
