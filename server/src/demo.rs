//! The demo organisation: a marketing and customer-experience agency serving five
//! client accounts in two regions, with the people, contractors, client users, bots
//! and AI agents such an agency really has, and the sprawl it really accumulates.

use app::db;
use app::db::audit::{Actor, Change};
use app::db::Tx;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use rules::console::ConsoleRole;
use rules::validation::NewPassword;
use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

pub const ORGANISATION: &str = "Northwind Agency";
/// The password of every demo console user (see the README).
pub const PASSWORD: &str = "gatehouse-demo";

/// The demo's console users: email, name, console role.
pub const CONSOLE_USERS: [(&str, &str, ConsoleRole); 5] = [
    (
        "admin@northwind.example",
        "Maya Okafor",
        ConsoleRole::GovernanceAdmin,
    ),
    (
        "approver@northwind.example",
        "Daniel Reyes",
        ConsoleRole::Approver,
    ),
    (
        "dpo@northwind.example",
        "Ingrid Larsen",
        ConsoleRole::DataProtectionOfficer,
    ),
    (
        "auditor@northwind.example",
        "Tomás Ribeiro",
        ConsoleRole::Auditor,
    ),
    (
        "member@northwind.example",
        "Priya Nair",
        ConsoleRole::Member,
    ),
];

const ACCOUNTS: [(&str, &str, &str); 5] = [
    ("Acme Retail", "EU", "acme-retail.example"),
    ("Bluebird Telecom", "EU", "bluebird.example"),
    ("Cobalt Insurance", "US", "cobalt-insurance.example"),
    ("Driftwood Hotels", "US", "driftwood.example"),
    ("Evergreen Foods", "EU", "evergreen-foods.example"),
];

type Perm = (&'static str, &'static str, &'static str, bool, &'static str);

const CRM_PERMISSIONS: [Perm; 21] = [
    ("contacts", "view", "low", false, "See contact records"),
    ("contacts", "edit", "medium", false, "Edit contact records"),
    (
        "contacts",
        "export",
        "high",
        true,
        "Export contacts to a file",
    ),
    (
        "contacts",
        "delete",
        "critical",
        true,
        "Delete contact records",
    ),
    ("segments", "view", "low", false, "See audience segments"),
    (
        "segments",
        "edit",
        "medium",
        false,
        "Build and edit segments",
    ),
    (
        "broadcasts",
        "draft",
        "medium",
        false,
        "Draft email and SMS broadcasts",
    ),
    (
        "broadcasts",
        "send",
        "high",
        true,
        "Send broadcasts to customers",
    ),
    (
        "conversations",
        "view",
        "low",
        false,
        "Read customer conversations",
    ),
    ("conversations", "reply", "low", false, "Reply to customers"),
    ("orders", "view", "low", false, "See orders"),
    ("orders", "edit", "medium", false, "Change orders"),
    ("refunds", "issue", "high", true, "Issue refunds"),
    ("billing", "view", "medium", false, "See invoices and plans"),
    (
        "billing",
        "manage",
        "critical",
        true,
        "Change billing details and plans",
    ),
    (
        "integrations",
        "manage",
        "critical",
        true,
        "Connect and edit integrations",
    ),
    ("consent", "view", "medium", false, "See consent records"),
    ("consent", "manage", "high", true, "Change consent settings"),
    ("roles", "assign", "critical", true, "Assign roles to users"),
    ("audit", "view", "medium", false, "Read the CRM's audit log"),
    (
        "reports",
        "view",
        "low",
        false,
        "See dashboards and reports",
    ),
];

const CHATBOT_PERMISSIONS: [Perm; 12] = [
    ("flows", "view", "low", false, "See chatbot flows"),
    ("flows", "draft", "medium", false, "Draft and edit flows"),
    (
        "flows",
        "publish",
        "high",
        true,
        "Publish flows to live channels",
    ),
    (
        "conversations",
        "view",
        "low",
        false,
        "Read bot conversations",
    ),
    (
        "conversations",
        "handover",
        "low",
        false,
        "Take over a conversation from the bot",
    ),
    (
        "templates",
        "edit",
        "medium",
        false,
        "Edit message templates",
    ),
    (
        "knowledge",
        "edit",
        "medium",
        false,
        "Edit the knowledge base the bot answers from",
    ),
    (
        "channels",
        "manage",
        "high",
        true,
        "Connect WhatsApp, Messenger and Instagram channels",
    ),
    (
        "integrations",
        "manage",
        "critical",
        true,
        "Connect and edit integrations",
    ),
    (
        "contacts",
        "export",
        "high",
        true,
        "Export contacts captured by the bot",
    ),
    ("analytics", "view", "low", false, "See bot analytics"),
    (
        "ai",
        "configure",
        "high",
        true,
        "Change the AI model, prompts and data access",
    ),
];

