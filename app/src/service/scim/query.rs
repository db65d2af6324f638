//! A SCIM filter or `sortBy` made into SQL over `db::scim`'s columns. Only the attributes
//! listed here can be filtered or sorted on, each a fixed SQL expression; every value
//! becomes a numbered parameter, so nothing a caller sends is ever SQL text.

use chrono::Datelike;
use rules::scim::filter::{AttrPath, CompValue, CompareOp, Filter};
use rules::scim::ScimError;

use super::{ENTERPRISE, GATEHOUSE};

/// How an attribute's SQL compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Text compared whatever its case (both sides lower-cased).
    Text,
    /// Text already lower-case in the database (the userName's index is on it).
    Folded,
    /// Text compared exactly (ids, external ids: caseExact in SCIM).
    Exact,
    Bool,
    Timestamp,
    Date,
}

/// What a filter or sort is over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    User,
    Group,
}

impl Resource {
    fn column(self, path: &AttrPath) -> Option<(&'static str, Kind)> {
        match self {
            Resource::User => user_column(path),
            Resource::Group => group_column(path),
        }
    }

    fn known(self) -> &'static str {
        match self {
            Resource::User => KNOWN,
            Resource::Group => "id, displayName, externalId, meta.created, meta.lastModified",
        }
    }
}

/// A group's filterable attributes (over `principal_groups g`).
fn group_column(path: &AttrPath) -> Option<(&'static str, Kind)> {
    let core = path
        .uri
        .as_deref()
        .is_none_or(|u| u.eq_ignore_ascii_case(super::GROUP));
    Some(match path.dotted().as_str() {
        "id" if core => ("g.id::text", Kind::Exact),
        "displayname" if core => ("g.display_name", Kind::Text),
        "externalid" if core => ("g.external_id", Kind::Exact),
        "meta.created" if core => ("g.created_at", Kind::Timestamp),
        "meta.lastmodified" if core => ("g.modified_at", Kind::Timestamp),
        _ => return None,
    })
}

/// The SQL expression and kind of a filterable attribute, by its lower-case dotted name
/// (the extension's attributes also by name alone, as SCIM allows).
fn user_column(path: &AttrPath) -> Option<(&'static str, Kind)> {
    let uri = path.uri.as_deref().map(str::to_ascii_lowercase);
    let core = uri
        .as_deref()
        .is_none_or(|u| u == super::USER.to_ascii_lowercase());
    let enterprise = uri
        .as_deref()
        .is_none_or(|u| u == ENTERPRISE.to_ascii_lowercase());
    let gatehouse = uri
        .as_deref()
        .is_none_or(|u| u == GATEHOUSE.to_ascii_lowercase());
    let name = path.dotted();
    let found = match name.as_str() {
        "id" if core => ("p.id::text", Kind::Exact),
        "username" if core => (
            "scim_user_name(p.user_name, p.email, p.external_id)",
            Kind::Folded,
        ),
        "externalid" if core => ("p.external_id", Kind::Exact),
        "displayname" if core => ("p.display_name", Kind::Text),
        "title" if core => ("nullif(p.job_title, '')", Kind::Text),
        "active" if core => ("(p.status = 'active')", Kind::Bool),
        // Emails are stored lower-case, so their index serves the comparison.
        "emails" | "emails.value" if core => ("p.email", Kind::Folded),
        "name.givenname" if core => ("p.scim #>> '{name,givenName}'", Kind::Text),
        "name.familyname" if core => ("p.scim #>> '{name,familyName}'", Kind::Text),
        "name.formatted" if core => ("p.scim #>> '{name,formatted}'", Kind::Text),
        "meta.created" if core => ("p.created_at", Kind::Timestamp),
        "meta.lastmodified" if core => ("p.modified_at", Kind::Timestamp),
        "employeenumber" if enterprise => ("p.attributes ->> 'employee_number'", Kind::Text),
        "department" if enterprise => ("p.attributes ->> 'department'", Kind::Text),
        "costcenter" if enterprise => ("p.attributes ->> 'cost_center'", Kind::Text),
        "organization" if enterprise => ("p.attributes ->> 'organization'", Kind::Text),
        "division" if enterprise => ("p.attributes ->> 'division'", Kind::Text),
        "manager" | "manager.value" if enterprise => ("p.manager_id::text", Kind::Exact),
        "employmenttype" if gatehouse => ("p.employment_type::text", Kind::Text),
        "enddate" if gatehouse => ("p.end_date", Kind::Date),
        _ => return None,
    };
    Some(found)
}

