//! The demo organisation: a marketing and customer-experience agency serving five
//! client accounts in two regions, with the people, contractors, client users, bots
//! and AI agents such an agency really has, and the sprawl it really accumulates.
//! What it is made of is in `catalogue`; everything is written through the console's
//! own database functions, and its waiting work through the console's use cases.

mod catalogue;
mod consent;
mod work;

use std::collections::HashMap;

use app::db;
use app::db::applications::{GrantRules, NewPermission};
use app::db::audit::{Actor, Change};
use app::db::principals::NewPrincipal;
use app::db::Tx;
use app::model::roles::BundleKind;
use chrono::{DateTime, Duration, Utc};
use rules::console::ConsoleRole;
use rules::validation::NewPassword;
use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

use catalogue::{
    BotAccess, Perm, ACCOUNTS, BOTS, CHATBOT_PERMISSIONS, CRM_PERMISSIONS, FIRST, FUNCTIONS, LAST,
    PERMISSION_SETS, ROLES,
};
use consent::consent_history;
use rules::audit::AuditAction;
use work::work_to_do;

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

/// A console user whose role reaches one client account: Bluebird Telecom's team lead,
/// an Approver there and nowhere else.
pub const ACCOUNT_APPROVER: &str = "ben.bauer@northwind.example";

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("the database already holds the organisation \u{201c}{0}\u{201d}; the demo loads only into an empty database")]
    NotEmpty(String),
    #[error("the demo could not find {0} it had just written")]
    Missing(&'static str),
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

/// A grant of the demo: held from `from_days_ago`, ending `until_in_days` from now.
struct DemoGrant<'a> {
    principal: Uuid,
    bundle: (Option<Uuid>, Option<Uuid>),
    account: Option<Uuid>,
    from_days_ago: i64,
    until_in_days: Option<i64>,
    reason: &'a str,
}

impl Loader<'_, '_> {
    /// Everyone joined the agency over a year ago.
    async fn principal(&mut self, p: NewPrincipal<'_>) -> sqlx::Result<Uuid> {
        let joined = NewPrincipal {
            since: Some(self.now - Duration::days(400)),
            ..p
        };
        let id = db::principals::insert(self.tx, self.org, &joined).await?;
        self.principals += 1;
        Ok(id)
    }

    async fn assign(&mut self, principal: Uuid, account: Uuid) -> sqlx::Result<()> {
        db::principals::set_account(self.tx, self.org, principal, account, true).await?;
        Ok(())
    }

    /// Makes `principal` one of the account's managers (who decide its requests).
    async fn manage(&mut self, principal: Uuid, account: Uuid) -> sqlx::Result<()> {
        db::accounts::add_manager(self.tx, self.org, account, principal).await
    }

    /// A grant made by the Governance admin.
    async fn grant(&mut self, g: DemoGrant<'_>) -> sqlx::Result<Uuid> {
        let (role_id, permission_set_id) = g.bundle;
        let grant = db::grants::NewGrant {
            principal_id: g.principal,
            role_id,
            permission_set_id,
            account_id: g.account,
            valid_from: Some(self.now - Duration::days(g.from_days_ago)),
            valid_until: g.until_in_days.map(|d| self.now + Duration::days(d)),
            granted_by: Some(self.admin),
            reason: g.reason,
            source_request_id: None,
            conditions: &serde_json::json!({}),
            birthright_rule_id: None,
            package_assignment_id: None,
        };
        let id = db::grants::insert(self.tx, self.org, &grant).await?;
        self.grants += 1;
        Ok(id)
    }
}

/// An application written with its permissions, which it answers by `resource.action`.
struct DemoApplication {
    id: Uuid,
    permissions: HashMap<String, Uuid>,
}

