//! The person's own profile page.

use folio_app::{notifications, profile, routes};
use poem::web::Data;
use poem::{Request, handler};
use serde::Serialize;

use super::{Flash, PageResult, Web};

#[handler]
pub(super) async fn profile_page(req: &Request, web: Data<&Web>, flash: Flash) -> PageResult {
    let (viewer, (mine, digests)) = web
        .read_page(req, async |uow, _| {
            Ok((
                profile::mine(uow).await?,
                notifications::digests(uow).await?,
            ))
        })
        .await?;
    let view = ProfilePage {
        photo: mine
            .has_photo()
            .then(|| format!("/api/v1/users/{}/profile/photo", mine.user_id)),
        phone: mine.profile.phone,
        personal_statement: mine.profile.personal_statement,
        employment_history: mine.profile.employment_history,
        qualifications: mine.profile.qualifications,
        skills: mine.profile.skills,
        interests: mine.profile.interests,
        digests,
        page: routes::PROFILE.pattern(),
    };
    Ok(web.typed_page(&viewer, "profile", "Profile", &view, flash))
}

/// The viewer's own profile page.
#[derive(Debug, Serialize)]
struct ProfilePage {
    /// Their photo, if they have one.
    photo: Option<String>,
    phone: Option<String>,
    personal_statement: Option<String>,
    employment_history: Option<String>,
    qualifications: Option<String>,
    skills: Option<String>,
    interests: Option<String>,
    /// Whether they receive the daily digests.
    digests: bool,
    /// This page.
    page: &'static str,
}
