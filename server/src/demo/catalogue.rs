//! What the demo organisation is made of: its client accounts, the two applications it
//! governs with their permissions, roles and permission sets, the names its people are
//! given, and its bots and AI agents.

pub(super) const ACCOUNTS: [(&str, &str, &str); 5] = [
    ("Acme Retail", "EU", "acme-retail.example"),
    ("Bluebird Telecom", "EU", "bluebird.example"),
    ("Cobalt Insurance", "US", "cobalt-insurance.example"),
    ("Driftwood Hotels", "US", "driftwood.example"),
    ("Evergreen Foods", "EU", "evergreen-foods.example"),
];

pub(super) type Perm = (&'static str, &'static str, &'static str, bool, &'static str);

pub(super) const CRM_PERMISSIONS: [Perm; 21] = [
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

pub(super) const CHATBOT_PERMISSIONS: [Perm; 12] = [
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
pub(super) const ROLES: [(usize, &str, &str, Option<&[&str]>); 12] = [
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

pub(super) const PERMISSION_SETS: [(usize, &str, &str, &[&str]); 3] = [
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

pub(super) const FIRST: [&str; 24] = [
    "Amara", "Ben", "Chloé", "Dmitri", "Elena", "Farah", "Gustav", "Hana", "Ivan", "Jade", "Kofi",
    "Lena", "Mateo", "Nadia", "Oscar", "Paula", "Quentin", "Rosa", "Samir", "Tara", "Umar", "Vera",
    "Wei", "Yusuf",
];
pub(super) const LAST: [&str; 20] = [
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
pub(super) const FUNCTIONS: [(&str, &str); 7] = [
    ("Support Agent", "Support Agent"),
    ("Campaign Manager", "Campaign Manager"),
    ("Content Editor", "Content Editor"),
    ("Analyst", "Analyst"),
    ("Flow Designer", "Flow Designer"),
    ("Support Lead", "Support Lead"),
    ("Billing Specialist", "Billing Specialist"),
];

pub(super) enum BotAccess {
    Role(&'static str),
    PermissionSet(&'static str),
}

/// A non-human identity of the demo; `owner_lead` and `account` index the team
/// leads and the accounts.
pub(super) struct DemoBot {
    pub(super) kind: &'static str,
    pub(super) name: &'static str,
    pub(super) external_id: &'static str,
    pub(super) owner_lead: usize,
    pub(super) access: BotAccess,
    pub(super) account: Option<usize>,
    pub(super) until_in_days: Option<i64>,
    pub(super) active_days_ago: Option<i64>,
}

pub(super) const BOTS: [DemoBot; 6] = [
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
