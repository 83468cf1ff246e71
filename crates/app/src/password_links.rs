//! Setting a password with a single-use link: the invitation a new person is sent, and the
//! reset "Forgot password?" e-mails.
//!
//! A link's token is 32 random bytes; only its SHA-256 is stored. The e-mail is queued in
//! the outbox with the token sealed ([`SecretKeys`]): the sender opens it as it renders the
//! message, so no usable token sits in the database in clear. A link works once, until it
//! expires (an invitation after 7 days, a reset after 30 minutes); sending a new one
//! withdraws the last. Setting a password ends every session and API token of the person.

use chrono::{DateTime, Duration, Utc};
use folio_db::Database;
use folio_db::outbox::NewEmail;
use folio_db::password_links::{self as links, NewLink, Purpose};
use folio_domain::{EmailAddress, Password, Permission, TenantSlug};
use uuid::Uuid;

use crate::credentials::{hash_password, hash_token, mint_tenant_token, tenant_of_token};
use crate::secrets::SecretKeys;
use crate::system::SystemWork;
use crate::{Error, Fields, Result, UnitOfWork, checked, routes};

/// How long an invitation's link works.
pub const INVITATION_VALID_FOR: Duration = Duration::days(7);
/// How long a reset link works.
pub const RESET_VALID_FOR: Duration = Duration::minutes(30);
/// Reset e-mails sent to one person in an hour at most; more requests are answered the
/// same way and send nothing (an address cannot be flooded).
pub const RESETS_PER_HOUR: i64 = 3;

/// What the sealed token is bound to: a sealed token opens only as one.
const SEAL_CONTEXT: &str = "password-link";

/// The token of a queued e-mail, opened by the sender to put in its link.
pub fn open_sealed_token(secrets: &SecretKeys, sealed: &str) -> Result<String> {
    secrets
        .open(SEAL_CONTEXT, sealed)
        .map_err(|e| Error::Internal(format!("a password link could not be opened: {e}")))
}

/// Stores a new link for `user_id` and queues its e-mail (`template`), in `tx`.
async fn send_link(
    tx: &mut folio_db::TenantTx,
    secrets: &SecretKeys,
    user_id: Uuid,
    purpose: Purpose,
    valid_for: Duration,
    template: &str,
) -> Result<DateTime<Utc>> {
    if !secrets.configured() {
        return Err(Error::Unavailable(
            "E-mails with a link to set a password cannot be sent: FOLIO_SECRET_KEY is not set."
                .into(),
        ));
    }
    let (token, hash) = mint_tenant_token(tx.tenant());
    let sealed = secrets.seal(SEAL_CONTEXT, &token).map_err(|e| {
        Error::Unavailable(format!(
            "E-mails with a link to set a password cannot be sent: {e}"
        ))
    })?;
    let id = Uuid::now_v7();
    let expires_at = Utc::now() + valid_for;
    links::replace(
        tx,
        &NewLink {
            id,
            user_id,
            purpose,
            token_hash: &hash,
            expires_at,
        },
    )
    .await?;
    let dedup_key = format!("password-link:{id}");
    folio_db::outbox::enqueue(
        tx,
        &NewEmail {
            dedup_key: &dedup_key,
            to_user_id: user_id,
            template,
            context: serde_json::json!({
                "link_path": routes::set_password(),
                "sealed_token": sealed,
                "valid_hours": valid_for.num_hours(),
                "valid_minutes": valid_for.num_minutes(),
            }),
        },
    )
    .await?;
    Ok(expires_at)
}

/// What an invitation sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Invitation {
    /// A link to set a password, working until then.
    PasswordLink {
        /// When the link stops working.
        expires_at: DateTime<Utc>,
    },
    /// The organisation signs people in only through its identity provider: a welcome
    /// e-mail pointing at "Sign in with your organisation".
    SignInWithOrganisation,
}

/// Sends a person a welcome e-mail (admins): with a single-use link to set their password,
/// or, where the organisation signs people in only through its identity provider, with
/// the way to sign in. Sending again withdraws the last link. A deactivated person gets
/// nothing (409).
pub async fn invite(
    uow: &mut UnitOfWork,
    secrets: &SecretKeys,
    user_id: Uuid,
) -> Result<Invitation> {
    uow.principal.require(Permission::ManageUsers)?;
    let person = folio_db::users::get(&mut uow.tx, user_id).await?;
    if person.status != "active" {
        return Err(Error::Conflict {
            field: None,
            detail: "This person's account is deactivated: reactivate it before inviting them."
                .into(),
        });
    }
    let invitation = if folio_db::sso::password_sign_in_enabled(&mut uow.tx).await? {
        let expires_at = send_link(
            &mut uow.tx,
            secrets,
            user_id,
            Purpose::Invitation,
            INVITATION_VALID_FOR,
            "invitation",
        )
        .await?;
        Invitation::PasswordLink { expires_at }
    } else {
        let tenant = folio_db::platform::current(&mut uow.tx).await?;
        let dedup_key = format!("sso-welcome:{user_id}:{}", Uuid::now_v7());
        uow.queue_email(&NewEmail {
            dedup_key: &dedup_key,
            to_user_id: user_id,
            template: "sso_welcome",
            context: serde_json::json!({ "link_path": routes::sign_in_at(&tenant.slug) }),
        })
        .await?;
        Invitation::SignInWithOrganisation
    };
    let kind = match invitation {
        Invitation::PasswordLink { .. } => "password-link",
        Invitation::SignInWithOrganisation => "sign-in-with-organisation",
    };
    uow.audit(
        "user.invite",
        "user",
        user_id,
        serde_json::json!({ "kind": kind }),
    )
    .await?;
    Ok(invitation)
}

