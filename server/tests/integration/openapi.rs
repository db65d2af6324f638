//! The OpenAPI document of `/api/v1`: served to anyone, a valid OpenAPI 3.1 document
//! whose every schema compiles, with an entry for every route of the API and nothing
//! else; and the README's examples are requests it describes, answered as it says.

use std::collections::BTreeSet;

use serde_json::{json, Value};

use crate::activity::crm_token;
use crate::common::{client, spawn_demo, TestApp};
use crate::requests::id_of;

async fn document(app: &TestApp) -> Value {
    let response = client()
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "application/json",
        "served as JSON"
    );
    response.json().await.unwrap()
}

/// A schema of the document, made a document of its own: its `$ref`s point into
/// `#/components`, which it carries along.
fn schema_at(document: &Value, pointer: &str) -> Value {
    let mut schema = document
        .pointer(pointer)
        .unwrap_or_else(|| panic!("the document has {pointer}"))
        .clone();
    let object = schema.as_object_mut().expect("a schema is an object");
    object.insert("components".into(), document["components"].clone());
    schema
}

fn escape(path: &str) -> String {
    path.replace('~', "~0").replace('/', "~1")
}

/// Whether `instance` is what the schema at `pointer` describes; else every reason.
fn conforms(document: &Value, pointer: &str, instance: &Value) -> Result<(), String> {
    let schema = schema_at(document, pointer);
    let validator = jsonschema::draft202012::new(&schema)
        .map_err(|e| format!("the schema at {pointer} does not compile: {e}"))?;
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(format!("{pointer}: {}", errors.join("; ")))
    }
}

