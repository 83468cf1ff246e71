//! The signed-in person as every page shows them: their name, roles, organisation and its
//! time zone, read in the page's own unit of work.

use folio_db::platform::{self, Tenant};
use folio_db::users::{self, User};

use crate::{Database, Result, UnitOfWork};

/// Who is signed in, and where.
#[derive(Debug, Clone)]
pub struct SignedIn {
    /// The person.
    pub user: User,
    /// Their organisation.
    pub tenant: Tenant,
    /// Its time zone, in which dates are shown and read.
    pub timezone: chrono_tz::Tz,
}

/// The caller, their organisation and its time zone.
pub async fn signed_in(uow: &mut UnitOfWork) -> Result<SignedIn> {
    let user = users::get(&mut uow.tx, uow.principal.user_id).await?;
    let tenant = platform::current(&mut uow.tx).await?;
    let timezone = uow.settings().await?.tz();
    Ok(SignedIn {
        user,
        tenant,
        timezone,
    })
}

/// How the people of an organisation sign in, for its sign-in page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignInOptions {
    /// Its slug (what people type as the organisation).
    pub slug: String,
    /// Its name.
    pub name: String,
    /// Whether single sign-on is set up.
    pub sso: bool,
    /// Whether password sign-in is on.
    pub password: bool,
}

/// The active organisation named by `slug` and how its people sign in; `None` when there
/// is no such active organisation (the page then asks for one, revealing nothing). When
/// its settings cannot be read, a password is offered and single sign-on is not.
pub async fn sign_in_options(db: &Database, slug: &str) -> Option<SignInOptions> {
    let tenant = match platform::find_by_slug(db.pool(), slug).await {
        Ok(Some(t)) if t.status == "active" => t,
        _ => return None,
    };
    let ways = async {
        let mut tx = db.begin_tenant(tenant.tenant_id()).await?;
        let sso = folio_db::sso::get_settings(&mut tx).await?.is_some();
        let password = folio_db::sso::password_sign_in_enabled(&mut tx).await?;
        tx.commit().await?;
        Ok::<_, folio_db::DbError>((sso, password))
    }
    .await;
    let (sso, password) = ways.unwrap_or((false, true));
    Some(SignInOptions {
        slug: tenant.slug,
        name: tenant.name,
        sso,
        password,
    })
}

/// Who is signed in, as they see themself.
#[derive(Debug, Clone)]
pub struct WhoAmI {
    /// The person.
    pub person: crate::users::Person,
    /// Their organisation.
    pub tenant: Tenant,
    /// The roles they act with.
    pub roles: Vec<folio_domain::Role>,
}

/// The caller, their organisation and the roles they act with (reachable before a
/// learner has accepted the disclaimer: authenticate with `Disclaimer::NotYetNeeded`).
pub async fn whoami(uow: &mut UnitOfWork) -> Result<WhoAmI> {
    let user = users::get(&mut uow.tx, uow.principal.user_id).await?;
    let tenant = platform::current(&mut uow.tx).await?;
    Ok(WhoAmI {
        person: crate::users::Person::new(user)?,
        tenant,
        roles: uow.principal.roles.clone(),
    })
}

/// A session just started.
#[derive(Debug, Clone)]
pub struct StartedSession {
    /// The token, for the client (and the cookie).
    pub token: String,
    /// When it ends.
    pub expires_at: chrono::DateTime<chrono::Utc>,
    /// Who signed in.
    pub user: User,
}

/// Starts a session of `ttl` for a person whose sign-in succeeded, however they proved who
/// they are (`origin`: a password, or single sign-on at an issuer): the session row, their
/// last sign-in and the audit record, all in the caller's tenant transaction, which the
/// caller commits.
pub async fn start_session(
    tx: &mut folio_db::TenantTx,
    ttl: std::time::Duration,
    user_id: uuid::Uuid,
    origin: folio_db::auth::SessionOrigin<'_>,
) -> Result<StartedSession> {
    use crate::credentials::{TokenKind, mint};
    use folio_db::audit::{self, Actor, Event};

    let minted = mint(TokenKind::Session, tx.tenant());
    let ttl = chrono::Duration::from_std(ttl).map_err(|e| crate::Error::Internal(e.to_string()))?;
    let expires_at = chrono::Utc::now() + ttl;
    let session_id = uuid::Uuid::now_v7();
    folio_db::auth::create_session(tx, session_id, user_id, &minted.hash, expires_at, origin)
        .await?;
    users::record_login(tx, user_id).await?;
    audit::record(
        tx,
        Event {
            actor: Actor::User(user_id),
            action: "session.create",
            entity_type: "session",
            entity_id: Some(session_id),
            details: serde_json::json!({ "method": origin.method() }),
        },
    )
    .await?;
    let user = users::get(tx, user_id).await?;
    Ok(StartedSession {
        token: minted.token,
        expires_at,
        user,
    })
}

