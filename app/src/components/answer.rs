//! The answer to a form the browser posts itself: every form outside an island, and
//! any form before the page's script has loaded. The browser posts the form to its
//! server function; the server keeps the function's answer in the session, sends the
//! browser back to the page it came from, and hands the answer to that page's next
//! rendering, once (an answer holding a secret waits sealed, under a key only the
//! browser holds). The page's action for that function starts with the answer as
//! its value, so the page shows it exactly as an island shows the answer to a form its
//! script sent: the notice, the refused field.
//!
//! The answer travels in the session, never in the page's address, so nobody can write
//! a link that puts words of their own on a page.

use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// Where the session keeps an answer until the page shows it.
pub const SESSION_KEY: &str = "gatehouse.answer";

/// The `<meta>` that hands a page's answer to the script that makes the page live, so
/// that it shows what the server rendered.
const META_NAME: &str = "gatehouse-answer";

/// A server function's answer to a form.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answer {
    /// The server function's path, as `ServerFn::PATH`.
    pub path: String,
    pub ok: bool,
    /// The answer as the function sent it: its output, or its error, as JSON.
    pub body: String,
}

impl Answer {
    /// A refusal of `path` that the function itself did not give.
    pub fn refused(path: &str, error: &AppError) -> Self {
        Answer {
            path: path.to_owned(),
            ok: false,
            body: serde_json::to_string(error).unwrap_or_default(),
        }
    }

    fn read<O: DeserializeOwned>(&self) -> Option<Result<O, AppError>> {
        if self.ok {
            serde_json::from_str(&self.body).ok().map(Ok)
        } else {
            serde_json::from_str(&self.body).ok().map(Err)
        }
    }
}

/// A server action for `S` that starts with the answer this page came back with, when
/// that answer is `S`'s.
pub fn action<S>() -> ServerAction<S>
where
    S: ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    S::Output: DeserializeOwned + Send + Sync + 'static,
{
    let action = ServerAction::<S>::new();
    if let Some(value) = waiting()
        .filter(|a| a.path == S::PATH)
        .and_then(|a| a.read())
    {
        action.value().set(Some(value));
    }
    action
}

/// The answer handed to this rendering of the page.
#[cfg(feature = "ssr")]
fn waiting() -> Option<Answer> {
    use_context::<http::request::Parts>()?
        .extensions
        .get::<Answer>()
        .cloned()
}

#[cfg(feature = "hydrate")]
thread_local! {
    static PAGE_ANSWER: std::cell::RefCell<Option<Answer>> = const { std::cell::RefCell::new(None) };
}

/// The answer the server rendered the page with: its islands start from it.
#[cfg(feature = "hydrate")]
fn waiting() -> Option<Answer> {
    PAGE_ANSWER.with(|first| first.borrow().clone())
}

#[cfg(not(any(feature = "ssr", feature = "hydrate")))]
fn waiting() -> Option<Answer> {
    None
}

/// Reads the answer the server put in the page, before the page is made live.
#[cfg(feature = "hydrate")]
pub fn take_from_page() {
    let meta = document()
        .query_selector(&format!("meta[name=\"{META_NAME}\"]"))
        .ok()
        .flatten();
    let answer = meta
        .and_then(|m| m.get_attribute("content"))
        .and_then(|content| serde_json::from_str::<Answer>(&content).ok());
    PAGE_ANSWER.with(|first| *first.borrow_mut() = answer);
}

/// The page's answer, for the script that makes the page live (in the page's head).
#[component]
pub fn AnswerMeta() -> impl IntoView {
    #[cfg(feature = "ssr")]
    let content = waiting().and_then(|a| serde_json::to_string(&a).ok());
    #[cfg(not(feature = "ssr"))]
    let content: Option<String> = None;
    content.map(|content| view! { <meta name=META_NAME content=content /> })
}
