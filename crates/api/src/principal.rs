//! Who is calling: credentials in, an authenticated principal and its tenant transaction out.

use folio_db::audit::Actor;
use folio_db::{TenantTx, auth};
use folio_domain::{Permission, Role, TenantId};
use poem_openapi::SecurityScheme;
use poem_openapi::auth::{ApiKey, Bearer};
use uuid::Uuid;

use crate::AppState;
use crate::credentials::{TokenKind, hash_token, parse_token};
use crate::problem::ApiError;

/// The name of the session cookie.
pub const SESSION_COOKIE: &str = "folio_session";

/// `Authorization: Bearer <token>`: a session token from sign-in or a personal API token.
#[derive(SecurityScheme)]
#[oai(ty = "bearer", bearer_format = "opaque")]
pub struct BearerToken(Bearer);

/// The HttpOnly session cookie a browser gets at sign-in.
#[derive(SecurityScheme)]
#[oai(ty = "api_key", key_name = "folio_session", key_in = "cookie")]
pub struct SessionCookie(ApiKey);

/// Either way of presenting a credential.
#[derive(SecurityScheme)]
pub enum Credentials {
    /// A bearer token.
    Bearer(BearerToken),
    /// The session cookie.
    Cookie(SessionCookie),
}

impl Credentials {
    fn token(&self) -> &str {
        match self {
            Credentials::Bearer(b) => &b.0.token,
            Credentials::Cookie(c) => &c.0.key,
        }
    }
}

/// Which credential authenticated the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialId {
    /// A sign-in session.
    Session(Uuid),
    /// A personal API token.
    ApiToken(Uuid),
}

/// An authenticated person in their tenant.
#[derive(Debug, Clone)]
pub struct Principal {
    /// Their tenant.
    pub tenant: TenantId,
    /// Their id.
    pub user_id: Uuid,
    /// Their roles.
    pub roles: Vec<Role>,
    /// The credential they presented.
    pub credential: CredentialId,
}

impl Principal {
    /// Who is looking at enrolments, and through which relationships (the one visibility
    /// rule, applied in SQL by `folio_db::enrolments`).
    pub fn viewer(&self) -> folio_db::enrolments::Viewer {
        folio_db::enrolments::Viewer {
            user_id: self.user_id,
            scope: folio_domain::EnrolmentScope::for_roles(&self.roles),
        }
    }

    /// Whether this is the enrolment's own learner.
    pub fn is_learner_of(&self, enrolment: &folio_db::enrolments::Enrolment) -> bool {
        enrolment.learner_id == self.user_id && self.roles.contains(&Role::Learner)
    }

    /// Whether the principal manages the enrolment: an admin, or its own assessor.
    pub fn manages(&self, enrolment: &folio_db::enrolments::Enrolment) -> bool {
        folio_domain::may_manage_enrolment(&self.roles, enrolment.assessor_id == Some(self.user_id))
    }

    /// Fails with 403 unless the principal has `permission`.
    pub fn require(&self, permission: Permission) -> Result<(), ApiError> {
        if permission.allows(&self.roles) {
            Ok(())
        } else {
            Err(ApiError::Forbidden)
        }
    }

    /// The principal as the actor of an audited write.
    pub fn actor(&self) -> Actor {
        Actor::User(self.user_id)
    }
}

/// A request's principal and the tenant transaction it was authenticated in; handlers do
/// their work in the same transaction.
pub struct Authenticated {
    /// Who is calling.
    pub principal: Principal,
    /// Their tenant's transaction.
    pub tx: TenantTx,
}

impl Authenticated {
    /// The enrolment, if the caller may see it; 404 otherwise, exactly as for an id that
    /// does not exist.
    pub async fn visible_enrolment(
        &mut self,
        id: Uuid,
    ) -> Result<folio_db::enrolments::Enrolment, ApiError> {
        let viewer = self.principal.viewer();
        Ok(folio_db::enrolments::get_visible(&mut self.tx, &viewer, id).await?)
    }

    /// Records in the audit log, in the request's own transaction, that the caller did
    /// `action` to the entity: the write and its record commit or roll back together.
    pub async fn audit(
        &mut self,
        action: &str,
        entity_type: &str,
        entity_id: Uuid,
        details: serde_json::Value,
    ) -> Result<(), ApiError> {
        let actor = self.principal.actor();
        folio_db::audit::record(
            &mut self.tx,
            folio_db::audit::Event {
                actor,
                action,
                entity_type,
                entity_id: Some(entity_id),
                details,
            },
        )
        .await?;
        Ok(())
    }
}

impl AppState {
    /// Checks credentials and opens the caller's tenant transaction. Any failure is 401:
    /// the response does not say whether the token was malformed, unknown, expired or
    /// revoked, or whether its owner was deactivated. A learner who has not accepted the
    /// organisation's current disclaimer gets 403 `disclaimer-required`.
    pub async fn authenticate(&self, credentials: &Credentials) -> Result<Authenticated, ApiError> {
        let mut authed = self.authenticate_before_disclaimer(credentials).await?;
        if authed.principal.roles.contains(&Role::Learner)
            && folio_db::profile::pending_disclaimer(&mut authed.tx, authed.principal.user_id)
                .await?
                .is_some()
        {
            return Err(ApiError::DisclaimerRequired);
        }
        Ok(authed)
    }

    /// [`AppState::authenticate`] without the disclaimer check: only for what a learner
    /// must reach before accepting it (who they are, the disclaimer, signing out).
    pub async fn authenticate_before_disclaimer(
        &self,
        credentials: &Credentials,
    ) -> Result<Authenticated, ApiError> {
        let token = credentials.token();
        let (kind, tenant) = parse_token(token).ok_or(ApiError::Unauthenticated)?;
        let hash = hash_token(token);
        let mut tx = self.db.begin_tenant(tenant).await?;
        let owner = match kind {
            TokenKind::Session => auth::find_session(&mut tx, &hash).await?,
            TokenKind::ApiToken => auth::find_api_token(&mut tx, &hash).await?,
        }
        .ok_or(ApiError::Unauthenticated)?;
        let span = tracing::Span::current();
        span.record("tenant_id", tracing::field::display(tenant));
        span.record("user_id", tracing::field::display(owner.user_id));
        let credential = match kind {
            TokenKind::Session => CredentialId::Session(owner.credential_id),
            TokenKind::ApiToken => CredentialId::ApiToken(owner.credential_id),
        };
        let roles = owner.roles.iter().filter_map(|r| r.parse().ok()).collect();
        Ok(Authenticated {
            principal: Principal {
                tenant,
                user_id: owner.user_id,
                roles,
                credential,
            },
            tx,
        })
    }

    /// [`AppState::authenticate`], then 403 unless the principal has `permission`.
    pub async fn authorize(
        &self,
        credentials: &Credentials,
        permission: Permission,
    ) -> Result<Authenticated, ApiError> {
        let authenticated = self.authenticate(credentials).await?;
        authenticated.principal.require(permission)?;
        Ok(authenticated)
    }
}
