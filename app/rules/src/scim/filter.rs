//! SCIM filters (RFC 7644 section 3.4.2.2): a hand-written parser for the `filter` query
//! parameter, and the test of whether a resource's JSON matches one. The same parser
//! reads PATCH paths (section 3.5.2), which share attribute paths and value filters.

use std::cmp::Ordering;
use std::fmt;

use serde_json::{Map, Number, Value};

use super::ScimError;

/// Most characters in a filter or path: far more than any real query needs, and it
/// bounds the parser's work.
pub const MAX_LEN: usize = 4096;
/// Deepest nesting of parentheses and value filters, so hostile input cannot exhaust
/// the stack of the recursive parser.
pub const MAX_DEPTH: usize = 32;

const EXPECT_OPERATOR: &str = "an operator (eq, ne, co, sw, ew, gt, ge, lt, le, pr)";
const EXPECT_VALUE: &str = "a value (a string in double quotes, a number, true, false or null)";
const EXPECT_START: &str = "an attribute name, \"not\" or \"(\"";
const NAME_RULE: &str =
    "an attribute name starts with a letter and holds only letters, digits, \"-\" and \"_\"";

/// Core schema URNs qualify top-level attributes rather than naming an object.
const CORE_SCHEMA_PREFIX: &str = "urn:ietf:params:scim:schemas:core:";

/// An attribute path: `userName`, `name.familyName`, or one qualified by its schema,
/// `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department`. Names are
/// kept as written; SCIM compares them case-insensitively.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttrPath {
    /// The schema URN before the attribute's name, without the final `:`.
    pub uri: Option<String>,
    pub attr: String,
    pub sub: Option<String>,
}

impl AttrPath {
    /// Whether this path is the attribute `name` itself (no sub-attribute), whatever the
    /// case of either.
    pub fn is(&self, name: &str) -> bool {
        self.sub.is_none() && self.attr.eq_ignore_ascii_case(name)
    }

    /// The lower-case `attr` or `attr.sub`, without the schema URN.
    pub fn dotted(&self) -> String {
        match &self.sub {
            Some(sub) => format!("{}.{}", self.attr, sub).to_ascii_lowercase(),
            None => self.attr.to_ascii_lowercase(),
        }
    }
}

impl fmt::Display for AttrPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(uri) = &self.uri {
            write!(f, "{uri}:")?;
        }
        write!(f, "{}", self.attr)?;
        if let Some(sub) = &self.sub {
            write!(f, ".{sub}")?;
        }
        Ok(())
    }
}

/// A comparison operator of RFC 7644 table 3.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareOp {
    Eq,
    Ne,
    Co,
    Sw,
    Ew,
    Gt,
    Ge,
    Lt,
    Le,
}

/// The literal on the right of a comparison.
#[derive(Debug, Clone, PartialEq)]
pub enum CompValue {
    Str(String),
    Number(Number),
    Bool(bool),
    Null,
}

/// A parsed filter.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    /// `userName eq "bjensen"`.
    Compare {
        path: AttrPath,
        op: CompareOp,
        value: CompValue,
    },
    /// `title pr`.
    Present(AttrPath),
    And(Box<Filter>, Box<Filter>),
    Or(Box<Filter>, Box<Filter>),
    Not(Box<Filter>),
    /// `emails[type eq "work" and value co "@example.com"]`: the inner filter's paths are
    /// relative to the attribute's items.
    ValuePath {
        path: AttrPath,
        filter: Box<Filter>,
    },
}

/// Parses a `filter` query parameter, following RFC 7644 figure 1: `not` binds tighter
/// than `and`, which binds tighter than `or`; `not` takes a parenthesised filter;
/// keywords and operators are case-insensitive; strings are JSON strings. Every refusal
/// is `InvalidFilter`, naming the character (counted from 1) where the problem is,
/// including filters over [`MAX_LEN`] characters or nested deeper than [`MAX_DEPTH`].
pub fn parse(input: &str) -> Result<Filter, ScimError> {
    let mut parser = Parser::new(input, Mode::Filter)?;
    if input.trim().is_empty() {
        return Err(parser.error(format!(
            "the filter is empty (character 1): expected {EXPECT_START}, as in userName eq \"bjensen\""
        )));
    }
    let filter = parser.parse_or()?;
    let token = parser.next()?;
    match token.tok {
        Tok::End => Ok(filter),
        Tok::Close | Tok::CloseBracket => Err(parser.error(format!(
            "unexpected \"{}\" at character {}: there is no \"{}\" for it to close",
            token.raw,
            token.start + 1,
            if token.tok == Tok::Close { "(" } else { "[" }
        ))),
        _ => Err(parser.unexpected(&token, "\"and\", \"or\" or the end of the filter")),
    }
}

/// A PATCH path's parts: the attribute, its value filter, and the sub-attribute after
/// the filter. Refusals are `InvalidPath`.
pub(crate) fn parse_path_parts(
    input: &str,
) -> Result<(AttrPath, Option<Filter>, Option<String>), ScimError> {
    let mut parser = Parser::new(input, Mode::Path)?;
    if input.trim().is_empty() {
        return Err(parser.error(
            "the path is empty (character 1): name an attribute, as in name.familyName or emails[type eq \"work\"].value"
                .to_string(),
        ));
    }
    let first = parser.next()?;
    let path = match &first.tok {
        Tok::Word(word) => parser.attr_path(word, first.start)?,
        _ => return Err(parser.unexpected(&first, "an attribute name")),
    };
    let token = parser.next()?;
    match token.tok {
        Tok::End => Ok((path, None, None)),
        Tok::OpenBracket => {
            let filter = parser.value_filter(&path, &first, &token)?;
            let after = parser.next()?;
            let sub = match &after.tok {
                Tok::End => return Ok((path, Some(filter), None)),
                Tok::Word(word) if word.starts_with('.') => {
                    let name = &word[1..];
                    if !is_name(name) {
                        return Err(parser.error(format!(
                            "invalid sub-attribute \"{}\" at character {}: {NAME_RULE}",
                            shorten(&after.raw),
                            after.start + 1
                        )));
                    }
                    name.to_string()
                }
                _ => {
                    return Err(parser
                        .unexpected(&after, "\".\" and a sub-attribute, or the end of the path"))
                }
            };
            let end = parser.next()?;
            if end.tok != Tok::End {
                return Err(parser.unexpected(&end, "the end of the path"));
            }
            Ok((path, Some(filter), Some(sub)))
        }
        _ => Err(parser.unexpected(&token, "\"[\" or the end of the path")),
    }
}

