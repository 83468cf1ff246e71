//! "Forgot password?" and the page a link to set a password opens (invitations and
//! resets). Both work without a session; their forms post through the pages' same-site
//! rule like the sign-in form.

use folio_app::Error as AppError;
use folio_app::password_links::{self, ResetRequest, SetPassword};
use folio_app::routes;
use poem::http::StatusCode;
use poem::web::{Data, Form, Query};
use poem::{Response, handler};
use serde::Deserialize;
use serde_json::json;

use crate::{Web, field_messages, organisation, redirect};

#[derive(Deserialize)]
pub(crate) struct ForgotQuery {
    org: Option<String>,
}

#[derive(Deserialize)]
pub(crate) struct ForgotForm {
    tenant: String,
    email: String,
}

fn forgot_form(
    web: &Web,
    org: serde_json::Value,
    slug: &str,
    email: &str,
    sent: bool,
    problem: Option<&str>,
) -> Response {
    let tenant_name = org.get("name").cloned().unwrap_or_default();
    web.render(
        None,
        "forgot_password",
        "Forgot your password?",
        json!({
            "tenant_name": tenant_name,
            "slug": slug,
            "email": email,
            "sent": sent,
            "problem": problem,
            "sign_in_url": if slug.is_empty() { routes::sign_in(None) } else { routes::sign_in_at(slug) },
        }),
    )
}

#[handler]
pub(crate) async fn forgot_page(web: Data<&Web>, Query(q): Query<ForgotQuery>) -> Response {
    let slug = q.org.unwrap_or_default();
    let org = organisation(&web, Some(&slug)).await;
    forgot_form(&web, org, &slug, "", false, None)
}

/// Always the same answer for an address with or without an account.
#[handler]
pub(crate) async fn forgot_submit(web: Data<&Web>, Form(form): Form<ForgotForm>) -> Response {
    let (slug, email) = (form.tenant.trim(), form.email.trim());
    let request = ResetRequest {
        tenant: slug,
        email,
    };
    let org = organisation(&web, Some(slug)).await;
    match password_links::request_reset(&web.state.db, &web.state.secrets, &request).await {
        Ok(()) => forgot_form(&web, org, slug, email, true, None),
        Err(AppError::Validation(errors)) => {
            let mut page = forgot_form(
                &web,
                org,
                slug,
                email,
                false,
                Some(&field_messages(&errors)),
            );
            page.set_status(StatusCode::UNPROCESSABLE_ENTITY);
            page
        }
        Err(e) => {
            tracing::error!(error = %e, "password reset request failed");
            let message =
                "Sending the e-mail is not possible just now. Please try again in a minute.";
            let mut page = forgot_form(&web, org, slug, email, false, Some(message));
            page.set_status(StatusCode::SERVICE_UNAVAILABLE);
            page
        }
    }
}

#[derive(Deserialize)]
pub(crate) struct SetPasswordQuery {
    token: Option<String>,
}

#[derive(Deserialize)]
pub(crate) struct SetPasswordForm {
    token: String,
    password: String,
    confirm: String,
}

fn set_password_form(web: &Web, token: Option<&str>, problem: Option<&str>) -> Response {
    web.render(
        None,
        "set_password",
        "Choose your password",
        json!({
            "token": token,
            "problem": problem,
            "forgot_url": routes::FORGOT_PASSWORD.pattern(),
        }),
    )
}

fn not_usable(web: &Web) -> Response {
    let mut page = set_password_form(web, None, Some(&AppError::PasswordLinkNotUsable.detail()));
    page.set_status(StatusCode::GONE);
    page
}

#[handler]
pub(crate) async fn set_password_page(
    web: Data<&Web>,
    Query(q): Query<SetPasswordQuery>,
) -> Response {
    let token = q.token.unwrap_or_default();
    match password_links::usable(&web.state.db, &token).await {
        Ok(true) => set_password_form(&web, Some(&token), None),
        Ok(false) => not_usable(&web),
        Err(e) => {
            tracing::error!(error = %e, "password link check failed");
            web.error_page(
                None,
                StatusCode::SERVICE_UNAVAILABLE,
                "Please try again",
                "This page cannot be shown just now. Please try again in a minute.",
            )
        }
    }
}

#[handler]
pub(crate) async fn set_password_submit(
    web: Data<&Web>,
    Form(form): Form<SetPasswordForm>,
) -> Response {
    if form.password != form.confirm {
        let mut page = set_password_form(
            &web,
            Some(&form.token),
            Some("The two passwords are not the same. Type the same password in both boxes."),
        );
        page.set_status(StatusCode::UNPROCESSABLE_ENTITY);
        return page;
    }
    let request = SetPassword {
        token: &form.token,
        password: &form.password,
    };
    match password_links::set_password(&web.state.db, &request).await {
        Ok(slug) => redirect(&routes::password_set(&slug)),
        Err(AppError::PasswordLinkNotUsable) => not_usable(&web),
        Err(AppError::Validation(errors)) => {
            let mut page =
                set_password_form(&web, Some(&form.token), Some(&field_messages(&errors)));
            page.set_status(StatusCode::UNPROCESSABLE_ENTITY);
            page
        }
        Err(e) => {
            tracing::error!(error = %e, "setting a password failed");
            let message =
                "Your password could not be saved just now. Please try again in a minute.";
            let mut page = set_password_form(&web, Some(&form.token), Some(message));
            page.set_status(StatusCode::SERVICE_UNAVAILABLE);
            page
        }
    }
}
