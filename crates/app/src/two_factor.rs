//! Two-step sign-in for password accounts: a code from an authenticator app (TOTP,
//! RFC 6238: SHA-1, 6 digits, 30-second steps, one step of clock drift either way) or a
//! single-use recovery code, asked for after the right password.
//!
//! The secret is 160 random bits, sealed with [`SecretKeys`] at rest. A code is accepted
//! once (a step at or before the last accepted one is refused), so a code seen over a
//! shoulder cannot be replayed. A challenge lasts five minutes and takes five wrong codes,
//! and a new one ends the last; wrong codes also count per person, and ten in a row lock
//! the second step for fifteen minutes, so knowing the password does not buy unlimited
//! guesses at the code.

use chrono::{DateTime, Duration, Utc};
use folio_db::Database;
use folio_db::two_factor::{self as store, Enrolment};
use folio_domain::TenantId;
use rand::RngCore;
use totp_rs::{Algorithm, Secret, TOTP};
use uuid::Uuid;

use crate::account::{PasswordSignedIn, start_session};
use crate::credentials::{hash_token, mint_tenant_token, tenant_of_token};
use crate::secrets::SecretKeys;
use crate::system::SystemWork;
use crate::{Error, Result, UnitOfWork};

/// How long a challenge waits for a code.
pub const CHALLENGE_VALID_FOR: Duration = Duration::minutes(5);
/// Wrong codes a challenge takes before it ends.
pub const MAX_ATTEMPTS: i32 = 5;
/// Wrong codes in a row that lock a person's second step.
pub const MAX_WRONG_CODES: i32 = 10;
/// How long such a lock lasts.
pub const CODE_LOCKOUT: Duration = Duration::minutes(15);
/// Recovery codes issued at enrolment.
pub const RECOVERY_CODES: usize = 10;
const STEP_SECS: u64 = 30;
const SEAL_CONTEXT: &str = "totp-secret";

fn totp(secret: Vec<u8>, issuer: &str, account: &str) -> Result<TOTP> {
    // `:` separates issuer and account in the otpauth label: it may appear in neither.
    TOTP::new(
        Algorithm::SHA1,
        6,
        1,
        STEP_SECS,
        secret,
        Some(issuer.replace(':', " ")),
        account.replace(':', " "),
    )
    .map_err(|e| Error::Internal(format!("TOTP parameters: {e}")))
}

fn open_secret(secrets: &SecretKeys, sealed: &str) -> Result<Vec<u8>> {
    let encoded = secrets
        .open(SEAL_CONTEXT, sealed)
        .map_err(|e| Error::Unavailable(format!("Two-step sign-in cannot be checked: {e}")))?;
    Secret::Encoded(encoded)
        .to_bytes()
        .map_err(|e| Error::Internal(format!("stored TOTP secret: {e:?}")))
}

fn now_step() -> i64 {
    i64::try_from(Utc::now().timestamp().max(0) as u64 / STEP_SECS).unwrap_or(i64::MAX)
}

/// The step a code is right for, among now and one step either side, if it is right.
fn matching_step(secret: &[u8], code: &str) -> Result<Option<i64>> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(None);
    }
    let totp = totp(secret.to_vec(), "Folio", "check")?;
    let now = now_step();
    Ok([now - 1, now, now + 1].into_iter().find(|step| {
        let at = u64::try_from(*step).unwrap_or(0) * STEP_SECS;
        constant_time_eq(totp.generate(at).as_bytes(), code.as_bytes())
    }))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A recovery code, as shown once: ten characters from an alphabet without look-alikes,
/// in two groups of five (`k7mq2-xh4tr`).
fn new_recovery_code() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut bytes = [0u8; 10];
    rand::rng().fill_bytes(&mut bytes);
    let chars: String = bytes
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .collect();
    format!("{}-{}", &chars[..5], &chars[5..])
}

/// A recovery code's stored hash: case, spaces and the dash do not matter.
fn recovery_hash(code: &str) -> [u8; 32] {
    let normal: String = code
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    hash_token(&normal)
}

/// Whether `code` is a current code (accepted from now on only for later steps) or an
/// unused recovery code of the person (used up); records which.
async fn accept_code(
    tx: &mut folio_db::TenantTx,
    secrets: &SecretKeys,
    user_id: Uuid,
    enrolment: &Enrolment,
    code: &str,
) -> Result<bool> {
    let secret = open_secret(secrets, &enrolment.secret_sealed)?;
    if let Some(step) = matching_step(&secret, code)? {
        if step <= enrolment.last_step {
            return Ok(false);
        }
        store::accept_step(tx, user_id, step).await?;
        return Ok(true);
    }
    if enrolment.confirmed_at.is_some() {
        return Ok(store::use_recovery_code(tx, user_id, &recovery_hash(code)).await?);
    }
    Ok(false)
}