impl Filter {
    /// Whether a resource (its SCIM JSON) matches.
    ///
    /// Strings compare case-insensitively (no attribute here is caseExact); `co`, `sw`
    /// and `ew` apply to strings only; `gt`, `ge`, `lt` and `le` order strings
    /// lexicographically (which also orders RFC 3339 timestamps written alike) and
    /// numbers; booleans compare with `eq` and `ne` only. A multi-valued attribute
    /// matches when any item does, and a complex one compared without a sub-attribute
    /// compares its items' `value`. `ne` is the negation of `eq`, so an absent attribute
    /// is "not equal"; `eq null` holds when the attribute has no value. `pr` holds when the
    /// attribute is present and not null, "", [] or {}. Attribute names match
    /// case-insensitively; a schema URN prefix looks the attribute up in the object
    /// keyed by that URN (a core schema's URN, or the resource's first schema, means
    /// the top level).
    pub fn matches(&self, resource: &Value) -> bool {
        match self {
            Filter::Compare { path, op, value } => compare(resource, path, *op, value),
            Filter::Present(path) => lookup(resource, path).into_iter().any(is_present),
            Filter::And(left, right) => left.matches(resource) && right.matches(resource),
            Filter::Or(left, right) => left.matches(resource) || right.matches(resource),
            Filter::Not(inner) => !inner.matches(resource),
            Filter::ValuePath { path, filter } => match attribute(resource, path) {
                Some(Value::Array(items)) => items.iter().any(|item| item_matches(filter, item)),
                Some(object @ Value::Object(_)) => filter.matches(object),
                _ => false,
            },
        }
    }
}

/// Whether one item of a multi-valued attribute matches a value filter; a simple item
/// (a string, say) is seen as `{"value": item}`.
pub(crate) fn item_matches(filter: &Filter, item: &Value) -> bool {
    if item.is_object() {
        filter.matches(item)
    } else {
        let mut wrapped = Map::new();
        wrapped.insert("value".into(), item.clone());
        filter.matches(&Value::Object(wrapped))
    }
}

/// The member of `map` named `name`, whatever the case.
pub(crate) fn get_ci<'a>(map: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    map.get(name).or_else(|| {
        map.iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value)
    })
}

/// The key of `map` spelling `name`, whatever the case, as the map spells it.
pub(crate) fn find_key(map: &Map<String, Value>, name: &str) -> Option<String> {
    if map.contains_key(name) {
        return Some(name.to_string());
    }
    map.keys()
        .find(|key| key.eq_ignore_ascii_case(name))
        .cloned()
}

/// Whether `text` starts with `urn:`, whatever the case.
pub(crate) fn is_urn(text: &str) -> bool {
    text.get(..4)
        .is_some_and(|head| head.eq_ignore_ascii_case("urn:"))
}

/// Whether `uri` names the resource's core schema, whose attributes sit at the top
/// level: one of RFC 7643's (`urn:ietf:params:scim:schemas:core:2.0:User`, say), or the
/// first schema the resource lists.
pub(crate) fn is_core_uri(resource: &Map<String, Value>, uri: &str) -> bool {
    let lower = uri.to_ascii_lowercase();
    if let Some(rest) = lower.strip_prefix(CORE_SCHEMA_PREFIX) {
        // A version and a name: "2.0:User".
        if rest.split(':').count() == 2 && !rest.split(':').any(str::is_empty) {
            return true;
        }
    }
    match get_ci(resource, "schemas") {
        Some(Value::Array(schemas)) => schemas
            .first()
            .and_then(Value::as_str)
            .is_some_and(|first| first.eq_ignore_ascii_case(uri)),
        _ => false,
    }
}

/// The attribute a path names (before any sub-attribute), in the object `context`.
fn attribute<'a>(context: &'a Value, path: &AttrPath) -> Option<&'a Value> {
    let object = context.as_object()?;
    let scope = match &path.uri {
        None => object,
        Some(uri) => {
            // A path that spells a whole extension URN names that extension's object.
            if path.sub.is_none() {
                if let Some(whole) = get_ci(object, &format!("{uri}:{}", path.attr)) {
                    return Some(whole);
                }
            }
            match get_ci(object, uri) {
                Some(Value::Object(extension)) => extension,
                Some(_) => return None,
                None if is_core_uri(object, uri) => object,
                None => return None,
            }
        }
    };
    get_ci(scope, &path.attr)
}

/// The values a path reaches: the attribute itself, or its sub-attribute in the complex
/// value or in each item of a multi-valued one.
fn lookup<'a>(context: &'a Value, path: &AttrPath) -> Vec<&'a Value> {
    let Some(value) = attribute(context, path) else {
        return Vec::new();
    };
    match &path.sub {
        None => vec![value],
        Some(sub) => match value {
            Value::Object(object) => get_ci(object, sub).into_iter().collect(),
            Value::Array(items) => items
                .iter()
                .filter_map(|item| item.as_object().and_then(|object| get_ci(object, sub)))
                .collect(),
            _ => Vec::new(),
        },
    }
}

/// The simple values a comparison looks at: arrays are opened up, and a complex value
/// reached without a sub-attribute stands for its `value`.
fn comparable<'a>(context: &'a Value, path: &AttrPath) -> Vec<&'a Value> {
    fn push<'a>(value: &'a Value, out: &mut Vec<&'a Value>) {
        match value {
            Value::Object(object) => out.extend(get_ci(object, "value")),
            other => out.push(other),
        }
    }
    let mut out = Vec::new();
    for value in lookup(context, path) {
        match value {
            Value::Array(items) => items.iter().for_each(|item| push(item, &mut out)),
            other => push(other, &mut out),
        }
    }
    out
}

fn is_present(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::String(text) => !text.is_empty(),
        Value::Array(items) => items.iter().any(is_present),
        Value::Object(members) => members.values().any(is_present),
        Value::Bool(_) | Value::Number(_) => true,
    }
}

fn compare(context: &Value, path: &AttrPath, op: CompareOp, value: &CompValue) -> bool {
    let candidates = comparable(context, path);
    match (op, value) {
        (CompareOp::Eq, CompValue::Null) => candidates.iter().all(|c| c.is_null()),
        (CompareOp::Ne, CompValue::Null) => candidates.iter().any(|c| !c.is_null()),
        // "Not equal" is read as "no value equals", so an absent attribute qualifies.
        (CompareOp::Ne, _) => !candidates
            .iter()
            .any(|c| compare_one(c, CompareOp::Eq, value)),
        _ => candidates.iter().any(|c| compare_one(c, op, value)),
    }
}

fn compare_one(candidate: &Value, op: CompareOp, value: &CompValue) -> bool {
    match (candidate, value) {
        (Value::String(have), CompValue::Str(want)) => {
            let have = have.to_lowercase();
            let want = want.to_lowercase();
            match op {
                CompareOp::Eq => have == want,
                CompareOp::Ne => have != want,
                CompareOp::Co => have.contains(&want),
                CompareOp::Sw => have.starts_with(&want),
                CompareOp::Ew => have.ends_with(&want),
                CompareOp::Gt => have > want,
                CompareOp::Ge => have >= want,
                CompareOp::Lt => have < want,
                CompareOp::Le => have <= want,
            }
        }
        (Value::Number(have), CompValue::Number(want)) => {
            let Some(order) = compare_numbers(have, want) else {
                return false;
            };
            match op {
                CompareOp::Eq => order == Ordering::Equal,
                CompareOp::Ne => order != Ordering::Equal,
                CompareOp::Gt => order == Ordering::Greater,
                CompareOp::Ge => order != Ordering::Less,
                CompareOp::Lt => order == Ordering::Less,
                CompareOp::Le => order != Ordering::Greater,
                CompareOp::Co | CompareOp::Sw | CompareOp::Ew => false,
            }
        }
        (Value::Bool(have), CompValue::Bool(want)) => match op {
            CompareOp::Eq => have == want,
            CompareOp::Ne => have != want,
            _ => false,
        },
        _ => false,
    }
}