/// Every `$ref` found anywhere under `value`.
fn references(value: &Value, found: &mut BTreeSet<String>) {
    match value {
        Value::Object(object) => {
            for (key, inner) in object {
                match (key.as_str(), inner) {
                    ("$ref", Value::String(target)) => {
                        found.insert(target.clone());
                    }
                    _ => references(inner, found),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| references(v, found)),
        _ => {}
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn the_document_describes_every_api_route_and_only_those(pool: sqlx::PgPool) {
    let app = spawn_demo(pool).await;
    // Anyone may read it, with no session and no token.
    let document = document(&app).await;
    assert!(
        document["openapi"].as_str().unwrap().starts_with("3.1."),
        "OpenAPI 3.1: {}",
        document["openapi"]
    );
    assert_eq!(document["info"]["title"], "Gatehouse API");
    assert!(document["info"]["version"].is_string());

    // The routes of the API are the rows of the operations table under /api/v1 (the
    // table the authorization walk checks), the document's own address aside.
    let documented: BTreeSet<String> = document["paths"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    let routes: BTreeSet<String> = rules::operations::HTTP_ENDPOINTS
        .iter()
        .map(|o| o.path.to_string())
        .filter(|p| p.starts_with("/api/v1/") && p != "/api/v1/openapi.json")
        .collect();
    assert_eq!(documented, routes);
    assert_eq!(routes.len(), 7);

    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let responses = operation["responses"].as_object().unwrap();
            // Each says what a missing token gets, and what a success looks like.
            assert!(responses.contains_key("401"), "{method} {path}");
            assert!(
                responses.keys().any(|s| s.starts_with('2')),
                "{method} {path}"
            );
            for (status, response) in responses {
                assert!(
                    response["content"]["application/json"]["schema"].is_object(),
                    "{method} {path} {status} has a JSON schema"
                );
            }
        }
    }
    // Every operation takes the bearer token.
    assert_eq!(document["security"], json!([{"token": []}]));
    assert_eq!(
        document["components"]["securitySchemes"]["token"]["scheme"],
        "bearer"
    );

    // Every reference leads somewhere, and every schema is valid JSON Schema 2020-12.
    let mut found = BTreeSet::new();
    references(&document, &mut found);
    assert!(!found.is_empty());
    for target in &found {
        let pointer = target.strip_prefix('#').expect("references are local");
        assert!(document.pointer(pointer).is_some(), "{target} resolves");
        let schema = schema_at(&document, pointer);
        jsonschema::draft202012::new(&schema)
            .unwrap_or_else(|e| panic!("{target} is a valid schema: {e}"));
    }

    // A schema that could fail: an answer missing a required field breaks it.
    let report = "/components/schemas/BatchReport";
    assert!(conforms(
        &document,
        report,
        &json!({"recorded": 1, "duplicates": 0, "rejected": 0,
                "events": [{"index": 0, "id": "a", "status": "recorded"}]})
    )
    .is_ok());
    assert!(conforms(&document, report, &json!({"recorded": 1})).is_err());
}

/// The README's `curl` examples of `/api/v1`: each one's path and body (`-d '…'`), and
/// the JSON answer shown after it, if any.
fn readme_examples() -> Vec<(String, Value, Option<Value>)> {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md"))
        .expect("the README is readable");
    let mut examples: Vec<(String, Value, Option<Value>)> = Vec::new();
    let mut blocks = readme.split("```").skip(1).step_by(2);
    for block in blocks.by_ref() {
        if let Some(shell) = block.strip_prefix("sh\n") {
            let Some(at) = shell.find("http://127.0.0.1:3000/api/v1/") else {
                continue;
            };
            let path: String = shell[at + "http://127.0.0.1:3000".len()..]
                .chars()
                .take_while(|c| !c.is_whitespace())
                .collect();
            let body = shell
                .split_once("-d '")
                .and_then(|(_, rest)| rest.split_once('\''))
                .map(|(body, _)| serde_json::from_str(body).expect("the example's body is JSON"))
                .expect("a POST example has a body");
            examples.push((path, body, None));
        } else if let Some(answer) = block.strip_prefix("json\n") {
            if let Some(last) = examples.last_mut().filter(|e| e.2.is_none()) {
                last.2 = Some(serde_json::from_str(answer).expect("the example answer is JSON"));
            }
        }
    }
    examples
}

#[sqlx::test(migrations = "../migrations")]
async fn the_readme_examples_are_requests_the_document_describes(pool: sqlx::PgPool) {
    let app = spawn_demo(pool).await;
    let document = document(&app).await;
    let examples = readme_examples();
    let paths: BTreeSet<&str> = examples.iter().map(|(p, _, _)| p.as_str()).collect();
    assert_eq!(
        paths,
        BTreeSet::from([
            "/api/v1/activity",
            "/api/v1/consent-events",
            "/api/v1/decisions",
            "/api/v1/filter",
            "/api/v1/requests",
        ]),
        "the README shows each POST endpoint"
    );

    let application = crm_token(&app).await;
    // The README's agent asks with a token of its own: Support Copilot's.
    let admin = app.demo_client("admin@northwind.example").await;
    let copilot = id_of(
        &app,
        "SELECT id FROM principals WHERE external_id = 'agent:support-copilot'",
    )
    .await;
    let crm = id_of(&app, "SELECT id FROM applications WHERE name = 'Acme CRM'").await;
    let until = (chrono::Utc::now().date_naive() + chrono::Days::new(30)).to_string();
    let (status, made) = app
        .json(
            &admin,
            "/api/principals/tokens/create",
            &format!("principal={copilot}&application={crm}&name=Copilot&until={until}"),
        )
        .await;
    assert_eq!(status, 200, "{made}");
    let agent = made["token"].as_str().unwrap().to_string();

    for (path, body, shown) in examples {
        let operation = format!("/paths/{}/post", escape(&path));
        let request = format!("{operation}/requestBody/content/application~1json/schema");
        conforms(&document, &request, &body).unwrap();
        let token = if path == "/api/v1/requests" {
            &agent
        } else {
            &application
        };
        let response = client()
            .post(app.url(&path))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let answer: Value = response.json().await.unwrap();
        assert!(
            (200..300).contains(&status),
            "{path}: the README's example is taken ({status} {answer})"
        );
        let schema = format!("{operation}/responses/{status}/content/application~1json/schema");
        conforms(&document, &schema, &answer).unwrap();
        if let Some(shown) = shown {
            conforms(&document, &schema, &shown).unwrap();
        }
    }
}