/// What checking a code found.
enum CodeCheck {
    Right,
    Wrong,
    /// Too many wrong codes lately: none is checked until then.
    Locked {
        retry_after_secs: u64,
    },
}

/// Checks a code against the person's second step, counting wrong ones per person (across
/// challenges and turning it off): [`MAX_WRONG_CODES`] in a row lock it for
/// [`CODE_LOCKOUT`].
async fn check_code(
    tx: &mut folio_db::TenantTx,
    secrets: &SecretKeys,
    user_id: Uuid,
    enrolment: &Enrolment,
    code: &str,
) -> Result<CodeCheck> {
    let now = Utc::now();
    if let Some(until) = enrolment.locked_until.filter(|until| *until > now) {
        let retry_after_secs = u64::try_from((until - now).num_seconds())
            .unwrap_or(0)
            .max(1);
        return Ok(CodeCheck::Locked { retry_after_secs });
    }
    if accept_code(tx, secrets, user_id, enrolment, code).await? {
        store::record_wrong_code(tx, user_id, 0, None).await?;
        return Ok(CodeCheck::Right);
    }
    let failed = enrolment.failed_codes + 1;
    if failed >= MAX_WRONG_CODES {
        tracing::info!(tenant_id = %tx.tenant(), "two-step sign-in locked: too many wrong codes");
        store::record_wrong_code(tx, user_id, 0, Some(now + CODE_LOCKOUT)).await?;
    } else {
        store::record_wrong_code(tx, user_id, failed, None).await?;
    }
    Ok(CodeCheck::Wrong)
}

/// What turning two-step sign-in off came to. The caller commits either way (a wrong
/// code is counted), then reports [`TurnOff::into_result`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TurnOff {
    /// It is off.
    Off,
    /// The code was neither current nor an unused recovery code.
    WrongCode,
    /// Too many wrong codes lately.
    Locked {
        /// Seconds until codes are checked again.
        retry_after_secs: u64,
    },
}

impl TurnOff {
    /// `Ok` when it is off; otherwise the refusal (422 naming `code`, or 429).
    pub fn into_result(self) -> Result<()> {
        match self {
            TurnOff::Off => Ok(()),
            TurnOff::WrongCode => Err(Error::invalid(
                "code",
                "is neither the code your app shows now nor one of your unused recovery codes",
            )),
            TurnOff::Locked { retry_after_secs } => {
                Err(Error::TooManyAttempts { retry_after_secs })
            }
        }
    }
}

/// A new secret for the person to add to their authenticator app.
#[derive(Debug, Clone)]
pub struct NewSecret {
    /// The secret in base32, to type in by hand.
    pub secret: String,
    /// The `otpauth://` URL the QR code holds.
    pub otpauth_url: String,
    /// The QR code, as an SVG document.
    pub qr_svg: String,
}

/// Whether the person has two-step sign-in on, and how many recovery codes are left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Status {
    /// On (confirmed).
    pub on: bool,
    /// Unused recovery codes.
    pub recovery_codes_left: i64,
}

/// The caller's two-step sign-in.
pub async fn status(uow: &mut UnitOfWork) -> Result<Status> {
    let user_id = uow.principal.user_id;
    let on = store::is_on(&mut uow.tx, user_id).await?;
    let left = store::recovery_codes_left(&mut uow.tx, user_id).await?;
    Ok(Status {
        on,
        recovery_codes_left: if on { left } else { 0 },
    })
}

