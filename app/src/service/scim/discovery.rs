//! What the service provider says of itself (RFC 7644 section 4): its configuration,
//! its resource types and its schemas, made from the same constants the users use.

use serde_json::{json, Value};

use super::{ENTERPRISE, GATEHOUSE, GROUP, LIST_RESPONSE, MAX_BODY, MAX_RESULTS, USER};

const SPC: &str = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";
const RESOURCE_TYPE: &str = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";
const SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Schema";

pub fn service_provider_config(base: &str) -> Value {
    json!({
        "schemas": [SPC],
        "documentationUri": "https://datatracker.ietf.org/doc/html/rfc7644",
        "patch": { "supported": true },
        "bulk": { "supported": false, "maxOperations": 0, "maxPayloadSize": MAX_BODY },
        "filter": { "supported": true, "maxResults": MAX_RESULTS },
        "changePassword": { "supported": false },
        "sort": { "supported": true },
        "etag": { "supported": true },
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "Provisioning token",
            "description": "A provisioning token made under API tokens, sent as Authorization: Bearer gtk_…",
            "primary": true
        }],
        "meta": { "resourceType": "ServiceProviderConfig", "location": format!("{base}/ServiceProviderConfig") }
    })
}

pub fn resource_types(base: &str) -> Vec<Value> {
    vec![user_resource_type(base), group_resource_type(base)]
}

fn group_resource_type(base: &str) -> Value {
    json!({
        "schemas": [RESOURCE_TYPE],
        "id": "Group",
        "name": "Group",
        "endpoint": "/Groups",
        "description": "A group of people, for rules that give access by group",
        "schema": GROUP,
        "schemaExtensions": [],
        "meta": { "resourceType": "ResourceType", "location": format!("{base}/ResourceTypes/Group") }
    })
}

fn user_resource_type(base: &str) -> Value {
    json!({
        "schemas": [RESOURCE_TYPE],
        "id": "User",
        "name": "User",
        "endpoint": "/Users",
        "description": "A person of the organisation (a human principal)",
        "schema": USER,
        "schemaExtensions": [
            { "schema": ENTERPRISE, "required": false },
            { "schema": GATEHOUSE, "required": false }
        ],
        "meta": { "resourceType": "ResourceType", "location": format!("{base}/ResourceTypes/User") }
    })
}

/// One attribute of a schema; `extra` adds or overrides its characteristics.
fn attribute(name: &str, kind: &str, description: &str, extra: Value) -> Value {
    let mut a = json!({
        "name": name, "type": kind, "multiValued": false, "description": description,
        "required": false, "caseExact": false, "mutability": "readWrite",
        "returned": "default", "uniqueness": "none"
    });
    if let (Value::Object(a), Value::Object(extra)) = (&mut a, extra) {
        a.extend(extra);
    }
    a
}

fn schema(id: &str, name: &str, description: &str, attributes: Vec<Value>, base: &str) -> Value {
    json!({
        "schemas": [SCHEMA],
        "id": id, "name": name, "description": description, "attributes": attributes,
        "meta": { "resourceType": "Schema", "location": format!("{base}/Schemas/{id}") }
    })
}

pub fn schemas(base: &str) -> Vec<Value> {
    let text = |n: &str, d: &str| attribute(n, "string", d, json!({}));
    let sub = |n: &str, d: &str| text(n, d);
    let user = schema(
        USER,
        "User",
        "User Account",
        vec![
            attribute(
                "userName",
                "string",
                "Unique within the organisation, whatever its case",
                json!({ "required": true, "uniqueness": "server" }),
            ),
            attribute(
                "name",
                "complex",
                "The parts of the person's name",
                json!({ "subAttributes": [
                    sub("formatted", "The full name"), sub("familyName", "Family name"), sub("givenName", "Given name"),
                    sub("middleName", "Middle name"), sub("honorificPrefix", "Prefix"), sub("honorificSuffix", "Suffix")
                ]}),
            ),
            text("displayName", "The name shown in the console"),
            text("title", "Job title"),
            text("userType", "Kept as sent"),
            attribute(
                "active",
                "boolean",
                "false suspends the person at once",
                json!({}),
            ),
            attribute(
                "emails",
                "complex",
                "The primary one (else the first of type work) is the person's email",
                json!({ "multiValued": true, "subAttributes": [
                    sub("value", "An email address"), sub("type", "work, home or other"),
                    attribute("primary", "boolean", "The one used", json!({}))
                ]}),
            ),
            attribute(
                "groups",
                "complex",
                "Not kept",
                json!({ "multiValued": true, "mutability": "readOnly" }),
            ),
        ],
        base,
    );
    let enterprise = schema(
        ENTERPRISE,
        "EnterpriseUser",
        "Enterprise User",
        vec![
            text(
                "employeeNumber",
                "Kept as the principal attribute employee_number",
            ),
            text("costCenter", "Kept as cost_center"),
            text("organization", "Kept as organization"),
            text("division", "Kept as division"),
            text("department", "Kept as department"),
            attribute(
                "manager",
                "complex",
                "The person's manager, by id",
                json!({ "subAttributes": [
                    sub("value", "The manager's id"),
                    attribute("displayName", "string", "The manager's name", json!({ "mutability": "readOnly" }))
                ]}),
            ),
        ],
        base,
    );
    let gatehouse = schema(
        GATEHOUSE,
        "GatehouseUser",
        "What Gatehouse keeps of a person besides",
        vec![
            attribute(
                "employmentType",
                "string",
                "employee (the default), contractor or client_user",
                json!({ "canonicalValues": ["employee", "contractor", "client_user"] }),
            ),
            attribute(
                "endDate",
                "string",
                "The last day of the engagement, as 2026-12-31",
                json!({}),
            ),
        ],
        base,
    );
    let group = schema(
        GROUP,
        "Group",
        "Group",
        vec![
            attribute(
                "displayName",
                "string",
                "Unique within the organisation, whatever its case",
                json!({ "required": true, "uniqueness": "server" }),
            ),
            attribute(
                "members",
                "complex",
                "People of the organisation, by id",
                json!({ "multiValued": true, "subAttributes": [
                    sub("value", "A user's id"),
                    attribute("display", "string", "The user's name", json!({ "mutability": "readOnly" })),
                    attribute("type", "string", "User", json!({ "canonicalValues": ["User"] }))
                ]}),
            ),
        ],
        base,
    );
    vec![user, enterprise, gatehouse, group]
}

/// A list answer of `resources` (all of them: these lists are short).
pub fn list(resources: Vec<Value>) -> Value {
    json!({
        "schemas": [LIST_RESPONSE],
        "totalResults": resources.len(),
        "startIndex": 1,
        "itemsPerPage": resources.len(),
        "Resources": resources
    })
}
