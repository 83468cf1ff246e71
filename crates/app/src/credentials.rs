//! Opaque bearer secrets (session and API tokens) and password hashes.
//!
//! A token reads `fos_<tenant>_<secret>` (session) or `fot_<tenant>_<secret>` (personal API
//! token): the tenant part lets the server open a transaction bound to that tenant before it
//! looks the token up, so authentication itself runs under row-level security. The secret
//! is 256 random bits; only its SHA-256 is stored.

use std::sync::LazyLock;

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use folio_domain::{Password, TenantId};
use rand::RngCore;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::Error;

/// Which kind of credential a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// A sign-in session (browser cookie or API client after login).
    Session,
    /// A personal API token.
    ApiToken,
}

impl TokenKind {
    fn prefix(self) -> &'static str {
        match self {
            TokenKind::Session => "fos",
            TokenKind::ApiToken => "fot",
        }
    }
}

/// A freshly minted token: the secret for the client, the hash for the database.
pub struct MintedToken {
    /// Shown to the client once.
    pub token: String,
    /// Stored.
    pub hash: [u8; 32],
}

/// Mints a new token of `kind` for `tenant`.
pub fn mint(kind: TokenKind, tenant: TenantId) -> MintedToken {
    let mut secret = [0u8; 32];
    rand::rng().fill_bytes(&mut secret);
    let token = format!(
        "{}_{}_{}",
        kind.prefix(),
        tenant.0.simple(),
        URL_SAFE_NO_PAD.encode(secret)
    );
    let hash = hash_token(&token);
    MintedToken { token, hash }
}

/// The SHA-256 of a token, as stored.
pub fn hash_token(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// Reads the kind and tenant from a token's visible parts; `None` for anything not shaped
/// like a Folio token (which then simply fails authentication).
pub fn parse_token(token: &str) -> Option<(TokenKind, TenantId)> {
    let mut parts = token.splitn(3, '_');
    let kind = match parts.next()? {
        "fos" => TokenKind::Session,
        "fot" => TokenKind::ApiToken,
        _ => return None,
    };
    let tenant = parts.next().filter(|t| t.len() == 32)?;
    let tenant = Uuid::try_parse(tenant).ok()?;
    let secret = parts.next()?;
    if secret.len() != 43
        || !secret
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return None;
    }
    Some((kind, TenantId(tenant)))
}

/// Hashes a password with argon2id (default parameters) off the async runtime.
pub async fn hash_password(password: &Password) -> Result<String, Error> {
    let password = password.expose().to_owned();
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| Error::Internal(format!("password hashing failed: {e}")))
    })
    .await
    .map_err(|e| Error::Internal(format!("password hashing task failed: {e}")))?
}

/// A hash of a password nobody knows, verified against when an account does not exist
/// so that a sign-in takes as long for an unknown address as for a known one.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| {
    let mut secret = [0u8; 32];
    rand::rng().fill_bytes(&mut secret);
    Argon2::default()
        .hash_password(URL_SAFE_NO_PAD.encode(secret).as_bytes())
        .map(|h| h.to_string())
        .unwrap_or_default()
});

/// Checks `password` against `hash`, or against a dummy hash when there is none; either
/// way the work done is the same.
pub async fn verify_password(password: &str, hash: Option<&str>) -> bool {
    let password = password.to_owned();
    let real = hash.map(str::to_owned);
    tokio::task::spawn_blocking(move || {
        let (hash, is_real) = match real {
            Some(h) => (h, true),
            None => (DUMMY_HASH.clone(), false),
        };
        let Ok(parsed) = PasswordHash::new(&hash) else {
            return false;
        };
        let matches = Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok();
        matches && is_real
    })
    .await
    .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minted_tokens_parse_back_to_their_tenant_and_kind() {
        let tenant = TenantId(Uuid::now_v7());
        let minted = mint(TokenKind::ApiToken, tenant);
        assert_eq!(
            parse_token(&minted.token),
            Some((TokenKind::ApiToken, tenant))
        );
        assert_eq!(minted.hash, hash_token(&minted.token));
        assert_ne!(minted.token, mint(TokenKind::ApiToken, tenant).token);
    }

    #[test]
    fn malformed_tokens_do_not_parse() {
        let tenant = TenantId(Uuid::now_v7());
        let good = mint(TokenKind::Session, tenant).token;
        for bad in [
            "",
            "fos",
            "xyz_00000000000000000000000000000000_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            &good[..good.len() - 1],
            &format!("{good}!"),
            &good.replacen("fos_", "fos_z", 1),
        ] {
            assert_eq!(parse_token(bad), None, "{bad}");
        }
    }

    #[tokio::test]
    async fn passwords_verify_only_against_their_own_hash() {
        let password = Password::parse("correct horse battery").unwrap();
        let hash = hash_password(&password).await.unwrap();
        assert!(verify_password("correct horse battery", Some(&hash)).await);
        assert!(!verify_password("wrong horse battery", Some(&hash)).await);
        assert!(!verify_password("correct horse battery", None).await);
        assert!(!verify_password("correct horse battery", Some("not a hash")).await);
    }
}