/// Starts turning two-step sign-in on for the caller: a new secret, not asked for at
/// sign-in until [`confirm`]ed with a code from the app. 409 if it is already on.
pub async fn begin(uow: &mut UnitOfWork, secrets: &SecretKeys) -> Result<NewSecret> {
    let user_id = uow.principal.user_id;
    if store::lock(&mut uow.tx, user_id)
        .await?
        .is_some_and(|e| e.confirmed_at.is_some())
    {
        return Err(Error::Conflict {
            field: None,
            detail: "Two-step sign-in is already on. Turn it off first to move it to a new app."
                .into(),
        });
    }
    let mut raw = vec![0u8; 20];
    rand::rng().fill_bytes(&mut raw);
    let Secret::Encoded(encoded) = Secret::Raw(raw.clone()).to_encoded() else {
        return Err(Error::Internal("base32 encoding of a TOTP secret".into()));
    };
    if !secrets.configured() {
        return Err(Error::Unavailable(
            "Two-step sign-in cannot be turned on: FOLIO_SECRET_KEY is not set.".into(),
        ));
    }
    let sealed = secrets
        .seal(SEAL_CONTEXT, &encoded)
        .map_err(|e| Error::Unavailable(format!("Two-step sign-in cannot be turned on: {e}")))?;
    store::start(&mut uow.tx, user_id, &sealed).await?;
    let person = folio_db::users::get(&mut uow.tx, user_id).await?;
    let org = folio_db::platform::current(&mut uow.tx).await?;
    let otpauth_url = totp(raw, &format!("Folio {}", org.name), &person.email)?.get_url();
    let qr_svg = qrcode::QrCode::new(otpauth_url.as_bytes())
        .map_err(|e| Error::Internal(format!("QR code: {e}")))?
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(200, 200)
        .build();
    // Inline in a page: the document's XML declaration has no place there.
    let qr_svg = match qr_svg.find("<svg") {
        Some(start) => qr_svg[start..].to_owned(),
        None => qr_svg,
    };
    Ok(NewSecret {
        secret: encoded,
        otpauth_url,
        qr_svg,
    })
}

/// Turns two-step sign-in on with the first code from the app; returns the recovery
/// codes, shown this once. A wrong code is 422 naming `code`.
pub async fn confirm(
    uow: &mut UnitOfWork,
    secrets: &SecretKeys,
    code: &str,
) -> Result<Vec<String>> {
    let user_id = uow.principal.user_id;
    let enrolment = store::lock(&mut uow.tx, user_id).await?;
    let Some(enrolment) = enrolment.filter(|e| e.confirmed_at.is_none()) else {
        return Err(Error::Conflict {
            field: None,
            detail: "There is no two-step sign-in waiting to be confirmed: start again.".into(),
        });
    };
    if !accept_code(&mut uow.tx, secrets, user_id, &enrolment, code).await? {
        return Err(Error::invalid(
            "code",
            "is not the code your app shows now: check the app's clock and try the next code",
        ));
    }
    let codes: Vec<String> = (0..RECOVERY_CODES).map(|_| new_recovery_code()).collect();
    let hashes: Vec<[u8; 32]> = codes.iter().map(|c| recovery_hash(c)).collect();
    store::replace_recovery_codes(&mut uow.tx, user_id, &hashes).await?;
    uow.audit("user.two_factor_on", "user", user_id, serde_json::json!({}))
        .await?;
    Ok(codes)
}

/// Turns two-step sign-in off, with a current code or a recovery code (so a session left
/// open cannot turn it off, nor guess its way there: wrong codes count towards the lock).
/// The caller commits whatever it answers.
pub async fn turn_off(uow: &mut UnitOfWork, secrets: &SecretKeys, code: &str) -> Result<TurnOff> {
    let user_id = uow.principal.user_id;
    let Some(enrolment) = store::lock(&mut uow.tx, user_id).await? else {
        return Ok(TurnOff::Off);
    };
    if enrolment.confirmed_at.is_some() {
        match check_code(&mut uow.tx, secrets, user_id, &enrolment, code).await? {
            CodeCheck::Right => {}
            CodeCheck::Wrong => return Ok(TurnOff::WrongCode),
            CodeCheck::Locked { retry_after_secs } => {
                return Ok(TurnOff::Locked { retry_after_secs });
            }
        }
    }
    store::remove(&mut uow.tx, user_id).await?;
    uow.audit(
        "user.two_factor_off",
        "user",
        user_id,
        serde_json::json!({}),
    )
    .await?;
    Ok(TurnOff::Off)
}

/// Seals every two-step secret of the tenant not sealed under the current key again under
/// it (key rotation, `folio migrate`); returns how many.
pub(crate) async fn reseal(tx: &mut folio_db::TenantTx, keys: &SecretKeys) -> Result<u64> {
    let mut resealed = 0;
    for (user_id, sealed) in store::lock_all_sealed(tx).await? {
        if !keys.needs_resealing(&sealed) {
            continue;
        }
        let plain = keys
            .open(SEAL_CONTEXT, &sealed)
            .map_err(|e| Error::Internal(format!("a two-step secret could not be opened: {e}")))?;
        let again = keys
            .seal(SEAL_CONTEXT, &plain)
            .map_err(|e| Error::Internal(format!("sealing a two-step secret: {e}")))?;
        store::set_sealed(tx, user_id, &again).await?;
        resealed += 1;
    }
    Ok(resealed)
}

