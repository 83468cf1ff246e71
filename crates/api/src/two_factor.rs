//! Two-step sign-in for the signed-in person: turning it on (secret and QR code, then the
//! first code, which returns the recovery codes once) and off. Adapters over
//! `folio_app::two_factor`. Reachable before the disclaimer is accepted and before a
//! required two-step sign-in is set up (it is how it gets set up).

use folio_app::two_factor;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi, Tags};
use serde::Deserialize;

use crate::AppState;
use crate::json_body::JsonBody;
use crate::principal::Credentials;
use crate::problem::ApiResult;

#[derive(Tags)]
enum TwoFactorTag {
    /// Two-step sign-in: a code from an authenticator app after the password.
    TwoFactor,
}

pub struct TwoFactorApi(pub AppState);

/// Whether two-step sign-in is on.
#[derive(Debug, Object)]
struct TwoFactorStatus {
    /// On: signing in with a password then asks for a code.
    on: bool,
    /// Unused recovery codes (0 when off).
    recovery_codes_left: i64,
}

/// A new secret to add to an authenticator app. No `Debug`: it holds the secret.
#[derive(Object)]
struct TwoFactorSecret {
    /// The secret in base32, for typing in by hand.
    secret: String,
    /// The `otpauth://totp/…` URL the QR code holds.
    otpauth_url: String,
    /// The QR code as an SVG document.
    qr_svg: String,
}

/// A code from the authenticator app (six digits) or a recovery code. No `Debug`.
#[derive(Object, Deserialize)]
struct CodeRequest {
    /// The code.
    code: String,
}

/// The recovery codes, shown this once. No `Debug`: they are credentials.
#[derive(Object)]
struct RecoveryCodes {
    /// Ten single-use codes, each signing in once without the app.
    recovery_codes: Vec<String>,
}

#[derive(ApiResponse)]
enum BeginResponse {
    /// A new secret: add it to the app, then confirm with a code.
    #[oai(status = 201)]
    Started(Json<TwoFactorSecret>),
}

#[derive(ApiResponse)]
enum OffResponse {
    /// Two-step sign-in is off.
    #[oai(status = 204)]
    Off,
}

#[OpenApi(prefix_path = "/api/v1/me/two-factor", tag = "TwoFactorTag::TwoFactor")]
impl TwoFactorApi {
    /// Whether two-step sign-in is on for you.
    #[oai(path = "/", method = "get")]
    async fn status(&self, credentials: Credentials) -> ApiResult<Json<TwoFactorStatus>> {
        let mut uow = self.0.authenticate_before_disclaimer(&credentials).await?;
        let status = two_factor::status(&mut uow).await?;
        uow.commit().await?;
        Ok(Json(TwoFactorStatus {
            on: status.on,
            recovery_codes_left: status.recovery_codes_left,
        }))
    }

    /// Start turning two-step sign-in on: a new secret and its QR code for your
    /// authenticator app. Nothing changes at sign-in until you confirm it with a code.
    /// 409 if it is already on; 503 when Folio has no key to seal the secret with.
    #[oai(path = "/", method = "post")]
    async fn begin(&self, credentials: Credentials) -> ApiResult<BeginResponse> {
        let mut uow = self.0.authenticate_before_disclaimer(&credentials).await?;
        let new = two_factor::begin(&mut uow, &self.0.settings.secrets).await?;
        uow.commit().await?;
        Ok(BeginResponse::Started(Json(TwoFactorSecret {
            secret: new.secret,
            otpauth_url: new.otpauth_url,
            qr_svg: new.qr_svg,
        })))
    }

    /// Turn two-step sign-in on with the code your app shows now; returns ten recovery
    /// codes, shown this once. 422 naming `code` if it is not right.
    #[oai(path = "/confirm", method = "post")]
    async fn confirm(
        &self,
        credentials: Credentials,
        body: JsonBody<CodeRequest>,
    ) -> ApiResult<Json<RecoveryCodes>> {
        let mut uow = self.0.authenticate_before_disclaimer(&credentials).await?;
        let codes = two_factor::confirm(&mut uow, &self.0.settings.secrets, &body.0.code).await?;
        uow.commit().await?;
        Ok(Json(RecoveryCodes {
            recovery_codes: codes,
        }))
    }

    /// Turn two-step sign-in off, with the code your app shows now or a recovery code.
    /// 422 naming `code` if it is neither; after ten wrong codes in a row (here or at
    /// sign-in), 429 for fifteen minutes.
    #[oai(path = "/off", method = "post")]
    async fn turn_off(
        &self,
        credentials: Credentials,
        body: JsonBody<CodeRequest>,
    ) -> ApiResult<OffResponse> {
        let mut uow = self.0.authenticate_before_disclaimer(&credentials).await?;
        let outcome =
            two_factor::turn_off(&mut uow, &self.0.settings.secrets, &body.0.code).await?;
        // Committed whatever the answer: a wrong code counts towards the lock.
        uow.commit().await?;
        outcome.into_result()?;
        Ok(OffResponse::Off)
    }
}