/// Roles: application (0 = CRM, 1 = Chatbot Builder), name, description, permission keys
/// (`None` means every permission of the application).
const ROLES: [(usize, &str, &str, Option<&[&str]>); 12] = [
    (
        0,
        "Support Agent",
        "Answers customers and looks up their orders",
        Some(&[
            "contacts.view",
            "conversations.view",
            "conversations.reply",
            "orders.view",
        ]),
    ),
    (
        0,
        "Support Lead",
        "Runs a support team; fixes orders and issues refunds",
        Some(&[
            "contacts.view",
            "contacts.edit",
            "conversations.view",
            "conversations.reply",
            "orders.view",
            "orders.edit",
            "refunds.issue",
            "reports.view",
        ]),
    ),
    (
        0,
        "Campaign Manager",
        "Plans and sends campaigns",
        Some(&[
            "contacts.view",
            "segments.view",
            "segments.edit",
            "broadcasts.draft",
            "broadcasts.send",
            "reports.view",
        ]),
    ),
    (
        0,
        "Content Editor",
        "Writes campaign content",
        Some(&["segments.view", "broadcasts.draft"]),
    ),
    (
        0,
        "Analyst",
        "Reads data to report on it",
        Some(&[
            "contacts.view",
            "segments.view",
            "orders.view",
            "reports.view",
        ]),
    ),
    (
        0,
        "Client Viewer",
        "A client's own staff: sees results, changes nothing",
        Some(&["segments.view", "reports.view"]),
    ),
    (
        0,
        "Billing Specialist",
        "Manages the client's plan and invoices",
        Some(&["billing.view", "billing.manage", "orders.view"]),
    ),
    (0, "CRM Admin", "Administers the CRM for an account", None),
    (
        1,
        "Flow Designer",
        "Builds and tests chatbot flows",
        Some(&[
            "flows.view",
            "flows.draft",
            "templates.edit",
            "knowledge.edit",
            "analytics.view",
        ]),
    ),
    (
        1,
        "Flow Publisher",
        "Reviews and publishes flows",
        Some(&["flows.view", "flows.publish", "analytics.view"]),
    ),
    (
        1,
        "Conversation Agent",
        "Handles conversations the bot hands over",
        Some(&["conversations.view", "conversations.handover"]),
    ),
    (1, "Bot Admin", "Administers the chatbot platform", None),
];

const PERMISSION_SETS: [(usize, &str, &str, &[&str]); 3] = [
    (
        0,
        "Contact Export",
        "A one-off export of contacts for a campaign or migration",
        &["contacts.export"],
    ),
    (
        0,
        "Refund Authority",
        "Issue refunds during a peak or an incident",
        &["refunds.issue"],
    ),
    (
        1,
        "Integration Maintenance",
        "Fix or reconnect an integration or channel",
        &["integrations.manage", "channels.manage"],
    ),
];

const FIRST: [&str; 24] = [
    "Amara", "Ben", "Chloé", "Dmitri", "Elena", "Farah", "Gustav", "Hana", "Ivan", "Jade", "Kofi",
    "Lena", "Mateo", "Nadia", "Oscar", "Paula", "Quentin", "Rosa", "Samir", "Tara", "Umar", "Vera",
    "Wei", "Yusuf",
];
const LAST: [&str; 20] = [
    "Adeyemi",
    "Bauer",
    "Costa",
    "Dubois",
    "Eriksen",
    "Fischer",
    "García",
    "Hughes",
    "Ito",
    "Jansen",
    "Kowalski",
    "Lindqvist",
    "Moreau",
    "Novak",
    "O'Brien",
    "Petrov",
    "Quinn",
    "Rossi",
    "Silva",
    "Tanaka",
];

/// Which CRM/Chatbot role each employee's job function gets.
const FUNCTIONS: [(&str, &str); 7] = [
    ("Support Agent", "Support Agent"),
    ("Campaign Manager", "Campaign Manager"),
    ("Content Editor", "Content Editor"),
    ("Analyst", "Analyst"),
    ("Flow Designer", "Flow Designer"),
    ("Support Lead", "Support Lead"),
    ("Billing Specialist", "Billing Specialist"),
];