/// What a password sign-in asks for. No `Debug`: it holds a password.
pub struct PasswordSignIn<'a> {
    /// The organisation's slug.
    pub tenant: &'a str,
    /// E-mail address (any case).
    pub email: &'a str,
    /// Password.
    pub password: &'a str,
    /// Where the attempt comes from ([`crate::client_address`]), unknown if `None`.
    pub client: Option<std::net::IpAddr>,
}

/// A password sign-in that succeeded: the session and the organisation.
#[derive(Debug, Clone)]
pub struct PasswordSignedIn {
    /// The new session.
    pub session: StartedSession,
    /// The organisation signed in to.
    pub tenant: Tenant,
}

/// What a right password leads to.
#[derive(Debug, Clone)]
pub enum PasswordOutcome {
    /// Signed in.
    SignedIn(Box<PasswordSignedIn>),
    /// The person has two-step sign-in on: the session starts once they give a code
    /// ([`crate::two_factor::finish_sign_in`]).
    TwoFactorRequired(crate::two_factor::Challenge),
}

/// Signs in with an organisation, e-mail address and password, starting a session of
/// `session_ttl` (or, for a person with two-step sign-in on, a challenge for their code).
///
/// A wrong organisation, address or password all fail the same way
/// ([`crate::Error::InvalidCredentials`]), so the answer never tells whether an address
/// has an account. After repeated failures for one address from one client, or for many
/// addresses from one client (`throttle`), sign-in from that client is refused for a
/// while; the same address from another client is not. An organisation that signs its people in only through its
/// identity provider refuses password sign-in.
pub async fn sign_in_with_password(
    db: &Database,
    throttle: &folio_domain::LoginThrottle,
    session_ttl: std::time::Duration,
    request: &PasswordSignIn<'_>,
) -> Result<PasswordOutcome> {
    use crate::credentials::verify_password;
    use crate::{Error, Fields, checked};
    use folio_domain::{EmailAddress, Password, TenantSlug};

    let mut fields = Fields::default();
    let slug = fields.check("tenant", TenantSlug::parse(request.tenant));
    let email = fields.check("email", EmailAddress::parse(request.email));
    fields.require(
        "password",
        !request.password.is_empty(),
        "must not be empty",
    );
    fields.require(
        "password",
        request.password.len() <= Password::MAX_BYTES,
        "must be at most 1024 bytes",
    );
    fields.finish()?;
    let (slug, email) = (checked(slug)?, checked(email)?);

    let tenant = platform::find_by_slug(db.pool(), slug.as_str())
        .await?
        .filter(|t| t.status == "active");
    let Some(tenant) = tenant else {
        // Same work as a real attempt, so timing does not reveal unknown organisations.
        verify_password(request.password, None).await;
        return Err(Error::InvalidCredentials);
    };
    let now = chrono::Utc::now();

    // The attempt is counted as a failure before the password is checked, in a short
    // transaction holding the throttle rows (the address from this client, then this
    // client for any address; always in that order): a burst of parallel guesses is
    // counted one by one and cannot outrun the lock, and no connection is held while
    // argon2 runs. A successful sign-in clears the address's count from this client and
    // takes its own attempt off the client's count; the rest of that count runs out with
    // its window (one account of its own must not let a sprayer start again).
    let client = crate::client_address::throttle_key(request.client);
    let keys = [
        (
            folio_db::auth::ThrottleKey::address(&email, &client),
            *throttle,
        ),
        (
            folio_db::auth::ThrottleKey::client(&client),
            throttle.per_client(),
        ),
    ];
    let mut tx = db.begin_tenant(tenant.tenant_id()).await?;
    if !folio_db::sso::password_sign_in_enabled(&mut tx).await? {
        tracing::info!(tenant_id = %tenant.id, "password sign-in refused: SSO only");
        return Err(Error::PasswordSignInDisabled);
    }
    let mut states = Vec::with_capacity(keys.len());
    for (key, _) in &keys {
        states.push(folio_db::auth::lock_throttle_state(&mut tx, *key, now).await?);
    }
    let locked_until = keys
        .iter()
        .zip(&states)
        .filter_map(|((_, policy), state)| policy.locked_until(Some(state), now))
        .max();
    if let Some(until) = locked_until {
        tracing::info!(tenant_id = %tenant.id, "sign-in refused: too many failures");
        let retry_after_secs = u64::try_from((until - now).num_seconds())
            .unwrap_or(0)
            .max(1);
        return Err(Error::TooManyAttempts { retry_after_secs });
    }
    for ((key, policy), state) in keys.iter().zip(&states) {
        let counted = policy.record_failure(Some(state), now);
        folio_db::auth::save_throttle_state(&mut tx, *key, &counted).await?;
    }
    let candidate = users::find_sign_in_candidate(&mut tx, &email).await?;
    tx.commit().await?;

    let hash = candidate.as_ref().and_then(|c| c.password_hash.as_deref());
    let password_ok = verify_password(request.password, hash).await;
    let user_id = match candidate {
        Some(c) if password_ok && c.active => c.id,
        _ => {
            tracing::info!(tenant_id = %tenant.id, "sign-in refused");
            return Err(Error::InvalidCredentials);
        }
    };

    let mut tx = db.begin_tenant(tenant.tenant_id()).await?;
    folio_db::auth::clear_throttle(&mut tx, keys[0].0).await?;
    let (client_key, client_policy) = keys[1];
    let counted = folio_db::auth::lock_throttle_state(&mut tx, client_key, now).await?;
    folio_db::auth::save_throttle_state(&mut tx, client_key, &client_policy.forgive_one(&counted))
        .await?;
    // With two-step sign-in on, the right password earns a challenge, not a session.
    if let Some(challenge) = crate::two_factor::challenge_if_on(&mut tx, user_id).await? {
        tx.commit().await?;
        return Ok(PasswordOutcome::TwoFactorRequired(challenge));
    }
    let session = start_session(
        &mut tx,
        session_ttl,
        user_id,
        folio_db::auth::SessionOrigin::Password,
    )
    .await?;
    tx.commit().await?;
    Ok(PasswordOutcome::SignedIn(Box::new(PasswordSignedIn {
        session,
        tenant,
    })))
}

