//! The work waiting for the demo's console users when they first sign in.

use app::model::packages::PackageInput;
use app::model::requests::AccessAsk;
use app::model::reviews::CampaignInput;
use chrono::{Duration, Utc};
use sqlx::PgPool;

use super::catalogue::{FIRST, LAST};
use super::{acting, admin_actor, email_for, Cast, DemoError};

/// Work waiting for each console user when they first sign in, made through the same
/// use cases the console calls (so every rule and audit event applies): requests from
/// team leads in the approval queue (one high-impact needing two approvers, one that a
/// recorded separation-of-duties rule flags, one routine), a renewal of access ending
/// within days, an access review of the Chatbot Builder for the Approver, and an access
/// package asked for by a support agent.
pub(super) async fn work_to_do(pool: &PgPool, cast: &Cast) -> Result<(), DemoError> {
    use app::service::{packages, requests, reviews, sod};
    let admin = admin_actor(cast.org, cast.admin);
    let lead = |i: usize| {
        let (first, last) = (FIRST[i], LAST[i]);
        let email = email_for(first, last, "northwind.example");
        acting(cast.org, cast.leads[i], &format!("{first} {last}"), &email)
    };

    // Maker and checker: who designs a chatbot flow does not publish it.
    sod::create(
        pool,
        &admin,
        &sod::RuleForm {
            name: "Flows: design or publish",
            description: "Whoever drafts a chatbot flow must not be the one who publishes it.",
            permission: &cast.flows_draft.to_string(),
            conflicting: &format!("role:{}", cast.roles["Flow Publisher"]),
            mode: "record",
        },
    )
    .await?;

    // (lead, employee, role, account, days, why): employee 0 supports Acme Retail,
    // employee 4 designs flows for Evergreen Foods.
    for (lead_index, employee, bundle, account, duration, why) in [
        (
            0,
            0,
            "Campaign Manager",
            0,
            "30",
            "Sends the spring campaign while the campaign team is on leave",
        ),
        (
            4,
            4,
            "Flow Publisher",
            4,
            "7",
            "Publishes the order-tracking flow once it has been tested",
        ),
        (
            0,
            0,
            "Analyst",
            0,
            "7",
            "Prepares the quarterly figures for the client meeting",
        ),
    ] {
        let new = AccessAsk {
            principal: cast.employees[employee],
            bundle: cast.roles[bundle],
            account: cast.accounts[account].to_string(),
            duration: duration.to_string(),
            justification: why.to_string(),
            ..AccessAsk::default()
        };
        requests::create(pool, &lead(lead_index), &new).await?;
    }

    // The first grant that ends within a week, renewed by the admin for the Approver.
    let ending = requests::expiring(pool, cast.org, cast.admin, 7).await?;
    if let Some(grant) = ending.iter().find(|g| !g.renewal_pending) {
        requests::renew(pool, &admin, grant.id).await?;
    }

    let due_on = (Utc::now() + Duration::days(14)).date_naive().to_string();
    reviews::create(
        pool,
        &admin,
        &CampaignInput {
            name: "Chatbot Builder: quarterly access review".into(),
            application: cast.chatbot.to_string(),
            reviewers: vec![cast.approver],
            due_on,
            undecided: "keep".into(),
            ..Default::default()
        },
    )
    .await?;

    // A package for Acme Retail's support desk, which a new support agent on the account
    // asks for; their team lead decides.
    let package = packages::create(
        pool,
        &admin,
        &PackageInput {
            name: "Acme Retail support desk".into(),
            description: "What a support agent on the Acme Retail account needs from day one."
                .into(),
            items: "Acme CRM / Support Agent / Acme Retail\nChatbot Builder / Conversation Agent / Acme Retail"
                .into(),
            for_kinds: vec!["human".into()],
            first_approver: "manager".into(),
            max_days: "30".into(),
            review_months: "3".into(),
            ..Default::default()
        },
    )
    .await?;
    let newcomer = cast.employees[5];
    let agent = app::db::principals::one(pool, cast.org, newcomer, None)
        .await?
        .ok_or(DemoError::Missing("a support agent of Acme Retail"))?;
    packages::request(
        pool,
        &acting(
            cast.org,
            newcomer,
            &agent.display_name,
            agent.email.as_deref().unwrap_or_default(),
        ),
        (package, newcomer),
        "30",
        "Joining the Acme Retail support desk for the holiday season",
    )
    .await?;
    Ok(())
}
