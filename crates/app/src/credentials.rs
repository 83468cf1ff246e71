//! Opaque bearer secrets (session and API tokens) and password hashes.
//!
//! A token reads `fos_<tenant>_<secret>` (session) or `fot_<tenant>_<secret>` (personal API
//! token): the tenant part lets the server open a transaction bound to that tenant before it
//! looks the token up, so authentication itself runs under row-level security. The secret
//! is 256 random bits; only its SHA-256 is stored.

use std::sync::LazyLock;
use std::sync::atomic::{AtomicBool, Ordering};

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};
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

/// A new single-use token that names its organisation (a link to set a password, a
/// two-step sign-in challenge): `<tenant id, 32 hex>_<43 base64url characters>`, with
/// the SHA-256 to store.
pub(crate) fn mint_tenant_token(tenant: TenantId) -> (String, [u8; 32]) {
    let mut secret = [0u8; 32];
    rand::rng().fill_bytes(&mut secret);
    let token = format!("{}_{}", tenant.0.simple(), URL_SAFE_NO_PAD.encode(secret));
    let hash = hash_token(&token);
    (token, hash)
}

/// The organisation a token names, if it is shaped like one.
pub(crate) fn tenant_of_token(token: &str) -> Option<TenantId> {
    let (tenant, secret) = token.split_once('_')?;
    let well_formed = tenant.len() == 32
        && secret.len() == 43
        && secret
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    well_formed
        .then(|| Uuid::try_parse(tenant).ok().map(TenantId))
        .flatten()
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

/// How much work hashing a new password costs. Verifying reads the parameters from the
/// stored hash (a PHC string carries them), so hashes made at either cost verify whatever
/// the current choice is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum PasswordHashCost {
    /// argon2id with 19 MiB of memory, 2 passes and 1 lane: OWASP's recommended minimum.
    /// Always the default.
    #[default]
    #[serde(rename = "standard")]
    Standard,
    /// argon2id with 8 KiB, 1 pass and 1 lane: a thousand times cheaper, for test suites
    /// that hash passwords by the hundred. Never for real passwords: turning it on logs a
    /// warning.
    #[serde(rename = "test-only-cheap")]
    TestOnlyCheap,
}

impl PasswordHashCost {
    /// The argon2 parameters of this cost.
    pub fn params(self) -> Params {
        let (m_kib, t, p) = match self {
            PasswordHashCost::Standard => (19 * 1024, 2, 1),
            PasswordHashCost::TestOnlyCheap => (8, 1, 1),
        };
        // Constants within argon2's limits: `new` cannot fail for them.
        Params::new(m_kib, t, p, None).unwrap_or(Params::DEFAULT)
    }

    fn hasher(self) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params())
    }
}

/// Whether this process hashes new passwords at [`PasswordHashCost::TestOnlyCheap`];
/// false (standard) unless [`set_password_hash_cost`] says otherwise.
static CHEAP: AtomicBool = AtomicBool::new(false);

/// Chooses the cost of every password hash this process makes from now on. The binary
/// calls it with its `password_hash_cost` setting (standard unless configured), the test
/// harness with [`PasswordHashCost::TestOnlyCheap`].
pub fn set_password_hash_cost(cost: PasswordHashCost) {
    CHEAP.store(cost == PasswordHashCost::TestOnlyCheap, Ordering::Relaxed);
}

/// The cost new password hashes are made at.
pub fn password_hash_cost() -> PasswordHashCost {
    if CHEAP.load(Ordering::Relaxed) {
        PasswordHashCost::TestOnlyCheap
    } else {
        PasswordHashCost::Standard
    }
}

fn hash_at(cost: PasswordHashCost, password: &[u8]) -> Result<String, Error> {
    cost.hasher()
        .hash_password(password)
        .map(|h| h.to_string())
        .map_err(|e| Error::Internal(format!("password hashing failed: {e}")))
}

/// Hashes a password with argon2id at the process's [`password_hash_cost`] off the async
/// runtime.
pub async fn hash_password(password: &Password) -> Result<String, Error> {
    let password = password.expose().to_owned();
    let cost = password_hash_cost();
    tokio::task::spawn_blocking(move || hash_at(cost, password.as_bytes()))
        .await
        .map_err(|e| Error::Internal(format!("password hashing task failed: {e}")))?
}

