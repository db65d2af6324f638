//! `/scim/v2` driven the way an identity provider drives it: a provisioning token made on
//! `/tokens`; discovery; users created, found by filters, patched, replaced and deleted;
//! each refusal in SCIM's error shape with nothing half-written.

use chrono::{Days, Utc};
use reqwest::Method;
use serde_json::{json, Value};

use crate::activity::crm_token;
use crate::common::{client, spawn_demo, TestApp};

pub(crate) const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub(crate) const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
pub(crate) const PATCH: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
pub(crate) const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";

pub(crate) fn day(days: u64) -> String {
    (Utc::now().date_naive() + Days::new(days)).to_string()
}

/// A provisioning token made by the demo's Governance admin.
pub(crate) async fn provisioning_token(app: &TestApp) -> String {
    let admin = app.demo_client("admin@northwind.example").await;
    let body = format!("name=Identity+provider&until={}", day(300));
    let (status, made) = app
        .json(&admin, "/api/tokens/create-provisioning", &body)
        .await;
    assert_eq!(status, 200, "{made}");
    made["token"].as_str().unwrap().to_string()
}

pub(crate) struct Idp<'a> {
    pub app: &'a TestApp,
    pub token: String,
}

impl Idp<'_> {
    /// An identity provider calling `app` with a provisioning token made for it.
    pub(crate) async fn new(app: &TestApp) -> Idp<'_> {
        Idp {
            app,
            token: provisioning_token(app).await,
        }
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> reqwest::Response {
        let mut request = client()
            .request(method, self.app.url(&format!("/scim/v2{path}")))
            .bearer_auth(&self.token);
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        if let Some(body) = body {
            request = request
                .header("content-type", "application/scim+json")
                .body(body.to_string());
        }
        request.send().await.unwrap()
    }

    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let response = self.send(method, path, body, &[]).await;
        let status = response.status().as_u16();
        if status != 204 {
            assert_eq!(
                response.headers()["content-type"],
                "application/scim+json",
                "{path}"
            );
        }
        let text = response.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    async fn list(&self, query: &str) -> Value {
        let (status, list) = self
            .call(Method::GET, &format!("/Users?{query}"), None)
            .await;
        assert_eq!(status, 200, "{query}: {list}");
        list
    }
}

fn refused(answer: &(u16, Value), status: u16, scim_type: Option<&str>) {
    assert_eq!(answer.0, status, "{}", answer.1);
    assert_eq!(
        answer.1["schemas"][0],
        "urn:ietf:params:scim:api:messages:2.0:Error"
    );
    assert_eq!(answer.1["status"], status.to_string());
    assert_eq!(answer.1["scimType"].as_str(), scim_type, "{}", answer.1);
    assert!(!answer.1["detail"].as_str().unwrap().is_empty());
}

fn ada() -> Value {
    json!({
        "schemas": [USER, ENTERPRISE],
        "userName": "ada.lovelace@northwind.example",
        "externalId": "hr-1815",
        "name": { "givenName": "Ada", "familyName": "Lovelace" },
        "emails": [{ "value": "ada.lovelace@northwind.example", "type": "work", "primary": true }],
        "title": "Analyst",
        "active": true,
        ENTERPRISE: { "department": "Sales", "costCenter": "CC-7", "employeeNumber": "1815" }
    })
}

