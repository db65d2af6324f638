//! Forms posted without JavaScript. The browser posts a form to its server function and
//! waits for a page; the function answers data. The answer is kept in the session, the
//! browser is sent back to the page it came from, and that page shows the answer once
//! (`app::components::answer`). Addresses never carry an answer: a link written by
//! anyone cannot put its words on a page. A refused form comes back as it was sent:
//! what was typed in it (secrets aside) is kept beside the answer and written back into
//! that form of the page. An answer holding a secret shown once (a token, a signing
//! secret, recovery codes) is kept sealed, under a one-time key that only the browser
//! holds (a cookie of this site, for five minutes): what the database holds of the
//! session cannot be read without it.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use cookie::{Cookie, SameSite};
use serde::{Deserialize, Serialize};
use tower_sessions::Session;

use app::components::answer::{Answer, SESSION_KEY};
use app::error::AppError;
use app::service::secrets::SecretKeys;

/// Most of an answer that is kept; every console answer is far smaller.
const ANSWER_LIMIT: usize = 256 * 1024;

/// Most of a page that is read whole to write a refused form's fields back into it.
const PAGE_LIMIT: usize = 16 * 1024 * 1024;

/// Where the session keeps an answer holding a secret, sealed, until its page is shown.
const SEALED_KEY: &str = "gatehouse.sealed";

/// The cookie that holds the key of the sealed answer.
const REVEAL_COOKIE: &str = "gatehouse-reveal";

/// Where the session keeps what was typed into a refused form until its page is shown.
const TYPED_KEY: &str = "gatehouse.typed";

/// The query parameters the framework would read an answer from.
const ANSWER_PARAMETERS: [&str; 2] = ["__err", "__path"];

/// A form posted to a server function by the browser itself (it asks for a page back),
/// as opposed to one sent by the page's script (which asks for JSON).
fn posted_by_browser(request: &Request) -> bool {
    let path = request.uri().path();
    request.method() == Method::POST
        && path.starts_with("/api/")
        && !path.starts_with("/api/v1/")
        && request
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|accept| accept.contains("text/html"))
}

/// The page a form was posted from: the path and query of its `Referer` (never another
/// site), without answer parameters; the home page when it does not say.
fn came_from(headers: &HeaderMap) -> String {
    headers
        .get(header::REFERER)
        .and_then(|r| r.to_str().ok())
        .and_then(|r| r.parse::<axum::http::Uri>().ok())
        .and_then(|uri| {
            let path = uri.path();
            // `//host` would be read as another site.
            (path.starts_with('/') && !path.starts_with("//"))
                .then(|| without_answer(path, uri.query()))
        })
        .unwrap_or_else(|| "/".to_string())
}

fn without_answer(path: &str, query: Option<&str>) -> String {
    let kept: Vec<(String, String)> = query
        .map(|q| {
            serde_urlencoded::from_str::<Vec<(String, String)>>(q)
                .unwrap_or_default()
                .into_iter()
                .filter(|(k, _)| !ANSWER_PARAMETERS.contains(&k.as_str()))
                .collect()
        })
        .unwrap_or_default();
    match serde_urlencoded::to_string(&kept) {
        Ok(q) if !q.is_empty() => format!("{path}?{q}"),
        _ => path.to_string(),
    }
}

async fn keep(session: &Session, answer: Answer) {
    if let Err(e) = session.insert(SESSION_KEY, answer).await {
        tracing::error!(error = %e, "a form's answer could not be kept for its page");
    }
}

