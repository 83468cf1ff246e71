//! Internal comments on a learner: notes staff keep about an enrolment, never shown to the
//! learner.
//!
//! Who may do what is `folio_domain::access::internal_comment_access`: admins and the
//! enrolment's own assessor and IQA write (each edits only their own comments; an author or
//! an admin deletes), auditors read, and everyone else — the learner and their employer
//! included — gets 404 for the list and for every comment, exactly as for an id that does
//! not exist, so a learner cannot even learn that comments exist. Whoever cannot see the
//! enrolment at all (another caseload, another organisation) gets 404 too.

use folio_db::comments as queries;
use folio_db::enrolments::Enrolment;
use folio_domain::access::{
    CommentAccess, internal_comment_access, may_delete_comment, may_edit_comment,
};
use folio_domain::messages::CommentText;
use uuid::Uuid;

pub use folio_db::comments::Comment;

use crate::paging::{decode_id_cursor, next_id_cursor, page_limit};
use crate::{Error, Result, UnitOfWork};

/// A page of comments, newest first.
#[derive(Debug)]
pub struct CommentPage {
    /// Comments.
    pub items: Vec<Comment>,
    /// The cursor of the next page; none on the last.
    pub next_cursor: Option<String>,
}

/// The enrolment and what the caller may do with its comments: 404 if they cannot see the
/// enrolment or may not even read its comments.
async fn enrolment_for_comments(
    uow: &mut UnitOfWork,
    id: Uuid,
) -> Result<(Enrolment, CommentAccess)> {
    let enrolment = uow.visible_enrolment(id).await?;
    let relation = uow.principal.relation_to(&enrolment);
    match internal_comment_access(&uow.principal.roles, relation) {
        CommentAccess::None => Err(Error::NotFound),
        access => Ok((enrolment.into_inner(), access)),
    }
}

/// A comment the caller may read, with their access to it; 404 otherwise. With `lock`, the
/// comment stays locked until the unit of work ends.
async fn readable(uow: &mut UnitOfWork, id: Uuid, lock: bool) -> Result<(Comment, CommentAccess)> {
    let comment = if lock {
        queries::get_for_update(&mut uow.tx, id).await?
    } else {
        queries::get(&mut uow.tx, id).await?
    };
    let (_, access) = enrolment_for_comments(uow, comment.enrolment_id).await?;
    Ok((comment, access))
}

fn parse_text(raw: &str) -> Result<CommentText> {
    CommentText::parse(raw).map_err(|e| Error::invalid("text", e))
}

/// Whether the caller may write comments on the enrolment (the rule [`write`] applies):
/// an auditor reads them and is offered no form.
pub async fn may_write(uow: &mut UnitOfWork, enrolment_id: Uuid) -> Result<bool> {
    match enrolment_for_comments(uow, enrolment_id).await {
        Ok((_, access)) => Ok(access == CommentAccess::Write),
        Err(Error::NotFound) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Writes an internal comment on a learner (admins, the learner's assessor and IQA;
/// auditors get 403; the learner, their employer and anyone else 404).
pub async fn write(uow: &mut UnitOfWork, enrolment_id: Uuid, text: &str) -> Result<Comment> {
    let (enrolment, access) = enrolment_for_comments(uow, enrolment_id).await?;
    if access != CommentAccess::Write {
        return Err(Error::Forbidden);
    }
    let text = parse_text(text)?;
    let comment_id = Uuid::now_v7();
    let author = uow.principal.user_id;
    let comment =
        queries::insert(&mut uow.tx, comment_id, enrolment.id, author, text.as_str()).await?;
    let details = serde_json::json!({
        "enrolment_id": enrolment.id,
        "chars": text.as_str().chars().count(),
    });
    uow.audit(
        "internal_comment.create",
        "internal_comment",
        comment_id,
        details,
    )
    .await?;
    Ok(comment)
}

/// A learner's internal comments, newest first, a page at a time (staff who may read them;
/// anyone else 404).
pub async fn list(
    uow: &mut UnitOfWork,
    enrolment_id: Uuid,
    cursor: Option<&str>,
    limit: Option<i64>,
) -> Result<CommentPage> {
    let (enrolment, _) = enrolment_for_comments(uow, enrolment_id).await?;
    let before = decode_id_cursor(cursor)?;
    let limit = page_limit(limit)?;
    let page = queries::list(&mut uow.tx, enrolment.id, before, limit).await?;
    let next_cursor = next_id_cursor(&page, |c| c.id);
    Ok(CommentPage {
        items: page.items,
        next_cursor,
    })
}

/// One internal comment (staff who may read the learner's comments; anyone else 404).
pub async fn get(uow: &mut UnitOfWork, id: Uuid) -> Result<Comment> {
    Ok(readable(uow, id, false).await?.0)
}

/// Replaces an internal comment's text (its author only, while they may still write on
/// the learner; other staff get 403).
pub async fn edit(uow: &mut UnitOfWork, id: Uuid, text: &str) -> Result<Comment> {
    let (comment, access) = readable(uow, id, true).await?;
    if !may_edit_comment(access, comment.author_id == uow.principal.user_id) {
        return Err(Error::Forbidden);
    }
    let text = parse_text(text)?;
    let updated = queries::update(&mut uow.tx, id, text.as_str()).await?;
    let details = serde_json::json!({
        "enrolment_id": comment.enrolment_id,
        "chars_before": comment.body.chars().count(),
        "chars": text.as_str().chars().count(),
    });
    uow.audit("internal_comment.update", "internal_comment", id, details)
        .await?;
    Ok(updated)
}

/// Deletes an internal comment (its author, or an admin; other staff get 403).
pub async fn delete(uow: &mut UnitOfWork, id: Uuid) -> Result<()> {
    let (comment, access) = readable(uow, id, true).await?;
    let p = &uow.principal;
    if !may_delete_comment(access, comment.author_id == p.user_id, &p.roles) {
        return Err(Error::Forbidden);
    }
    queries::delete(&mut uow.tx, id).await?;
    let details = serde_json::json!({
        "enrolment_id": comment.enrolment_id,
        "author_id": comment.author_id,
        "chars": comment.body.chars().count(),
    });
    uow.audit("internal_comment.delete", "internal_comment", id, details)
        .await
}