/// The attributes a filter or sort may name, for the refusal.
const KNOWN: &str = "id, userName, externalId, displayName, title, active, emails, emails.value, \
    name.givenName, name.familyName, name.formatted, meta.created, meta.lastModified, and the \
    enterprise extension's employeeNumber, department, costCenter, organization, division, manager";

/// SQL text with its parameters, numbered from a given first placeholder.
pub struct Sql {
    pub text: String,
    pub params: Vec<String>,
    first: usize,
    resource: Resource,
}

impl Sql {
    /// No condition: every user.
    pub fn everything() -> Self {
        Sql {
            text: "true".into(),
            params: vec![],
            first: 2,
            resource: Resource::User,
        }
    }

    fn param(&mut self, value: String) -> String {
        self.params.push(value);
        format!("${}", self.first + self.params.len() - 1)
    }
}

/// `filter` over `resource` as a SQL condition whose placeholders start at `$first`.
pub fn condition(resource: Resource, filter: &Filter, first: usize) -> Result<Sql, ScimError> {
    let mut sql = Sql {
        text: String::new(),
        params: vec![],
        first,
        resource,
    };
    sql.text = node(filter, &mut sql, false)?;
    Ok(sql)
}

/// The `ORDER BY` expression for `sortBy` and `sortOrder`.
pub fn order(
    resource: Resource,
    sort_by: Option<&str>,
    descending: bool,
) -> Result<String, ScimError> {
    let Some(sort_by) = sort_by else {
        return Ok(match resource {
            Resource::User => "p.created_at",
            Resource::Group => "g.created_at",
        }
        .into());
    };
    let path = match rules::scim::filter::parse(&format!("{sort_by} pr"))? {
        Filter::Present(path) => path,
        _ => {
            return Err(ScimError::InvalidValue(format!(
                "sortBy: {sort_by} is not an attribute."
            )))
        }
    };
    let (expr, kind) = resource.column(&path).ok_or_else(|| {
        ScimError::InvalidValue(format!(
            "sortBy: {sort_by} is not one of {}.",
            resource.known()
        ))
    })?;
    let expr = if kind == Kind::Text {
        format!("lower({expr})")
    } else {
        expr.to_string()
    };
    Ok(format!(
        "{expr} {} NULLS LAST",
        if descending { "DESC" } else { "ASC" }
    ))
}

/// Inside `emails[…]`, the attributes are the email's own: `value`, `type` (always
/// "work" here) and `primary` (always true).
fn node(filter: &Filter, sql: &mut Sql, within_emails: bool) -> Result<String, ScimError> {
    Ok(match filter {
        Filter::And(a, b) => format!(
            "({} AND {})",
            node(a, sql, within_emails)?,
            node(b, sql, within_emails)?
        ),
        Filter::Or(a, b) => format!(
            "({} OR {})",
            node(a, sql, within_emails)?,
            node(b, sql, within_emails)?
        ),
        Filter::Not(a) => format!("(NOT coalesce({}, false))", node(a, sql, within_emails)?),
        Filter::ValuePath { path, filter } => {
            if within_emails || sql.resource != Resource::User || !path.is("emails") {
                return Err(ScimError::InvalidFilter(format!(
                    "Only emails[…] can be filtered by its items here, not {}.",
                    path.dotted()
                )));
            }
            format!("(p.email IS NOT NULL AND {})", node(filter, sql, true)?)
        }
        Filter::Present(path) => {
            let (expr, _) = resolve(sql.resource, path, within_emails)?;
            format!("({expr} IS NOT NULL)")
        }
        Filter::Compare { path, op, value } => {
            let (expr, kind) = resolve(sql.resource, path, within_emails)?;
            compare(sql, expr, kind, *op, value)?
        }
    })
}