/// "Forgot password?": an organisation and an e-mail address.
#[derive(Debug, Clone)]
pub struct ResetRequest<'a> {
    /// The organisation's slug.
    pub tenant: &'a str,
    /// The address typed (any case).
    pub email: &'a str,
}

/// E-mails a single-use link, valid 30 minutes, to set a new password, if the address
/// belongs to an active person of an active organisation that signs people in with
/// passwords, and fewer than [`RESETS_PER_HOUR`] were sent to them in the last hour.
/// Otherwise nothing is sent; the answer is the same either way, so it never tells
/// whether an address has an account. Only malformed input is refused.
pub async fn request_reset(
    db: &Database,
    secrets: &SecretKeys,
    request: &ResetRequest<'_>,
) -> Result<()> {
    let mut fields = Fields::default();
    let slug = fields.check("tenant", TenantSlug::parse(request.tenant));
    let email = fields.check("email", EmailAddress::parse(request.email));
    fields.finish()?;
    let (slug, email) = (checked(slug)?, checked(email)?);
    if !secrets.configured() {
        // Answered like any other request (refusing only for real accounts would tell
        // which addresses have one).
        tracing::warn!("password reset not sent: FOLIO_SECRET_KEY is not set");
        return Ok(());
    }
    let tenant = folio_db::platform::find_by_slug(db.pool(), slug.as_str())
        .await?
        .filter(|t| t.status == "active");
    let Some(tenant) = tenant else {
        return Ok(());
    };
    let mut work = SystemWork::begin(db, tenant.tenant_id()).await?;
    if !folio_db::sso::password_sign_in_enabled(&mut work.tx).await? {
        return Ok(());
    }
    let candidate = folio_db::users::find_sign_in_candidate(&mut work.tx, &email).await?;
    let Some(person) = candidate.filter(|c| c.active) else {
        return Ok(());
    };
    let recent = links::count_since(
        &mut work.tx,
        person.id,
        Purpose::Reset,
        Utc::now() - Duration::hours(1),
    )
    .await?;
    if recent >= RESETS_PER_HOUR {
        tracing::info!(tenant_id = %tenant.id, "password reset not sent: too many this hour");
        return Ok(());
    }
    send_link(
        &mut work.tx,
        secrets,
        person.id,
        Purpose::Reset,
        RESET_VALID_FOR,
        "password_reset",
    )
    .await?;
    work.audit(
        "user.password_reset_sent",
        "user",
        person.id,
        serde_json::json!({}),
    )
    .await?;
    work.commit().await
}

/// The link `token` names, with its organisation, if it would set a password now: unused,
/// unexpired, for an active person of an active organisation (locked until `work` ends).
/// Row-level security shows only `work`'s organisation's links: a token naming another
/// organisation (or none) finds nothing.
async fn live_link(
    work: &mut SystemWork,
    token: &str,
) -> Result<Option<(links::Link, folio_db::platform::Tenant)>> {
    let link = links::lock_by_token(&mut work.tx, &hash_token(token))
        .await?
        .filter(|l| l.used_at.is_none() && l.expires_at > Utc::now() && l.user_active);
    let Some(link) = link else {
        return Ok(None);
    };
    let org = folio_db::platform::current_if_any(&mut work.tx)
        .await?
        .filter(|o| o.status == "active");
    Ok(org.map(|org| (link, org)))
}

/// Whether a link's token would set a password now (for the page it opens, which says at
/// once when it has expired or been used, before anyone types a password).
pub async fn usable(db: &Database, token: &str) -> Result<bool> {
    let Some(tenant) = tenant_of_token(token) else {
        return Ok(false);
    };
    let mut work = SystemWork::begin(db, tenant).await?;
    let live = live_link(&mut work, token).await?;
    work.commit().await?;
    Ok(live.is_some())
}

/// Setting a password with a link's token.
/// No `Debug`: it holds a password and a token.
pub struct SetPassword<'a> {
    /// The token from the link.
    pub token: &'a str,
    /// The new password.
    pub password: &'a str,
}

/// Sets the password of the person a link is for, once: the link and any other they hold
/// stop working, and every session and API token of theirs ends. Returns the organisation's
/// slug (to sign in at). A link that has expired, has been used or never existed is 410
/// `link-not-usable`; a password that is too short is 422 naming `password` (the link
/// stays usable).
pub async fn set_password(db: &Database, request: &SetPassword<'_>) -> Result<String> {
    let mut fields = Fields::default();
    let password = fields.check("password", Password::parse(request.password));
    fields.finish()?;
    let password = checked(password)?;
    let Some(tenant) = tenant_of_token(request.token) else {
        return Err(Error::PasswordLinkNotUsable);
    };
    let hash = hash_password(&password).await?;
    let mut work = SystemWork::begin(db, tenant).await?;
    let Some((link, org)) = live_link(&mut work, request.token).await? else {
        return Err(Error::PasswordLinkNotUsable);
    };
    folio_db::users::set_password_hash(&mut work.tx, link.user_id, Some(&hash)).await?;
    links::use_all(&mut work.tx, link.user_id).await?;
    folio_db::auth::revoke_all_credentials(&mut work.tx, link.user_id).await?;
    work.audit(
        "user.password_set",
        "user",
        link.user_id,
        serde_json::json!({ "by": link.purpose }),
    )
    .await?;
    work.commit().await?;
    Ok(org.slug)
}
