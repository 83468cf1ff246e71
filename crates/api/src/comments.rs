//! Internal comments on a learner: notes staff keep about an enrolment, never shown to the
//! learner.
//!
//! Who may do what is `folio_domain::access::internal_comment_access`: admins and the
//! enrolment's own assessor and IQA write (each edits only their own comments; an author or
//! an admin deletes), auditors read, and everyone else — the learner and their employer
//! included — gets 404 for the list and for every comment, exactly as for an id that does
//! not exist, so a learner cannot even learn that comments exist. Whoever cannot see the
//! enrolment at all (another caseload, another organisation) gets 404 too.

use chrono::{DateTime, Utc};
use folio_db::comments::{self as queries, Comment};
use folio_db::enrolments::Enrolment;
use folio_domain::access::{
    CommentAccess, EnrolmentRelation, internal_comment_access, may_delete_comment, may_edit_comment,
};
use folio_domain::messages::CommentText;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi, Tags};
use serde::Deserialize;
use uuid::Uuid;

use crate::AppState;
use crate::json_body::JsonBody;
use crate::pagination::{decode_id_cursor, page_limit};
use crate::principal::{Authenticated, Credentials};
use crate::problem::{ApiResult, AppError, AppResult};

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

/// The enrolment and what the caller may do with its comments: 404 if they cannot see the
/// enrolment or may not even read its comments.
async fn enrolment_for_comments(
    authed: &mut Authenticated,
    id: Uuid,
) -> AppResult<(Enrolment, CommentAccess)> {
    let enrolment = authed.visible_enrolment(id).await?;
    let me = authed.principal.user_id;
    let relation = EnrolmentRelation {
        learner: enrolment.learner_id == me,
        assessor: enrolment.assessor_id == Some(me),
        iqa: enrolment.iqa_id == Some(me),
    };
    match internal_comment_access(&authed.principal.roles, relation) {
        CommentAccess::None => Err(AppError::NotFound),
        access => Ok((enrolment.into_inner(), access)),
    }
}

/// A comment the caller may read, with their access to it; 404 otherwise. With `lock`, the
/// comment stays locked until the transaction ends.
async fn readable(
    authed: &mut Authenticated,
    id: Uuid,
    lock: bool,
) -> AppResult<(Comment, CommentAccess)> {
    let comment = if lock {
        queries::get_for_update(&mut authed.tx, id).await?
    } else {
        queries::get(&mut authed.tx, id).await?
    };
    let (_, access) = enrolment_for_comments(authed, comment.enrolment_id).await?;
    Ok((comment, access))
}

fn parse_text(raw: &str) -> AppResult<CommentText> {
    CommentText::parse(raw).map_err(|e| AppError::invalid("text", e))
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
        let mut authed = self.0.authenticate(&credentials).await?;
        let (enrolment, access) = enrolment_for_comments(&mut authed, id.0).await?;
        if access != CommentAccess::Write {
            return Err(AppError::Forbidden.into());
        }
        let text = parse_text(&body.0.text)?;
        let comment_id = Uuid::now_v7();
        let author = authed.principal.user_id;
        let comment = queries::insert(
            &mut authed.tx,
            comment_id,
            enrolment.id,
            author,
            text.as_str(),
        )
        .await?;
        let details = serde_json::json!({
            "enrolment_id": enrolment.id,
            "chars": text.as_str().chars().count(),
        });
        authed
            .audit(
                "internal_comment.create",
                "internal_comment",
                comment_id,
                details,
            )
            .await?;
        authed.tx.commit().await?;
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
        let mut authed = self.0.authenticate(&credentials).await?;
        let (enrolment, _) = enrolment_for_comments(&mut authed, id.0).await?;
        let before = decode_id_cursor(cursor.0.as_deref())?;
        let limit = page_limit(limit.0)?;
        let page = queries::list(&mut authed.tx, enrolment.id, before, limit).await?;
        authed.tx.commit().await?;
        let next_cursor = page
            .has_more
            .then(|| page.items.last().map(|c| c.id.to_string()))
            .flatten();
        Ok(Json(InternalCommentPage {
            items: page.items.into_iter().map(Into::into).collect(),
            next_cursor,
        }))
    }

    /// One internal comment (staff who may read the learner's comments; anyone else 404).
    #[oai(path = "/comments/:id", method = "get")]
    async fn get(
        &self,
        credentials: Credentials,
        id: Path<Uuid>,
    ) -> ApiResult<Json<InternalCommentBody>> {
        let mut authed = self.0.authenticate(&credentials).await?;
        let (comment, _) = readable(&mut authed, id.0, false).await?;
        authed.tx.commit().await?;
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
        let mut authed = self.0.authenticate(&credentials).await?;
        let (comment, access) = readable(&mut authed, id.0, true).await?;
        if !may_edit_comment(access, comment.author_id == authed.principal.user_id) {
            return Err(AppError::Forbidden.into());
        }
        let text = parse_text(&body.0.text)?;
        let updated = queries::update(&mut authed.tx, id.0, text.as_str()).await?;
        let details = serde_json::json!({
            "enrolment_id": comment.enrolment_id,
            "chars_before": comment.body.chars().count(),
            "chars": text.as_str().chars().count(),
        });
        authed
            .audit("internal_comment.update", "internal_comment", id.0, details)
            .await?;
        authed.tx.commit().await?;
        Ok(Json(updated.into()))
    }

    /// Delete an internal comment (its author, or an admin; other staff get 403).
    #[oai(path = "/comments/:id", method = "delete")]
    async fn delete(&self, credentials: Credentials, id: Path<Uuid>) -> ApiResult<DeletedComment> {
        let mut authed = self.0.authenticate(&credentials).await?;
        let (comment, access) = readable(&mut authed, id.0, true).await?;
        let p = &authed.principal;
        if !may_delete_comment(access, comment.author_id == p.user_id, &p.roles) {
            return Err(AppError::Forbidden.into());
        }
        queries::delete(&mut authed.tx, id.0).await?;
        let details = serde_json::json!({
            "enrolment_id": comment.enrolment_id,
            "author_id": comment.author_id,
            "chars": comment.body.chars().count(),
        });
        authed
            .audit("internal_comment.delete", "internal_comment", id.0, details)
            .await?;
        authed.tx.commit().await?;
        Ok(DeletedComment::Deleted)
    }
}