async fn application(
    tx: &mut Tx<'_>,
    org: Uuid,
    name_and_description: (&str, &str),
    rules: GrantRules,
    catalogue: &[Perm],
) -> Result<DemoApplication, DemoError> {
    let id = db::applications::insert(tx, org, name_and_description, rules).await?;
    let mut permissions = HashMap::new();
    for &(resource, action, risk, high_impact, description) in catalogue {
        let permission = NewPermission {
            resource,
            action,
            risk,
            high_impact,
            description,
        };
        let permission_id = db::applications::insert_permission(tx, org, id, &permission)
            .await?
            .ok_or(DemoError::Missing("a new permission"))?;
        permissions.insert(format!("{resource}.{action}"), permission_id);
    }
    Ok(DemoApplication { id, permissions })
}

/// Writes a role or permission set of the application with the given permission keys
/// (`None`: every permission of the application), as the role matrix would.
async fn bundle(
    tx: &mut Tx<'_>,
    org: Uuid,
    app: &DemoApplication,
    kind: BundleKind,
    name_and_description: (&str, &str),
    keys: Option<&[&str]>,
) -> Result<Uuid, DemoError> {
    let (name, description) = name_and_description;
    let id = db::roles::insert_bundle(tx, org, kind, (app.id, name, description))
        .await?
        .ok_or(DemoError::Missing("a new role or permission set"))?;
    let mut cells: Vec<Uuid> = match keys {
        None => app.permissions.values().copied().collect(),
        Some(keys) => keys
            .iter()
            .map(|key| {
                app.permissions
                    .get(*key)
                    .copied()
                    .ok_or(DemoError::Missing("a permission a role names"))
            })
            .collect::<Result<_, _>>()?,
    };
    cells.sort();
    for permission in cells {
        db::roles::set_cell(tx, org, kind, id, permission, true).await?;
    }
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
    // Hashed before the transaction: the hash is deliberately slow, and the organisations
    // table stays locked until the load commits.
    let password_hash =
        app::service::passwords::hash(&NewPassword::parse("password", PASSWORD)?).await?;
    let mut tx = pool.begin().await?;
    if let Some(name) = db::organisations::lock_and_find_any(&mut tx).await? {
        return Err(DemoError::NotEmpty(name));
    }
    let now = Utc::now();
    let today = now.date_naive();
    let org = db::organisations::insert(&mut tx, ORGANISATION).await?;
    db::console_catalogue::ensure(&mut tx, org).await?;

    let mut accounts = vec![];
    for (name, region, _) in ACCOUNTS {
        let account = db::accounts::insert(&mut tx, org, name, region)
            .await?
            .ok_or(DemoError::Missing("a new client account"))?;
        accounts.push(account.id);
    }

    let crm = application(
        &mut tx,
        org,
        (
            "Acme CRM",
            "Contacts, segments, campaigns, orders and support",
        ),
        GrantRules {
            max_grant_days: Some(90),
            allow_no_end: true,
        },
        &CRM_PERMISSIONS,
    )
    .await?;
    let chatbot = application(
        &mut tx,
        org,
        (
            "Chatbot Builder",
            "Chatbot flows on WhatsApp, Messenger, Instagram and the web",
        ),
        GrantRules {
            max_grant_days: Some(30),
            allow_no_end: false,
        },
        &CHATBOT_PERMISSIONS,
    )
    .await?;
    let flows_draft = chatbot.permissions["flows.draft"];
    let apps = [&crm, &chatbot];
    let mut roles = HashMap::new();
    for (app, name, description, keys) in ROLES {
        let id = bundle(
            &mut tx,
            org,
            apps[app],
            BundleKind::Role,
            (name, description),
            keys,
        )
        .await?;
        roles.insert(name, id);
    }
    let mut sets = HashMap::new();
    for (app, name, description, keys) in PERMISSION_SETS {
        let id = bundle(
            &mut tx,
            org,
            apps[app],
            BundleKind::PermissionSet,
            (name, description),
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
                display_name: name,
                email: Some(email),
                external_id: None,
                employment_type: Some("employee"),
                job_title: role.name(),
                manager_id: console_ids.first().copied(),
                owner_id: None,
                end_date: None,
                last_activity_at: days_ago(i as i64),
                since: None,
            })
            .await?;
        if i == 0 {
            loader.admin = id;
        }
        let console_role = db::console_catalogue::role_id(loader.tx, org, role).await?;
        loader
            .grant(DemoGrant {
                principal: id,
                bundle: (Some(console_role), None),
                account: None,
                from_days_ago: 300,
                until_in_days: None,
                reason: "Console role for the demo",
            })
            .await?;
        console_ids.push(id);
    }
    for (id, (email, _, _)) in console_ids.iter().zip(CONSOLE_USERS) {
        db::auth::insert_credential(loader.tx, org, *id, email, &password_hash).await?;
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
                display_name: &format!("{first} {last}"),
                email: Some(&email_for(first, last, "northwind.example")),
                external_id: None,
                employment_type: Some("employee"),
                job_title: "Team lead",
                manager_id: Some(console_ids[1]),
                owner_id: None,
                end_date: None,
                last_activity_at: days_ago(i as i64 + 1),
                since: None,
            })
            .await?;
        loader
            .grant(DemoGrant {
                principal: id,
                bundle: (Some(approver_role), None),
                account: Some(accounts[i]),
                from_days_ago: 200,
                until_in_days: None,
                reason: "Approves requests for the account team",
            })
            .await?;
        loader
            .grant(DemoGrant {
                principal: id,
                bundle: (Some(roles["Support Lead"]), None),
                account: Some(accounts[i]),
                from_days_ago: 200,
                until_in_days: None,
                reason: "Leads the account team",
            })
            .await?;
        loader.assign(id, accounts[i]).await?;
        loader.manage(id, accounts[i]).await?;
        leads.push(id);
    }
    // Bluebird Telecom's, Cobalt Insurance's and Driftwood Hotels' team leads sign in
    // too: each an Approver of that account only.
    for i in [1, 2, 3] {
        let lead_email = email_for(FIRST[i], LAST[i], "northwind.example");
        db::auth::insert_credential(loader.tx, org, leads[i], &lead_email, &password_hash).await?;
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
                display_name: &format!("{first} {last}"),
                email: Some(&email_for(
                    first,
                    &format!("{last}{i}"),
                    "northwind.example",
                )),
                external_id: None,
                employment_type: Some("employee"),
                job_title: title,
                manager_id: Some(leads[i % leads.len()]),
                owner_id: None,
                end_date: None,
                last_activity_at: activity,
                since: None,
            })
            .await?;
        employees.push(id);
        let home = accounts[i % accounts.len()];
        loader.assign(id, home).await?;
        loader
            .grant(DemoGrant {
                principal: id,
                bundle: (Some(roles[role]), None),
                account: Some(home),
                from_days_ago: 30 + i as i64,
                until_in_days: None,
                reason: &format!("Onboarding: {title}"),
            })
            .await?;
        if i % 3 == 0 {
            let second = accounts[(i + 2) % accounts.len()];
            loader.assign(id, second).await?;
            loader
                .grant(DemoGrant {
                    principal: id,
                    bundle: (Some(roles[role]), None),
                    account: Some(second),
                    from_days_ago: 20,
                    until_in_days: Some(60),
                    reason: "Covering a second account this quarter",
                })
                .await?;
        }
        if i % 10 == 1 {
            loader
                .grant(DemoGrant {
                    principal: id,
                    bundle: (None, Some(sets["Contact Export"])),
                    account: Some(home),
                    from_days_ago: 2,
                    until_in_days: Some(5),
                    reason: "Export for the spring campaign list",
                })
                .await?;
        }
        if i % 10 == 5 {
            loader
                .grant(DemoGrant {
                    principal: id,
                    bundle: (None, Some(sets["Refund Authority"])),
                    account: Some(home),
                    from_days_ago: 60,
                    until_in_days: Some(-30),
                    reason: "Holiday-season refund peak",
                })
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
                display_name: &format!("{first} {last}"),
                email: Some(&email_for(
                    first,
                    &format!("{last}.contractor{i}"),
                    "northwind.example",
                )),
                external_id: None,
                employment_type: Some("contractor"),
                job_title: title,
                manager_id: Some(leads[(i + 1) % leads.len()]),
                owner_id: None,
                end_date: Some(today + Duration::days(ends_in)),
                last_activity_at: if i % 3 == 0 {
                    days_ago(-ends_in + 3)
                } else {
                    days_ago(i as i64)
                },
                since: None,
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
            .grant(DemoGrant {
                principal: id,
                bundle: (Some(roles[role]), None),
                account: Some(account),
                from_days_ago: 120,
                until_in_days: Some(until),
                reason: &format!("Contract: {title}"),
            })
            .await?;
        if i == 4 {
            // Client bleed: still holds a grant on an account the contract moved away from.
            loader
                .grant(DemoGrant {
                    principal: id,
                    bundle: (Some(roles[role]), None),
                    account: Some(accounts[(i + 2) % accounts.len()]),
                    from_days_ago: 150,
                    until_in_days: None,
                    reason: "Earlier engagement",
                })
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
                display_name: &format!("{first} {last}"),
                email: Some(&email_for(first, last, ACCOUNTS[a].2)),
                external_id: None,
                employment_type: Some("client_user"),
                job_title: "Client marketing lead",
                manager_id: None,
                owner_id: None,
                end_date: (i == 6).then(|| today - Duration::days(20)),
                last_activity_at: if i % 4 == 3 {
                    None
                } else {
                    days_ago(3 * i as i64)
                },
                since: None,
            })
            .await?;
        loader.assign(id, accounts[a]).await?;
        loader
            .grant(DemoGrant {
                principal: id,
                bundle: (Some(roles["Client Viewer"]), None),
                account: Some(accounts[a]),
                from_days_ago: 90,
                until_in_days: None,
                reason: "Client access to their own results",
            })
            .await?;
    }

    // Non-human identities, each with a human owner.
    for bot in BOTS {
        let id = loader
            .principal(NewPrincipal {
                kind: bot.kind,
                display_name: bot.name,
                email: None,
                external_id: Some(bot.external_id),
                employment_type: None,
                job_title: "",
                manager_id: None,
                owner_id: Some(leads[bot.owner_lead]),
                end_date: None,
                last_activity_at: bot.active_days_ago.and_then(days_ago),
                since: None,
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
            .grant(DemoGrant {
                principal: id,
                bundle: (role, set),
                account,
                from_days_ago: 60,
                until_in_days: bot.until_in_days,
                reason: &reason,
            })
            .await?;
    }

    // One revoked grant, as a trail of a past decision.
    let revoked = loader
        .grant(DemoGrant {
            principal: leads[2],
            bundle: (Some(roles["CRM Admin"]), None),
            account: Some(accounts[2]),
            from_days_ago: 180,
            until_in_days: None,
            reason: "Migration to the new CRM",
        })
        .await?;
    let admin = admin_actor(org, loader.admin);
    app::service::grants::revoke_in(loader.tx, &admin, revoked, "Migration finished").await?;

    // Made-up history for the home page's trends (today's own snapshot is taken by the
    // server).
    db::dashboard::invent_history(loader.tx, org, now, 89).await?;

    let subjects =
        consent_history(loader.tx, org, &accounts, chatbot.id, console_ids[2], now).await?;

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
        chatbot: chatbot.id,
        flows_draft,
        roles: roles.clone(),
    };
    db::audit::record(
        &mut tx,
        &actor,
        Change::on(AuditAction::DemoLoaded, org, ORGANISATION).after(json!({ "accounts": summary.accounts, "principals": summary.principals, "grants": summary.grants,
                                "data_subjects": subjects })).because("Demo organisation".to_string()),
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

/// A demo console user acting in the console.
fn acting(org: Uuid, principal: Uuid, name: &str, email: &str) -> Actor {
    Actor {
        org_id: org,
        principal_id: Some(principal),
        label: format!("{name} <{email}>"),
        source_ip: None,
        user_agent: None,
    }
}

/// The demo's Governance admin acting in the console.
fn admin_actor(org: Uuid, admin: Uuid) -> Actor {
    let (email, name, _) = CONSOLE_USERS[0];
    acting(org, admin, name, email)
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
