//! Internal comments on a learner: notes staff keep about an enrolment, never shown to the
//! learner.
//!
//! Adapters over `folio_app::comments`, where who may read, write, edit and delete them
//! is written.

use chrono::{DateTime, Utc};
use folio_app::comments::{self, Comment};
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi, Tags};
use serde::Deserialize;
use uuid::Uuid;

use crate::AppState;
use crate::json_body::JsonBody;
use crate::principal::Credentials;
use crate::problem::ApiResult;

#[derive(Tags)]
enum CommentsTag {
    /// Internal comments on a learner, for staff only.
    InternalComments,
}

/// `/api/v1/enrolments/{id}/comments` and `/api/v1/comments/{id}`.
pub struct CommentsApi(pub AppState);

/// An internal comment.
#[derive(Debug, Object)]
struct InternalCommentBody {
    /// Id.
    id: Uuid,
    /// The enrolment it is about.
    enrolment_id: Uuid,
    /// Who wrote it.
    author_id: Uuid,
    /// Their name.
    author_name: String,
    /// The text.
    text: String,
    /// Written.
    created_at: DateTime<Utc>,
    /// Last edited (equal to `created_at` until it is).
    updated_at: DateTime<Utc>,
    /// Whether it was edited after it was written.
    edited: bool,
}

impl From<Comment> for InternalCommentBody {
    fn from(c: Comment) -> Self {
        Self {
            id: c.id,
            enrolment_id: c.enrolment_id,
            author_id: c.author_id,
            author_name: c.author_name,
            text: c.body,
            created_at: c.created_at,
            updated_at: c.updated_at,
            edited: c.updated_at > c.created_at,
        }
    }
}

/// A page of comments, newest first.
#[derive(Debug, Object)]
struct InternalCommentPage {
    /// Comments.
    items: Vec<InternalCommentBody>,
    /// Pass as `cursor` for the next page; absent on the last.
    next_cursor: Option<String>,
}

/// A comment's text, new or replacing.
#[derive(Debug, Object, Deserialize)]
struct InternalCommentRequest {
    /// 1–5000 characters; newlines are kept.
    text: String,
}

#[derive(ApiResponse)]
enum CreatedComment {
    /// Written.
    #[oai(status = 201)]
    Created(Json<InternalCommentBody>),
}

#[derive(ApiResponse)]
enum DeletedComment {
    /// Deleted.
    #[oai(status = 204)]
    Deleted,
}

#[OpenApi(prefix_path = "/api/v1", tag = "CommentsTag::InternalComments")]
impl CommentsApi {
    /// Write an internal comment on a learner (admins, the learner's assessor and IQA;
    /// auditors get 403; the learner, their employer and anyone else 404).
    #[oai(path = "/enrolments/:id/comments", method = "post")]
    async fn create(
        &self,
        credentials: Credentials,
        id: Path<Uuid>,
        body: JsonBody<InternalCommentRequest>,
    ) -> ApiResult<CreatedComment> {
        let mut uow = self.0.authenticate(&credentials).await?;
        let comment = comments::write(&mut uow, id.0, &body.0.text).await?;
        uow.commit().await?;
        Ok(CreatedComment::Created(Json(comment.into())))
    }

    /// A learner's internal comments, newest first (staff who may read them; anyone else
    /// 404).
    #[oai(path = "/enrolments/:id/comments", method = "get")]
    async fn list(
        &self,
        credentials: Credentials,
        id: Path<Uuid>,
        /// From a previous page's `next_cursor`.
        cursor: Query<Option<String>>,
        /// Page size, 1-200 (default 50).
        limit: Query<Option<i64>>,
    ) -> ApiResult<Json<InternalCommentPage>> {
        let mut uow = self.0.authenticate(&credentials).await?;
        let page = comments::list(&mut uow, id.0, cursor.0.as_deref(), limit.0).await?;
        uow.commit().await?;
        Ok(Json(InternalCommentPage {
            items: page.items.into_iter().map(Into::into).collect(),
            next_cursor: page.next_cursor,
        }))
    }

    /// One internal comment (staff who may read the learner's comments; anyone else 404).
    #[oai(path = "/comments/:id", method = "get")]
    async fn get(
        &self,
        credentials: Credentials,
        id: Path<Uuid>,
    ) -> ApiResult<Json<InternalCommentBody>> {
        let mut uow = self.0.authenticate(&credentials).await?;
        let comment = comments::get(&mut uow, id.0).await?;
        uow.commit().await?;
        Ok(Json(comment.into()))
    }

    /// Replace an internal comment's text (its author only, while they may still write on
    /// the learner; other staff get 403).
    #[oai(path = "/comments/:id", method = "put")]
    async fn update(
        &self,
        credentials: Credentials,
        id: Path<Uuid>,
        body: JsonBody<InternalCommentRequest>,
    ) -> ApiResult<Json<InternalCommentBody>> {
        let mut uow = self.0.authenticate(&credentials).await?;
        let comment = comments::edit(&mut uow, id.0, &body.0.text).await?;
        uow.commit().await?;
        Ok(Json(comment.into()))
    }

    /// Delete an internal comment (its author, or an admin; other staff get 403).
    #[oai(path = "/comments/:id", method = "delete")]
    async fn delete(&self, credentials: Credentials, id: Path<Uuid>) -> ApiResult<DeletedComment> {
        let mut uow = self.0.authenticate(&credentials).await?;
        comments::delete(&mut uow, id.0).await?;
        uow.commit().await?;
        Ok(DeletedComment::Deleted)
    }
}