/// A hash of a password nobody knows, verified against when an account does not exist
/// so that a sign-in takes as long for an unknown address as for a known one: one per
/// cost, so that it costs what the accounts' hashes cost.
fn dummy_hash(cost: PasswordHashCost) -> &'static str {
    fn make(cost: PasswordHashCost) -> String {
        let mut secret = [0u8; 32];
        rand::rng().fill_bytes(&mut secret);
        hash_at(cost, URL_SAFE_NO_PAD.encode(secret).as_bytes()).unwrap_or_default()
    }
    static STANDARD: LazyLock<String> = LazyLock::new(|| make(PasswordHashCost::Standard));
    static CHEAP: LazyLock<String> = LazyLock::new(|| make(PasswordHashCost::TestOnlyCheap));
    match cost {
        PasswordHashCost::Standard => &STANDARD,
        PasswordHashCost::TestOnlyCheap => &CHEAP,
    }
}

/// Checks `password` against `hash`, or against a dummy hash when there is none; either
/// way the work done is the same. The hash's own parameters are used, whatever the
/// process's cost for new hashes.
pub async fn verify_password(password: &str, hash: Option<&str>) -> bool {
    let password = password.to_owned();
    let real = hash.map(str::to_owned);
    let cost = password_hash_cost();
    tokio::task::spawn_blocking(move || {
        let (hash, is_real) = match real {
            Some(h) => (h, true),
            None => (dummy_hash(cost).to_owned(), false),
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
    #[test]
    fn a_tenant_token_names_its_organisation_and_nothing_else_passes_for_one() {
        let tenant = TenantId(Uuid::now_v7());
        let (token, hash) = mint_tenant_token(tenant);
        assert_eq!(tenant_of_token(&token), Some(tenant));
        assert_eq!(hash, hash_token(&token));
        assert_eq!(token.len(), 32 + 1 + 43);
        assert_eq!(tenant_of_token("nonsense"), None);
        assert_eq!(tenant_of_token(&token[..token.len() - 1]), None);
        assert_eq!(
            tenant_of_token(&format!("{}_{}", "z".repeat(32), "a".repeat(43))),
            None
        );
        assert_ne!(token, mint_tenant_token(tenant).0);
    }

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

    /// The `m`, `t` and `p` parameters a PHC string carries.
    fn phc_params(hash: &str) -> (String, u32, u32, u32) {
        let parsed = PasswordHash::new(hash).unwrap();
        let param = |name: &str| {
            parsed
                .params
                .get_decimal(name)
                .unwrap_or_else(|| panic!("{name} in {hash}"))
        };
        (
            parsed.algorithm.to_string(),
            param("m"),
            param("t"),
            param("p"),
        )
    }

    #[test]
    fn the_default_cost_is_owasp_grade() {
        assert_eq!(PasswordHashCost::default(), PasswordHashCost::Standard);
        let hash = hash_at(PasswordHashCost::default(), b"correct horse battery").unwrap();
        assert_eq!(phc_params(&hash), ("argon2id".into(), 19_456, 2, 1));
    }

    #[tokio::test]
    async fn cheap_hashes_are_cheap_and_verify_like_any_other() {
        let hash = hash_at(PasswordHashCost::TestOnlyCheap, b"correct horse battery").unwrap();
        assert_eq!(phc_params(&hash), ("argon2id".into(), 8, 1, 1));
        // Whatever this process's cost, both kinds verify: the parameters come from the hash.
        assert!(verify_password("correct horse battery", Some(&hash)).await);
        assert!(!verify_password("wrong horse battery", Some(&hash)).await);
        let strong = hash_at(PasswordHashCost::Standard, b"correct horse battery").unwrap();
        assert!(verify_password("correct horse battery", Some(&strong)).await);
    }

    #[test]
    fn the_cost_setting_reads_as_documented() {
        #[derive(serde::Deserialize)]
        struct Setting {
            cost: PasswordHashCost,
        }
        let read = |v: &str| {
            serde_json::from_value::<Setting>(serde_json::json!({ "cost": v }))
                .map(|s| s.cost)
                .ok()
        };
        assert_eq!(read("standard"), Some(PasswordHashCost::Standard));
        assert_eq!(
            read("test-only-cheap"),
            Some(PasswordHashCost::TestOnlyCheap)
        );
        assert_eq!(read("cheap"), None);
    }
}
