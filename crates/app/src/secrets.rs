//! Secrets Folio must keep to use them later (an organisation's client secret at its
//! identity provider) are stored sealed: AES-256-GCM (RustCrypto's `aes-gcm`, an
//! authenticated cipher), with a random 96-bit nonce per value, under a key the operator
//! provides (`FOLIO_SECRET_KEY`, 32 bytes in base64). A sealed value names its key by a
//! short id, so keys can be rotated: the new key seals, the previous ones
//! (`FOLIO_PREVIOUS_SECRET_KEYS`) still open what they sealed, and `folio migrate` reseals
//! every stored secret under the current key (and seals values stored in clear by earlier
//! versions). The sealed form is bound to what it is for (`context`, e.g. the tenant and
//! field), so a sealed value copied to another row does not open there.

use std::sync::Arc;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use sha2::{Digest, Sha256};

/// What a sealed value starts with.
const PREFIX: &str = "sealed:v1:";

/// One key.
#[derive(Clone)]
struct Key {
    id: String,
    cipher: Aes256Gcm,
}

impl Key {
    fn parse(base64_key: &str) -> Result<Self, String> {
        let bytes = STANDARD
            .decode(base64_key.trim())
            .map_err(|_| "is not base64".to_owned())?;
        if bytes.len() != 32 {
            return Err(format!("is {} bytes, not 32", bytes.len()));
        }
        let id = hex_prefix(&Sha256::digest(&bytes));
        let cipher = Aes256Gcm::new_from_slice(&bytes).map_err(|_| "is not a key".to_owned())?;
        Ok(Self { id, cipher })
    }
}

fn hex_prefix(digest: &[u8]) -> String {
    digest[..4].iter().map(|b| format!("{b:02x}")).collect()
}

/// The keys that seal and open stored secrets: the current one, and previous ones that
/// still open. Not `Debug` beyond their ids.
#[derive(Clone, Default)]
pub struct SecretKeys {
    current: Option<Arc<Key>>,
    previous: Vec<Arc<Key>>,
}

impl std::fmt::Debug for SecretKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretKeys")
            .field("current", &self.current.as_ref().map(|k| &k.id))
            .field(
                "previous",
                &self.previous.iter().map(|k| &k.id).collect::<Vec<_>>(),
            )
            .finish()
    }
}

/// Why a secret could not be sealed or opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    /// No key is configured.
    #[error("no secret key is configured (FOLIO_SECRET_KEY)")]
    NoKey,
    /// The value was sealed with a key that is not configured.
    #[error("the secret was sealed with key {0}, which is not configured")]
    UnknownKey(String),
    /// The value does not open: altered, or sealed for something else.
    #[error("the sealed secret does not open (altered, or sealed for something else)")]
    Corrupt,
}

impl SecretKeys {
    /// Keys from their base64 forms: `current` seals, all open. An empty `current` means
    /// none is configured.
    pub fn parse(current: &str, previous: &[&str]) -> Result<Self, String> {
        let current = match current.trim() {
            "" => None,
            k => Some(Arc::new(
                Key::parse(k).map_err(|e| format!("FOLIO_SECRET_KEY {e}"))?,
            )),
        };
        let previous = previous
            .iter()
            .filter(|k| !k.trim().is_empty())
            .map(|k| {
                Key::parse(k)
                    .map(Arc::new)
                    .map_err(|e| format!("a previous secret key {e}"))
            })
            .collect::<Result<_, _>>()?;
        Ok(Self { current, previous })
    }

    /// A new random key, in base64 (for `FOLIO_SECRET_KEY`).
    pub fn generate() -> String {
        let key: [u8; 32] = rand::random();
        STANDARD.encode(key)
    }

    /// Whether a key to seal with is configured.
    pub fn configured(&self) -> bool {
        self.current.is_some()
    }

