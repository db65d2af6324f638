//! The browser's side of passkeys: the server's options (WebAuthn's JSON form) go to
//! the browser's credential API, and its answer goes back as the same JSON. The browser
//! itself reads and writes that form (`PublicKeyCredential.parse…FromJSON`,
//! `toJSON`). Only a page's script calls these (from a click); rendered on the server
//! they answer that a browser is needed.

use serde_json::Value;

use crate::api::auth::passkey_sign_in_challenge;
use crate::error::AppError;

/// Asks the server for a challenge and the browser for a passkey that answers it;
/// answers the browser's answer, as JSON.
pub async fn ask_passkey() -> Result<String, AppError> {
    let options = passkey_sign_in_challenge().await?;
    browser::get(options).await
}

/// Asks the browser to make a passkey for `options`; answers it, as JSON.
pub async fn make_passkey(options: Value) -> Result<String, AppError> {
    browser::create(options).await
}

fn refused() -> AppError {
    AppError::Conflict(
        "The browser gave no passkey: it was cancelled, timed out, or this device has none for this site.".into(),
    )
}

#[cfg(feature = "hydrate")]
mod browser {
    use js_sys::{Function, Object, Reflect, JSON};
    use serde_json::Value;
    use wasm_bindgen::{JsCast, JsValue};
    use wasm_bindgen_futures::JsFuture;

    use super::refused;
    use crate::error::AppError;

    fn credentials() -> Result<web_sys::CredentialsContainer, AppError> {
        web_sys::window()
            .map(|w| w.navigator().credentials())
            .ok_or_else(refused)
    }

    /// `target[name]`, a function.
    fn method(target: &JsValue, name: &str) -> Result<Function, AppError> {
        Reflect::get(target, &name.into())
            .ok()
            .and_then(|f| f.dyn_into::<Function>().ok())
            .ok_or_else(|| {
                AppError::Conflict(
                    "This browser cannot use passkeys here: use a current version, or sign in with your password.".into(),
                )
            })
    }

    /// The options for the credential API: the server's `publicKey` read by the
    /// browser's `parse` (and its `mediation`, if any).
    fn options(server: &Value, parse: &str) -> Result<Object, AppError> {
        let sent = JSON::parse(&server.to_string()).map_err(|_| refused())?;
        let class = Reflect::get(&js_sys::global(), &"PublicKeyCredential".into())
            .map_err(|_| refused())?;
        let public_key = Reflect::get(&sent, &"publicKey".into()).map_err(|_| refused())?;
        let parsed = method(&class, parse)?
            .call1(&class, &public_key)
            .map_err(|_| refused())?;
        let options = Object::new();
        let _ = Reflect::set(&options, &"publicKey".into(), &parsed);
        if let Some(mediation) = server.get("mediation").and_then(Value::as_str) {
            let _ = Reflect::set(&options, &"mediation".into(), &mediation.into());
        }
        Ok(options)
    }

    /// The credential the browser gave, as WebAuthn's JSON.
    fn answer(credential: JsValue) -> Result<String, AppError> {
        let json = method(&credential, "toJSON")?
            .call0(&credential)
            .map_err(|_| refused())?;
        JSON::stringify(&json)
            .map(String::from)
            .map_err(|_| refused())
    }

    pub async fn create(server: Value) -> Result<String, AppError> {
        let options = options(&server, "parseCreationOptionsFromJSON")?;
        let promise = credentials()?
            .create_with_options(options.unchecked_ref())
            .map_err(|_| refused())?;
        answer(JsFuture::from(promise).await.map_err(|_| refused())?)
    }

    pub async fn get(server: Value) -> Result<String, AppError> {
        let options = options(&server, "parseRequestOptionsFromJSON")?;
        let promise = credentials()?
            .get_with_options(options.unchecked_ref())
            .map_err(|_| refused())?;
        answer(JsFuture::from(promise).await.map_err(|_| refused())?)
    }
}

#[cfg(not(feature = "hydrate"))]
mod browser {
    use serde_json::Value;

    use super::refused;
    use crate::error::AppError;

    pub async fn create(_: Value) -> Result<String, AppError> {
        Err(refused())
    }

    pub async fn get(_: Value) -> Result<String, AppError> {
        Err(refused())
    }
}
