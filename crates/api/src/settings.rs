//! The provider's own settings: the track-status rule, the evidence size limit and the
//! compliance frequencies. Admins change them; the staff whose work they shape read them.
//!
//! Adapters over `folio_app::settings`, where who may read and change them is written.

use folio_app::settings;
use folio_domain::{TenantSettings, TrackBasis, TrackRule};
use poem_openapi::payload::Json;
use poem_openapi::{Enum, Object, OpenApi, Tags};
use serde::Deserialize;

use crate::AppState;
use crate::json_body::JsonBody;
use crate::principal::Credentials;
use crate::problem::ApiResult;

#[derive(Tags)]
enum SettingsTag {
    /// The organisation's own settings.
    Settings,
}

/// `/api/v1/settings`.
pub struct SettingsApi(pub AppState);

/// What progress is compared with time elapsed to judge track status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, Deserialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub(crate) enum TrackBasisName {
    /// Criteria with evidence mapped, signed off or not (the seed product's rule).
    Mapped,
    /// Criteria signed off only.
    SignedOff,
}

/// The track-status rule: off track when time elapsed % leads progress % by at least
/// `margin_points`, judged only once `grace_percent` of the planned duration has elapsed;
/// ahead when progress leads time elapsed by the margin.
#[derive(Debug, Clone, Object, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TrackRuleBody {
    /// Which progress figure counts (default `mapped`).
    basis: TrackBasisName,
    /// Percentage points of lead that make a learner off track or ahead, 0-100 (default 10).
    margin_points: f64,
    /// Percent of the planned duration before anyone is judged off track, 0-100
    /// (default 25).
    grace_percent: f64,
}

impl From<TrackRule> for TrackRuleBody {
    fn from(rule: TrackRule) -> Self {
        Self {
            basis: match rule.basis {
                TrackBasis::Mapped => TrackBasisName::Mapped,
                TrackBasis::SignedOff => TrackBasisName::SignedOff,
            },
            margin_points: rule.margin_points,
            grace_percent: rule.grace_percent,
        }
    }
}

impl From<TrackRuleBody> for TrackRule {
    fn from(body: TrackRuleBody) -> Self {
        Self {
            basis: match body.basis {
                TrackBasisName::Mapped => TrackBasis::Mapped,
                TrackBasisName::SignedOff => TrackBasis::SignedOff,
            },
            margin_points: body.margin_points,
            grace_percent: body.grace_percent,
        }
    }
}

/// Every setting of the organisation. `PUT` replaces them all, so every field is required.
#[derive(Debug, Clone, Object, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TenantSettingsBody {
    /// The track-status rule.
    track: TrackRuleBody,
    /// The largest evidence file accepted, in bytes (1 byte to 5 GiB; default 512 MiB).
    evidence_max_bytes: u64,
    /// Progress reviews at least this often, in weeks, 1-52 (default 12).
    review_frequency_weeks: u32,
    /// Induction within this many days of the start, 1-365 (default 28).
    induction_within_days: u32,
    /// Evidence of active learning at least this often, in weeks, 1-52 (default 4).
    active_learning_weeks: u32,
    /// The organisation's time zone, an IANA name (default `Europe/London`): nightly jobs
    /// run at night there and due dates are judged by the date there.
    timezone: String,
    /// Staff (admins, assessors, IQAs, auditors) who sign in with a password must use
    /// two-step sign-in: until they set it up, every call on that session but their own
    /// profile, the disclaimer, the two-step set-up and signing out is 403
    /// `two-factor-required` (default false; left out: false). Single sign-on sessions are
    /// left to the identity provider; personal API tokens are not asked.
    #[oai(default)]
    #[serde(default)]
    require_two_factor_for_staff: bool,
    /// The provider's UK provider reference number (8 digits, 1xxxxxxx), for the official
    /// return's UKPRN field (left out: not set).
    #[serde(default)]
    ukprn: Option<String>,
}

impl From<TenantSettings> for TenantSettingsBody {
    fn from(s: TenantSettings) -> Self {
        Self {
            track: s.track.into(),
            evidence_max_bytes: s.evidence_max_bytes,
            review_frequency_weeks: s.review_frequency_weeks,
            induction_within_days: s.induction_within_days,
            active_learning_weeks: s.active_learning_weeks,
            timezone: s.timezone,
            require_two_factor_for_staff: s.require_two_factor_for_staff,
            ukprn: s.ukprn,
        }
    }
}

impl From<TenantSettingsBody> for TenantSettings {
    // Written out field by field, so a setting added to the domain fails to compile here
    // rather than being silently reset by every PUT.
    fn from(body: TenantSettingsBody) -> Self {
        Self {
            track: body.track.into(),
            evidence_max_bytes: body.evidence_max_bytes,
            review_frequency_weeks: body.review_frequency_weeks,
            induction_within_days: body.induction_within_days,
            active_learning_weeks: body.active_learning_weeks,
            timezone: body.timezone,
            require_two_factor_for_staff: body.require_two_factor_for_staff,
            ukprn: body.ukprn,
        }
    }
}

#[OpenApi(prefix_path = "/api/v1/settings", tag = "SettingsTag::Settings")]
impl SettingsApi {
    /// The organisation's settings, defaults filled in (admins, assessors, IQAs, auditors).
    #[oai(path = "/", method = "get")]
    async fn get(&self, credentials: Credentials) -> ApiResult<Json<TenantSettingsBody>> {
        let mut uow = self.0.authenticate(&credentials).await?;
        let current = settings::current(&mut uow).await?;
        uow.commit().await?;
        Ok(Json(current.into()))
    }

    /// Replace every setting (admins). A value out of range is 422 naming the setting.
    #[oai(path = "/", method = "put")]
    async fn replace(
        &self,
        credentials: Credentials,
        body: JsonBody<TenantSettingsBody>,
    ) -> ApiResult<Json<TenantSettingsBody>> {
        let mut uow = self.0.authenticate(&credentials).await?;
        let new = settings::replace(&mut uow, body.0.into()).await?;
        uow.commit().await?;
        Ok(Json(new.into()))
    }
}
