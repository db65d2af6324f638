//! Secrets Gatehouse must read back (webhook signing secrets) are kept sealed: encrypted
//! and authenticated with XChaCha20-Poly1305 under a 32-byte key that never enters the
//! database. A previous key may be given while rotating: values sealed under it are
//! still read, and [`SecretKeys::needs_resealing`] finds them.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};

use crate::error::AppError;

/// How a sealed value starts in the database.
const SEALED: &str = "sealed:v1:";
const NONCE_BYTES: usize = 24;

#[derive(Clone)]
pub struct SecretKeys {
    current: Key,
    previous: Option<Key>,
}

impl std::fmt::Debug for SecretKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKeys(…)")
    }
}

/// A key as given: 32 bytes in standard base64.
fn parse_key(name: &str, raw: &str) -> Result<Key, String> {
    let bytes = STANDARD
        .decode(raw.trim())
        .map_err(|_| format!("{name} is not base64; make one with `openssl rand -base64 32`."))?;
    if bytes.len() != 32 {
        return Err(format!(
            "{name} holds {} bytes; it must hold 32 (`openssl rand -base64 32`).",
            bytes.len()
        ));
    }
    Ok(*Key::from_slice(&bytes))
}

impl SecretKeys {
    /// From base64 keys (`previous`: the key being rotated away from, if any).
    pub fn from_base64(current: &str, previous: Option<&str>) -> Result<Self, String> {
        Ok(SecretKeys {
            current: parse_key("GATEHOUSE_SECRET_KEY", current)?,
            previous: previous
                .map(|p| parse_key("GATEHOUSE_SECRET_KEY_PREVIOUS", p))
                .transpose()?,
        })
    }

    /// The key that signs audit checkpoints: derived from the current key (so that it
    /// never enters the database either); its public half travels with each checkpoint.
    pub fn checkpoint_key(&self) -> ed25519_dalek::SigningKey {
        use hmac::{Hmac, Mac};
        let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(self.current.as_slice())
            .expect("HMAC takes a key of any length");
        mac.update(b"gatehouse audit checkpoint key v1");
        ed25519_dalek::SigningKey::from_bytes(&mac.finalize().into_bytes().into())
    }

    /// A new random key, in base64.
    pub fn generate_base64() -> String {
        STANDARD.encode(XChaCha20Poly1305::generate_key(&mut OsRng))
    }

    /// `plain` sealed under the current key.
    pub fn seal(&self, plain: &str) -> Result<String, AppError> {
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let sealed = XChaCha20Poly1305::new(&self.current)
            .encrypt(&nonce, plain.as_bytes())
            .map_err(|_| AppError::internal("sealing a secret failed"))?;
        let mut bytes = nonce.to_vec();
        bytes.extend_from_slice(&sealed);
        Ok(format!("{SEALED}{}", STANDARD.encode(bytes)))
    }

    /// The value of a sealed secret (under the current or the previous key). A value
    /// stored before secrets were sealed is answered as it is.
    pub fn open(&self, stored: &str) -> Result<String, AppError> {
        let Some(encoded) = stored.strip_prefix(SEALED) else {
            return Ok(stored.to_string());
        };
        let bytes = STANDARD
            .decode(encoded)
            .map_err(|_| AppError::internal("a sealed secret is not base64"))?;
        if bytes.len() < NONCE_BYTES {
            return Err(AppError::internal("a sealed secret is too short"));
        }
        let (nonce, sealed) = bytes.split_at(NONCE_BYTES);
        let nonce = XNonce::from_slice(nonce);
        std::iter::once(&self.current)
            .chain(self.previous.as_ref())
            .find_map(|key| XChaCha20Poly1305::new(key).decrypt(nonce, sealed).ok())
            .and_then(|plain| String::from_utf8(plain).ok())
            .ok_or_else(|| {
                AppError::internal(
                    "a secret was sealed under another key: set GATEHOUSE_SECRET_KEY_PREVIOUS to it",
                )
            })
    }

    /// Whether `stored` is plain or sealed under another key than the current one.
    pub fn needs_resealing(&self, stored: &str) -> bool {
        let Some(encoded) = stored.strip_prefix(SEALED) else {
            return true;
        };
        let Ok(bytes) = STANDARD.decode(encoded) else {
            return true;
        };
        bytes.len() < NONCE_BYTES || {
            let (nonce, sealed) = bytes.split_at(NONCE_BYTES);
            XChaCha20Poly1305::new(&self.current)
                .decrypt(XNonce::from_slice(nonce), sealed)
                .is_err()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(previous: Option<&str>) -> (SecretKeys, String) {
        let current = SecretKeys::generate_base64();
        (
            SecretKeys::from_base64(&current, previous).unwrap(),
            current,
        )
    }

    #[test]
    fn sealed_values_open_under_their_key_only() {
        let (keys, _) = keys(None);
        let sealed = keys.seal("whsec_abc").unwrap();
        assert!(sealed.starts_with(SEALED) && !sealed.contains("whsec_abc"));
        assert_ne!(
            sealed,
            keys.seal("whsec_abc").unwrap(),
            "a new nonce each time"
        );
        assert_eq!(keys.open(&sealed).unwrap(), "whsec_abc");
        assert!(!keys.needs_resealing(&sealed));
        let (other, _) = self::keys(None);
        assert!(other.open(&sealed).is_err());
        assert!(other.needs_resealing(&sealed));
    }

    #[test]
    fn rotation_reads_the_previous_key_and_plain_legacy_values() {
        let (old, old_key) = keys(None);
        let sealed = old.seal("whsec_old").unwrap();
        let (new, _) = keys(Some(&old_key));
        assert_eq!(new.open(&sealed).unwrap(), "whsec_old");
        assert!(new.needs_resealing(&sealed));
        assert_eq!(new.open("whsec_plain").unwrap(), "whsec_plain");
        assert!(new.needs_resealing("whsec_plain"));
    }

    #[test]
    fn bad_keys_are_refused_with_how_to_make_one() {
        assert!(SecretKeys::from_base64("not base64!", None)
            .unwrap_err()
            .contains("openssl rand"));
        assert!(SecretKeys::from_base64("c2hvcnQ=", None)
            .unwrap_err()
            .contains("32"));
    }
}