enum BotAccess {
    Role(&'static str),
    PermissionSet(&'static str),
}

/// A non-human identity of the demo; `owner_lead` and `account` index the team
/// leads and the accounts.
struct DemoBot {
    kind: &'static str,
    name: &'static str,
    external_id: &'static str,
    owner_lead: usize,
    access: BotAccess,
    account: Option<usize>,
    until_in_days: Option<i64>,
    active_days_ago: Option<i64>,
}

const BOTS: [DemoBot; 6] = [
    DemoBot {
        kind: "ai_agent",
        name: "Support Copilot",
        external_id: "agent:support-copilot",
        owner_lead: 0,
        access: BotAccess::Role("Support Agent"),
        account: Some(0),
        until_in_days: None,
        active_days_ago: Some(0),
    },
    DemoBot {
        kind: "ai_agent",
        name: "Lead Scoring Agent",
        external_id: "agent:lead-scoring",
        owner_lead: 3,
        access: BotAccess::Role("Analyst"),
        account: None,
        until_in_days: None,
        active_days_ago: Some(1),
    },
    DemoBot {
        kind: "bot",
        name: "WhatsApp Order Bot",
        external_id: "bot:whatsapp-orders",
        owner_lead: 4,
        access: BotAccess::Role("Conversation Agent"),
        account: Some(0),
        until_in_days: None,
        active_days_ago: Some(0),
    },
    DemoBot {
        kind: "bot",
        name: "Instagram DM Bot",
        external_id: "bot:instagram-dm",
        owner_lead: 4,
        access: BotAccess::Role("Conversation Agent"),
        account: Some(3),
        until_in_days: None,
        active_days_ago: Some(95),
    },
    DemoBot {
        kind: "integration",
        name: "Shopify Sync",
        external_id: "integration:shopify",
        owner_lead: 1,
        access: BotAccess::PermissionSet("Integration Maintenance"),
        account: Some(0),
        until_in_days: Some(30),
        active_days_ago: Some(0),
    },
    DemoBot {
        kind: "integration",
        name: "Warehouse Export",
        external_id: "integration:warehouse",
        owner_lead: 2,
        access: BotAccess::PermissionSet("Contact Export"),
        account: Some(2),
        until_in_days: Some(-5),
        active_days_ago: None,
    },
];

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("the database already holds the organisation \u{201c}{0}\u{201d}; the demo loads only into an empty database")]
    NotEmpty(String),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    App(#[from] app::error::AppError),
    #[error(transparent)]
    Rule(#[from] rules::error::RuleError),
}

#[derive(Debug)]
pub struct DemoSummary {
    pub org_id: Uuid,
    pub accounts: usize,
    pub principals: usize,
    pub grants: usize,
}

struct Loader<'t, 'c> {
    tx: &'t mut Tx<'c>,
    org: Uuid,
    now: DateTime<Utc>,
    admin: Uuid,
    principals: usize,
    grants: usize,
}

struct NewPrincipal<'a> {
    kind: &'a str,
    name: String,
    email: Option<String>,
    external_id: Option<String>,
    employment: Option<&'a str>,
    title: &'a str,
    manager: Option<Uuid>,
    owner: Option<Uuid>,
    end_date: Option<NaiveDate>,
    last_activity: Option<DateTime<Utc>>,
}

impl Loader<'_, '_> {
    async fn principal(&mut self, p: NewPrincipal<'_>) -> sqlx::Result<Uuid> {
        let id = Uuid::new_v4();
        sqlx::query(
            "INSERT INTO principals (org_id, id, kind, display_name, email, external_id, employment_type, job_title, \
             manager_id, owner_id, end_date, last_activity_at, created_at) \
             VALUES ($1, $2, $3::principal_kind, $4, $5, $6, $7::employment_type, $8, $9, $10, $11, $12, $13)",
        )
        .bind(self.org)
        .bind(id)
        .bind(p.kind)
        .bind(p.name)
        .bind(p.email)
        .bind(p.external_id)
        .bind(p.employment)
        .bind(p.title)
        .bind(p.manager)
        .bind(p.owner)
        .bind(p.end_date)
        .bind(p.last_activity)
        .bind(self.now - Duration::days(400))
        .execute(&mut **self.tx)
        .await?;
        self.principals += 1;
        Ok(id)
    }

