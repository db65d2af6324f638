//! Forms posted without JavaScript. The browser posts a form to its server function and
//! waits for a page; the function answers data. The answer is kept in the session, the
//! browser is sent back to the page it came from, and that page shows the answer once
//! (`app::components::answer`). Addresses never carry an answer: a link written by
//! anyone cannot put its words on a page.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use tower_sessions::Session;

use app::components::answer::{Answer, SESSION_KEY};
use app::error::AppError;

/// Most of an answer that is kept; every console answer is far smaller.
const ANSWER_LIMIT: usize = 256 * 1024;

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
/// redirects, as a sign-in does).
pub async fn answer_posted_forms(session: Session, mut request: Request, next: Next) -> Response {
    if !posted_by_browser(&request) {
        return next.run(request).await;
    }
    let path = request.uri().path().to_string();
    let back = came_from(request.headers());
    if app::api::answers_shown_once().contains(&path.as_str()) {
        let refused = AppError::BadRequest(
            "This form needs JavaScript: what it makes is shown once, on this page, by the page's script. Nothing was made."
                .into(),
        );
        keep(&session, Answer::refused(&path, &refused)).await;
        return Redirect::to(&back).into_response();
    }
    request
        .headers_mut()
        .insert(header::ACCEPT, HeaderValue::from_static("application/json"));
    let response = next.run(request).await;
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
    keep(&session, answer).await;
    Redirect::to(&back).into_response()
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
    match session.get::<Answer>(SESSION_KEY).await {
        Ok(Some(answer)) => {
            if let Err(e) = session.remove_value(SESSION_KEY).await {
                tracing::error!(error = %e, "a page's answer could not be forgotten");
            }
            request.extensions_mut().insert(answer);
        }
        Ok(None) => {}
        Err(e) => tracing::error!(error = %e, "the answer waiting for a page could not be read"),
    }
    next.run(request).await
}

/// Pages, the sign-in pages included: not the API, files or the sign-on redirects.
fn shows_answers(path: &str) -> bool {
    path == "/login" || crate::http::is_page(path)
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
