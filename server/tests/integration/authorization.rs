//! Deny by default: every server function and HTTP endpoint is walked against every kind
//! of caller (anonymous, no console role, each console role, an admin of another
//! organisation), and each cell is checked against the operations table. A refused call
//! changes nothing; an admitted one is not refused; another organisation's objects are
//! out of reach.

use std::collections::BTreeSet;

use rules::console::ConsoleRole;
use rules::operations::{Needs, Operation, HTTP_ENDPOINTS, SERVER_FUNCTIONS};
use uuid::Uuid;

use crate::common::{spawn_demo, TestApp};

/// A valid body for every server function. `{kind}` stands for the id of a demo object of
/// that kind, so that a caller from another organisation names real objects that are not
/// theirs. A server function without a body fails `every_server_function_has_a_row`.
const BODIES: &[(&str, &str)] = &[
    ("/api/auth/me", ""),
    ("/api/auth/login", "email=nobody%40northwind.example&password=wrong-password"),
    ("/api/auth/code", "code=123456"),
    ("/api/auth/logout", ""),
    ("/api/auth/passkey/challenge", ""),
    ("/api/auth/passkey", "credential=%7B%7D&next=%2F"),
    ("/api/auth/sign-on", ""),
    ("/api/settings/sign-on/remove", ""),
    ("/api/security/state", ""),
    ("/api/security/totp/start", ""),
    ("/api/security/totp/confirm", "code=123456"),
    ("/api/security/step-up", "code=123456"),
    ("/api/security/step-up/passkey", "credential=%7B%7D"),
    ("/api/security/passkeys/challenge", "name=Intruder+key"),
    ("/api/security/passkeys/add", "credential=%7B%7D"),
    ("/api/security/passkeys/remove", "passkey={principal}"),
    ("/api/security/totp/remove", "code=123456"),
    ("/api/security/recovery-codes", "code=123456"),
    ("/api/settings/second-factor", "roles[0]=Governance+admin&roles[1]=Data+Protection+Officer&grace_days=14"),
    ("/api/settings/sign-on", "settings[name]=Intruder&settings[issuer]=https%3A%2F%2Fintruder.invalid&settings[client_id]=intruder&settings[client_secret]=guess&settings[allowed_domains]=intruder.example&settings[password_sign_in]=on&settings[break_glass]="),
    ("/api/dashboard/summary", ""),
    ("/api/reads/lag", ""),
    ("/api/accounts/list", ""),
    ("/api/accounts/create", "name=Intruder+Ltd&region=EU"),
    ("/api/audit/events", "query[page]=0"),
    ("/api/roles/matrix", ""),
    ("/api/roles/compare", "kind=Role&left={bundle}&right={bundle}"),
    ("/api/principals/list", "query[page]=0"),
    ("/api/grants/create", "principal={principal}&bundle={bundle}&account=&until=&reason=Intruder+wants+in"),
    ("/api/grants/revoke", "grant={grant}&reason=Intruder+wants+out"),
    ("/api/principals/detail", "principal={principal}"),
    ("/api/principals/update", "principal={principal}&display_name=Intruder&job_title=&employment_type=employee&responsible=&end_date="),
    ("/api/principals/status", "principal={principal}&status=suspended&reason=Intruder+locks+you+out"),
    ("/api/principals/second-factor/reset", "principal={principal}&reason=Intruder+resets+your+phone"),
    ("/api/principals/tokens", "principal={principal}"),
    ("/api/access/fields", ""),
    ("/api/access/fields/classify", "resource={application}/contacts&field=intruder&sensitivity=public"),
    ("/api/access/fields/unclassify", "resource={application}/contacts&field=intruder"),
    ("/api/access/clearance/bundle", "bundle={bundle}&clearance=restricted"),
    ("/api/access/clearance/principal", "principal={principal}&clearance=restricted"),
    ("/api/principals/tokens/create", "principal={principal}&application={application}&name=Intruder&until="),
    ("/api/principals/tokens/revoke", "principal={principal}&token={token}"),
    ("/api/principals/account", "principal={principal}&account={account}&assigned=true"),
    ("/api/requests/form", ""),
    ("/api/requests/preview", "principal={principal}&bundle={bundle}&account="),
    ("/api/requests/create", "principal={principal}&bundle={bundle}&account=&duration=7&until=&justification=Intruder+wants+a+lot+of+access"),
    ("/api/requests/mine", ""),
    ("/api/requests/cancel", "request={request}"),
    ("/api/approvals/queue", ""),
    ("/api/approvals/decide", "request={request}&approve=true&comment="),
    ("/api/approvals/count", ""),
    ("/api/access/expiring", "days=7"),
    ("/api/access/choices", ""),
    ("/api/access/explain", "query[principal]={principal}&query[permission]={crm}%2Fcontacts.view&query[attributes]=region+%3D+EU"),
    ("/api/access/who", "query[permission]={crm}%2Fcontacts.view&query[account]={account}"),
    ("/api/access/renew", "grant={grant}"),
    ("/api/approvals/decide-many", "requests[0]={request}&approve=true&comment="),
    ("/api/sod/overview", ""),
    ("/api/sod/create", "name=Intruder&description=&permission={permission}&conflicting=permission%3A{permission}&mode=record"),
    ("/api/sod/delete", "rule={rule}"),
    ("/api/webhooks/overview", ""),
    ("/api/webhooks/create", "url=http%3A%2F%2F127.0.0.1%3A9%2Fsteal&events[0]=request.created"),
    ("/api/webhooks/set-active", "webhook={webhook}&active=false"),
    ("/api/webhooks/retry", "delivery={delivery}"),
    ("/api/tokens/overview", ""),
    ("/api/tokens/create", "application={application}&name=Intruder&until="),
    ("/api/lifecycle/settings", ""),
    ("/api/lifecycle/fallback-owner", "email=nobody%40nowhere.example"),
    ("/api/lifecycle/grace", "days=0"),
    ("/api/lifecycle/birthright-create", "rule[name]=Intruder&rule[criteria]=department+%3D+Sales&rule[bundle]={bundle}&rule[account]="),
    ("/api/lifecycle/birthright-retire", "rule={rule}"),
    ("/api/lifecycle/birthright-change", "rule={rule}&criteria=department+%3D+Sales"),
    ("/api/lifecycle/failsafe", "grants=1&principals=1"),
    ("/api/lifecycle/held", ""),
    ("/api/lifecycle/held-decide", "held={rule}&confirm=true"),
    ("/api/lifecycle/inactivity", "kind=human&days=14"),
    ("/api/lifecycle/inactivity-preview", "kind=human&days=14"),
    ("/api/packages/overview", ""),
    ("/api/packages/create", "package[name]=Intruder&package[items]=Acme+CRM+%2F+Support+Agent&package[for_kinds][]=human&package[first_approver]=manager&package[max_days]=30"),
    ("/api/packages/retire", "package={package}"),
    ("/api/packages/request", "package={package}&principal={principal}&days=7&justification=Intruder+wants+a+lot+of+access"),
    ("/api/packages/decide", "request={package_request}&approve=true&comment="),
    ("/api/tokens/create-provisioning", "name=Intruder&until=2099-01-01"),
    ("/api/tokens/revoke", "token={token}"),
    ("/api/reports/dormant", "query[page]=0"),
    ("/api/reports/act", "action=suspend&reason=Intruder+locks+you+out&principals[0]={principal}"),
    ("/api/consent/search", "q=ana"),
    ("/api/consent/subject", "subject={subject}"),
    ("/api/consent/record", "subject={subject}&channel=email&purpose=marketing&status=granted&lawful_basis=consent&method=api&notice_version=1&notice_sha256=00&language=en&jurisdiction=EU&reason=Intruder+records+consent"),
    ("/api/consent/attention", ""),
    ("/api/consent/accounts", ""),
    ("/api/consent/account", "account={account}"),
    ("/api/consent/purposes", ""),
    ("/api/consent/add-purpose", "key=intruder&label=Intruder"),
    ("/api/dsr/list", ""),
    ("/api/dsr/detail", "id={dsr}"),
    ("/api/dsr/open", "subject={subject}&kind=erasure&received_on=2026-01-01&arrived_by=email"),
    ("/api/dsr/step", "id={dsr}&step=reject&note=Intruder+rejects+it"),
    ("/api/dsr/extend", "id={dsr}&to=2099-01-01&reason=Intruder+delays+it"),
    ("/api/dsr/rectify", "id={dsr}&email=intruder%40evil.example"),
    ("/api/dsr/erase", "id={dsr}&confirm=DSR-1"),
    ("/api/dsr/response-days", "days=90"),
    ("/api/reports/hygiene", "report=client_bleed&query[page]=0"),
    ("/api/reports/account-limit", "limit=1000"),
    ("/api/reviews/overview", ""),
    ("/api/reviews/create", "name=Intruder&application=&due_on=2099-01-01&undecided=keep"),
    ("/api/reviews/detail", "campaign={campaign}"),
    ("/api/reviews/decide", "campaign={campaign}&decision=keep&reason=&grants[0]={grant}"),
    ("/api/reviews/close", "campaign={campaign}"),
    ("/api/roles/set-permission", "kind=Role&bundle={bundle}&permission={permission}&granted=true"),
    ("/api/roles/create", "kind=Role&application={application}&name=Intruder&description="),
    ("/api/roles/update", "kind=Role&bundle={bundle}&name=Intruder&description="),
    ("/api/roles/delete", "kind=Role&bundle={bundle}"),
];

