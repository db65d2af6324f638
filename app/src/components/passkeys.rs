//! The browser's side of passkeys: the server's options go to the browser's credential
//! API, and its answer goes back as JSON. Only a hydrated page calls these (from a
//! click); rendered on the server they answer that a browser is needed.

use webauthn_rs_proto::CreationChallengeResponse;

use crate::api::auth::passkey_sign_in_challenge;
use crate::error::AppError;

/// Asks the server for a challenge and the browser for a passkey that answers it;
/// answers the browser's answer, as JSON.
pub async fn ask_passkey() -> Result<String, AppError> {
    let options = passkey_sign_in_challenge().await?;
    browser::get(options).await
}

/// Asks the browser to make a passkey for `options`; answers it, as JSON.
pub async fn make_passkey(options: CreationChallengeResponse) -> Result<String, AppError> {
    browser::create(options).await
}

fn refused() -> AppError {
    AppError::Conflict(
        "The browser gave no passkey: it was cancelled, timed out, or this device has none for this site.".into(),
    )
}

#[cfg(feature = "hydrate")]
mod browser {
    use wasm_bindgen_futures::JsFuture;
    use webauthn_rs_proto::{
        CreationChallengeResponse, PublicKeyCredential, RegisterPublicKeyCredential,
        RequestChallengeResponse,
    };

    use super::refused;
    use crate::error::AppError;

    fn credentials() -> Result<web_sys::CredentialsContainer, AppError> {
        web_sys::window()
            .map(|w| w.navigator().credentials())
            .ok_or_else(refused)
    }

    fn to_json(value: &impl serde::Serialize) -> Result<String, AppError> {
        serde_json::to_string(value).map_err(|e| AppError::BadRequest(e.to_string()))
    }

    pub async fn create(options: CreationChallengeResponse) -> Result<String, AppError> {
        let promise = credentials()?
            .create_with_options(&options.into())
            .map_err(|_| refused())?;
        let made = JsFuture::from(promise).await.map_err(|_| refused())?;
        let credential: RegisterPublicKeyCredential =
            web_sys::PublicKeyCredential::from(made).into();
        to_json(&credential)
    }

    pub async fn get(options: RequestChallengeResponse) -> Result<String, AppError> {
        let promise = credentials()?
            .get_with_options(&options.into())
            .map_err(|_| refused())?;
        let answered = JsFuture::from(promise).await.map_err(|_| refused())?;
        let credential: PublicKeyCredential = web_sys::PublicKeyCredential::from(answered).into();
        to_json(&credential)
    }
}

#[cfg(not(feature = "hydrate"))]
mod browser {
    use webauthn_rs_proto::{CreationChallengeResponse, RequestChallengeResponse};

    use super::refused;
    use crate::error::AppError;

    pub async fn create(_: CreationChallengeResponse) -> Result<String, AppError> {
        Err(refused())
    }

    pub async fn get(_: RequestChallengeResponse) -> Result<String, AppError> {
        Err(refused())
    }
}
