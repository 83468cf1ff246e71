//! A provider's own settings. The numbers the funding rules and the seed product use are
//! the defaults; every one is a choice a provider may make differently.

use serde::{Deserialize, Serialize};

/// What progress is compared with time elapsed to judge track status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TrackBasis {
    /// Criteria with evidence mapped (orange or green): the seed product's rule.
    Mapped,
    /// Criteria signed off (green) only: the stricter choice.
    SignedOff,
}

/// The track-status rule: off track when elapsed % leads progress % by at least
/// `margin_points`, judged only once `grace_percent` of the planned duration has elapsed;
/// ahead when progress leads elapsed by the margin.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TrackRule {
    /// Which progress figure counts.
    pub basis: TrackBasis,
    /// Percentage points of lead that make a learner off track (or ahead).
    pub margin_points: f64,
    /// Percent of the planned duration before anyone is judged off track.
    pub grace_percent: f64,
}

impl Default for TrackRule {
    /// The seed product's rule: mapped %, 10 points, after 25% of the duration.
    fn default() -> Self {
        Self {
            basis: TrackBasis::Mapped,
            margin_points: 10.0,
            grace_percent: 25.0,
        }
    }
}

/// Every tenant setting, with defaults for what a provider has not set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TenantSettings {
    /// The track-status rule.
    pub track: TrackRule,
    /// The largest evidence file accepted, in bytes.
    pub evidence_max_bytes: u64,
    /// Progress reviews at least this often, in weeks (funding-rule minimum: 12).
    pub review_frequency_weeks: u32,
    /// Induction within this many days of the start.
    pub induction_within_days: u32,
    /// Evidence of active learning at least this often, in weeks.
    pub active_learning_weeks: u32,
    /// The provider's time zone (IANA name): nightly work runs at night there, and "today"
    /// for due dates is the date there.
    pub timezone: String,
    /// Staff (admins, assessors, IQAs, auditors) who sign in with a password must use
    /// two-step sign-in: until they have set it up, they can do nothing else.
    pub require_two_factor_for_staff: bool,
    /// The provider's UK provider reference number, for the official return.
    pub ukprn: Option<String>,
}

impl Default for TenantSettings {
    fn default() -> Self {
        Self {
            track: TrackRule::default(),
            evidence_max_bytes: 512 * 1024 * 1024,
            review_frequency_weeks: 12,
            induction_within_days: 28,
            active_learning_weeks: 4,
            timezone: Self::DEFAULT_TIMEZONE.into(),
            require_two_factor_for_staff: false,
            ukprn: None,
        }
    }
}

impl TenantSettings {
    /// The largest evidence file a provider may allow (storage is paid for per byte).
    pub const MAX_EVIDENCE_BYTES: u64 = 5 * 1024 * 1024 * 1024;

    /// UK providers' time zone.
    pub const DEFAULT_TIMEZONE: &'static str = "Europe/London";

    /// The time zone, parsed. [`Self::validate`] refuses an unknown name, so a stored
    /// setting always parses; London is the fallback all the same.
    pub fn tz(&self) -> chrono_tz::Tz {
        self.timezone.parse().unwrap_or(chrono_tz::Europe::London)
    }

    /// Reads stored settings; keys not set take their defaults.
    pub fn from_json(value: &serde_json::Value) -> Result<Self, String> {
        let settings: TenantSettings =
            serde_json::from_value(value.clone()).map_err(|e| e.to_string())?;
        settings.validate()?;
        Ok(settings)
    }

    /// Checks every value is within its sensible range; the message names the setting.
    pub fn validate(&self) -> Result<(), String> {
        let t = &self.track;
        if !(0.0..=100.0).contains(&t.margin_points) {
            return Err("track.margin_points must be between 0 and 100".into());
        }
        if !(0.0..=100.0).contains(&t.grace_percent) {
            return Err("track.grace_percent must be between 0 and 100".into());
        }
        if !(1..=Self::MAX_EVIDENCE_BYTES).contains(&self.evidence_max_bytes) {
            return Err(format!(
                "evidence_max_bytes must be between 1 byte and {} MiB",
                Self::MAX_EVIDENCE_BYTES / (1024 * 1024)
            ));
        }
        if !(1..=52).contains(&self.review_frequency_weeks) {
            return Err("review_frequency_weeks must be between 1 and 52".into());
        }
        if !(1..=365).contains(&self.induction_within_days) {
            return Err("induction_within_days must be between 1 and 365".into());
        }
        if !(1..=52).contains(&self.active_learning_weeks) {
            return Err("active_learning_weeks must be between 1 and 52".into());
        }
        if self.timezone.parse::<chrono_tz::Tz>().is_err() {
            return Err("timezone must be an IANA time zone name such as Europe/London".into());
        }
        if let Some(ukprn) = &self.ukprn
            && let Err(e) = crate::ilr::check_ukprn(ukprn)
        {
            return Err(format!("ukprn {e}"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unset_keys_take_the_defaults() {
        let s = TenantSettings::from_json(&serde_json::json!({ "track": { "margin_points": 15 } }))
            .unwrap_or_default();
        assert_eq!(s.track.margin_points, 15.0);
        assert_eq!(s.track.basis, TrackBasis::Mapped);
        assert_eq!(s.track.grace_percent, 25.0);
        assert_eq!(s.review_frequency_weeks, 12);
        assert_eq!(
            TenantSettings::from_json(&serde_json::json!({})),
            Ok(TenantSettings::default())
        );
    }

    #[test]
    fn out_of_range_and_unknown_settings_are_refused() {
        assert!(
            TenantSettings::from_json(&serde_json::json!({ "track": { "margin_points": 101 } }))
                .is_err()
        );
        assert!(
            TenantSettings::from_json(&serde_json::json!({ "evidence_max_bytes": 0 })).is_err()
        );
        assert!(TenantSettings::from_json(&serde_json::json!({ "colour": "red" })).is_err());
        assert!(
            TenantSettings::from_json(&serde_json::json!({ "timezone": "Mars/Olympus" })).is_err()
        );
        let belfast =
            TenantSettings::from_json(&serde_json::json!({ "timezone": "Europe/Belfast" }))
                .unwrap_or_default();
        assert_eq!(belfast.tz(), chrono_tz::Europe::Belfast);
    }
}