/// The steps of signing in: public, and refused to whoever gets them wrong.
const SIGN_IN_STEPS: &[&str] = &["/api/auth/login", "/api/auth/code"];

/// Tables that refused calls may legitimately touch: failed sign-ins are counted.
const MAY_CHANGE: &[&str] = &["sign_in_throttle"];

#[test]
fn every_server_function_has_a_row() {
    // Link the app so that its server functions are registered.
    let _ = app::App;
    let registered: BTreeSet<String> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, _)| path.to_string())
        .collect();
    assert!(!registered.is_empty());
    let in_table: BTreeSet<String> = SERVER_FUNCTIONS
        .iter()
        .map(|o| o.path.to_string())
        .collect();
    assert_eq!(
        registered, in_table,
        "each server function needs a row in the operations table"
    );
    let with_body: BTreeSet<String> = BODIES.iter().map(|(path, _)| path.to_string()).collect();
    assert_eq!(
        registered, with_body,
        "each server function needs a body in BODIES"
    );
}

/// Operations that answer for each item they are given, with the field that counts the
/// items done: an item of another organisation is reported, not an error of the call.
const ANSWERS_PER_ITEM: &[(&str, &str)] = &[("/api/approvals/decide-many", "decided")];

/// Who calls.
#[derive(Debug, Clone, Copy)]
enum Who {
    Anonymous,
    NoRole,
    Role(ConsoleRole),
    /// A Governance admin of another organisation.
    Outsider,
}

