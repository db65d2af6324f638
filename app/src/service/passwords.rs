//! Console password hashing: argon2id with OWASP's minimum parameters
//! (19 MiB of memory, 2 iterations, 1 lane).

use std::sync::LazyLock;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::error::AppError;
use rules::validation::NewPassword;

fn hasher() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("argon2 parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// A hash to verify against when the email is unknown, so that the answer takes as
/// long as for a known email.
static DECOY_HASH: LazyLock<String> = LazyLock::new(|| {
    hash_blocking("decoy password that matches nothing").expect("hashing a constant succeeds")
});

fn hash_blocking(password: &str) -> Result<String, AppError> {
    let salt = SaltString::generate(&mut OsRng);
    hasher()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(AppError::internal)
}

/// Hashing takes one core for tens of milliseconds: one at a time, so that a flood of
/// sign-in attempts queues here and leaves the other cores to everyone else's pages.
static HASHING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(1);

pub async fn hash(password: &NewPassword) -> Result<String, AppError> {
    let password = password.expose().to_string();
    let _turn = HASHING.acquire().await.map_err(AppError::internal)?;
    tokio::task::spawn_blocking(move || hash_blocking(&password))
        .await
        .map_err(AppError::internal)?
}

/// Checks a password against a stored hash, or against the decoy when there is none.
pub async fn verify(stored: Option<String>, password: String) -> Result<bool, AppError> {
    let _turn = HASHING.acquire().await.map_err(AppError::internal)?;
    tokio::task::spawn_blocking(move || {
        let known = stored.is_some();
        let stored = stored.unwrap_or_else(|| DECOY_HASH.clone());
        let parsed = PasswordHash::new(&stored).map_err(AppError::internal)?;
        let matches = hasher()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok();
        Ok(known && matches)
    })
    .await
    .map_err(AppError::internal)?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_are_argon2id_with_owasp_parameters_and_verify() {
        let password = NewPassword::parse("password", "a long enough secret").unwrap();
        let hashed = hash(&password).await.unwrap();
        assert!(
            hashed.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hashed}"
        );
        assert!(verify(Some(hashed.clone()), "a long enough secret".into())
            .await
            .unwrap());
        assert!(!verify(Some(hashed), "another secret!!".into())
            .await
            .unwrap());
        assert!(!verify(None, "decoy password that matches nothing".into())
            .await
            .unwrap());
    }
}