fn resolve(
    resource: Resource,
    path: &AttrPath,
    within_emails: bool,
) -> Result<(&'static str, Kind), ScimError> {
    let found = if within_emails {
        match path.dotted().as_str() {
            "value" => Some(("p.email", Kind::Folded)),
            "type" => Some(("'work'::text", Kind::Text)),
            "primary" => Some(("true", Kind::Bool)),
            _ => None,
        }
    } else {
        resource.column(path)
    };
    found.ok_or_else(|| {
        ScimError::InvalidFilter(format!(
            "{} cannot be filtered on; these can: {}.",
            path.dotted(),
            resource.known()
        ))
    })
}

fn compare(
    sql: &mut Sql,
    expr: &str,
    kind: Kind,
    op: CompareOp,
    value: &CompValue,
) -> Result<String, ScimError> {
    use CompareOp::*;
    let refuse = |why: &str| Err(ScimError::InvalidFilter(why.to_string()));
    if let CompValue::Str(text) = value {
        if let Some(c) = rules::validation::forbidden_character(text) {
            return Err(ScimError::InvalidFilter(format!(
                "A value holds a control character (U+{:04X}); send it without.",
                u32::from(c)
            )));
        }
    }
    let (value, cast) = match (kind, value) {
        (_, CompValue::Null) => {
            return match op {
                Eq => Ok(format!("({expr} IS NULL)")),
                Ne => Ok(format!("({expr} IS NOT NULL)")),
                _ => refuse("null can only be compared with eq or ne."),
            }
        }
        (Kind::Bool, CompValue::Bool(b)) => (b.to_string(), "boolean"),
        (Kind::Bool, _) => return refuse("active is compared with true or false."),
        (_, CompValue::Bool(_)) => return refuse("Only active is true or false."),
        (_, CompValue::Number(_)) => {
            return refuse("None of these attributes is a number; quote the value.")
        }
        // Written back in one form PostgreSQL reads, within the years both know.
        (Kind::Timestamp, CompValue::Str(s)) => {
            let at = chrono::DateTime::parse_from_rfc3339(s)
                .ok()
                .filter(|at| (1..=9999).contains(&at.year()))
                .ok_or_else(|| {
                    ScimError::InvalidFilter(format!(
                        "\"{s}\" is not a date and time such as 2026-01-31T09:00:00Z."
                    ))
                })?;
            (at.to_rfc3339(), "timestamptz")
        }
        (Kind::Date, CompValue::Str(s)) => {
            let day = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .ok()
                .filter(|d| (1..=9999).contains(&d.year()))
                .ok_or_else(|| {
                    ScimError::InvalidFilter(format!("\"{s}\" is not a date such as 2026-01-31."))
                })?;
            (day.to_string(), "date")
        }
        (Kind::Text | Kind::Folded, CompValue::Str(s)) => (s.to_lowercase(), "text"),
        (Kind::Exact, CompValue::Str(s)) => (s.clone(), "text"),
    };
    let textual = matches!(kind, Kind::Text | Kind::Folded | Kind::Exact);
    let ordered = textual || matches!(kind, Kind::Timestamp | Kind::Date);
    let left = if kind == Kind::Text {
        format!("lower({expr})")
    } else {
        expr.to_string()
    };
    if op == Co && textual {
        // A LIKE pattern, so that a trigram index can answer it; the value's own
        // wildcards are escaped and match themselves.
        let p = sql.param(format!("%{}%", like_escaped(&value)));
        return Ok(format!("({left} LIKE {p}::text)"));
    }
    let p = sql.param(value);
    let right = format!("{p}::{cast}");
    Ok(match op {
        Eq => format!("({left} = {right})"),
        Ne => format!("({left} IS DISTINCT FROM {right})"),
        Sw if textual => format!("starts_with({left}, {right})"),
        Ew if textual => format!("(right({left}, length({right})) = {right})"),
        Gt if ordered => format!("({left} > {right})"),
        Ge if ordered => format!("({left} >= {right})"),
        Lt if ordered => format!("({left} < {right})"),
        Le if ordered => format!("({left} <= {right})"),
        _ => return refuse("co, sw and ew compare text only."),
    })
}