/// Runs a form posted by the browser as the page's script would send it, keeps the
/// answer for the page and sends the browser back there (or where the function
/// redirects, as a sign-in does). An answer that holds a secret shown once is kept
/// sealed, its key sent to the browser alone (`keep_sealed`).
pub async fn answer_posted_forms(
    State(forms): State<Forms>,
    session: Session,
    mut request: Request,
    next: Next,
) -> Response {
    if !posted_by_browser(&request) {
        return next.run(request).await;
    }
    let path = request.uri().path().to_string();
    let back = came_from(request.headers());
    request
        .headers_mut()
        .insert(header::ACCEPT, HeaderValue::from_static("application/json"));
    // The body was read whole and screened on its way in (`http::screen_input`).
    let (parts, body) = request.into_parts();
    let Ok(sent) = axum::body::to_bytes(body, crate::http::SERVER_FN_BODY_LIMIT).await else {
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    };
    let typed = Typed::read(&path, &parts.headers, &sent);
    let secret = app::api::answers_shown_once().contains(&path.as_str());
    let response = next.run(Request::from_parts(parts, Body::from(sent))).await;
    if let Some(to) = response
        .headers()
        .get(header::LOCATION)
        .and_then(|l| l.to_str().ok())
    {
        return Redirect::to(to).into_response();
    }
    let ok = response.status().is_success();
    let answer = match axum::body::to_bytes(response.into_body(), ANSWER_LIMIT).await {
        Ok(bytes) => Answer {
            path,
            ok,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        },
        Err(_) => {
            tracing::warn!(path, "a form's answer was too large to keep for its page");
            let said = if ok {
                "Done, but the answer is too large to show without JavaScript: the page shows what changed."
            } else {
                "That did not go through, and the reason is too large to show without JavaScript."
            };
            Answer::refused(&path, &AppError::BadRequest(said.into()))
        }
    };
    if secret && answer.ok {
        return match keep_sealed(&session, &answer, forms.secure_cookies).await {
            Ok(cookie) => ([(header::SET_COOKIE, cookie)], Redirect::to(&back)).into_response(),
            Err(e) => {
                tracing::error!(error = %e, "a secret could not be kept sealed for its page");
                let lost = AppError::Conflict(
                    "It was done, but its secret could not be shown: remove it and make another."
                        .into(),
                );
                keep(&session, Answer::refused(&answer.path, &lost)).await;
                Redirect::to(&back).into_response()
            }
        };
    }
    if let (false, Some(typed)) = (answer.ok, typed) {
        if let Err(e) = session.insert(TYPED_KEY, typed).await {
            tracing::error!(error = %e, "what was typed into a refused form could not be kept");
        }
    }
    keep(&session, answer).await;
    Redirect::to(&back).into_response()
}

/// How the forms' answers are handed back: whether the browser's cookies must be
/// secure (HTTPS only).
#[derive(Clone, Copy)]
pub struct Forms {
    pub secure_cookies: bool,
}

/// An answer holding a secret, kept sealed in the session under a key that is only in
/// the browser's `REVEAL_COOKIE`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Sealed {
    path: String,
    body: String,
}

/// The one-time key of a sealed answer, as a cookie of this site only, for five minutes.
fn reveal_cookie(key: String, secure: bool) -> String {
    Cookie::build((REVEAL_COOKIE, key))
        .path("/")
        .max_age(time::Duration::minutes(5))
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure)
        .build()
        .to_string()
}

/// Keeps `answer`, whose body is a secret, sealed in the session under a new key, and
/// answers the cookie that carries the key.
async fn keep_sealed(session: &Session, answer: &Answer, secure: bool) -> Result<String, String> {
    let key = SecretKeys::generate_base64();
    let body = SecretKeys::from_base64(&key, None)
        .and_then(|keys| keys.seal(&answer.body).map_err(|e| e.to_string()))?;
    let sealed = Sealed {
        path: answer.path.clone(),
        body,
    };
    session
        .insert(SEALED_KEY, sealed)
        .await
        .map_err(|e| e.to_string())?;
    Ok(reveal_cookie(key, secure))
}

/// The sealed answer waiting in the session, opened with the key in the request's
/// cookie; it is forgotten either way.
async fn open_sealed(session: &Session, headers: &HeaderMap) -> Option<Answer> {
    let sealed = session.remove::<Sealed>(SEALED_KEY).await.ok().flatten()?;
    let key = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == REVEAL_COOKIE)?
        .value()
        .to_string();
    let body = SecretKeys::from_base64(&key, None)
        .ok()?
        .open(&sealed.body)
        .ok()?;
    Some(Answer {
        path: sealed.path,
        ok: true,
        body,
    })
}