/// What the sealed ID token of a single sign-on session is sealed for.
pub const ID_TOKEN_SEAL_CONTEXT: &str = "sso-id-token";

/// Whether the caller's session came through single sign-on (so signing out should end
/// the provider's session too).
pub async fn signed_in_through_sso(uow: &mut UnitOfWork) -> Result<bool> {
    let crate::CredentialId::Session(id) = uow.principal.credential else {
        return Ok(false);
    };
    let start = folio_db::auth::session_start(&mut uow.tx, uow.principal.user_id, id).await?;
    Ok(start.is_some_and(|s| s.method == "sso"))
}

/// Signs out of a single sign-on session: ends it, and returns the ID token it started
/// with (opened with `keys`), for the provider's `id_token_hint`; `None` when there is
/// none to give (a password session, or one sealed under a key since dropped).
pub async fn sign_out_of_sso(
    uow: &mut UnitOfWork,
    keys: &crate::secrets::SecretKeys,
) -> Result<Option<String>> {
    let hint = match uow.principal.credential {
        crate::CredentialId::Session(id) => folio_db::auth::session_id_token(&mut uow.tx, id)
            .await?
            .and_then(|sealed| keys.open(ID_TOKEN_SEAL_CONTEXT, &sealed).ok()),
        crate::CredentialId::ApiToken(_) => None,
    };
    sign_out(uow).await?;
    Ok(hint)
}

/// Signs out: ends the session the caller presented (a personal API token stays valid;
/// it is revoked on its own). Reachable before a learner has accepted the disclaimer.
pub async fn sign_out(uow: &mut UnitOfWork) -> Result<()> {
    if let crate::CredentialId::Session(id) = uow.principal.credential {
        folio_db::auth::delete_session(&mut uow.tx, id).await?;
        uow.audit("session.delete", "session", id, serde_json::json!({}))
            .await?;
    }
    Ok(())
}