/// Integers compare exactly; anything else as floating point.
fn compare_numbers(a: &Number, b: &Number) -> Option<Ordering> {
    if let (Some(x), Some(y)) = (a.as_i64(), b.as_i64()) {
        return Some(x.cmp(&y));
    }
    if let (Some(x), Some(y)) = (a.as_u64(), b.as_u64()) {
        return Some(x.cmp(&y));
    }
    a.as_f64()?.partial_cmp(&b.as_f64()?)
}

fn is_name(text: &str) -> bool {
    let mut chars = text.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// Long tokens are cut in messages so one stays readable.
fn shorten(text: &str) -> String {
    const MOST: usize = 40;
    if text.chars().count() <= MOST {
        text.to_string()
    } else {
        let head: String = text.chars().take(MOST).collect();
        format!("{head}…")
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word(String),
    Str(String),
    Num(Number),
    Open,
    Close,
    OpenBracket,
    CloseBracket,
    Other,
    End,
}

#[derive(Debug, Clone)]
struct Token {
    tok: Tok,
    /// Index of the token's first character, from 0.
    start: usize,
    /// The token as written, for messages.
    raw: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Filter,
    Path,
}

struct Parser {
    chars: Vec<char>,
    pos: usize,
    peeked: Option<Token>,
    depth: usize,
    in_value_filter: bool,
    mode: Mode,
}

impl Parser {
    fn new(input: &str, mode: Mode) -> Result<Self, ScimError> {
        let mut parser = Parser {
            chars: Vec::new(),
            pos: 0,
            peeked: None,
            depth: 0,
            in_value_filter: false,
            mode,
        };
        let length = input.chars().count();
        if length > MAX_LEN {
            return Err(parser.error(format!(
                "the {} is {length} characters long; character {} is past the limit of {MAX_LEN}",
                parser.noun(),
                MAX_LEN + 1
            )));
        }
        parser.chars = input.chars().collect();
        Ok(parser)
    }

    fn noun(&self) -> &'static str {
        match self.mode {
            Mode::Filter => "filter",
            Mode::Path => "path",
        }
    }

    fn error(&self, message: String) -> ScimError {
        match self.mode {
            Mode::Filter => ScimError::InvalidFilter(message),
            Mode::Path => ScimError::InvalidPath(message),
        }
    }

    fn unexpected(&self, token: &Token, expected: &str) -> ScimError {
        if token.tok == Tok::End {
            self.error(format!(
                "unexpected end of {} at character {}: expected {expected}",
                self.noun(),
                token.start + 1
            ))
        } else {
            self.error(format!(
                "unexpected \"{}\" at character {}: expected {expected}",
                shorten(&token.raw),
                token.start + 1
            ))
        }
    }

    fn peek(&mut self) -> Result<&Token, ScimError> {
        if self.peeked.is_none() {
            let token = self.lex()?;
            self.peeked = Some(token);
        }
        Ok(self.peeked.as_ref().expect("peeked was just filled"))
    }

    fn next(&mut self) -> Result<Token, ScimError> {
        match self.peeked.take() {
            Some(token) => Ok(token),
            None => self.lex(),
        }
    }

    fn peek_keyword(&mut self, keyword: &str) -> Result<bool, ScimError> {
        Ok(matches!(&self.peek()?.tok, Tok::Word(word) if word.eq_ignore_ascii_case(keyword)))
    }

    fn lex(&mut self) -> Result<Token, ScimError> {
        while self.chars.get(self.pos).is_some_and(|c| c.is_whitespace()) {
            self.pos += 1;
        }
        let start = self.pos;
        let Some(&c) = self.chars.get(start) else {
            return Ok(Token {
                tok: Tok::End,
                start,
                raw: String::new(),
            });
        };
        let tok = match c {
            '(' => Tok::Open,
            ')' => Tok::Close,
            '[' => Tok::OpenBracket,
            ']' => Tok::CloseBracket,
            '"' => return self.lex_string(),
            '-' | '0'..='9' => return self.lex_number(),
            c if c.is_ascii_alphabetic() || c == '.' => {
                let end = self.run_end(start, |c| {
                    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':')
                });
                let word: String = self.chars[start..end].iter().collect();
                self.pos = end;
                return Ok(Token {
                    tok: Tok::Word(word.clone()),
                    start,
                    raw: word,
                });
            }
            _ => Tok::Other,
        };
        self.pos += 1;
        Ok(Token {
            tok,
            start,
            raw: c.to_string(),
        })
    }

    fn run_end(&self, from: usize, keep: impl Fn(char) -> bool) -> usize {
        let mut end = from;
        while self.chars.get(end).is_some_and(|&c| keep(c)) {
            end += 1;
        }
        end
    }

    fn lex_number(&mut self) -> Result<Token, ScimError> {
        let start = self.pos;
        // Take everything a number could run into, so "12ab" is refused whole.
        let end = self.run_end(start, |c| {
            c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')
        });
        let raw: String = self.chars[start..end].iter().collect();
        self.pos = end;
        match raw.parse::<Number>() {
            Ok(number) => Ok(Token {
                tok: Tok::Num(number),
                start,
                raw,
            }),
            Err(_) => Err(self.error(format!(
                "invalid number \"{}\" at character {}: write numbers as in JSON, such as 42, -1 or 2.5",
                shorten(&raw),
                start + 1
            ))),
        }
    }

    fn lex_string(&mut self) -> Result<Token, ScimError> {
        let start = self.pos;
        self.pos += 1;
        let mut text = String::new();
        let unterminated = |parser: &Self| {
            parser.error(format!(
                "unterminated string starting at character {}: close it with a double quote",
                start + 1
            ))
        };
        loop {
            let Some(&c) = self.chars.get(self.pos) else {
                return Err(unterminated(self));
            };
            self.pos += 1;
            match c {
                '"' => break,
                '\\' => {
                    let at = self.pos - 1;
                    let Some(&escape) = self.chars.get(self.pos) else {
                        return Err(unterminated(self));
                    };
                    self.pos += 1;
                    let decoded = match escape {
                        '"' => '"',
                        '\\' => '\\',
                        '/' => '/',
                        'b' => '\u{8}',
                        'f' => '\u{c}',
                        'n' => '\n',
                        'r' => '\r',
                        't' => '\t',
                        'u' => self.unicode_escape(at)?,
                        other => {
                            return Err(self.error(format!(
                                "invalid escape \"\\{other}\" at character {}: use \\\" \\\\ \\/ \\b \\f \\n \\r \\t or \\uXXXX",
                                at + 1
                            )))
                        }
                    };
                    text.push(decoded);
                }
                c => text.push(c),
            }
        }
        let raw: String = self.chars[start..self.pos].iter().collect();
        Ok(Token {
            tok: Tok::Str(text),
            start,
            raw,
        })
    }

    /// The character of a `\uXXXX` escape (whose backslash is at `at`), joining a
    /// surrogate pair written as two escapes.
    fn unicode_escape(&mut self, at: usize) -> Result<char, ScimError> {
        let invalid = |parser: &Self| {
            parser.error(format!(
                "invalid escape at character {}: \\u takes four hexadecimal digits naming a character (a surrogate pair takes two escapes)",
                at + 1
            ))
        };
        let high = self.hex4().ok_or_else(|| invalid(self))?;
        let code = match high {
            0xD800..=0xDBFF => {
                let follows = self.chars.get(self.pos) == Some(&'\\')
                    && self.chars.get(self.pos + 1) == Some(&'u');
                if !follows {
                    return Err(invalid(self));
                }
                self.pos += 2;
                let low = self.hex4().ok_or_else(|| invalid(self))?;
                if !(0xDC00..=0xDFFF).contains(&low) {
                    return Err(invalid(self));
                }
                0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
            }
            0xDC00..=0xDFFF => return Err(invalid(self)),
            other => other,
        };
        char::from_u32(code).ok_or_else(|| invalid(self))
    }

    fn hex4(&mut self) -> Option<u32> {
        let digits: String = self.chars.get(self.pos..self.pos + 4)?.iter().collect();
        let code = u32::from_str_radix(&digits, 16).ok()?;
        if !digits.chars().all(|c| c.is_ascii_hexdigit()) {
            return None;
        }
        self.pos += 4;
        Some(code)
    }

    fn enter(&mut self, opener: &Token) -> Result<(), ScimError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error(format!(
                "nesting deeper than {MAX_DEPTH} levels at character {}: write a simpler {}",
                opener.start + 1,
                self.noun()
            )));
        }
        Ok(())
    }

    /// Reads the closing parenthesis or bracket for `opener`.
    fn close(&mut self, opener: &Token) -> Result<(), ScimError> {
        let (want, open, close) = if opener.tok == Tok::Open {
            (Tok::Close, "(", ")")
        } else {
            (Tok::CloseBracket, "[", "]")
        };
        let token = self.next()?;
        if token.tok == want {
            self.depth -= 1;
            return Ok(());
        }
        let expected = if token.tok == Tok::End {
            format!(
                "\"{close}\" to close the \"{open}\" at character {}",
                opener.start + 1
            )
        } else {
            format!(
                "\"and\", \"or\" or the \"{close}\" closing the \"{open}\" at character {}",
                opener.start + 1
            )
        };
        Err(self.unexpected(&token, &expected))
    }

    /// `or` binds loosest; chains are built in a loop so long ones do not recurse.
    fn parse_or(&mut self) -> Result<Filter, ScimError> {
        let mut left = self.parse_and()?;
        while self.peek_keyword("or")? {
            self.next()?;
            let right = self.parse_and()?;
            left = Filter::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn parse_and(&mut self) -> Result<Filter, ScimError> {
        let mut left = self.parse_unary()?;
        while self.peek_keyword("and")? {
            self.next()?;
            let right = self.parse_unary()?;
            left = Filter::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn parse_unary(&mut self) -> Result<Filter, ScimError> {
        let token = self.next()?;
        match &token.tok {
            Tok::Open => self.parenthesised(&token),
            Tok::Word(word) if word.eq_ignore_ascii_case("not") => {
                let open = self.next()?;
                if open.tok != Tok::Open {
                    return Err(self.unexpected(&open, "\"(\" after \"not\", as in not (title pr)"));
                }
                Ok(Filter::Not(Box::new(self.parenthesised(&open)?)))
            }
            Tok::Word(word) => {
                let path = self.attr_path(word, token.start)?;
                self.after_path(path, &token)
            }
            _ => Err(self.unexpected(&token, EXPECT_START)),
        }
    }

    fn parenthesised(&mut self, open: &Token) -> Result<Filter, ScimError> {
        self.enter(open)?;
        let inner = self.parse_or()?;
        self.close(open)?;
        Ok(inner)
    }

    /// What follows an attribute path: `pr`, an operator and a value, or a value filter.
    fn after_path(&mut self, path: AttrPath, path_token: &Token) -> Result<Filter, ScimError> {
        let token = self.next()?;
        let op = match &token.tok {
            Tok::OpenBracket => {
                let filter = self.value_filter(&path, path_token, &token)?;
                return Ok(Filter::ValuePath {
                    path,
                    filter: Box::new(filter),
                });
            }
            Tok::Word(word) => match word.to_ascii_lowercase().as_str() {
                "pr" => return Ok(Filter::Present(path)),
                "eq" => CompareOp::Eq,
                "ne" => CompareOp::Ne,
                "co" => CompareOp::Co,
                "sw" => CompareOp::Sw,
                "ew" => CompareOp::Ew,
                "gt" => CompareOp::Gt,
                "ge" => CompareOp::Ge,
                "lt" => CompareOp::Lt,
                "le" => CompareOp::Le,
                _ => return Err(self.unexpected(&token, EXPECT_OPERATOR)),
            },
            _ => return Err(self.unexpected(&token, EXPECT_OPERATOR)),
        };
        let value = self.comp_value(op, &token)?;
        Ok(Filter::Compare { path, op, value })
    }

    /// The filter between `[` (already read) and `]`.
    fn value_filter(
        &mut self,
        path: &AttrPath,
        path_token: &Token,
        open: &Token,
    ) -> Result<Filter, ScimError> {
        if self.in_value_filter {
            return Err(self.error(format!(
                "unexpected \"[\" at character {}: a value filter cannot hold another one",
                open.start + 1
            )));
        }
        if path.sub.is_some() {
            return Err(self.error(format!(
                "unexpected \"[\" at character {}: a value filter follows the attribute's name, not a sub-attribute (write {}[...], not {}[...])",
                open.start + 1,
                AttrPath { sub: None, ..path.clone() },
                shorten(&path_token.raw)
            )));
        }
        self.enter(open)?;
        self.in_value_filter = true;
        let inner = self.parse_or()?;
        self.close(open)?;
        self.in_value_filter = false;
        Ok(inner)
    }

    fn comp_value(&mut self, op: CompareOp, op_token: &Token) -> Result<CompValue, ScimError> {
        let token = self.next()?;
        let value = match &token.tok {
            Tok::Str(text) => CompValue::Str(text.clone()),
            Tok::Num(number) => CompValue::Number(number.clone()),
            Tok::Word(word) => match word.to_ascii_lowercase().as_str() {
                "true" => CompValue::Bool(true),
                "false" => CompValue::Bool(false),
                "null" => CompValue::Null,
                _ => return Err(self.unexpected(&token, EXPECT_VALUE)),
            },
            _ => return Err(self.unexpected(&token, EXPECT_VALUE)),
        };
        let op_name = op_token.raw.to_ascii_lowercase();
        let refused = match op {
            CompareOp::Co | CompareOp::Sw | CompareOp::Ew => (!matches!(value, CompValue::Str(_)))
                .then_some("co, sw and ew compare strings only"),
            CompareOp::Gt | CompareOp::Ge | CompareOp::Lt | CompareOp::Le => {
                matches!(value, CompValue::Bool(_) | CompValue::Null)
                    .then_some("gt, ge, lt and le compare strings and numbers only")
            }
            CompareOp::Eq | CompareOp::Ne => None,
        };
        match refused {
            Some(why) => Err(self.error(format!(
                "\"{op_name}\" cannot take {} at character {}: {why}",
                shorten(&token.raw),
                token.start + 1
            ))),
            None => Ok(value),
        }
    }

    /// Splits a word into schema URN, attribute and sub-attribute, checking each name.
    fn attr_path(&self, word: &str, start: usize) -> Result<AttrPath, ScimError> {
        let invalid = |why: &str| {
            self.error(format!(
                "invalid attribute path \"{}\" at character {}: {why}",
                shorten(word),
                start + 1
            ))
        };
        // Words hold ASCII only (the lexer takes nothing else), so byte slicing is safe.
        let (uri, rest) = if is_urn(word) {
            let colon = word.rfind(':').expect("the word starts with urn:");
            let uri = &word[..colon];
            if uri.split(':').count() < 3 || uri.split(':').any(str::is_empty) {
                return Err(invalid(
                    "a schema URN prefix has the form urn:<namespace>:<name>, followed by \":\" and the attribute's name",
                ));
            }
            (Some(uri.to_string()), &word[colon + 1..])
        } else {
            if word.contains(':') {
                return Err(invalid(
                    "\":\" may appear only in a schema URN prefix (urn:...)",
                ));
            }
            (None, word)
        };
        let mut parts = rest.split('.');
        let attr = parts.next().unwrap_or_default();
        let sub = parts.next();
        if parts.next().is_some() {
            return Err(invalid(
                "at most one sub-attribute may follow the name, as in name.familyName",
            ));
        }
        if !is_name(attr) || sub.is_some_and(|sub| !is_name(sub)) {
            return Err(invalid(NAME_RULE));
        }
        Ok(AttrPath {
            uri,
            attr: attr.to_string(),
            sub: sub.map(str::to_string),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

    fn path(text: &str) -> AttrPath {
        let (uri, rest) = match text.rfind(':') {
            Some(colon) => (Some(text[..colon].to_string()), &text[colon + 1..]),
            None => (None, text),
        };
        let (attr, sub) = match rest.split_once('.') {
            Some((attr, sub)) => (attr, Some(sub.to_string())),
            None => (rest, None),
        };
        AttrPath {
            uri,
            attr: attr.to_string(),
            sub,
        }
    }

    fn cmp(attr: &str, op: CompareOp, value: &str) -> Filter {
        Filter::Compare {
            path: path(attr),
            op,
            value: CompValue::Str(value.into()),
        }
    }

    fn pr(attr: &str) -> Filter {
        Filter::Present(path(attr))
    }

    fn and(a: Filter, b: Filter) -> Filter {
        Filter::And(Box::new(a), Box::new(b))
    }

    fn or(a: Filter, b: Filter) -> Filter {
        Filter::Or(Box::new(a), Box::new(b))
    }

    fn not(a: Filter) -> Filter {
        Filter::Not(Box::new(a))
    }

    fn value_path(attr: &str, filter: Filter) -> Filter {
        Filter::ValuePath {
            path: path(attr),
            filter: Box::new(filter),
        }
    }

    fn refusal(input: &str) -> String {
        match parse(input) {
            Err(ScimError::InvalidFilter(message)) => message,
            other => panic!("{input:?} was not refused as invalidFilter: {other:?}"),
        }
    }

    fn user() -> Value {
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE],
            "id": "2819c223-7f76-453a-919d-413861904646",
            "userName": "Bjensen@example.com",
            "name": {"familyName": "O'Malley", "givenName": "Barbara"},
            "title": "Tour Guide",
            "nickName": "",
            "userType": "Employee",
            "active": true,
            "loginCount": 42,
            "emails": [
                {"value": "bjensen@example.com", "type": "work", "primary": true},
                {"value": "babs@jensen.org", "type": "home"}
            ],
            "ims": [{"value": "babs@foo.com", "type": "xmpp"}],
            "groups": [],
            "meta": {"lastModified": "2011-05-13T04:42:34Z", "resourceType": "User"},
            ENTERPRISE: {
                "employeeNumber": "701984",
                "department": "Tour Operations",
                "manager": {"value": "26118915-6090-4610-87e4-49d8ca9f808d", "displayName": "John Smith"}
            }
        })
    }

    fn matches(filter: &str) -> bool {
        parse(filter)
            .unwrap_or_else(|e| panic!("{filter:?}: {e}"))
            .matches(&user())
    }

    #[test]
    fn rfc_examples_parse_to_their_trees() {
        use CompareOp::*;
        let cases = [
            ("userName eq \"bjensen\"", cmp("userName", Eq, "bjensen")),
            (
                "name.familyName co \"O'Malley\"",
                cmp("name.familyName", Co, "O'Malley"),
            ),
            ("userName sw \"J\"", cmp("userName", Sw, "J")),
            (
                "urn:ietf:params:scim:schemas:core:2.0:User:userName sw \"J\"",
                cmp("urn:ietf:params:scim:schemas:core:2.0:User:userName", Sw, "J"),
            ),
            ("title pr", pr("title")),
            (
                "meta.lastModified gt \"2011-05-13T04:42:34Z\"",
                cmp("meta.lastModified", Gt, "2011-05-13T04:42:34Z"),
            ),
            (
                "title pr and userType eq \"Employee\"",
                and(pr("title"), cmp("userType", Eq, "Employee")),
            ),
            (
                "title pr or userType eq \"Intern\"",
                or(pr("title"), cmp("userType", Eq, "Intern")),
            ),
            (
                "schemas eq \"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User\"",
                cmp("schemas", Eq, ENTERPRISE),
            ),
            (
                "userType eq \"Employee\" and (emails co \"example.com\" or emails.value co \"example.org\")",
                and(
                    cmp("userType", Eq, "Employee"),
                    or(
                        cmp("emails", Co, "example.com"),
                        cmp("emails.value", Co, "example.org"),
                    ),
                ),
            ),
            (
                "userType ne \"Employee\" and not (emails co \"example.com\" or emails.value co \"example.org\")",
                and(
                    cmp("userType", Ne, "Employee"),
                    not(or(
                        cmp("emails", Co, "example.com"),
                        cmp("emails.value", Co, "example.org"),
                    )),
                ),
            ),
            (
                "userType eq \"Employee\" and emails[type eq \"work\" and value co \"@example.com\"]",
                and(
                    cmp("userType", Eq, "Employee"),
                    value_path(
                        "emails",
                        and(cmp("type", Eq, "work"), cmp("value", Co, "@example.com")),
                    ),
                ),
            ),
            (
                "emails[type eq \"work\" and value co \"@example.com\"] or ims[type eq \"xmpp\" and value co \"@foo.com\"]",
                or(
                    value_path(
                        "emails",
                        and(cmp("type", Eq, "work"), cmp("value", Co, "@example.com")),
                    ),
                    value_path(
                        "ims",
                        and(cmp("type", Eq, "xmpp"), cmp("value", Co, "@foo.com")),
                    ),
                ),
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(parse(input), Ok(expected), "{input}");
        }
    }

    #[test]
    fn urn_prefix_is_split_before_the_attribute() {
        let Filter::Present(p) = parse(&format!("{ENTERPRISE}:department pr")).unwrap() else {
            panic!("not a presence test");
        };
        assert_eq!(p.uri.as_deref(), Some(ENTERPRISE));
        assert_eq!(p.attr, "department");
        assert_eq!(p.sub, None);
        let Filter::Present(p) = parse(&format!("{ENTERPRISE}:manager.value pr")).unwrap() else {
            panic!("not a presence test");
        };
        assert_eq!(p.uri.as_deref(), Some(ENTERPRISE));
        assert_eq!(
            (p.attr.as_str(), p.sub.as_deref()),
            ("manager", Some("value"))
        );
        assert_eq!(p.to_string(), format!("{ENTERPRISE}:manager.value"));
        // The prefix is recognised whatever its case.
        let Filter::Present(p) = parse("URN:acme:ext:User:badge pr").unwrap() else {
            panic!("not a presence test");
        };
        assert_eq!(p.uri.as_deref(), Some("URN:acme:ext:User"));
    }

    #[test]
    fn attr_path_helpers_ignore_case() {
        let p = path("userName");
        assert!(p.is("username"));
        assert!(p.is("USERNAME"));
        assert!(!p.is("name"));
        assert_eq!(p.dotted(), "username");
        let p = path("name.givenName");
        assert!(
            !p.is("name"),
            "a sub-attribute path is not the attribute itself"
        );
        assert_eq!(p.dotted(), "name.givenname");
        assert_eq!(
            path(&format!("{ENTERPRISE}:manager.value")).dotted(),
            "manager.value"
        );
    }

    #[test]
    fn not_binds_tighter_than_and_and_and_tighter_than_or() {
        assert_eq!(
            parse("a pr or b pr and c pr"),
            Ok(or(pr("a"), and(pr("b"), pr("c"))))
        );
        assert_eq!(
            parse("a pr and b pr or c pr"),
            Ok(or(and(pr("a"), pr("b")), pr("c")))
        );
        assert_eq!(
            parse("(a pr or b pr) and c pr"),
            Ok(and(or(pr("a"), pr("b")), pr("c")))
        );
        assert_eq!(parse("not (a pr) and b pr"), Ok(and(not(pr("a")), pr("b"))));
        // Chains group from the left.
        assert_eq!(
            parse("a pr and b pr and c pr"),
            Ok(and(and(pr("a"), pr("b")), pr("c")))
        );
    }

    #[test]
    fn keywords_and_operators_ignore_case() {
        assert_eq!(
            parse("userName EQ \"x\""),
            Ok(cmp("userName", CompareOp::Eq, "x"))
        );
        assert_eq!(
            parse("title PR AND userType Eq \"E\" Or NOT (nickName pr)"),
            Ok(or(
                and(pr("title"), cmp("userType", CompareOp::Eq, "E")),
                not(pr("nickName"))
            ))
        );
        assert_eq!(
            parse("active eq TRUE"),
            Ok(Filter::Compare {
                path: path("active"),
                op: CompareOp::Eq,
                value: CompValue::Bool(true)
            })
        );
    }

    #[test]
    fn every_operator_parses() {
        let ops = [
            ("eq", CompareOp::Eq),
            ("ne", CompareOp::Ne),
            ("co", CompareOp::Co),
            ("sw", CompareOp::Sw),
            ("ew", CompareOp::Ew),
            ("gt", CompareOp::Gt),
            ("ge", CompareOp::Ge),
            ("lt", CompareOp::Lt),
            ("le", CompareOp::Le),
        ];
        for (name, op) in ops {
            assert_eq!(
                parse(&format!("title {name} \"x\"")),
                Ok(cmp("title", op, "x"))
            );
        }
    }

    #[test]
    fn values_are_strings_numbers_booleans_or_null() {
        let value = |input: &str| match parse(input).unwrap() {
            Filter::Compare { value, .. } => value,
            other => panic!("not a comparison: {other:?}"),
        };
        assert_eq!(value("a eq 42"), CompValue::Number(42.into()));
        assert_eq!(value("a eq -7"), CompValue::Number((-7).into()));
        assert_eq!(
            value("a gt 2.5"),
            CompValue::Number(Number::from_f64(2.5).unwrap())
        );
        assert_eq!(
            value("a lt 1e3"),
            CompValue::Number(Number::from_f64(1000.0).unwrap())
        );
        assert_eq!(value("a eq false"), CompValue::Bool(false));
        assert_eq!(value("a eq null"), CompValue::Null);
        assert_eq!(value("a eq \"\""), CompValue::Str(String::new()));
    }

    #[test]
    fn strings_take_json_escapes() {
        let value = |input: &str| match parse(input).unwrap() {
            Filter::Compare {
                value: CompValue::Str(text),
                ..
            } => text,
            other => panic!("not a string comparison: {other:?}"),
        };
        assert_eq!(value(r#"a eq "say \"hi\"""#), "say \"hi\"");
        assert_eq!(value(r#"a eq "back\\slash""#), "back\\slash");
        assert_eq!(value(r#"a eq "line\nbreak\ttab\/""#), "line\nbreak\ttab/");
        assert_eq!(value(r#"a eq "caf\u00e9""#), "café");
        assert_eq!(value(r#"a eq "\ud83d\ude00""#), "😀");
        assert_eq!(value("a eq \"Zoë ok\""), "Zoë ok");
        // Brackets and keywords inside a string are text.
        assert_eq!(value(r#"a eq "x) or (y[""#), "x) or (y[");
    }

    #[test]
    fn whitespace_between_tokens_is_free() {
        assert_eq!(
            parse("  ( title   pr )and\temails [ type eq \"work\" ]  "),
            Ok(and(
                pr("title"),
                value_path("emails", cmp("type", CompareOp::Eq, "work"))
            ))
        );
    }

    #[test]
    fn unknown_operator_is_refused_with_its_position() {
        assert_eq!(
            refusal("userName xx \"x\""),
            "unexpected \"xx\" at character 10: expected an operator (eq, ne, co, sw, ew, gt, ge, lt, le, pr)"
        );
        assert_eq!(
            refusal("userName = \"x\""),
            "unexpected \"=\" at character 10: expected an operator (eq, ne, co, sw, ew, gt, ge, lt, le, pr)"
        );
        assert_eq!(
            refusal("userName"),
            "unexpected end of filter at character 9: expected an operator (eq, ne, co, sw, ew, gt, ge, lt, le, pr)"
        );
    }

    #[test]
    fn missing_or_bare_value_is_refused() {
        assert_eq!(
            refusal("title eq"),
            "unexpected end of filter at character 9: expected a value (a string in double quotes, a number, true, false or null)"
        );
        assert_eq!(
            refusal("userName eq bjensen"),
            "unexpected \"bjensen\" at character 13: expected a value (a string in double quotes, a number, true, false or null)"
        );
        assert_eq!(
            refusal("title eq and"),
            "unexpected \"and\" at character 10: expected a value (a string in double quotes, a number, true, false or null)"
        );
    }

    #[test]
    fn empty_filter_is_refused() {
        for input in ["", "   "] {
            assert!(refusal(input).starts_with("the filter is empty (character 1)"));
        }
    }

    #[test]
    fn unbalanced_parentheses_and_brackets_are_refused() {
        assert_eq!(
            refusal("(title pr"),
            "unexpected end of filter at character 10: expected \")\" to close the \"(\" at character 1"
        );
        assert_eq!(
            refusal("title pr)"),
            "unexpected \")\" at character 9: there is no \"(\" for it to close"
        );
        assert_eq!(
            refusal("emails[type eq \"work\""),
            "unexpected end of filter at character 22: expected \"]\" to close the \"[\" at character 7"
        );
        assert_eq!(
            refusal("title pr]"),
            "unexpected \"]\" at character 9: there is no \"[\" for it to close"
        );
        assert_eq!(
            refusal("(title pr]"),
            "unexpected \"]\" at character 10: expected \"and\", \"or\" or the \")\" closing the \"(\" at character 1"
        );
        assert_eq!(
            refusal("()"),
            "unexpected \")\" at character 2: expected an attribute name, \"not\" or \"(\""
        );
    }

    #[test]
    fn trailing_input_is_refused() {
        assert_eq!(
            refusal("title pr title pr"),
            "unexpected \"title\" at character 10: expected \"and\", \"or\" or the end of the filter"
        );
        assert_eq!(
            refusal("title pr and"),
            "unexpected end of filter at character 13: expected an attribute name, \"not\" or \"(\""
        );
    }

    #[test]
    fn not_requires_parentheses() {
        assert_eq!(
            refusal("not title pr"),
            "unexpected \"title\" at character 5: expected \"(\" after \"not\", as in not (title pr)"
        );
    }

    #[test]
    fn nested_value_filters_and_sub_attribute_value_filters_are_refused() {
        assert_eq!(
            refusal("emails[type eq \"work\" and x[y pr]]"),
            "unexpected \"[\" at character 28: a value filter cannot hold another one"
        );
        assert!(refusal("emails.value[type eq \"work\"]").starts_with(
            "unexpected \"[\" at character 13: a value filter follows the attribute's name"
        ));
    }

    #[test]
    fn bad_strings_numbers_and_names_are_refused() {
        assert_eq!(
            refusal("a eq \"open"),
            "unterminated string starting at character 6: close it with a double quote"
        );
        assert_eq!(
            refusal(r#"a eq "bad \q""#),
            "invalid escape \"\\q\" at character 11: use \\\" \\\\ \\/ \\b \\f \\n \\r \\t or \\uXXXX"
        );
        assert!(refusal(r#"a eq "\u12""#).starts_with("invalid escape at character 7"));
        assert!(refusal(r#"a eq "\ud83d""#).starts_with("invalid escape at character 7"));
        assert!(refusal(r#"a eq "\ude00""#).starts_with("invalid escape at character 7"));
        assert!(refusal(r#"a eq "\u+123""#).starts_with("invalid escape at character 7"));
        assert!(refusal("a eq 01").starts_with("invalid number \"01\" at character 6"));
        assert!(refusal("a eq 12ab").starts_with("invalid number \"12ab\" at character 6"));
        assert!(refusal("a eq -").starts_with("invalid number \"-\" at character 6"));
        assert_eq!(
            refusal("a.b.c pr"),
            "invalid attribute path \"a.b.c\" at character 1: at most one sub-attribute may follow the name, as in name.familyName"
        );
        assert!(refusal("x eq 1 and .a pr").starts_with(
            "invalid attribute path \".a\" at character 12: an attribute name starts with a letter"
        ));
        assert!(refusal("a:b pr").contains("\":\" may appear only in a schema URN prefix"));
        assert!(refusal("urn:x pr").contains("a schema URN prefix has the form"));
        assert!(refusal("urn:acme::b pr").contains("a schema URN prefix has the form"));
        assert_eq!(
            refusal("$ref pr"),
            "unexpected \"$\" at character 1: expected an attribute name, \"not\" or \"(\""
        );
    }

    #[test]
    fn operators_that_cannot_take_the_value_are_refused() {
        assert_eq!(
            refusal("title co 5"),
            "\"co\" cannot take 5 at character 10: co, sw and ew compare strings only"
        );
        assert!(refusal("active SW true").contains("\"sw\" cannot take true"));
        assert_eq!(
            refusal("active gt true"),
            "\"gt\" cannot take true at character 11: gt, ge, lt and le compare strings and numbers only"
        );
        assert!(refusal("title le null").contains("\"le\" cannot take null"));
    }

    #[test]
    fn overlong_filter_is_refused() {
        let long = format!("userName eq \"{}\"", "x".repeat(10_000));
        assert_eq!(
            refusal(&long),
            "the filter is 10014 characters long; character 4097 is past the limit of 4096"
        );
        // Exactly the limit is accepted.
        let fits = format!("a eq \"{}\"", "x".repeat(MAX_LEN - 7));
        assert_eq!(fits.chars().count(), MAX_LEN);
        assert!(parse(&fits).is_ok());
    }

    #[test]
    fn deep_nesting_is_refused_without_overflowing() {
        let deep = format!("{}title pr{}", "(".repeat(100), ")".repeat(100));
        assert_eq!(
            refusal(&deep),
            "nesting deeper than 32 levels at character 33: write a simpler filter"
        );
        let deep_not = format!("{}title pr{}", "not (".repeat(100), ")".repeat(100));
        assert!(refusal(&deep_not).starts_with("nesting deeper than 32 levels"));
        // The limit itself is fine.
        let fits = format!("{}title pr{}", "(".repeat(MAX_DEPTH), ")".repeat(MAX_DEPTH));
        assert_eq!(parse(&fits), Ok(pr("title")));
        // A long flat chain is built without recursion and still matches.
        let chain = vec!["title pr"; 300].join(" and ");
        assert!(parse(&chain).unwrap().matches(&user()));
    }

    #[test]
    fn equality_ignores_case_and_handles_each_type() {
        assert!(matches("userName eq \"bjensen@EXAMPLE.com\""));
        assert!(!matches("userName eq \"bjensen\""));
        assert!(
            matches("USERNAME eq \"bjensen@example.com\""),
            "attribute names ignore case"
        );
        assert!(matches("active eq true"));
        assert!(!matches("active eq false"));
        assert!(matches("loginCount eq 42"));
        assert!(matches("loginCount eq 42.0"));
        assert!(
            !matches("loginCount eq \"42\""),
            "a string never equals a number"
        );
        assert!(matches("title ne \"Manager\""));
        assert!(!matches("title ne \"tour guide\""));
        assert!(matches("active ne false"));
        assert!(
            matches("nosuch ne \"x\""),
            "an absent attribute is not equal to anything"
        );
        assert!(matches("nosuch eq null"));
        assert!(!matches("title eq null"));
        assert!(matches("title ne null"));
    }

    #[test]
    fn substring_operators_match_strings() {
        assert!(matches("name.familyName co \"o'mal\""));
        assert!(matches("userName sw \"BJ\""));
        assert!(!matches("userName sw \"J\""));
        assert!(matches("userName ew \"@example.com\""));
        assert!(!matches("userName ew \"@example.org\""));
        assert!(
            !matches("loginCount co \"4\""),
            "co never looks inside numbers"
        );
    }

    #[test]
    fn ordering_operators_compare_strings_timestamps_and_numbers() {
        assert!(matches("meta.lastModified gt \"2011-05-13T04:42:33Z\""));
        assert!(!matches("meta.lastModified gt \"2011-05-13T04:42:34Z\""));
        assert!(matches("meta.lastModified ge \"2011-05-13T04:42:34Z\""));
        assert!(matches("meta.lastModified lt \"2012-01-01T00:00:00Z\""));
        assert!(matches("meta.lastModified le \"2011-05-13T04:42:34Z\""));
        assert!(matches("loginCount gt 41"));
        assert!(!matches("loginCount gt 42"));
        assert!(matches("loginCount ge 42"));
        assert!(matches("loginCount lt 42.5"));
        assert!(matches("loginCount le 42"));
        assert!(!matches("loginCount lt -1"));
        assert!(
            matches("title gt \"A\""),
            "strings order case-insensitively"
        );
        assert!(
            !matches("loginCount gt \"1\""),
            "a number is never ordered against a string"
        );
    }

    #[test]
    fn multi_valued_attributes_match_on_any_item() {
        assert!(
            matches("emails co \"jensen.org\""),
            "without a sub-attribute the items' value is compared"
        );
        assert!(matches("emails.value co \"example.com\""));
        assert!(matches("emails.type eq \"home\""));
        assert!(!matches("emails.type eq \"other\""));
        assert!(matches(&format!(
            "schemas eq \"{}\"",
            ENTERPRISE.to_uppercase()
        )));
        assert!(
            !matches("emails ne \"babs@jensen.org\""),
            "ne holds only when no item is equal"
        );
    }

    #[test]
    fn value_paths_match_within_one_item() {
        assert!(matches(
            "emails[type eq \"work\" and value co \"@example.com\"]"
        ));
        // Both conditions hold, but on different items.
        assert!(!matches(
            "emails[type eq \"home\" and value co \"@example.com\"]"
        ));
        assert!(matches("emails[not (type eq \"work\")]"));
        assert!(matches("emails[primary eq true]"));
        assert!(!matches("groups[value pr]"));
        assert!(
            matches("name[givenName sw \"bar\"]"),
            "a complex single value is one item"
        );
        assert!(
            matches("schemas[value ew \"2.0:user\"]"),
            "simple items are seen as their value"
        );
        assert!(!matches("title[value pr]"));
        assert!(
            matches("emails[type eq \"work\" and value co \"@example.com\"] or ims[type eq \"xmpp\" and value co \"@foo.com\"]")
        );
        assert!(!matches(
            "userType eq \"Employee\" and emails[type eq \"work\" and value co \"@example.org\"]"
        ));
    }

    #[test]
    fn present_needs_a_value_that_is_not_empty() {
        assert!(matches("title pr"));
        assert!(!matches("nickName pr"), "an empty string is not present");
        assert!(!matches("groups pr"), "an empty array is not present");
        assert!(!matches("nosuch pr"));
        assert!(matches("emails pr"));
        assert!(matches("name.givenName pr"));
        assert!(!matches("name.middleName pr"));
        assert!(matches("emails.primary pr"));
        let sparse = json!({"title": null, "name": {}, "ims": [null], "x": {"y": null}});
        for attr in ["title", "name", "ims", "x"] {
            assert!(
                !parse(&format!("{attr} pr")).unwrap().matches(&sparse),
                "{attr}"
            );
        }
    }

    #[test]
    fn logic_combines_as_written() {
        assert!(matches("title pr and userType eq \"Employee\""));
        assert!(!matches("title pr and userType eq \"Intern\""));
        assert!(matches("nosuch pr or userType eq \"employee\""));
        assert!(!matches("not (title pr)"));
        assert!(matches("userType eq \"Employee\" and (emails co \"example.com\" or emails.value co \"example.org\")"));
        assert!(!matches("userType ne \"Employee\" and not (emails co \"example.com\" or emails.value co \"example.org\")"));
    }

    #[test]
    fn urn_qualified_attributes_are_found_in_their_extension() {
        assert!(matches(&format!(
            "{ENTERPRISE}:department eq \"tour operations\""
        )));
        assert!(matches(&format!(
            "{}:DEPARTMENT sw \"Tour\"",
            ENTERPRISE.to_lowercase()
        )));
        assert!(matches(&format!(
            "{ENTERPRISE}:manager.displayName eq \"John Smith\""
        )));
        assert!(matches(&format!(
            "{ENTERPRISE}:manager eq \"26118915-6090-4610-87e4-49d8ca9f808d\""
        )));
        assert!(
            matches(&format!("{ENTERPRISE} pr")),
            "the whole extension URN names its object"
        );
        assert!(
            !matches("department pr"),
            "an extension attribute is not at the top level"
        );
        assert!(!matches(&format!("{ENTERPRISE}:userName pr")));
        assert!(!matches("urn:acme:other:2.0:User:department pr"));
        // The core schema's URN qualifies top-level attributes.
        assert!(matches(
            "urn:ietf:params:scim:schemas:core:2.0:User:userName sw \"b\""
        ));
        assert!(!matches(
            "urn:ietf:params:scim:schemas:core:2.0:User:userName sw \"J\""
        ));
        let device = json!({"schemas": ["urn:acme:scim:Device"], "serial": "A1"});
        assert!(parse("urn:acme:scim:Device:serial eq \"a1\"")
            .unwrap()
            .matches(&device));
    }

    #[test]
    fn non_objects_match_nothing() {
        let filter = parse("title pr").unwrap();
        assert!(!filter.matches(&json!("title")));
        assert!(!filter.matches(&json!([{"title": "x"}])));
        assert!(parse("not (title pr)").unwrap().matches(&Value::Null));
    }
}