/// Hands a page the answer waiting for it (once), and sends an address that carries
/// an answer of its own to the same page without it.
pub async fn hand_answer_to_page(session: Session, mut request: Request, next: Next) -> Response {
    if request.method() != Method::GET || !shows_answers(request.uri().path()) {
        return next.run(request).await;
    }
    if let Some(query) = request.uri().query() {
        let carries_answer = serde_urlencoded::from_str::<Vec<(String, String)>>(query)
            .unwrap_or_default()
            .iter()
            .any(|(k, _)| ANSWER_PARAMETERS.contains(&k.as_str()));
        if carries_answer {
            let clean = without_answer(request.uri().path(), Some(query));
            return Response::builder()
                .status(StatusCode::SEE_OTHER)
                .header(header::LOCATION, clean)
                .body(Body::empty())
                .unwrap_or_else(|_| StatusCode::BAD_REQUEST.into_response());
        }
    }
    // Read first: removing marks the session changed, and a changed session is written
    // back (or, for a visitor without one, made) on every page view.
    let mut typed = None;
    let mut forget_key = false;
    if request.headers().get(header::COOKIE).is_some() {
        if let Ok(Some(_)) = session.get::<Sealed>(SEALED_KEY).await {
            forget_key = true;
            if let Some(answer) = open_sealed(&session, request.headers()).await {
                request.extensions_mut().insert(answer);
            }
        }
    }
    match session.get::<Answer>(SESSION_KEY).await {
        Ok(Some(answer)) => {
            typed = session.remove::<Typed>(TYPED_KEY).await.unwrap_or_else(|e| {
                tracing::error!(error = %e, "what was typed into a refused form could not be read");
                None
            });
            if let Err(e) = session.remove_value(SESSION_KEY).await {
                tracing::error!(error = %e, "a page's answer could not be forgotten");
            }
            request.extensions_mut().insert(answer);
        }
        Ok(None) => {}
        Err(e) => tracing::error!(error = %e, "the answer waiting for a page could not be read"),
    }
    // `//host` would be read as another site.
    let at = match request.uri().path_and_query() {
        Some(at) if !at.as_str().starts_with("//") => at.to_string(),
        _ => "/".to_string(),
    };
    let response = next.run(request).await;
    let mut response = match typed {
        Some(typed) => typed.write_back(response, &at).await,
        None => response,
    };
    if forget_key {
        let spent = Cookie::build((REVEAL_COOKIE, ""))
            .path("/")
            .max_age(time::Duration::ZERO)
            .http_only(true)
            .same_site(SameSite::Strict)
            .build()
            .to_string();
        if let Ok(spent) = HeaderValue::from_str(&spent) {
            response.headers_mut().append(header::SET_COOKIE, spent);
        }
    }
    response
}

/// Pages, the sign-in pages included: not the API, files or the sign-on redirects.
fn shows_answers(path: &str) -> bool {
    path == "/login" || crate::http::is_page(path)
}

/// What was typed into a form that was refused, kept so that the page it goes back to
/// shows the form as it was sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Typed {
    /// The server function the form posts to.
    path: String,
    fields: Vec<(String, String)>,
}

/// Fields never kept in the session: what proves who someone is, and a passkey's answer.
fn is_secret(name: &str) -> bool {
    matches!(name, "password" | "code" | "token" | "passkey") || name.contains("secret")
}

impl Typed {
    /// The fields of a form-encoded body, secrets left out; `None` when there are none.
    fn read(path: &str, headers: &HeaderMap, body: &[u8]) -> Option<Typed> {
        let form = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        if !form {
            return None;
        }
        let fields: Vec<(String, String)> = serde_urlencoded::from_bytes(body).ok()?;
        let fields: Vec<_> = fields.into_iter().filter(|(k, _)| !is_secret(k)).collect();
        (!fields.is_empty()).then(|| Typed {
            path: path.to_owned(),
            fields,
        })
    }

    fn sent(&self, name: &str, value: &str) -> bool {
        self.fields.iter().any(|(k, v)| k == name && v == value)
    }

    /// The page with the fields written back into the form that was sent; as it was
    /// when it is not a whole page or that form is not on it. A page too large to read
    /// whole sends the browser to itself again (`at`), to be drawn as it is: what was
    /// typed is forgotten by then.
    async fn write_back(self, response: Response, at: &str) -> Response {
        let html = response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/html"));
        if !html || response.status() != StatusCode::OK {
            return response;
        }
        let (mut parts, body) = response.into_parts();
        let page = match axum::body::to_bytes(body, PAGE_LIMIT).await {
            Ok(page) => page,
            Err(e) => {
                tracing::warn!(error = %e, "a page could not be read to write a refused form back");
                return Redirect::to(at).into_response();
            }
        };
        let refilled = std::str::from_utf8(&page)
            .ok()
            .and_then(|page| match self.refill(page) {
                Ok(refilled) => refilled,
                Err(e) => {
                    tracing::warn!(error = %e, "a refused form could not be written back");
                    None
                }
            });
        parts.headers.remove(header::CONTENT_LENGTH);
        match refilled {
            Some(refilled) => Response::from_parts(parts, Body::from(refilled)),
            None => Response::from_parts(parts, Body::from(page)),
        }
    }