/// `text` with LIKE's wildcards and its escape character escaped.
fn like_escaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sql(filter: &str) -> Result<Sql, ScimError> {
        condition(Resource::User, &rules::scim::filter::parse(filter)?, 2)
    }

    #[test]
    fn values_become_parameters_never_text() {
        let s = sql(r#"userName eq "x' OR 1=1 --""#).unwrap();
        assert_eq!(
            s.text,
            "(scim_user_name(p.user_name, p.email, p.external_id) = $2::text)"
        );
        assert_eq!(s.params, ["x' or 1=1 --"]);
    }

    #[test]
    fn contains_matches_wildcards_as_themselves() {
        let s = sql(r#"displayName co "50%_off\\""#).unwrap();
        assert_eq!(s.text, "(lower(p.display_name) LIKE $2::text)");
        assert_eq!(s.params, [r"%50\%\_off\\%"]);
    }

    #[test]
    fn operators_and_precedence() {
        let s = sql(r#"title pr and (emails co "@EXAMPLE.com" or not (active eq false))"#).unwrap();
        assert_eq!(
            s.text,
            "((nullif(p.job_title, '') IS NOT NULL) AND ((p.email LIKE $2::text) OR (NOT coalesce(((p.status = 'active') = $3::boolean), false))))"
        );
        assert_eq!(s.params, ["%@example.com%", "false"]);
    }

    #[test]
    fn email_items_and_extensions() {
        let s = sql(r#"emails[type eq "work" and value ew ".org"]"#).unwrap();
        assert!(
            s.text.starts_with("(p.email IS NOT NULL AND "),
            "{}",
            s.text
        );
        let s = sql(
            r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "Sales""#,
        )
        .unwrap();
        assert_eq!(s.text, "(lower(p.attributes ->> 'department') = $2::text)");
        assert_eq!(s.params, ["sales"]);
    }

    #[test]
    fn unknown_attributes_and_mismatched_values_are_refused() {
        for bad in [
            r#"password eq "x""#,
            r#"nickName eq "x""#,
            r#"active eq "yes""#,
            r#"userName eq 3"#,
            r#"meta.created gt "yesterday""#,
            r#"active co true"#,
            r#"phoneNumbers[type eq "work"]"#,
            r#"urn:example:other:department eq "x""#,
            r#"userName eq "a\u0000b""#,
            r#"meta.created gt "0000-01-01T00:00:00Z""#,
        ] {
            assert!(sql(bad).is_err(), "{bad} was taken");
        }
    }

    #[test]
    fn sorting_takes_known_attributes_only() {
        assert_eq!(
            order(Resource::User, Some("userName"), false).unwrap(),
            "scim_user_name(p.user_name, p.email, p.external_id) ASC NULLS LAST"
        );
        assert_eq!(
            order(Resource::User, Some("meta.lastModified"), true).unwrap(),
            "p.modified_at DESC NULLS LAST"
        );
        assert!(order(Resource::User, Some("x; DROP TABLE principals"), false).is_err());
        assert!(order(Resource::User, Some("password"), false).is_err());
    }
}