    async fn assign(&mut self, principal: Uuid, account: Uuid) -> sqlx::Result<()> {
        sqlx::query("INSERT INTO principal_accounts (org_id, principal_id, account_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
            .bind(self.org)
            .bind(principal)
            .bind(account)
            .execute(&mut **self.tx)
            .await?;
        Ok(())
    }

    /// Makes `principal` one of the account's managers (who decide its requests).
    async fn manage(&mut self, principal: Uuid, account: Uuid) -> sqlx::Result<()> {
        sqlx::query(
            "INSERT INTO account_managers (org_id, account_id, principal_id) VALUES ($1, $2, $3)",
        )
        .bind(self.org)
        .bind(account)
        .bind(principal)
        .execute(&mut **self.tx)
        .await?;
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    async fn grant(
        &mut self,
        principal: Uuid,
        role: Option<Uuid>,
        permission_set: Option<Uuid>,
        account: Option<Uuid>,
        from_days_ago: i64,
        until_in_days: Option<i64>,
        reason: &str,
    ) -> sqlx::Result<Uuid> {
        let id = Uuid::new_v4();
        sqlx::query(
            "INSERT INTO grants (org_id, id, principal_id, role_id, permission_set_id, account_id, valid_from, valid_until, \
             granted_by, reason, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $7)",
        )
        .bind(self.org)
        .bind(id)
        .bind(principal)
        .bind(role)
        .bind(permission_set)
        .bind(account)
        .bind(self.now - Duration::days(from_days_ago))
        .bind(until_in_days.map(|d| self.now + Duration::days(d)))
        .bind(self.admin)
        .bind(reason)
        .execute(&mut **self.tx)
        .await?;
        self.grants += 1;
        Ok(id)
    }
}

async fn application(
    tx: &mut Tx<'_>,
    org: Uuid,
    name: &str,
    description: &str,
    max_days: Option<i32>,
    allow_no_end: bool,
) -> sqlx::Result<Uuid> {
    let id = Uuid::new_v4();
    sqlx::query("INSERT INTO applications (org_id, id, name, description, max_grant_days, allow_no_end) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(org)
        .bind(id)
        .bind(name)
        .bind(description)
        .bind(max_days)
        .bind(allow_no_end)
        .execute(&mut **tx)
        .await?;
    Ok(id)
}

/// Inserts a role (`is_role`) or a permission set with the given permission keys
/// (`None`: every permission of the application).
#[allow(clippy::too_many_arguments)]
async fn bundle(
    tx: &mut Tx<'_>,
    org: Uuid,
    app_id: Uuid,
    is_role: bool,
    name: &str,
    description: &str,
    keys: Option<&[&str]>,
) -> sqlx::Result<Uuid> {
    let (table, link_table, column) = if is_role {
        ("roles", "role_permissions", "role_id")
    } else {
        (
            "permission_sets",
            "permission_set_permissions",
            "permission_set_id",
        )
    };
    let id = Uuid::new_v4();
    sqlx::query(&format!("INSERT INTO {table} (org_id, id, application_id, name, description) VALUES ($1, $2, $3, $4, $5)"))
        .bind(org)
        .bind(id)
        .bind(app_id)
        .bind(name)
        .bind(description)
        .execute(&mut **tx)
        .await?;
    let keys: Option<Vec<String>> = keys.map(|k| k.iter().map(|s| s.to_string()).collect());
    sqlx::query(&format!(
        "INSERT INTO {link_table} (org_id, {column}, permission_id) \
         SELECT $1, $2, id FROM permissions WHERE org_id = $1 AND application_id = $3 \
           AND ($4::text[] IS NULL OR resource || '.' || action = ANY($4))"
    ))
    .bind(org)
    .bind(id)
    .bind(app_id)
    .bind(keys)
    .execute(&mut **tx)
    .await?;
    Ok(id)
}

/// Loads the demo organisation, then the work waiting for its console users.
pub async fn load(pool: &PgPool) -> Result<DemoSummary, DemoError> {
    let (summary, cast) = load_organisation(pool).await?;
    work_to_do(pool, &cast).await?;
    Ok(summary)
}

/// The demo organisation alone, in one transaction: its catalogue, people, bots and
/// grants, consent histories and history figures; nothing waits in a queue. Tests start
/// from it; `load` adds the work.
pub async fn load_organisation(pool: &PgPool) -> Result<(DemoSummary, Cast), DemoError> {
    let mut tx = pool.begin().await?;
    sqlx::query("LOCK TABLE organisations IN EXCLUSIVE MODE")
        .execute(&mut *tx)
        .await?;
    if let Some(name) = sqlx::query_scalar::<_, String>("SELECT name FROM organisations LIMIT 1")
        .fetch_optional(&mut *tx)
        .await?
    {
        return Err(DemoError::NotEmpty(name));
    }
    let now = Utc::now();
    let today = now.date_naive();
    let org = Uuid::new_v4();
    sqlx::query("INSERT INTO organisations (id, name) VALUES ($1, $2)")
        .bind(org)
        .bind(ORGANISATION)
        .execute(&mut *tx)
        .await?;
    db::console_catalogue::ensure(&mut tx, org).await?;

    let mut accounts = vec![];
    for (name, region, _) in ACCOUNTS {
        let id = Uuid::new_v4();
        sqlx::query("INSERT INTO accounts (org_id, id, name, region, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(org)
            .bind(id)
            .bind(name)
            .bind(region)
            .bind(now - Duration::days(500))
            .execute(&mut *tx)
            .await?;
        accounts.push(id);
    }

    let crm = application(
        &mut tx,
        org,
        "Acme CRM",
        "Contacts, segments, campaigns, orders and support",
        Some(90),
        true,
    )
    .await?;
    let chatbot = application(
        &mut tx,
        org,
        "Chatbot Builder",
        "Chatbot flows on WhatsApp, Messenger, Instagram and the web",
        Some(30),
        false,
    )
    .await?;
    let apps = [crm, chatbot];
    let mut flows_draft = Uuid::nil();
    for (app_id, catalogue) in [
        (crm, &CRM_PERMISSIONS[..]),
        (chatbot, &CHATBOT_PERMISSIONS[..]),
    ] {
        for (resource, action, risk, high_impact, description) in catalogue {
            let id = Uuid::new_v4();
            if app_id == chatbot && (*resource, *action) == ("flows", "draft") {
                flows_draft = id;
            }
            sqlx::query(
                "INSERT INTO permissions (org_id, id, application_id, resource, action, risk, high_impact, description) \
                 VALUES ($1, $2, $3, $4, $5, $6::risk_level, $7, $8)",
            )
            .bind(org)
            .bind(id)
            .bind(app_id)
            .bind(resource)
            .bind(action)
            .bind(risk)
            .bind(high_impact)
            .bind(description)
            .execute(&mut *tx)
            .await?;
        }
    }
    let mut roles = std::collections::HashMap::new();
    for (app, name, description, keys) in ROLES {
        let id = bundle(&mut tx, org, apps[app], true, name, description, keys).await?;
        roles.insert(name, id);
    }
    let mut sets = std::collections::HashMap::new();
    for (app, name, description, keys) in PERMISSION_SETS {
        let id = bundle(
            &mut tx,
            org,
            apps[app],
            false,
            name,
            description,
            Some(keys),
        )
        .await?;
        sets.insert(name, id);
    }

    let mut loader = Loader {
        tx: &mut tx,
        org,
        now,
        admin: Uuid::nil(),
        principals: 0,
        grants: 0,
    };
    let days_ago = |d: i64| Some(now - Duration::days(d));

    // Console users: real people of the agency who work in Gatehouse.
    let mut console_ids = vec![];
    for (i, (email, name, role)) in CONSOLE_USERS.into_iter().enumerate() {
        let id = loader
            .principal(NewPrincipal {
                kind: "human",
                name: name.to_string(),
                email: Some(email.to_string()),
                external_id: None,
                employment: Some("employee"),
                title: role.name(),
                manager: console_ids.first().copied(),
                owner: None,
                end_date: None,
                last_activity: days_ago(i as i64),
            })
            .await?;
        if i == 0 {
            loader.admin = id;
        }
        let console_role = db::console_catalogue::role_id(loader.tx, org, role).await?;
        loader
            .grant(
                id,
                Some(console_role),
                None,
                None,
                300,
                None,
                "Console role for the demo",
            )
            .await?;
        console_ids.push(id);
    }
    let password_hash =
        app::service::passwords::hash(&NewPassword::parse("password", PASSWORD)?).await?;
    for (id, (email, _, _)) in console_ids.iter().zip(CONSOLE_USERS) {
        sqlx::query("INSERT INTO console_credentials (org_id, principal_id, email, password_hash) VALUES ($1, $2, $3, $4)")
            .bind(org)
            .bind(id)
            .bind(email)
            .bind(&password_hash)
            .execute(&mut **loader.tx)
            .await?;
    }
    let approver_role =
        db::console_catalogue::role_id(loader.tx, org, ConsoleRole::Approver).await?;

    // Team leads: one per job family, approvers for their teams.
    let mut leads = vec![];
    for i in 0..5 {
        let (first, last) = (FIRST[i], LAST[i]);
        let id = loader
            .principal(NewPrincipal {
                kind: "human",
                name: format!("{first} {last}"),
                email: Some(email_for(first, last, "northwind.example")),
                external_id: None,
                employment: Some("employee"),
                title: "Team lead",
                manager: Some(console_ids[1]),
                owner: None,
                end_date: None,
                last_activity: days_ago(i as i64 + 1),
            })
            .await?;
        loader
            .grant(
                id,
                Some(approver_role),
                None,
                Some(accounts[i]),
                200,
                None,
                "Approves requests for the account team",
            )
            .await?;
        loader
            .grant(
                id,
                Some(roles["Support Lead"]),
                None,
                Some(accounts[i]),
                200,
                None,
                "Leads the account team",
            )
            .await?;
        loader.assign(id, accounts[i]).await?;
        loader.manage(id, accounts[i]).await?;
        leads.push(id);
    }
    // The Governance admin and the console's approver answer for every account.
    for account in &accounts {
        loader.manage(console_ids[0], *account).await?;
        loader.manage(console_ids[1], *account).await?;
    }

    // Employees by job function, each serving one or two accounts.
    let mut employees = vec![];
    for i in 0..40usize {
        let (first, last) = (FIRST[(i + 5) % FIRST.len()], LAST[(i * 7 + 3) % LAST.len()]);
        let (title, role) = FUNCTIONS[i % FUNCTIONS.len()];
        let activity = match i % 7 {
            0 => None,
            1 => days_ago(120 + i as i64),
            2 => days_ago(65),
            _ => days_ago((i % 20) as i64),
        };
        let id = loader
            .principal(NewPrincipal {
                kind: "human",
                name: format!("{first} {last}"),
                email: Some(email_for(first, &format!("{last}{i}"), "northwind.example")),
                external_id: None,
                employment: Some("employee"),
                title,
                manager: Some(leads[i % leads.len()]),
                owner: None,
                end_date: None,
                last_activity: activity,
            })
            .await?;
        employees.push(id);
        let home = accounts[i % accounts.len()];
        loader.assign(id, home).await?;
        loader
            .grant(
                id,
                Some(roles[role]),
                None,
                Some(home),
                30 + i as i64,
                None,
                &format!("Onboarding: {title}"),
            )
            .await?;
        if i % 3 == 0 {
            let second = accounts[(i + 2) % accounts.len()];
            loader.assign(id, second).await?;
            loader
                .grant(
                    id,
                    Some(roles[role]),
                    None,
                    Some(second),
                    20,
                    Some(60),
                    "Covering a second account this quarter",
                )
                .await?;
        }
        if i % 10 == 1 {
            loader
                .grant(
                    id,
                    None,
                    Some(sets["Contact Export"]),
                    Some(home),
                    2,
                    Some(5),
                    "Export for the spring campaign list",
                )
                .await?;
        }
        if i % 10 == 5 {
            loader
                .grant(
                    id,
                    None,
                    Some(sets["Refund Authority"]),
                    Some(home),
                    60,
                    Some(-30),
                    "Holiday-season refund peak",
                )
                .await?;
        }
    }

    // Contractors: time-bound by contract, some already past their end date.
    for i in 0..10usize {
        let (first, last) = (
            FIRST[(i * 5 + 2) % FIRST.len()],
            LAST[(i * 3 + 11) % LAST.len()],
        );
        let ends_in = if i % 3 == 0 {
            -10 * (i as i64 + 1)
        } else {
            15 * (i as i64 + 1)
        };
        let (title, role) = [
            ("Freelance copywriter", "Content Editor"),
            ("Chatbot consultant", "Flow Designer"),
            ("Data analyst (contract)", "Analyst"),
        ][i % 3];
        let id = loader
            .principal(NewPrincipal {
                kind: "human",
                name: format!("{first} {last}"),
                email: Some(email_for(
                    first,
                    &format!("{last}.contractor{i}"),
                    "northwind.example",
                )),
                external_id: None,
                employment: Some("contractor"),
                title,
                manager: Some(leads[(i + 1) % leads.len()]),
                owner: None,
                end_date: Some(today + Duration::days(ends_in)),
                last_activity: if i % 3 == 0 {
                    days_ago(-ends_in + 3)
                } else {
                    days_ago(i as i64)
                },
            })
            .await?;
        let account = accounts[(i + 1) % accounts.len()];
        loader.assign(id, account).await?;
        let until = if ends_in < 0 && i % 2 == 0 {
            ends_in
        } else {
            ends_in.max(1)
        };
        loader
            .grant(
                id,
                Some(roles[role]),
                None,
                Some(account),
                120,
                Some(until),
                &format!("Contract: {title}"),
            )
            .await?;
        if i == 4 {
            // Client bleed: still holds a grant on an account the contract moved away from.
            loader
                .grant(
                    id,
                    Some(roles[role]),
                    None,
                    Some(accounts[(i + 2) % accounts.len()]),
                    150,
                    None,
                    "Earlier engagement",
                )
                .await?;
        }
    }

    // Client users: the clients' own staff, viewing their account only.
    for i in 0..8usize {
        let a = i % ACCOUNTS.len();
        let (first, last) = (
            FIRST[(i * 3 + 7) % FIRST.len()],
            LAST[(i * 9 + 1) % LAST.len()],
        );
        let id = loader
            .principal(NewPrincipal {
                kind: "human",
                name: format!("{first} {last}"),
                email: Some(email_for(first, last, ACCOUNTS[a].2)),
                external_id: None,
                employment: Some("client_user"),
                title: "Client marketing lead",
                manager: None,
                owner: None,
                end_date: (i == 6).then(|| today - Duration::days(20)),
                last_activity: if i % 4 == 3 {
                    None
                } else {
                    days_ago(3 * i as i64)
                },
            })
            .await?;
        loader.assign(id, accounts[a]).await?;
        loader
            .grant(
                id,
                Some(roles["Client Viewer"]),
                None,
                Some(accounts[a]),
                90,
                None,
                "Client access to their own results",
            )
            .await?;
    }

    // Non-human identities, each with a human owner.
    for bot in BOTS {
        let id = loader
            .principal(NewPrincipal {
                kind: bot.kind,
                name: bot.name.to_string(),
                email: None,
                external_id: Some(bot.external_id.to_string()),
                employment: None,
                title: "",
                manager: None,
                owner: Some(leads[bot.owner_lead]),
                end_date: None,
                last_activity: bot.active_days_ago.and_then(days_ago),
            })
            .await?;
        let account = bot.account.map(|a| accounts[a]);
        if let Some(a) = account {
            loader.assign(id, a).await?;
        }
        let reason = format!("{} needs this to run", bot.name);
        let (role, set) = match bot.access {
            BotAccess::Role(role) => (Some(roles[role]), None),
            BotAccess::PermissionSet(set) => (None, Some(sets[set])),
        };
        loader
            .grant(id, role, set, account, 60, bot.until_in_days, &reason)
            .await?;
    }

    // One revoked grant, as a trail of a past decision.
    let revoked = loader
        .grant(
            leads[2],
            Some(roles["CRM Admin"]),
            None,
            Some(accounts[2]),
            180,
            None,
            "Migration to the new CRM",
        )
        .await?;
    sqlx::query("UPDATE grants SET revoked_at = $3, revoked_by = $4, revoke_reason = 'Migration finished' WHERE org_id = $1 AND id = $2")
        .bind(org)
        .bind(revoked)
        .bind(now - Duration::days(150))
        .bind(loader.admin)
        .execute(&mut **loader.tx)
        .await?;

    // Made-up history for the home page's trends: 89 days drifting towards today's
    // figures (today's own snapshot is taken by the server).
    sqlx::query(
        "WITH today AS (SELECT \
           (SELECT count(*) FROM grants WHERE org_id = $1 AND revoked_at IS NULL \
              AND (valid_until IS NULL OR valid_until > now())) AS grants, \
           (SELECT count(*) FROM access_requests WHERE org_id = $1 AND status = 'pending') AS pending, \
           (SELECT count(*) FROM principals WHERE org_id = $1 AND status = 'active' \
              AND (end_date < current_date OR last_activity_at < now() - interval '90 days' \
                   OR (last_activity_at IS NULL AND created_at < now() - interval '90 days'))) AS dormant) \
         INSERT INTO daily_snapshots (org_id, day, dormant_principals, pending_requests, active_grants) \
         SELECT $1, current_date - n, dormant + n / 12, pending + (n / 9) % 3, greatest(grants - n / 5, 0) \
         FROM today, generate_series(1, 89) n",
    )
    .bind(org)
    .execute(&mut **loader.tx)
    .await?;

    let subjects = consent_history(loader.tx, org, &accounts, chatbot, now).await?;

    let summary = DemoSummary {
        org_id: org,
        accounts: accounts.len(),
        principals: loader.principals,
        grants: loader.grants,
    };
    let actor = Actor {
        org_id: org,
        principal_id: None,
        label: "gatehouse demo (command line)".into(),
        source_ip: None,
        user_agent: None,
    };
    let cast = Cast {
        org,
        admin: console_ids[0],
        approver: console_ids[1],
        leads: leads.clone(),
        employees: employees.clone(),
        accounts: accounts.clone(),
        chatbot,
        flows_draft,
        roles: roles.clone(),
    };
    db::audit::record(
        &mut tx,
        &actor,
        Change {
            action: "demo.loaded",
            target_type: "organisation",
            target_id: Some(org.to_string()),
            target_label: ORGANISATION.into(),
            before: None,
            after: Some(json!({ "accounts": summary.accounts, "principals": summary.principals, "grants": summary.grants,
                                "data_subjects": subjects })),
            reason: Some("Demo organisation".into()),
        },
    )
    .await?;
    tx.commit().await?;
    Ok((summary, cast))
}

/// Who and what the demo's work refers to.
pub struct Cast {
    org: Uuid,
    admin: Uuid,
    approver: Uuid,
    /// Team leads, `leads[i]` managing `employees[j]` when `j % 5 == i`.
    leads: Vec<Uuid>,
    /// Employees; `employees[i]` works in function `FUNCTIONS[i % 7]` on `accounts[i % 5]`.
    employees: Vec<Uuid>,
    accounts: Vec<Uuid>,
    chatbot: Uuid,
    /// The Chatbot Builder's `flows.draft` permission.
    flows_draft: Uuid,
    roles: std::collections::HashMap<&'static str, Uuid>,
}

/// Work waiting for each console user when they first sign in, made through the same
/// use cases the console calls (so every rule and audit event applies): requests from
/// team leads in the approval queue (one high-impact needing two approvers, one that a
/// recorded separation-of-duties rule flags, one routine), a renewal of access ending
/// within days, and an access review of the Chatbot Builder for the Approver.
async fn work_to_do(pool: &PgPool, cast: &Cast) -> Result<(), DemoError> {
    use app::service::{requests, reviews, sod};
    let actor = |principal: Uuid, name: String, email: &str| Actor {
        org_id: cast.org,
        principal_id: Some(principal),
        label: format!("{name} <{email}>"),
        source_ip: None,
        user_agent: None,
    };
    let (email, name, _) = CONSOLE_USERS[0];
    let admin = actor(cast.admin, name.to_string(), email);
    let lead = |i: usize| {
        let (first, last) = (FIRST[i], LAST[i]);
        actor(
            cast.leads[i],
            format!("{first} {last}"),
            &email_for(first, last, "northwind.example"),
        )
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
        let account = cast.accounts[account].to_string();
        let new = requests::NewRequest {
            principal: cast.employees[employee],
            bundle: cast.roles[bundle],
            account: &account,
            duration,
            until: "",
            justification: why,
        };
        requests::create(pool, &lead(lead_index), cast.leads[lead_index], &new).await?;
    }

    // The first grant that ends within a week, renewed by the admin for the Approver.
    let ending = requests::expiring(pool, cast.org, cast.admin, 7).await?;
    if let Some(grant) = ending.iter().find(|g| !g.renewal_pending) {
        requests::renew(pool, &admin, cast.admin, grant.id).await?;
    }

    let due_on = (Utc::now() + Duration::days(14)).date_naive().to_string();
    reviews::create(
        pool,
        &admin,
        cast.admin,
        &reviews::CampaignForm {
            name: "Chatbot Builder: quarterly access review",
            application: Some(cast.chatbot),
            accounts: &[],
            roles: &[],
            kinds: &[],
            principals: &[],
            reviewers: &[cast.approver],
            due_on: &due_on,
            undecided: "keep",
        },
    )
    .await?;
    Ok(())
}

/// Consent histories of two accounts' customers over the last year, as the chatbot and
/// preference centre reported them, and three data-subject requests in hand: one
/// overdue, one due soon, one answered. Answers the number of data subjects.
async fn consent_history(
    tx: &mut Tx<'_>,
    org: Uuid,
    accounts: &[Uuid],
    chatbot: Uuid,
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
        let telecom = i < 24;
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
                events.push(e);
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
    let named: Vec<(&ConsentEvent, Uuid)> = events
        .iter()
        .map(|e| {
            let account = if e.account == "Bluebird Telecom" {
                accounts[1]
            } else {
                accounts[4]
            };
            (e, account)
        })
        .collect();
    db::consent::record(tx, org, chatbot, "demo import", &named).await?;

    let dpo: Uuid = sqlx::query_scalar(
        "SELECT principal_id FROM console_credentials WHERE org_id = $1 AND email = 'dpo@northwind.example'",
    )
    .bind(org)
    .fetch_one(&mut **tx)
    .await?;
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
        let subject_id: Uuid = sqlx::query_scalar(
            "SELECT id FROM data_subjects WHERE org_id = $1 AND external_id = $2",
        )
        .bind(org)
        .bind(format!("cust-{}", 1000 + subject))
        .fetch_one(&mut **tx)
        .await?;
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

fn email_for(first: &str, last: &str, domain: &str) -> String {
    let clean = |s: &str| -> String {
        s.to_lowercase()
            .replace(['é', 'è'], "e")
            .replace('í', "i")
            .replace('á', "a")
            .replace('ó', "o")
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '.')
            .collect()
    };
    format!("{}.{}@{domain}", clean(first), clean(last))
}
