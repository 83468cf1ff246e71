//! Course resources ("files from course"): a portfolio's tab listing the files the
//! organisation added to the learner's course, to read or download, for everyone who sees
//! the portfolio; and the admin's list on the course's page, where files are added and
//! removed. Read through the use cases in one unit of work and rendered from a typed view.

use chrono::{DateTime, Utc};
use folio_app::course_resources::{self, CourseResource};
use folio_app::progress;
use poem::web::{Data, Path};
use poem::{Request, handler};
use serde::Serialize;
use uuid::Uuid;

use super::portfolio::OverviewView;
use super::{Flash, PageResult, Web, path_id};

/// A resource, as listed.
#[derive(Debug, Serialize)]
pub(super) struct ResourceRow {
    id: Uuid,
    title: String,
    description: Option<String>,
    file_name: String,
    /// Its size in words: "840 bytes", "12 KB", "3.4 MB".
    size: String,
    uploaded_at: DateTime<Utc>,
    /// The file itself (served as a download).
    download: String,
    /// Where a form that removes it posts.
    api: String,
}

impl From<CourseResource> for ResourceRow {
    fn from(r: CourseResource) -> Self {
        Self {
            download: format!("/api/v1/course-resources/{}/file", r.id),
            api: format!("/api/v1/course-resources/{}", r.id),
            id: r.id,
            title: r.title,
            description: r.description,
            file_name: r.file_name,
            size: size_words(r.size_bytes),
            uploaded_at: r.uploaded_at,
        }
    }
}

/// A file's size as people say it: bytes under a kilobyte, whole kilobytes under a
/// megabyte, then megabytes to one decimal place (1 KB = 1024 bytes, as file managers
/// count).
pub(super) fn size_words(bytes: i64) -> String {
    const KB: i64 = 1024;
    const MB: i64 = 1024 * 1024;
    if bytes < KB {
        format!("{bytes} bytes")
    } else if bytes < MB {
        format!("{} KB", (bytes + KB / 2) / KB)
    } else {
        // Tenths of a megabyte, rounded half up, in whole numbers.
        let tenths = (bytes * 10 + MB / 2) / MB;
        format!("{}.{} MB", tenths / 10, tenths % 10)
    }
}

/// A course's resources, by title.
pub(super) fn rows(resources: Vec<CourseResource>) -> Vec<ResourceRow> {
    resources.into_iter().map(ResourceRow::from).collect()
}

/// The portfolio's "Files from course" tab.
#[derive(Debug, Serialize)]
struct ResourcesPage {
    /// The enrolment.
    id: Uuid,
    overview: OverviewView,
    resources: Vec<ResourceRow>,
}

/// `/app/enrolments/{id}/resources`.
#[handler]
pub(super) async fn resources_page(
    req: &Request,
    web: Data<&Web>,
    Path(id): Path<String>,
    flash: Flash,
) -> PageResult {
    let (viewer, page) = web
        .read_page(req, async |uow, _| {
            let id = path_id(&id)?;
            let overview = progress::overview(uow, id).await?;
            let resources = course_resources::list(uow, overview.enrolment.course_id).await?;
            Ok(ResourcesPage {
                id,
                overview: OverviewView::from(overview),
                resources: rows(resources),
            })
        })
        .await?;
    Ok(web.typed_page(&viewer, "resources", "Files from course", &page, flash))
}

#[cfg(test)]
mod tests {
    use super::size_words;

    #[test]
    fn sizes_read_as_people_say_them() {
        assert_eq!(size_words(0), "0 bytes");
        assert_eq!(size_words(1023), "1023 bytes");
        // 1536 bytes = 1.5 KB, rounded half up to 2 KB.
        assert_eq!(size_words(1536), "2 KB");
        // 1048575 bytes: 1023.999 KB rounds to 1024 KB, still under 1 MB.
        assert_eq!(size_words(1_048_575), "1024 KB");
        // 3.4 MB = 3565158.4 bytes: 3565158 * 10 / 1048576 = 33.99..., rounded to 34 tenths.
        assert_eq!(size_words(3_565_158), "3.4 MB");
        assert_eq!(size_words(1_048_576), "1.0 MB");
    }
}