/// The second step a sign-in is waiting for.
#[derive(Debug, Clone)]
pub struct Challenge {
    /// Sent back with the code.
    pub token: String,
    /// Until when.
    pub expires_at: DateTime<Utc>,
}

/// Whether the person must give a code to finish signing in; if so, a new challenge.
pub(crate) async fn challenge_if_on(
    tx: &mut folio_db::TenantTx,
    user_id: Uuid,
) -> Result<Option<Challenge>> {
    if !store::is_on(tx, user_id).await? {
        return Ok(None);
    }
    let (token, hash) = mint_tenant_token(tx.tenant());
    let expires_at = Utc::now() + CHALLENGE_VALID_FOR;
    store::create_challenge(tx, Uuid::now_v7(), user_id, &hash, expires_at).await?;
    Ok(Some(Challenge { token, expires_at }))
}

/// Finishes a sign-in with the code from the app (or a recovery code): starts the
/// session. A wrong code is 401 `two-factor-code-wrong`; the fifth ends the challenge,
/// and an ended or expired one is 401 `two-factor-expired` (sign in again). Wrong codes
/// also count per person, across challenges: after [`MAX_WRONG_CODES`] in a row, codes are
/// refused with 429 for [`CODE_LOCKOUT`].
pub async fn finish_sign_in(
    db: &Database,
    secrets: &SecretKeys,
    session_ttl: std::time::Duration,
    token: &str,
    code: &str,
) -> Result<PasswordSignedIn> {
    let Some(tenant): Option<TenantId> = tenant_of_token(token) else {
        return Err(Error::TwoFactorExpired);
    };
    let mut work = SystemWork::begin(db, tenant).await?;
    let found = store::lock_challenge(&mut work.tx, &hash_token(token)).await?;
    let Some(challenge) = found.filter(|c| c.expires_at > Utc::now() && c.attempts < MAX_ATTEMPTS)
    else {
        return Err(Error::TwoFactorExpired);
    };
    let enrolment = store::lock(&mut work.tx, challenge.user_id).await?;
    let check = match &enrolment {
        Some(e) => check_code(&mut work.tx, secrets, challenge.user_id, e, code).await?,
        None => CodeCheck::Wrong,
    };
    if let CodeCheck::Locked { retry_after_secs } = check {
        work.commit().await?;
        return Err(Error::TooManyAttempts { retry_after_secs });
    }
    if matches!(check, CodeCheck::Wrong) {
        if challenge.attempts + 1 >= MAX_ATTEMPTS {
            store::end_challenge(&mut work.tx, challenge.id).await?;
        } else {
            store::count_wrong_code(&mut work.tx, challenge.id).await?;
        }
        work.commit().await?;
        return Err(Error::TwoFactorCodeWrong);
    }
    store::end_challenge(&mut work.tx, challenge.id).await?;
    let org = folio_db::platform::current(&mut work.tx).await?;
    let session = start_session(
        &mut work.tx,
        session_ttl,
        challenge.user_id,
        folio_db::auth::SessionOrigin::Password,
    )
    .await?;
    work.commit().await?;
    Ok(PasswordSignedIn {
        session,
        tenant: org,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovery_codes_are_read_whatever_their_case_spaces_and_dash() {
        let code = new_recovery_code();
        assert_eq!(code.len(), 11);
        assert_eq!(
            recovery_hash(&code),
            recovery_hash(&code.to_uppercase().replace('-', " "))
        );
        assert_ne!(recovery_hash(&code), recovery_hash(&new_recovery_code()));
    }

    #[test]
    fn the_rfc_6238_sha1_test_vector_holds() {
        // RFC 6238 appendix B: secret "12345678901234567890", T = 59 s → 94287082 (8
        // digits); the 6-digit code is its last six digits, 287082.
        let t = totp(b"12345678901234567890".to_vec(), "Folio", "x").unwrap();
        assert_eq!(t.generate(59), "287082");
        assert!(
            matching_step(b"12345678901234567890", "12 34 5")
                .unwrap()
                .is_none()
        );
    }
}
