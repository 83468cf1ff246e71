//! Two-step sign-in in the pages: the code asked for after the right password, and the
//! profile page where a person turns it on (QR code, first code, recovery codes) or off.

use folio_app::Disclaimer;
use folio_app::Error as AppError;
use folio_app::routes::{self, local_path};
use folio_app::two_factor;
use poem::http::StatusCode;
use poem::web::{Data, Form};
use poem::{IntoResponse, Request, Response, handler};
use serde::Deserialize;
use serde_json::json;

use crate::{PageResult, Web, field_messages, signed_in_response};

/// The page asking for the code, carrying the sign-in's challenge.
pub(crate) fn code_page(web: &Web, challenge: &str, next: &str, problem: Option<&str>) -> Response {
    web.render(
        None,
        "sign_in_code",
        "Enter your code",
        json!({
            "challenge": challenge,
            "next": next,
            "problem": problem,
            "action": routes::SIGN_IN_CODE.pattern(),
        }),
    )
}

#[derive(Deserialize)]
pub(crate) struct CodeForm {
    challenge: String,
    code: String,
    next: Option<String>,
}

#[handler]
pub(crate) async fn code_submit(web: Data<&Web>, Form(form): Form<CodeForm>) -> Response {
    let next = local_path(form.next.as_deref()).unwrap_or(routes::APP_PREFIX);
    let state = &web.state;
    let finished = two_factor::finish_sign_in(
        &state.db,
        &state.secrets,
        state.session_ttl,
        &form.challenge,
        &form.code,
    )
    .await;
    let (challenge, err) = match finished {
        Ok(signed_in) => return signed_in_response(state, &signed_in.session.token, next),
        Err(e @ AppError::TwoFactorCodeWrong) => (Some(form.challenge.as_str()), e),
        Err(e @ AppError::TwoFactorExpired) => (None, e),
        Err(e) => {
            tracing::error!(error = %e, "two-step sign-in failed");
            let mut page = code_page(
                &web,
                &form.challenge,
                next,
                Some("Signing in is not possible just now. Please try again in a minute."),
            );
            page.set_status(StatusCode::SERVICE_UNAVAILABLE);
            return page;
        }
    };
    let mut page = match challenge {
        Some(challenge) => code_page(&web, challenge, next, Some(&err.detail())),
        // Ended: the sign-in page, saying why.
        None => web.render(
            None,
            "sign_in_code",
            "Sign in again",
            json!({ "problem": err.detail(), "sign_in_url": routes::sign_in(Some(next)) }),
        ),
    };
    page.set_status(StatusCode::UNAUTHORIZED);
    page
}

#[derive(Deserialize)]
pub(crate) struct SettingsForm {
    /// `begin`, `confirm` or `off`.
    action: String,
    code: Option<String>,
}

#[handler]
pub(crate) async fn settings_page(req: &Request, web: Data<&Web>) -> PageResult {
    // Reachable when a required two-step sign-in is not set up yet: it is where it is.
    let (mut uow, viewer) = web.signed_in(req, Disclaimer::NotYetNeeded).await?;
    let status = two_factor::status(&mut uow).await;
    let status = web.read(&viewer, status)?;
    web.finish(&viewer, uow).await?;
    Ok(web.render(
        Some(&viewer),
        "two_step",
        "Two-step sign-in",
        json!({ "on": status.on, "recovery_codes_left": status.recovery_codes_left }),
    ))
}

#[handler]
pub(crate) async fn settings_submit(
    req: &Request,
    web: Data<&Web>,
    Form(form): Form<SettingsForm>,
) -> PageResult {
    let secrets = web.state.secrets.clone();
    let code = form.code.unwrap_or_default();
    let (mut uow, viewer) = web.signed_in(req, Disclaimer::NotYetNeeded).await?;
    let (data, status) = match form.action.as_str() {
        "begin" => match two_factor::begin(&mut uow, &secrets).await {
            Ok(new) => (
                json!({ "confirming": true, "secret": new.secret, "qr_svg": new.qr_svg }),
                StatusCode::OK,
            ),
            Err(e) => return Err(web.app_refusal(Some(&viewer), &e)),
        },
        "confirm" => match two_factor::confirm(&mut uow, &secrets, &code).await {
            Ok(codes) => (
                json!({ "on": true, "recovery_codes": codes,
                        "notice": "Two-step sign-in is on." }),
                StatusCode::OK,
            ),
            Err(AppError::Validation(errors)) => (
                json!({ "confirming": true, "problem": field_messages(&errors) }),
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
            Err(e) => return Err(web.app_refusal(Some(&viewer), &e)),
        },
        // A wrong code is counted: the work is committed whatever the answer.
        "off" => match two_factor::turn_off(&mut uow, &secrets, &code)
            .await
            .map(two_factor::TurnOff::into_result)
        {
            Ok(Ok(())) => (
                json!({ "on": false, "notice": "Two-step sign-in is off." }),
                StatusCode::OK,
            ),
            Ok(Err(AppError::Validation(errors))) => (
                json!({ "on": true, "problem": field_messages(&errors) }),
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
            Ok(Err(e)) => {
                web.finish(&viewer, uow).await?;
                return Err(web.app_refusal(Some(&viewer), &e));
            }
            Err(e) => return Err(web.app_refusal(Some(&viewer), &e)),
        },
        _ => {
            return Err(web.app_refusal(
                Some(&viewer),
                &AppError::invalid("action", "must be begin, confirm or off"),
            ));
        }
    };
    web.finish(&viewer, uow).await?;
    let mut page = web.render(Some(&viewer), "two_step", "Two-step sign-in", data);
    page.set_status(status);
    Ok(page.into_response())
}