async fn principals(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM principals")
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

async fn audited(app: &TestApp, action: &str, target: &str) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT actor_label FROM audit_events WHERE action = $1 AND target_id = $2 ORDER BY occurred_at",
    )
    .bind(action)
    .bind(target)
    .fetch_all(&app.pool)
    .await
    .unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn only_a_provisioning_token_opens_scim_and_it_opens_nothing_else(pool: sqlx::PgPool) {
    let app = spawn_demo(pool).await;
    let admin = app.demo_client("admin@northwind.example").await;
    // The end is required, within a year.
    for until in [String::new(), day(400)] {
        let body = format!("name=IdP&until={until}");
        let (status, answer) = app
            .json(&admin, "/api/tokens/create-provisioning", &body)
            .await;
        assert_eq!(status, 422, "{answer}");
        assert_eq!(answer["Invalid"]["field"], "until");
    }
    let token = provisioning_token(&app).await;
    let (status, listed) = app.json(&admin, "/api/tokens/overview", "").await;
    assert_eq!(status, 200);
    assert!(listed["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t["application"] == "Provisioning (SCIM)"));

    let idp = Idp {
        app: &app,
        token: token.clone(),
    };
    let (status, config) = idp.call(Method::GET, "/ServiceProviderConfig", None).await;
    assert_eq!(status, 200);
    assert_eq!(config["patch"]["supported"], true);
    assert_eq!(config["filter"]["maxResults"], 200);
    // A path the service does not offer is a SCIM 404, after the token is checked.
    refused(&idp.call(Method::GET, "/Bulk", None).await, 404, None);
    refused(
        &idp.call(Method::POST, "/Users/x/y", Some(json!({}))).await,
        404,
        None,
    );
    let response = client().get(app.url("/scim/v2/Bulk")).send().await.unwrap();
    assert_eq!(response.status(), 401);

    // Without a token, with an application's, or with a console session: refused.
    let crm = crm_token(&app).await;
    for bearer in [None, Some(crm.as_str()), Some("gtk_0000")] {
        let mut request = client().get(app.url("/scim/v2/Users"));
        if let Some(b) = bearer {
            request = request.bearer_auth(b);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.headers()["www-authenticate"], "Bearer");
        let status = response.status().as_u16();
        let body: Value = response.json().await.unwrap();
        refused(&(status, body), 401, None);
    }
    let response = admin.get(app.url("/scim/v2/Users")).send().await.unwrap();
    assert_eq!(response.status(), 401);
    // The provisioning token is not an application's.
    let response = client()
        .post(app.url("/api/v1/decisions"))
        .bearer_auth(&token)
        .json(&json!({ "principal": "x", "permission": "y" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);

    // Revoked, it stops at once.
    let id = listed["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["application"] == "Provisioning (SCIM)")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, _) = app
        .json(&admin, "/api/tokens/revoke", &format!("token={id}"))
        .await;
    assert_eq!(status, 200);
    refused(&idp.call(Method::GET, "/Users", None).await, 401, None);
}

#[sqlx::test(migrations = "../migrations")]
async fn discovery_describes_users_and_their_schemas(pool: sqlx::PgPool) {
    let app = spawn_demo(pool).await;
    let idp = Idp::new(&app).await;
    let (status, types) = idp.call(Method::GET, "/ResourceTypes", None).await;
    assert_eq!(status, 200);
    assert_eq!(types["Resources"][0]["endpoint"], "/Users");
    assert_eq!(
        types["Resources"][0]["schemaExtensions"][0]["schema"],
        ENTERPRISE
    );
    let (status, schemas) = idp.call(Method::GET, "/Schemas", None).await;
    assert_eq!(status, 200);
    assert_eq!(schemas["totalResults"], 4);
    let (status, user) = idp
        .call(Method::GET, &format!("/Schemas/{USER}"), None)
        .await;
    assert_eq!(status, 200);
    assert!(user["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a["name"] == "userName" && a["uniqueness"] == "server"));
    refused(
        &idp.call(Method::GET, "/Schemas/urn:nothing", None).await,
        404,
        None,
    );
    assert_eq!(types["Resources"][1]["endpoint"], "/Groups");
    refused(
        &idp.call(Method::GET, "/ResourceTypes/Device", None).await,
        404,
        None,
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn an_identity_provider_creates_finds_changes_and_deletes_a_person(pool: sqlx::PgPool) {
    let app = spawn_demo(pool).await;
    let idp = Idp::new(&app).await;

    // Created: 201 with its location and version.
    let response = idp.send(Method::POST, "/Users", Some(ada()), &[]).await;
    assert_eq!(response.status(), 201);
    let etag = response.headers()["etag"].to_str().unwrap().to_string();
    let location = response.headers()["location"].to_str().unwrap().to_string();
    let created: Value = response.json().await.unwrap();
    let id = created["id"].as_str().unwrap().to_string();
    assert!(
        location.ends_with(&format!("/scim/v2/Users/{id}")),
        "{location}"
    );
    assert_eq!(created["meta"]["version"], etag);
    assert_eq!(created["displayName"], "Ada Lovelace");
    assert_eq!(created[ENTERPRISE]["department"], "Sales");
    assert_eq!(created["name"]["givenName"], "Ada");
    let (kind, department, status): (String, String, String) = sqlx::query_as(
        "SELECT kind::text, attributes->>'department', status::text FROM principals WHERE id = $1::uuid",
    )
    .bind(&id)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        (kind.as_str(), department.as_str(), status.as_str()),
        ("human", "Sales", "active")
    );
    let by = audited(&app, "principal.created", &id).await;
    assert_eq!(by.len(), 1);
    assert!(by[0].starts_with("provisioning token "), "{by:?}");

    // Found by filters as identity providers write them.
    for filter in [
        r#"userName eq "ADA.LOVELACE@northwind.example""#,
        r#"externalId eq "hr-1815""#,
        r#"emails[type eq "work" and value co "lovelace"]"#,
        r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "sales" and active eq true"#,
        r#"name.familyName sw "Love" and not (title eq "Director")"#,
    ] {
        let list = idp
            .list(&serde_urlencoded::to_string([("filter", filter)]).unwrap())
            .await;
        assert_eq!(list["totalResults"], 1, "{filter}: {list}");
        assert_eq!(list["Resources"][0]["id"], id.as_str());
    }
    // A wildcard in a value matches itself only.
    for (filter, found) in [
        (r#"displayName co "LOVEL""#, 1),
        (r#"displayName co "%""#, 0),
        (r#"displayName co "a_a""#, 0),
    ] {
        let list = idp
            .list(&serde_urlencoded::to_string([("filter", filter)]).unwrap())
            .await;
        assert_eq!(list["totalResults"], found, "{filter}: {list}");
    }
    // People entered by hand are found by their email.
    let list = idp
        .list("filter=userName+eq+%22admin%40northwind.example%22")
        .await;
    assert_eq!(list["totalResults"], 1, "{list}");
    // Asked attributes only.
    let list = idp
        .list("filter=externalId+eq+%22hr-1815%22&attributes=userName")
        .await;
    let only = &list["Resources"][0];
    assert_eq!(only["userName"], "ada.lovelace@northwind.example");
    assert!(
        only.get("displayName").is_none() && only.get("id").is_some(),
        "{only}"
    );

    // Entra ID's way of suspending: a capitalised op, a path, a boolean.
    let suspend = json!({ "schemas": [PATCH], "Operations": [{ "op": "Replace", "path": "active", "value": false }] });
    let (status, patched) = idp
        .call(Method::PATCH, &format!("/Users/{id}"), Some(suspend))
        .await;
    assert_eq!(status, 200, "{patched}");
    assert_eq!(patched["active"], false);
    assert_eq!(audited(&app, "principal.suspended", &id).await.len(), 1);
    // Okta's way back: add without a path.
    let back =
        json!({ "schemas": [PATCH], "Operations": [{ "op": "add", "value": { "active": true } }] });
    let (status, patched) = idp
        .call(Method::PATCH, &format!("/Users/{id}"), Some(back))
        .await;
    assert_eq!(status, 200, "{patched}");
    assert_eq!(patched["active"], true);
    // A value filter in the path.
    let moved = json!({ "schemas": [PATCH], "Operations": [
        { "op": "replace", "path": "emails[type eq \"work\"].value", "value": "ada@northwind.example" },
        { "op": "replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "value": "Support" }
    ] });
    let (status, patched) = idp
        .call(Method::PATCH, &format!("/Users/{id}"), Some(moved))
        .await;
    assert_eq!(status, 200, "{patched}");
    let (email, department): (String, String) = sqlx::query_as(
        "SELECT email, attributes->>'department' FROM principals WHERE id = $1::uuid",
    )
    .bind(&id)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        (email.as_str(), department.as_str()),
        ("ada@northwind.example", "Support")
    );

    // A replacement must name the version it replaces, when it names one.
    let stale = idp
        .send(
            Method::PUT,
            &format!("/Users/{id}"),
            Some(ada()),
            &[("if-match", &etag)],
        )
        .await;
    assert_eq!(stale.status(), 412);
    let current = patched["meta"]["version"].as_str().unwrap().to_string();
    let mut replacement = ada();
    replacement[ENTERPRISE] = json!({ "department": "Finance" });
    let response = idp
        .send(
            Method::PUT,
            &format!("/Users/{id}"),
            Some(replacement),
            &[("if-match", &current)],
        )
        .await;
    assert_eq!(response.status(), 200);
    let replaced: Value = response.json().await.unwrap();
    assert_eq!(replaced[ENTERPRISE], json!({ "department": "Finance" }));
    assert_eq!(
        replaced["emails"][0]["value"],
        "ada.lovelace@northwind.example"
    );

    // Deleted: gone from SCIM, offboarded in Gatehouse, on the trail.
    let (status, _) = idp
        .call(Method::DELETE, &format!("/Users/{id}"), None)
        .await;
    assert_eq!(status, 204);
    refused(
        &idp.call(Method::GET, &format!("/Users/{id}"), None).await,
        404,
        None,
    );
    refused(
        &idp.call(Method::DELETE, &format!("/Users/{id}"), None)
            .await,
        404,
        None,
    );
    let status: String =
        sqlx::query_scalar("SELECT status::text FROM principals WHERE id = $1::uuid")
            .bind(&id)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(status, "offboarded");
    assert_eq!(audited(&app, "principal.offboarded", &id).await.len(), 1);

    // Their names are free again: the identity provider creates them anew, a new person
    // beside the old one's history, and the only one a filter finds.
    let (status, again) = idp.call(Method::POST, "/Users", Some(ada())).await;
    assert_eq!(status, 201, "{again}");
    assert_ne!(again["id"], id.as_str());
    let found = idp
        .list("filter=userName%20eq%20%22ada.lovelace%40northwind.example%22")
        .await;
    assert_eq!(found["totalResults"], 1, "{found}");
    assert_eq!(found["Resources"][0]["id"], again["id"]);
    let named: Vec<String> = sqlx::query_scalar(
        "SELECT status::text FROM principals WHERE email = 'ada.lovelace@northwind.example' ORDER BY status",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(named, ["active", "offboarded"]);
}

#[sqlx::test(migrations = "../migrations")]
async fn lists_page_and_sort(pool: sqlx::PgPool) {
    let app = spawn_demo(pool).await;
    let idp = Idp::new(&app).await;
    for name in ["zeta", "alpha", "mu"] {
        let user = json!({ "schemas": [USER], "userName": format!("{name}@paging.example"), "title": "Pager" });
        assert_eq!(idp.call(Method::POST, "/Users", Some(user)).await.0, 201);
    }
    let filter = "filter=title+eq+%22pager%22";
    let all = idp
        .list(&format!("{filter}&sortBy=userName&sortOrder=descending"))
        .await;
    let names: Vec<&str> = all["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["userName"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "zeta@paging.example",
            "mu@paging.example",
            "alpha@paging.example"
        ]
    );
    let page = idp
        .list(&format!("{filter}&sortBy=userName&startIndex=2&count=1"))
        .await;
    assert_eq!(page["totalResults"], 3);
    assert_eq!(page["startIndex"], 2);
    assert_eq!(page["itemsPerPage"], 1);
    assert_eq!(page["Resources"][0]["userName"], "mu@paging.example");
    let none = idp.list(&format!("{filter}&count=0")).await;
    assert_eq!(none["totalResults"], 3);
    assert_eq!(none["Resources"], json!([]));
}

#[sqlx::test(migrations = "../migrations")]
async fn bad_requests_get_scim_errors_and_write_nothing(pool: sqlx::PgPool) {
    let app = spawn_demo(pool).await;
    let idp = Idp::new(&app).await;
    assert_eq!(idp.call(Method::POST, "/Users", Some(ada())).await.0, 201);
    let before = principals(&app).await;

    // Duplicates, whatever their case, and an email someone has.
    let mut twin = ada();
    twin["userName"] = json!("ADA.LOVELACE@NORTHWIND.EXAMPLE");
    twin["externalId"] = json!("hr-other");
    refused(
        &idp.call(Method::POST, "/Users", Some(twin)).await,
        409,
        Some("uniqueness"),
    );
    let taken = json!({ "schemas": [USER], "userName": "someone.new", "emails": [{ "value": "admin@northwind.example" }] });
    refused(
        &idp.call(Method::POST, "/Users", Some(taken)).await,
        409,
        Some("uniqueness"),
    );

    // Unknown attributes, wrong types, a manager nobody is.
    let mut unknown = ada();
    unknown["userName"] = json!("x@northwind.example");
    unknown["shoeSize"] = json!(9);
    refused(
        &idp.call(Method::POST, "/Users", Some(unknown)).await,
        400,
        Some("invalidSyntax"),
    );
    let wrong = json!({ "schemas": [USER], "userName": "y@northwind.example", "active": "yes" });
    refused(
        &idp.call(Method::POST, "/Users", Some(wrong)).await,
        400,
        Some("invalidValue"),
    );
    let no_schema = json!({ "userName": "z@northwind.example" });
    refused(
        &idp.call(Method::POST, "/Users", Some(no_schema)).await,
        400,
        Some("invalidSyntax"),
    );
    let nobody = json!({ "schemas": [USER], "userName": "m@northwind.example",
        ENTERPRISE: { "manager": { "value": uuid::Uuid::new_v4() } } });
    refused(
        &idp.call(Method::POST, "/Users", Some(nobody)).await,
        400,
        Some("invalidValue"),
    );

    // Not JSON; too large.
    let response = client()
        .post(app.url("/scim/v2/Users"))
        .bearer_auth(&idp.token)
        .header("content-type", "application/scim+json")
        .body("{\"schemas\": [")
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    refused(
        &(status, response.json().await.unwrap()),
        400,
        Some("invalidSyntax"),
    );
    let mut huge = ada();
    huge["userName"] = json!("huge@northwind.example");
    huge["nickName"] = json!("n".repeat(70_000));
    refused(
        &idp.call(Method::POST, "/Users", Some(huge)).await,
        413,
        Some("tooLarge"),
    );

    // Filters that cannot be read, or name what cannot be filtered.
    for filter in [
        r#"userName eq "a\u0000b""#,
        r#"meta.created gt "0000-01-01T00:00:00Z""#,
        r#"userName eq"#,
        r#"userName xx "a""#,
        r#"(userName eq "a""#,
        r#"password eq "a""#,
    ] {
        let query = serde_urlencoded::to_string([("filter", filter)]).unwrap();
        refused(
            &idp.call(Method::GET, &format!("/Users?{query}"), None)
                .await,
            400,
            Some("invalidFilter"),
        );
    }
    refused(
        &idp.call(Method::GET, "/Users?sortOrder=sideways", None)
            .await,
        400,
        Some("invalidValue"),
    );
    refused(
        &idp.call(Method::GET, "/Users?count=many", None).await,
        400,
        Some("invalidValue"),
    );

    // PATCHes that cannot be taken: nothing of them is kept.
    let list = idp.list("filter=externalId+eq+%22hr-1815%22").await;
    let id = list["Resources"][0]["id"].as_str().unwrap().to_string();
    let version = list["Resources"][0]["meta"]["version"].clone();
    for (ops, status, scim_type) in [
        (
            json!([{ "op": "replace", "path": "id", "value": "x" }]),
            400,
            "mutability",
        ),
        (
            json!([{ "op": "shuffle", "path": "title", "value": "x" }]),
            400,
            "invalidSyntax",
        ),
        (json!([{ "op": "remove" }]), 400, "noTarget"),
        (
            json!([{ "op": "replace", "path": "emails[type eq \"home\"].value", "value": "h@x.example" }]),
            400,
            "noTarget",
        ),
        (
            json!([{ "op": "replace", "path": "title", "value": "Lead" }, { "op": "replace", "path": "active", "value": "no" }]),
            400,
            "invalidValue",
        ),
    ] {
        let body = json!({ "schemas": [PATCH], "Operations": ops });
        refused(
            &idp.call(Method::PATCH, &format!("/Users/{id}"), Some(body))
                .await,
            status,
            Some(scim_type),
        );
    }
    let (_, unchanged) = idp.call(Method::GET, &format!("/Users/{id}"), None).await;
    assert_eq!(unchanged["meta"]["version"], version);
    assert_eq!(unchanged["title"], "Analyst");
    refused(
        &idp.call(Method::GET, "/Users/not-an-id", None).await,
        404,
        None,
    );
    assert_eq!(principals(&app).await, before);
}

#[sqlx::test(migrations = "../migrations")]
async fn another_organisations_people_are_out_of_reach(pool: sqlx::PgPool) {
    let app = spawn_demo(pool).await;
    let idp = Idp::new(&app).await;
    let (_, created) = idp.call(Method::POST, "/Users", Some(ada())).await;
    let id = created["id"].as_str().unwrap().to_string();
    let team =
        json!({ "schemas": [GROUP], "displayName": "Ada's team", "members": [{ "value": id }] });
    let (_, team) = idp.call(Method::POST, "/Groups", Some(team)).await;
    let team_id = team["id"].as_str().unwrap().to_string();
    let rival = app.rival_admin().await;
    let (status, made) = app
        .json(
            &rival,
            "/api/tokens/create-provisioning",
            &format!("name=IdP&until={}", day(30)),
        )
        .await;
    assert_eq!(status, 200, "{made}");
    let theirs = Idp {
        app: &app,
        token: made["token"].as_str().unwrap().to_string(),
    };
    refused(
        &theirs
            .call(Method::GET, &format!("/Users/{id}"), None)
            .await,
        404,
        None,
    );
    let patch = json!({ "schemas": [PATCH], "Operations": [{ "op": "replace", "path": "active", "value": false }] });
    refused(
        &theirs
            .call(Method::PATCH, &format!("/Users/{id}"), Some(patch))
            .await,
        404,
        None,
    );
    refused(
        &theirs
            .call(Method::DELETE, &format!("/Users/{id}"), None)
            .await,
        404,
        None,
    );
    refused(
        &theirs
            .call(Method::GET, &format!("/Groups/{team_id}"), None)
            .await,
        404,
        None,
    );
    refused(
        &theirs
            .call(Method::DELETE, &format!("/Groups/{team_id}"), None)
            .await,
        404,
        None,
    );
    // Nor can their groups hold our people.
    let poach =
        json!({ "schemas": [GROUP], "displayName": "Poached", "members": [{ "value": id }] });
    refused(
        &theirs.call(Method::POST, "/Groups", Some(poach)).await,
        400,
        Some("invalidValue"),
    );
    let list = theirs.list("").await;
    assert_eq!(
        list["totalResults"], 1,
        "only the rival's own admin: {list}"
    );
    let status: String =
        sqlx::query_scalar("SELECT status::text FROM principals WHERE id = $1::uuid")
            .bind(&id)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(status, "active");
}

/// An AI agent owned by `owner`.
pub(crate) async fn agent_of(app: &TestApp, owner: &str, name: &str) -> uuid::Uuid {
    let id = uuid::Uuid::new_v4();
    sqlx::query(
        "INSERT INTO principals (org_id, id, kind, display_name, external_id, owner_id) \
         SELECT org_id, $1, 'ai_agent', $2, $2, id FROM principals WHERE id = $3::uuid",
    )
    .bind(id)
    .bind(name)
    .bind(owner)
    .execute(&app.pool)
    .await
    .unwrap();
    id
}

pub(crate) async fn owner_and_status(
    app: &TestApp,
    id: uuid::Uuid,
) -> (Option<uuid::Uuid>, String) {
    sqlx::query_as("SELECT owner_id, status::text FROM principals WHERE id = $1")
        .bind(id)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn a_leaver_loses_every_grant_and_no_agent_is_left_without_an_owner(pool: sqlx::PgPool) {
    let app = spawn_demo(pool).await;
    let admin = app.demo_client("admin@northwind.example").await;
    let idp = Idp::new(&app).await;
    let ben = crate::requests::id_of(
        &app,
        "SELECT id FROM principals WHERE email = 'ben.bauer@northwind.example'",
    )
    .await;
    let mut ada_body = ada();
    ada_body[ENTERPRISE]["manager"] = json!({ "value": ben });
    let (status, ada) = idp.call(Method::POST, "/Users", Some(ada_body)).await;
    assert_eq!(status, 201, "{ada}");
    let ada_id = ada["id"].as_str().unwrap().to_string();
    assert_eq!(ada[ENTERPRISE]["manager"]["displayName"], "Ben Bauer");
    let (role, acme) = (
        crate::decisions::viewer_role(&app).await,
        crate::requests::acme(&app).await,
    );
    let ada_uuid = uuid::Uuid::parse_str(&ada_id).unwrap();
    let grant = crate::decisions::grant(&app, &admin, (ada_uuid, role, Some(acme)), "").await;
    let assistant = agent_of(&app, &ada_id, "Ada's assistant").await;
    let bluebird = crate::requests::id_of(
        &app,
        "SELECT id FROM accounts WHERE name = 'Bluebird Telecom'",
    )
    .await;
    // Her manager asks for more access for her, still pending when she leaves.
    let manager = app.demo_client("ben.bauer@northwind.example").await;
    let (status, asked) = crate::requests::ask(&app, &manager, ada_uuid, role, bluebird).await;
    assert_eq!(status, 200, "{asked}");
    let pending = crate::requests::request_id(&asked);
    assert_eq!(crate::requests::status_of(&app, pending).await, "pending");

    // Deactivated: the grant is revoked, the agent goes to her manager.
    let off = json!({ "schemas": [PATCH], "Operations": [{ "op": "replace", "path": "active", "value": false }] });
    let (status, patched) = idp
        .call(Method::PATCH, &format!("/Users/{ada_id}"), Some(off))
        .await;
    assert_eq!(status, 200, "{patched}");
    let reason: Option<String> =
        sqlx::query_scalar("SELECT revoke_reason FROM grants WHERE id = $1")
            .bind(grant)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(
        reason.as_deref(),
        Some("Ada Lovelace left (deactivated over SCIM)")
    );
    assert_eq!(
        audited(&app, "grant.revoked", &grant.to_string())
            .await
            .len(),
        1
    );
    assert_eq!(
        owner_and_status(&app, assistant).await,
        (Some(ben), "active".to_string())
    );
    assert_eq!(crate::requests::status_of(&app, pending).await, "cancelled");
    // Reactivated, she gets nothing back by herself.
    let on = json!({ "schemas": [PATCH], "Operations": [{ "op": "replace", "path": "active", "value": true }] });
    assert_eq!(
        idp.call(Method::PATCH, &format!("/Users/{ada_id}"), Some(on))
            .await
            .0,
        200
    );
    let in_force: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM grants WHERE principal_id = $1 AND revoked_at IS NULL",
    )
    .bind(ada_uuid)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(in_force, 0);

    // Without a manager or a fallback owner, what a leaver owned is suspended.
    let lone = json!({ "schemas": [USER], "userName": "lone@northwind.example" });
    let (_, lone) = idp.call(Method::POST, "/Users", Some(lone)).await;
    let lone_id = lone["id"].as_str().unwrap().to_string();
    let bot = agent_of(&app, &lone_id, "Lone's bot").await;
    assert_eq!(
        idp.call(Method::DELETE, &format!("/Users/{lone_id}"), None)
            .await
            .0,
        204
    );
    let lone_uuid = uuid::Uuid::parse_str(&lone_id).unwrap();
    assert_eq!(
        owner_and_status(&app, bot).await,
        (Some(lone_uuid), "suspended".to_string())
    );

    // With a fallback owner named on /lifecycle, it goes to them.
    let (status, refused) = app
        .json(
            &admin,
            "/api/lifecycle/fallback-owner",
            "email=nobody%40northwind.example",
        )
        .await;
    assert_eq!(status, 422, "{refused}");
    let (status, _) = app
        .json(
            &admin,
            "/api/lifecycle/fallback-owner",
            "email=admin%40northwind.example",
        )
        .await;
    assert_eq!(status, 200);
    let (_, settings) = app.json(&admin, "/api/lifecycle/settings", "").await;
    assert_eq!(settings["fallback_email"], "admin@northwind.example");
    let solo = json!({ "schemas": [USER], "userName": "solo@northwind.example" });
    let (_, solo) = idp.call(Method::POST, "/Users", Some(solo)).await;
    let solo_id = solo["id"].as_str().unwrap().to_string();
    let helper = agent_of(&app, &solo_id, "Solo's helper").await;
    let off = json!({ "schemas": [PATCH], "Operations": [{ "op": "replace", "path": "active", "value": false }] });
    assert_eq!(
        idp.call(Method::PATCH, &format!("/Users/{solo_id}"), Some(off))
            .await
            .0,
        200
    );
    let admin_id = crate::requests::id_of(
        &app,
        "SELECT id FROM principals WHERE email = 'admin@northwind.example'",
    )
    .await;
    assert_eq!(
        owner_and_status(&app, helper).await,
        (Some(admin_id), "active".to_string())
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn groups_are_created_patched_renamed_and_deleted_with_their_members(pool: sqlx::PgPool) {
    let app = spawn_demo(pool).await;
    let idp = Idp::new(&app).await;
    let (_, ada) = idp.call(Method::POST, "/Users", Some(ada())).await;
    let ada_id = ada["id"].as_str().unwrap().to_string();
    let bob = json!({ "schemas": [USER], "userName": "bob@northwind.example" });
    let (_, bob) = idp.call(Method::POST, "/Users", Some(bob)).await;
    let bob_id = bob["id"].as_str().unwrap().to_string();
    let group = |name: &str, members: &[&str]| {
        json!({ "schemas": [GROUP], "displayName": name,
                "members": members.iter().map(|m| json!({ "value": m })).collect::<Vec<_>>() })
    };

    let response = idp
        .send(
            Method::POST,
            "/Groups",
            Some(group("Sales team", &[&ada_id])),
            &[],
        )
        .await;
    assert_eq!(response.status(), 201);
    assert!(response.headers().contains_key("etag"));
    let sales: Value = response.json().await.unwrap();
    let sales_id = sales["id"].as_str().unwrap().to_string();
    assert_eq!(sales["members"][0]["display"], "Ada Lovelace");
    assert_eq!(audited(&app, "group.created", &sales_id).await.len(), 1);
    let (_, user) = idp
        .call(Method::GET, &format!("/Users/{ada_id}"), None)
        .await;
    assert_eq!(user["groups"][0]["display"], "Sales team");

    // Names are unique whatever their case; members must be the organisation's people.
    refused(
        &idp.call(Method::POST, "/Groups", Some(group("SALES TEAM", &[])))
            .await,
        409,
        Some("uniqueness"),
    );
    let stranger = uuid::Uuid::new_v4().to_string();
    refused(
        &idp.call(Method::POST, "/Groups", Some(group("Ghosts", &[&stranger])))
            .await,
        400,
        Some("invalidValue"),
    );
    refused(
        &idp.call(
            Method::POST,
            "/Groups",
            Some(json!({ "schemas": [GROUP], "displayName": "X", "owner": "me" })),
        )
        .await,
        400,
        Some("invalidSyntax"),
    );

    // Found by name; members left out when asked.
    let (status, list) = idp
        .call(
            Method::GET,
            "/Groups?filter=displayName+eq+%22sales+team%22&excludedAttributes=members",
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(list["totalResults"], 1);
    assert!(list["Resources"][0].get("members").is_none(), "{list}");

    // Entra ID's way: add one member, remove another by a value filter.
    let patch = json!({ "schemas": [PATCH], "Operations": [
        { "op": "Add", "path": "members", "value": [{ "value": bob_id }] },
        { "op": "Remove", "path": format!("members[value eq \"{ada_id}\"]") }
    ] });
    let (status, patched) = idp
        .call(Method::PATCH, &format!("/Groups/{sales_id}"), Some(patch))
        .await;
    assert_eq!(status, 200, "{patched}");
    let members: Vec<&str> = patched["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["value"].as_str().unwrap())
        .collect();
    assert_eq!(members, [bob_id.as_str()]);
    let bad = json!({ "schemas": [PATCH], "Operations": [
        { "op": "add", "path": "members", "value": [{ "value": stranger }] }
    ] });
    refused(
        &idp.call(Method::PATCH, &format!("/Groups/{sales_id}"), Some(bad))
            .await,
        400,
        Some("invalidValue"),
    );

    // A person deleted leaves their groups.
    let carol = json!({ "schemas": [USER], "userName": "carol@northwind.example" });
    let (_, carol) = idp.call(Method::POST, "/Users", Some(carol)).await;
    let carol_id = carol["id"].as_str().unwrap().to_string();
    let join = json!({ "schemas": [PATCH], "Operations": [
        { "op": "add", "path": "members", "value": [{ "value": carol_id }] }
    ] });
    let (_, joined) = idp
        .call(Method::PATCH, &format!("/Groups/{sales_id}"), Some(join))
        .await;
    assert_eq!(joined["members"].as_array().unwrap().len(), 2);
    assert_eq!(
        idp.call(Method::DELETE, &format!("/Users/{carol_id}"), None)
            .await
            .0,
        204
    );
    let (_, left) = idp
        .call(Method::GET, &format!("/Groups/{sales_id}"), None)
        .await;
    assert_eq!(left["members"].as_array().unwrap().len(), 1, "{left}");

    // Renamed with PUT, then deleted: its members stay, without it.
    let (status, renamed) = idp
        .call(
            Method::PUT,
            &format!("/Groups/{sales_id}"),
            Some(group("Field sales", &[&bob_id])),
        )
        .await;
    assert_eq!(status, 200, "{renamed}");
    assert_eq!(renamed["displayName"], "Field sales");
    assert_eq!(
        idp.call(Method::DELETE, &format!("/Groups/{sales_id}"), None)
            .await
            .0,
        204
    );
    refused(
        &idp.call(Method::GET, &format!("/Groups/{sales_id}"), None)
            .await,
        404,
        None,
    );
    let (status, bob) = idp
        .call(Method::GET, &format!("/Users/{bob_id}"), None)
        .await;
    assert_eq!(status, 200);
    assert!(bob.get("groups").is_none(), "{bob}");
    assert_eq!(audited(&app, "group.deleted", &sales_id).await.len(), 1);
}

/// PATCHes `user`'s manager to `manager`; answers the status and body.
async fn set_manager(idp: &Idp<'_>, user: &str, manager: &str) -> (u16, Value) {
    let patch = json!({ "schemas": [PATCH], "Operations": [
        { "op": "add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", "value": { "value": manager } }
    ] });
    idp.call(Method::PATCH, &format!("/Users/{user}"), Some(patch))
        .await
}

#[sqlx::test(migrations = "../migrations")]
async fn managers_must_be_people_without_loops_and_the_break_glass_admin_stays(pool: sqlx::PgPool) {
    let app = spawn_demo(pool).await;
    let idp = Idp::new(&app).await;
    let response = idp.send(Method::POST, "/Users", Some(ada()), &[]).await;
    assert_eq!(response.headers()["cache-control"], "no-store");
    let ada: Value = response.json().await.unwrap();
    let ada_id = ada["id"].as_str().unwrap().to_string();
    let bob = json!({ "schemas": [USER, ENTERPRISE], "userName": "bob@northwind.example",
                      ENTERPRISE: { "manager": { "value": ada_id } } });
    let (status, bob) = idp.call(Method::POST, "/Users", Some(bob)).await;
    assert_eq!(status, 201, "{bob}");
    let bob_id = bob["id"].as_str().unwrap().to_string();

    // Ada cannot report to Bob, who reports to her; nor to an agent.
    refused(
        &set_manager(&idp, &ada_id, &bob_id).await,
        400,
        Some("invalidValue"),
    );
    let agent = agent_of(&app, &ada_id, "Ada's agent").await;
    refused(
        &set_manager(&idp, &bob_id, &agent.to_string()).await,
        400,
        Some("invalidValue"),
    );

    // "False" as text, as older Entra ID applications send it.
    let off = json!({ "schemas": [PATCH], "Operations": [{ "op": "Replace", "path": "active", "value": "False" }] });
    let (status, bob) = idp
        .call(Method::PATCH, &format!("/Users/{bob_id}"), Some(off))
        .await;
    assert_eq!(status, 200, "{bob}");
    assert_eq!(bob["active"], false);

    // The break-glass admin is neither deactivated nor deleted by the provider.
    sqlx::query("UPDATE organisations SET break_glass_principal = $1::uuid")
        .bind(&ada_id)
        .execute(&app.pool)
        .await
        .unwrap();
    let off = json!({ "schemas": [PATCH], "Operations": [{ "op": "replace", "path": "active", "value": false }] });
    refused(
        &idp.call(Method::PATCH, &format!("/Users/{ada_id}"), Some(off))
            .await,
        409,
        Some("mutability"),
    );
    refused(
        &idp.call(Method::DELETE, &format!("/Users/{ada_id}"), None)
            .await,
        409,
        Some("mutability"),
    );
    let status: String =
        sqlx::query_scalar("SELECT status::text FROM principals WHERE id = $1::uuid")
            .bind(&ada_id)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(status, "active");

    // A manager who has left is no reason to refuse a change of something else.
    let dave = json!({ "schemas": [USER], "userName": "dave@northwind.example" });
    let (status, dave) = idp.call(Method::POST, "/Users", Some(dave)).await;
    assert_eq!(status, 201, "{dave}");
    let dave_id = dave["id"].as_str().unwrap().to_string();
    let carol = json!({ "schemas": [USER, ENTERPRISE], "userName": "carol@northwind.example",
                        ENTERPRISE: { "manager": { "value": dave_id } } });
    let (status, carol) = idp.call(Method::POST, "/Users", Some(carol)).await;
    assert_eq!(status, 201, "{carol}");
    let carol_id = carol["id"].as_str().unwrap().to_string();
    let (status, _) = idp
        .call(Method::DELETE, &format!("/Users/{dave_id}"), None)
        .await;
    assert_eq!(status, 204);
    let title = json!({ "schemas": [PATCH], "Operations": [{ "op": "replace", "path": "title", "value": "Buyer" }] });
    let (status, carol) = idp
        .call(Method::PATCH, &format!("/Users/{carol_id}"), Some(title))
        .await;
    assert_eq!(status, 200, "{carol}");
    assert_eq!(carol["title"], "Buyer");
    // Naming the one who left as a new manager is still refused.
    refused(
        &set_manager(&idp, &bob_id, &dave_id).await,
        400,
        Some("invalidValue"),
    );
}