    /// `page` with the fields written into the form that was sent (`None`: it is not
    /// there). That form posts to the function, and each of its hidden fields has the
    /// value that was sent: of a table's forms, the one of the row it came from.
    fn refill(&self, page: &str) -> Result<Option<String>, lol_html::errors::RewritingError> {
        use lol_html::html_content::ContentType;
        use lol_html::{element, rewrite_str, RewriteStrSettings};
        use std::cell::RefCell;
        use std::collections::HashMap;

        // First the form: whether each form so far is still the one sent.
        let forms: RefCell<Vec<bool>> = RefCell::new(Vec::new());
        rewrite_str(
            page,
            RewriteStrSettings {
                element_content_handlers: vec![
                    element!("form", |el| {
                        let posts_here = el.get_attribute("action").as_deref() == Some(&self.path);
                        forms.borrow_mut().push(posts_here);
                        Ok(())
                    }),
                    element!("form input[type=hidden][name]", |el| {
                        let (name, value) = (
                            el.get_attribute("name").unwrap_or_default(),
                            el.get_attribute("value").unwrap_or_default(),
                        );
                        if let Some(last) = forms.borrow_mut().last_mut() {
                            *last = *last && self.sent(&name, &value);
                        }
                        Ok(())
                    }),
                ],
                ..RewriteStrSettings::new()
            },
        )?;
        let Some(target) = forms.borrow().iter().position(|&sent| sent) else {
            return Ok(None);
        };

        // Then its fields, each name's values in the order they were sent.
        let form = RefCell::new(None::<usize>);
        let select = RefCell::new(None::<String>);
        let taken: RefCell<HashMap<String, usize>> = RefCell::new(HashMap::new());
        let next_value = |name: &str| {
            let mut taken = taken.borrow_mut();
            let n = taken.entry(name.to_owned()).or_default();
            let value = self.fields.iter().filter(|(k, _)| k == name).nth(*n);
            *n += 1;
            value.map(|(_, v)| v.clone())
        };
        let in_target = || *form.borrow() == Some(target);
        let refilled = rewrite_str(
            page,
            RewriteStrSettings {
                element_content_handlers: vec![
                    element!("form", |_| {
                        let mut form = form.borrow_mut();
                        *form = Some(form.map_or(0, |n| n + 1));
                        Ok(())
                    }),
                    element!("form input[name]", |el| {
                        if !in_target() {
                            return Ok(());
                        }
                        let name = el.get_attribute("name").unwrap_or_default();
                        let kind = el
                            .get_attribute("type")
                            .unwrap_or_default()
                            .to_ascii_lowercase();
                        match kind.as_str() {
                            "hidden" | "password" | "submit" | "button" | "reset" | "file"
                            | "image" => {}
                            "checkbox" | "radio" => {
                                let value =
                                    el.get_attribute("value").unwrap_or_else(|| "on".into());
                                if self.sent(&name, &value) {
                                    el.set_attribute("checked", "")?;
                                } else {
                                    el.remove_attribute("checked");
                                }
                            }
                            _ => {
                                if let Some(value) = next_value(&name) {
                                    let value = html_escape::encode_double_quoted_attribute(&value);
                                    el.set_attribute("value", &value)?;
                                }
                            }
                        }
                        Ok(())
                    }),
                    element!("form textarea[name]", |el| {
                        if in_target() {
                            let name = el.get_attribute("name").unwrap_or_default();
                            if let Some(value) = next_value(&name) {
                                el.set_inner_content(&value, ContentType::Text);
                            }
                        }
                        Ok(())
                    }),
                    element!("form select", |el| {
                        *select.borrow_mut() = el.get_attribute("name");
                        Ok(())
                    }),
                    element!("form option[value]", |el| {
                        if let (true, Some(name)) = (in_target(), select.borrow().as_deref()) {
                            let value = el.get_attribute("value").unwrap_or_default();
                            if self.sent(name, &value) {
                                el.set_attribute("selected", "")?;
                            } else {
                                el.remove_attribute("selected");
                            }
                        }
                        Ok(())
                    }),
                ],
                ..RewriteStrSettings::new()
            },
        )?;
        Ok(Some(refilled))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn referer(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::REFERER, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn a_form_goes_back_to_its_page_on_this_site_only() {
        assert_eq!(
            came_from(&referer("http://localhost:3000/reviews?page=2")),
            "/reviews?page=2"
        );
        assert_eq!(came_from(&referer("https://evil.example/roles")), "/roles");
        assert_eq!(came_from(&referer("//evil.example/x")), "/");
        assert_eq!(came_from(&referer("not a url at all")), "/");
        assert_eq!(came_from(&HeaderMap::new()), "/");
    }

    fn typed(fields: &[(&str, &str)]) -> Typed {
        Typed {
            path: "/api/grant".into(),
            fields: fields
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    const PAGE: &str = r#"<form action="/api/other"><input name="note" value="a"></form>
<form action="/api/grant"><input type="hidden" name="row" value="1"><input name="note" value="one"></form>
<form action="/api/grant"><input type="hidden" name="row" value="2"><input name="note" value="two">
<input type="password" name="pin" value=""><textarea name="why">old</textarea>
<select name="kind"><option value="bot" selected>Bot</option><option value="agent">Agent</option></select>
<input type="checkbox" name="kinds[]" value="bot" checked><input type="checkbox" name="kinds[]" value="agent">
<input name="tag" value=""><input name="tag" value=""></form>"#;

    #[test]
    fn a_refused_form_is_written_back_into_the_form_it_came_from() {
        let sent = typed(&[
            ("row", "2"),
            ("note", "Say \"hi\" & <b>bye</b>"),
            ("pin", "1234"),
            ("why", "</textarea><script>x</script>"),
            ("kind", "agent"),
            ("kinds[]", "agent"),
            ("tag", "first"),
            ("tag", "second"),
        ]);
        let page = sent.refill(PAGE).unwrap().unwrap();
        // Not the other function's form, nor the other row's.
        assert!(page.contains(r#"<form action="/api/other"><input name="note" value="a">"#));
        assert!(page.contains(
            r#"<input type="hidden" name="row" value="1"><input name="note" value="one">"#
        ));
        assert!(page.contains(r#"value="Say &quot;hi&quot; &amp; &lt;b&gt;bye&lt;/b&gt;""#));
        assert!(page.contains(r#"<input type="password" name="pin" value="">"#));
        assert!(page.contains("&lt;/textarea&gt;&lt;script&gt;x&lt;/script&gt;</textarea>"));
        assert!(
            page.contains(r#"<option value="bot">Bot</option><option value="agent" selected="">"#)
        );
        assert!(page.contains(r#"<input type="checkbox" name="kinds[]" value="bot">"#));
        assert!(page.contains(r#"value="agent" checked="">"#));
        assert!(
            page.contains(r#"<input name="tag" value="first"><input name="tag" value="second">"#)
        );
    }

    #[test]
    fn a_page_without_the_form_sent_is_left_as_it_is() {
        assert_eq!(typed(&[("row", "3")]).refill(PAGE).unwrap(), None);
    }

    #[test]
    fn secrets_are_not_kept() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        );
        let body = b"email=a%40b.example&password=hunter2&code=123456&settings%5Bclient_secret%5D=s&note=kept";
        assert_eq!(
            Typed::read("/api/x", &headers, body).unwrap().fields,
            vec![
                ("email".to_string(), "a@b.example".to_string()),
                ("note".to_string(), "kept".to_string())
            ]
        );
        assert_eq!(Typed::read("/api/x", &HeaderMap::new(), body), None);
    }

    #[test]
    fn an_answer_in_the_address_is_dropped() {
        assert_eq!(
            came_from(&referer(
                "http://localhost/login?next=%2Froles&__err=eyJ4Ijoi&__path=%2Fapi%2Fauth%2Flogin"
            )),
            "/login?next=%2Froles"
        );
        assert_eq!(without_answer("/roles", Some("__err=x")), "/roles");
    }
}