impl Who {
    fn permissions(self) -> Vec<rules::console::ConsolePermission> {
        match self {
            Who::Anonymous | Who::NoRole => vec![],
            Who::Role(role) => role.permissions(),
            Who::Outsider => ConsoleRole::GovernanceAdmin.permissions(),
        }
    }

    /// The status the table says this caller gets, if refused. For an operation whose
    /// input chooses what it does, the choice in its body counts too.
    fn refusal(self, operation: &Operation) -> Option<u16> {
        let signed_in = !matches!(self, Who::Anonymous);
        let permissions = self.permissions();
        let body = BODIES
            .iter()
            .find(|(path, _)| *path == operation.path)
            .map_or("", |(_, body)| *body);
        let choice_allowed = operation.choices.iter().all(|(choice, needed)| {
            !body.contains(&format!("={choice}&")) || permissions.contains(needed)
        });
        match operation.needs {
            Needs::Anyone => None,
            needs if needs.admits(signed_in, &permissions) && choice_allowed => None,
            _ if !signed_in => Some(401),
            _ => Some(403),
        }
    }
}

/// The ids of demo objects the bodies name.
struct DemoIds(Vec<(&'static str, Uuid)>);

impl DemoIds {
    async fn of(app: &TestApp) -> DemoIds {
        let mut ids = vec![];
        for (kind, query) in [
            ("principal", "SELECT id FROM principals WHERE kind = 'human' AND NOT EXISTS (SELECT 1 FROM console_credentials c WHERE c.principal_id = principals.id) ORDER BY id LIMIT 1"),
            ("bundle", "SELECT id FROM roles ORDER BY id LIMIT 1"),
            // A client-account grant of a governed application to someone who does not
            // sign in: every approver's to renew, nobody's own.
            ("grant", "SELECT g.id FROM grants g JOIN roles r ON r.org_id = g.org_id AND r.id = g.role_id \
                       JOIN applications a ON a.org_id = r.org_id AND a.id = r.application_id AND NOT a.is_console \
                       WHERE g.revoked_at IS NULL AND g.account_id IS NOT NULL \
                         AND NOT EXISTS (SELECT 1 FROM console_credentials c WHERE c.principal_id = g.principal_id) \
                       ORDER BY g.id LIMIT 1"),
            ("request", "SELECT id FROM access_requests ORDER BY id LIMIT 1"),
            ("campaign", "SELECT id FROM review_campaigns ORDER BY id LIMIT 1"),
            ("subject", "SELECT id FROM data_subjects ORDER BY id LIMIT 1"),
            ("dsr", "SELECT id FROM data_subject_requests ORDER BY id LIMIT 1"),
            ("webhook", "SELECT id FROM webhooks ORDER BY id LIMIT 1"),
            ("delivery", "SELECT id FROM webhook_deliveries ORDER BY id LIMIT 1"),
            ("token", "SELECT id FROM application_tokens ORDER BY id LIMIT 1"),
            ("application", "SELECT id FROM applications WHERE NOT is_console ORDER BY id LIMIT 1"),
            ("crm", "SELECT id FROM applications WHERE name = 'Acme CRM'"),
            ("account", "SELECT id FROM accounts ORDER BY id LIMIT 1"),
            ("rule", "SELECT id FROM sod_rules ORDER BY id LIMIT 1"),
            ("permission", "SELECT id FROM permissions ORDER BY id LIMIT 1"),
            ("package_request", "SELECT id FROM package_requests ORDER BY id LIMIT 1"),
            ("package", "SELECT id FROM access_packages ORDER BY id LIMIT 1"),
        ] {
            let id: Option<Uuid> = sqlx::query_scalar(query)
                .fetch_optional(&app.pool)
                .await
                .unwrap();
            // Kinds the demo holds none of are named by an id that exists nowhere.
            ids.push((kind, id.unwrap_or_else(Uuid::new_v4)));
        }
        DemoIds(ids)
    }

    fn fill(&self, text: &str) -> String {
        self.0.iter().fold(text.to_string(), |text, (kind, id)| {
            text.replace(&format!("{{{kind}}}"), &id.to_string())
        })
    }
}

/// Count and content hash of every row of one organisation, to prove nothing of it changed.
async fn organisation_snapshot(app: &TestApp, org: Uuid) -> Vec<(String, i64, String)> {
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.columns \
         WHERE table_schema = 'public' AND column_name = 'org_id' ORDER BY 1",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    let mut out = vec![];
    for table in tables
        .into_iter()
        .filter(|t| !MAY_CHANGE.contains(&t.as_str()))
    {
        let (count, hash): (i64, Option<String>) = sqlx::query_as(&format!(
            "SELECT count(*), md5(string_agg(t::text, '|' ORDER BY t::text)) FROM {table} t WHERE org_id = $1"
        ))
        .bind(org)
        .fetch_one(&app.pool)
        .await
        .unwrap();
        out.push((table, count, hash.unwrap_or_default()));
    }
    out
}

async fn send(
    app: &TestApp,
    client: &reqwest::Client,
    operation: &Operation,
    ids: &DemoIds,
) -> reqwest::Response {
    if let Some((_, body)) = BODIES.iter().find(|(path, _)| *path == operation.path) {
        return app.call(client, operation.path, &ids.fill(body)).await;
    }
    let url = app.url(&ids.fill(&operation.path.replace("{request}", "{dsr}")));
    // The access export records itself, so it is a POST; the others are downloads.
    let method = if operation.path.starts_with("/dsr/") {
        reqwest::Method::POST
    } else {
        reqwest::Method::GET
    };
    client.request(method, url).send().await.unwrap()
}

/// Every operation a console session can reach: server functions, and the HTTP endpoints
/// other than the health check and the application-token API (tested in their own files).
fn session_operations() -> impl Iterator<Item = &'static Operation> {
    SERVER_FUNCTIONS
        .iter()
        .chain(HTTP_ENDPOINTS.iter().filter(|o| {
            !matches!(
                o.needs,
                Needs::Anyone | Needs::Token(_) | Needs::Operator | Needs::Provisioning
            )
        }))
}

/// Walks every operation as `who`: refused ones first (each with the table's status,
/// changing nothing), then admitted ones (none refused, none failing), logging out last.
async fn walk(app: &TestApp, who: Who, client: &reqwest::Client, ids: &DemoIds, org: Uuid) {
    let before = app.snapshot(MAY_CHANGE).await;
    for operation in session_operations() {
        let Some(expected) = who.refusal(operation) else {
            continue;
        };
        let response = send(app, client, operation, ids).await;
        assert_eq!(
            response.status().as_u16(),
            expected,
            "{who:?} {}",
            operation.path
        );
        if expected == 403 && operation.path.starts_with("/api/") {
            let error: serde_json::Value = response.json().await.unwrap();
            assert_eq!(
                error,
                serde_json::json!("Forbidden"),
                "{who:?} {}",
                operation.path
            );
        }
    }
    assert_eq!(
        app.snapshot(MAY_CHANGE).await,
        before,
        "{who:?}: a refused call changed something"
    );

    let theirs = organisation_snapshot(app, org).await;
    let mut reached = vec![];
    for operation in session_operations() {
        if who.refusal(operation).is_some()
            || operation.path == "/api/auth/logout"
            || SIGN_IN_STEPS.contains(&operation.path)
        {
            continue;
        }
        let response = send(app, client, operation, ids).await;
        let status = response.status().as_u16();
        assert!(
            status != 401 && status != 403 && status < 500,
            "{who:?} {} answered {status}",
            operation.path
        );
        let names_an_object = BODIES
            .iter()
            .find(|(path, _)| *path == operation.path)
            .map_or(operation.path.contains('{'), |(_, body)| body.contains('{'));
        if matches!(who, Who::Outsider) && names_an_object {
            if let Some((_, done)) = ANSWERS_PER_ITEM.iter().find(|(p, _)| *p == operation.path) {
                let answer: serde_json::Value = response.json().await.unwrap();
                assert_eq!(
                    answer[*done],
                    serde_json::json!(0),
                    "{}: {answer}",
                    operation.path
                );
            } else if !(400..500).contains(&status) {
                reached.push(format!("{} ({status})", operation.path));
            }
        }
    }
    assert!(
        reached.is_empty(),
        "an admin of another organisation reached the demo's objects: {reached:?}"
    );
    if matches!(who, Who::Outsider) {
        assert_eq!(
            organisation_snapshot(app, org).await,
            theirs,
            "another organisation changed the demo's rows"
        );
    }
    let logout = SERVER_FUNCTIONS
        .iter()
        .find(|o| o.path == "/api/auth/logout")
        .unwrap();
    let expected = who.refusal(logout).unwrap_or(200);
    assert_eq!(
        send(app, client, logout, ids).await.status().as_u16(),
        expected,
        "{who:?} logout"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn every_caller_against_every_operation_as_the_table_says(pool: sqlx::PgPool) {
    // The whole demo, work included, so that requests, campaigns and rules exist to be
    // named by the bodies.
    let app = crate::common::spawn(pool).await;
    gatehouse_server::demo::load(&app.pool).await.unwrap();
    let org: Uuid = sqlx::query_scalar("SELECT id FROM organisations")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let ids = DemoIds::of(&app).await;

    let anonymous = crate::common::client();
    for (path, expected) in [("/api/auth/me", 200), ("/api/auth/login", 401)] {
        let body = BODIES.iter().find(|(p, _)| *p == path).unwrap().1;
        assert_eq!(
            app.call(&anonymous, path, body).await.status().as_u16(),
            expected,
            "anonymous {path}"
        );
    }
    walk(&app, Who::Anonymous, &anonymous, &ids, org).await;

    let no_role = app
        .user_without_roles("norole@northwind.example", "a long test password")
        .await;
    walk(&app, Who::NoRole, &no_role, &ids, org).await;

    // The outsider's organisation exists before the demo's objects are reached for.
    let outsider = app.rival_admin().await;
    walk(&app, Who::Outsider, &outsider, &ids, org).await;

    // The demo's console users hold one role each; each walks the table last, since an
    // admitted call may change what the next one finds.
    for (role, email) in [
        (ConsoleRole::Member, "member@northwind.example"),
        (ConsoleRole::Auditor, "auditor@northwind.example"),
        (ConsoleRole::DataProtectionOfficer, "dpo@northwind.example"),
        (ConsoleRole::Approver, "approver@northwind.example"),
        (ConsoleRole::GovernanceAdmin, "admin@northwind.example"),
    ] {
        let client = app.demo_client(email).await;
        let (_, me) = app.json(&client, "/api/auth/me", "").await;
        assert_eq!(
            me["roles"],
            serde_json::json!([role.name()]),
            "{email} holds one role"
        );
        walk(&app, Who::Role(role), &client, &ids, org).await;
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn pages_send_anonymous_visitors_to_sign_in(pool: sqlx::PgPool) {
    let app = spawn_demo(pool).await;
    let anonymous = crate::common::client();
    for path in ["/", "/audit", "/accounts", "/no-such-page"] {
        let response = anonymous.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status().as_u16(), 303, "{path}");
        let location = response.headers()["location"].to_str().unwrap().to_string();
        assert!(location.starts_with("/login?next="), "{path} → {location}");
    }
    let login = anonymous.get(app.url("/login")).send().await.unwrap();
    assert_eq!(login.status().as_u16(), 200);
}

#[sqlx::test(migrations = "../migrations")]
async fn writes_from_another_origin_are_refused(pool: sqlx::PgPool) {
    let app = spawn_demo(pool).await;
    let admin = app.demo_client("admin@northwind.example").await;
    let body = "name=Cross+Site+Co&region=EU";
    for (header, value) in [
        ("origin", "http://evil.example"),
        ("sec-fetch-site", "cross-site"),
    ] {
        let response = admin
            .post(app.url("/api/accounts/create"))
            .header("content-type", "application/x-www-form-urlencoded")
            .header(header, value)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 403, "{header}: {value}");
    }
    assert_no_accounts_named(&app, "Cross Site Co").await;

    // The same request from the console's own origin goes through.
    let response = admin
        .post(app.url("/api/accounts/create"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("origin", app.base.clone())
        .header("sec-fetch-site", "same-origin")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
}

async fn assert_no_accounts_named(app: &TestApp, name: &str) {
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM accounts WHERE name = $1")
        .bind(name)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(n, 0, "no account named {name} may exist");
}

/// The demo's objects of one client account, for `DemoIds::fill`: a principal of that
/// account alone, a grant, a request, a review campaign, a data subject and a
/// data-subject request of it; the shared ones (bundles, rules, …) as in `DemoIds::of`.
async fn ids_of_account(app: &TestApp, shared: &DemoIds, account: Uuid) -> DemoIds {
    let mut ids: Vec<(&'static str, Uuid)> = shared
        .0
        .iter()
        .filter(|(kind, _)| {
            !matches!(
                *kind,
                "principal" | "grant" | "request" | "campaign" | "subject" | "dsr" | "account"
            )
        })
        .copied()
        .collect();
    for (kind, query) in [
        ("principal", "SELECT p.id FROM principals p WHERE p.kind = 'human' \
                       AND NOT EXISTS (SELECT 1 FROM console_credentials c WHERE c.principal_id = p.id) \
                       AND EXISTS (SELECT 1 FROM principal_accounts pa WHERE pa.principal_id = p.id AND pa.account_id = $1) \
                       AND NOT EXISTS (SELECT 1 FROM principal_accounts pa WHERE pa.principal_id = p.id AND pa.account_id <> $1) \
                       ORDER BY p.id LIMIT 1"),
        ("grant", "SELECT g.id FROM grants g WHERE g.account_id = $1 AND g.revoked_at IS NULL \
                   AND NOT EXISTS (SELECT 1 FROM console_credentials c WHERE c.principal_id = g.principal_id) \
                   ORDER BY g.id LIMIT 1"),
        ("request", "SELECT id FROM access_requests WHERE account_id = $1 ORDER BY id LIMIT 1"),
        ("campaign", "SELECT id FROM review_campaigns WHERE scope->'accounts' = jsonb_build_array($1::text) LIMIT 1"),
        ("subject", "SELECT id FROM data_subjects WHERE account_id = $1 ORDER BY id LIMIT 1"),
        ("dsr", "SELECT r.id FROM data_subject_requests r JOIN data_subjects s ON s.id = r.subject_id \
                 WHERE s.account_id = $1 ORDER BY r.id LIMIT 1"),
        ("account", "SELECT id FROM accounts WHERE id = $1"),
    ] {
        let id: Uuid = sqlx::query_scalar(query)
            .bind(account)
            .fetch_one(&app.pool)
            .await
            .unwrap_or_else(|e| panic!("the demo has no {kind} of the account: {e}"));
        ids.push((kind, id));
    }
    DemoIds(ids)
}

/// A body that chooses the account `{account}` where the walk's bodies choose every one.
fn on_one_account(path: &str, body: &str) -> String {
    if path == "/api/reviews/create" {
        return format!("{body}&accounts[0]={{account}}");
    }
    let body = body.replace("account=&", "account={account}&");
    match body.strip_suffix("&account=") {
        Some(head) => format!("{head}&account={{account}}"),
        None => body,
    }
}

async fn send_on_one_account(
    app: &TestApp,
    client: &reqwest::Client,
    operation: &Operation,
    ids: &DemoIds,
) -> reqwest::Response {
    match BODIES.iter().find(|(path, _)| *path == operation.path) {
        Some((path, body)) => {
            app.call(client, path, &ids.fill(&on_one_account(path, body)))
                .await
        }
        None => send(app, client, operation, ids).await,
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn a_console_role_on_one_account_acts_on_that_account_only(pool: sqlx::PgPool) {
    use rules::operations::ActsOn;

    let app = crate::common::spawn(pool).await;
    gatehouse_server::demo::load(&app.pool).await.unwrap();
    let account = |name: &'static str| {
        let pool = app.pool.clone();
        async move {
            sqlx::query_scalar::<_, Uuid>("SELECT id FROM accounts WHERE name = $1")
                .bind(name)
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    let (ours, theirs) = (
        account("Evergreen Foods").await,
        account("Bluebird Telecom").await,
    );

    // Objects of both accounts that the demo lacks: a campaign each, and a request on
    // Bluebird, made by the organisation-wide admin.
    let admin = app.demo_client("admin@northwind.example").await;
    for (name, id) in [("Evergreen", ours), ("Bluebird", theirs)] {
        let body = format!(
            "name={name}+review&application=&due_on=2099-01-01&undecided=keep&accounts[0]={id}"
        );
        let (status, made) = app.json(&admin, "/api/reviews/create", &body).await;
        assert_eq!(status, 200, "{made}");
    }
    let (_, me) = app.json(&admin, "/api/auth/me", "").await;
    let bundle: Uuid = sqlx::query_scalar(
        "SELECT r.id FROM roles r JOIN applications a ON a.id = r.application_id AND NOT a.is_console \
         WHERE NOT EXISTS (SELECT 1 FROM role_permissions rp JOIN permissions p ON p.id = rp.permission_id \
                           WHERE rp.role_id = r.id AND p.high_impact) ORDER BY r.name LIMIT 1",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let body = format!(
        "principal={}&bundle={bundle}&account={theirs}&duration=7&until=&justification=Covering+the+Bluebird+launch+week",
        me["principal_id"].as_str().unwrap()
    );
    let (status, made) = app.json(&admin, "/api/requests/create", &body).await;
    assert_eq!(status, 200, "{made}");

    // A console user who is Governance admin and Data Protection Officer on Evergreen
    // Foods only (between them, every console permission), and its account manager (an
    // approver must answer for the account too).
    app::service::admin::create_admin(
        &app.pool,
        app::service::admin::NewAdmin {
            email: "scoped@northwind.example",
            password: "a long test password",
            display_name: Some("Evergreen Only"),
            organisation: None,
        },
    )
    .await
    .unwrap();
    sqlx::query(
        "WITH me AS (SELECT org_id, principal_id FROM console_credentials WHERE email = 'scoped@northwind.example'), \
              moved AS (UPDATE grants g SET account_id = $1 FROM me WHERE g.principal_id = me.principal_id), \
              manager AS (INSERT INTO account_managers (org_id, account_id, principal_id) \
                          SELECT org_id, $1, principal_id FROM me) \
         INSERT INTO grants (org_id, id, principal_id, role_id, account_id, reason) \
         SELECT me.org_id, gen_random_uuid(), me.principal_id, r.id, $1, 'test: DPO of one account' \
           FROM me JOIN roles r ON r.org_id = me.org_id AND r.name = 'Data Protection Officer' \
           JOIN applications a ON a.org_id = r.org_id AND a.id = r.application_id AND a.is_console",
    )
    .bind(ours)
    .execute(&app.pool)
    .await
    .unwrap();
    let scoped = crate::common::client();
    assert!(app
        .sign_in(&scoped, "scoped@northwind.example", "a long test password")
        .await
        .status()
        .is_success());

    let shared = DemoIds::of(&app).await;
    let our_ids = ids_of_account(&app, &shared, ours).await;
    let their_ids = ids_of_account(&app, &shared, theirs).await;
    let their_objects: Vec<String> = their_ids
        .0
        .iter()
        .filter(|(kind, _)| matches!(*kind, "principal" | "grant" | "request" | "subject" | "dsr"))
        .map(|(_, id)| id.to_string())
        .collect();
    let skip = |o: &Operation| o.path == "/api/auth/logout" || SIGN_IN_STEPS.contains(&o.path);

    // The other account's objects, and the organisation's settings: refused, or not
    // found where the use case itself narrows to the caller's accounts; nothing changes
    // but the audit trail's record of the lists read and downloaded.
    // Setting up one's own authenticator (acting on the caller) starts it too.
    let quiet: Vec<&str> = MAY_CHANGE
        .iter()
        .copied()
        .chain(["audit_events", "console_totp"])
        .collect();
    let before = app.snapshot(&quiet).await;
    let events_before: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_events")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    for operation in session_operations().filter(|o| !skip(o)) {
        let status = send_on_one_account(&app, &scoped, operation, &their_ids)
            .await
            .status()
            .as_u16();
        match operation.acts_on {
            ActsOn::Organisation => assert_eq!(status, 403, "{}", operation.path),
            ActsOn::Listed | ActsOn::Caller => {}
            _ => assert!(
                status == 403 || status == 404,
                "{} on the other account answered {status}",
                operation.path
            ),
        }
    }
    assert_eq!(
        app.snapshot(&quiet).await,
        before,
        "a call on the other account changed something"
    );
    let written: Vec<String> =
        sqlx::query_scalar("SELECT action FROM audit_events ORDER BY id OFFSET $1")
            .bind(events_before)
            .fetch_all(&app.pool)
            .await
            .unwrap();
    assert!(
        written
            .iter()
            .all(|a| a.ends_with(".exported") || a.ends_with(".listed")),
        "{written:?}"
    );

    // Its own account's objects: admitted; its lists and reports name nothing of the
    // other account.
    for operation in session_operations().filter(|o| !skip(o)) {
        let response = send_on_one_account(&app, &scoped, operation, &our_ids).await;
        let status = response.status().as_u16();
        if operation.acts_on == ActsOn::Organisation {
            assert_eq!(status, 403, "{}", operation.path);
            continue;
        }
        let text = response.text().await.unwrap();
        assert!(
            status != 401 && status != 403 && status < 500,
            "{} on its own account answered {status}: {text}",
            operation.path
        );
        if operation.acts_on == ActsOn::Listed {
            for id in &their_objects {
                assert!(
                    !text.contains(id.as_str()),
                    "{} shows {id} of the other account",
                    operation.path
                );
            }
        }
    }

    // A principal of both accounts is read, but not changed: suspending it would reach
    // the other account too.
    let shared: Uuid = sqlx::query_scalar(
        "SELECT a.principal_id FROM principal_accounts a JOIN principal_accounts b \
           ON b.principal_id = a.principal_id AND b.account_id = $2 \
         WHERE a.account_id = $1 ORDER BY 1 LIMIT 1",
    )
    .bind(ours)
    .bind(theirs)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let (status, _) = app
        .json(
            &scoped,
            "/api/principals/detail",
            &format!("principal={shared}"),
        )
        .await;
    assert_eq!(status, 200);
    for (path, body) in [
        (
            "/api/principals/status",
            format!("principal={shared}&status=suspended&reason=Leaving+the+team"),
        ),
        (
            "/api/reports/act",
            format!("action=suspend&reason=Leaving+the+team&principals[0]={shared}"),
        ),
    ] {
        let (status, answer) = app.json(&scoped, path, &body).await;
        assert_eq!(status, 403, "{path}: {answer}");
    }

    // The lists: the other account cannot be chosen as a filter, and only the caller's
    // own account is counted or listed.
    let (status, page) = app
        .json(
            &scoped,
            "/api/principals/list",
            &format!("query[page]=0&query[account]={theirs}"),
        )
        .await;
    assert_eq!(status, 422, "{page}");
    let (_, page) = app
        .json(&scoped, "/api/principals/list", "query[page]=0")
        .await;
    let shown = page["rows"].as_array().unwrap();
    assert!(!shown.is_empty());
    assert!(
        shown.iter().all(|p| p["accounts"] == "Evergreen Foods"),
        "a principal of both accounts is listed with its Evergreen account only: {page}"
    );
    let (_, all) = app
        .json(&admin, "/api/principals/list", "query[page]=0")
        .await;
    assert!(all["rows"].as_array().unwrap().len() > shown.len());
    let (_, accounts) = app.json(&scoped, "/api/accounts/list", "").await;
    let ids: Vec<&str> = accounts
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![ours.to_string()], "{accounts}");
    let (_, home) = app.json(&scoped, "/api/dashboard/summary", "").await;
    assert_eq!(home["accounts"], serde_json::json!(1), "{home}");
    let (_, queue) = app.json(&scoped, "/api/approvals/queue", "").await;
    assert!(!queue.to_string().contains(&theirs.to_string()), "{queue}");
}

#[sqlx::test(migrations = "../migrations")]
async fn the_demo_has_an_approver_of_one_account(pool: sqlx::PgPool) {
    let app = spawn_demo(pool).await;
    let lead = app
        .demo_client(gatehouse_server::demo::ACCOUNT_APPROVER)
        .await;
    let (_, me) = app.json(&lead, "/api/auth/me", "").await;
    assert_eq!(me["roles"], serde_json::json!(["Approver"]), "{me}");
    let (_, accounts) = app.json(&lead, "/api/accounts/list", "").await;
    let names: Vec<&str> = accounts
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Bluebird Telecom"]);
}