    /// Seals `plain` for `context` under the current key.
    pub fn seal(&self, context: &str, plain: &str) -> Result<String, SecretError> {
        let key = self.current.as_ref().ok_or(SecretError::NoKey)?;
        let nonce: [u8; 12] = rand::random();
        let sealed = key
            .cipher
            .encrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: plain.as_bytes(),
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| SecretError::Corrupt)?;
        let mut bytes = nonce.to_vec();
        bytes.extend_from_slice(&sealed);
        Ok(format!(
            "{PREFIX}{}:{}",
            key.id,
            URL_SAFE_NO_PAD.encode(bytes)
        ))
    }

    /// Opens a value sealed for `context`; a value stored in clear by an earlier version
    /// (not sealed) is returned as it is, to be sealed by the next `folio migrate`.
    pub fn open(&self, context: &str, stored: &str) -> Result<String, SecretError> {
        let Some(rest) = stored.strip_prefix(PREFIX) else {
            return Ok(stored.to_owned());
        };
        let (id, body) = rest.split_once(':').ok_or(SecretError::Corrupt)?;
        let key = self
            .current
            .iter()
            .chain(&self.previous)
            .find(|k| k.id == id)
            .ok_or_else(|| SecretError::UnknownKey(id.to_owned()))?;
        let bytes = URL_SAFE_NO_PAD
            .decode(body)
            .map_err(|_| SecretError::Corrupt)?;
        if bytes.len() < 12 {
            return Err(SecretError::Corrupt);
        }
        let (nonce, sealed) = bytes.split_at(12);
        let nonce: [u8; 12] = nonce.try_into().map_err(|_| SecretError::Corrupt)?;
        let plain = key
            .cipher
            .decrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: sealed,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| SecretError::Corrupt)?;
        String::from_utf8(plain).map_err(|_| SecretError::Corrupt)
    }

    /// Whether a stored value should be sealed again: stored in clear, or sealed under a
    /// key other than the current one.
    pub fn needs_resealing(&self, stored: &str) -> bool {
        match (stored.strip_prefix(PREFIX), &self.current) {
            (None, _) => true,
            (Some(rest), Some(current)) => !rest.starts_with(&format!("{}:", current.id)),
            (Some(_), None) => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const K1: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

    #[test]
    fn a_sealed_secret_opens_only_with_its_key_and_context() {
        let keys = SecretKeys::parse(K1, &[]).unwrap();
        let sealed = keys.seal("tenant-a/client_secret", "s3cret value").unwrap();
        assert!(sealed.starts_with("sealed:v1:"), "{sealed}");
        assert!(!sealed.contains("s3cret"));
        assert_ne!(
            sealed,
            keys.seal("tenant-a/client_secret", "s3cret value").unwrap(),
            "a new nonce each time"
        );
        assert_eq!(
            keys.open("tenant-a/client_secret", &sealed).unwrap(),
            "s3cret value"
        );
        assert_eq!(
            keys.open("tenant-b/client_secret", &sealed),
            Err(SecretError::Corrupt),
            "copied to another tenant, it does not open"
        );
        let mut altered = sealed.clone();
        let last = altered.pop().unwrap();
        altered.push(if last == 'A' { 'B' } else { 'A' });
        assert_eq!(
            keys.open("tenant-a/client_secret", &altered),
            Err(SecretError::Corrupt)
        );
    }

    #[test]
    fn keys_rotate_and_clear_values_are_resealed() {
        let k2 = SecretKeys::generate();
        let old = SecretKeys::parse(K1, &[]).unwrap();
        let sealed_old = old.seal("c", "secret").unwrap();
        let rotated = SecretKeys::parse(&k2, &[K1]).unwrap();
        assert_eq!(rotated.open("c", &sealed_old).unwrap(), "secret");
        assert!(rotated.needs_resealing(&sealed_old));
        let sealed_new = rotated.seal("c", "secret").unwrap();
        assert!(!rotated.needs_resealing(&sealed_new));
        assert!(rotated.needs_resealing("secret in clear"));
        assert_eq!(
            rotated.open("c", "secret in clear").unwrap(),
            "secret in clear"
        );
        let forgotten = SecretKeys::parse(&k2, &[]).unwrap();
        assert!(matches!(
            forgotten.open("c", &sealed_old),
            Err(SecretError::UnknownKey(_))
        ));
        assert_eq!(
            SecretKeys::default().seal("c", "x"),
            Err(SecretError::NoKey)
        );
    }

    #[test]
    fn bad_keys_are_refused_in_words() {
        assert!(
            SecretKeys::parse("not base64!", &[])
                .unwrap_err()
                .contains("base64")
        );
        assert!(
            SecretKeys::parse("AAEC", &[])
                .unwrap_err()
                .contains("not 32")
        );
        assert!(SecretKeys::parse("", &[]).is_ok_and(|k| !k.configured()));
    }
}
