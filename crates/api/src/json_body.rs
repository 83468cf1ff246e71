//! A JSON request body that reports errors by field.
//!
//! poem-openapi's own `Json<T>` names the type but not the field that failed to parse.
//! This payload keeps the schema poem-openapi generates for `T` but parses with serde and
//! `serde_path_to_error`, so a client is told `roles[1]: unknown variant` or
//! `email: missing`, and reads the body with a size bound.

use poem::{Request, RequestBody};
use poem_openapi::payload::{ParsePayload, Payload};
use poem_openapi::registry::{MetaSchemaRef, Registry};
use poem_openapi::types::Type;
use serde::de::DeserializeOwned;
use tokio::io::AsyncReadExt;

use crate::problem::{ApiError, AppError, FieldError};

/// The largest JSON body accepted.
pub const MAX_JSON_BYTES: usize = 1024 * 1024;

/// A JSON request body parsed into `T`.
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

impl<T: Type> Payload for JsonBody<T> {
    const CONTENT_TYPE: &'static str = "application/json; charset=utf-8";

    fn check_content_type(content_type: &str) -> bool {
        matches!(content_type.parse::<mime::Mime>(), Ok(ct) if ct.type_() == "application"
            && (ct.subtype() == "json" || ct.suffix().is_some_and(|s| s == "json")))
    }

    fn schema_ref() -> MetaSchemaRef {
        T::schema_ref()
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }
}

impl<T: Type + DeserializeOwned + Send> ParsePayload for JsonBody<T> {
    const IS_REQUIRED: bool = true;

    async fn from_request(_request: &Request, body: &mut RequestBody) -> poem::Result<Self> {
        let mut bytes = Vec::new();
        body.take()?
            .into_async_read()
            .take(MAX_JSON_BYTES as u64 + 1)
            .read_to_end(&mut bytes)
            .await
            .map_err(|e| ApiError(AppError::MalformedBody(e.to_string())))?;
        if bytes.len() > MAX_JSON_BYTES {
            return Err(ApiError(AppError::PayloadTooLarge {
                limit: MAX_JSON_BYTES,
            })
            .into());
        }
        Ok(Self(parse(&bytes).map_err(ApiError)?))
    }
}

poem_openapi::impl_apirequest_for_payload!(JsonBody<T>, T: Type + DeserializeOwned + Send);

/// Reads `null` as the field's default (an empty list, `false`), as the document promises:
/// it marks every optional field nullable. For `#[serde(default, deserialize_with = …)]`
/// fields that are not `Option`s.
pub(crate) fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Default + serde::Deserialize<'de>,
{
    Ok(<Option<T> as serde::Deserialize>::deserialize(deserializer)?.unwrap_or_default())
}

/// Parses `bytes` as `T`, naming the field at fault.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(AppError::MalformedBody("the body is empty".into()));
    }
    // Syntax first, so a body that is not JSON at all is reported as such even when it
    // starts like a valid object with a field missing.
    serde_json::from_slice::<serde::de::IgnoredAny>(bytes)
        .map_err(|e| AppError::MalformedBody(e.to_string()))?;
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        if inner.is_data() {
            AppError::Validation(vec![field_error(&path, &inner)])
        } else {
            AppError::MalformedBody(inner.to_string())
        }
    })?;
    deserializer
        .end()
        .map_err(|e| AppError::MalformedBody(e.to_string()))?;
    Ok(value)
}

fn field_error(path: &str, err: &serde_json::Error) -> FieldError {
    // serde's message without its " at line 1 column 7" suffix.
    let message = err.to_string();
    // (Only the last: the value given, quoted in the message, may hold the words too.)
    let message = message
        .rsplit_once(" at line ")
        .map_or(message.as_str(), |(m, _)| m)
        .to_owned();
    // A missing field is reported at its parent, with the field's name in backticks.
    if let Some(name) = message
        .strip_prefix("missing field `")
        .and_then(|m| m.split('`').next())
    {
        let field = if path == "." {
            name.to_owned()
        } else {
            format!("{path}.{name}")
        };
        return FieldError::new(field, "is required");
    }
    let field = if path == "." {
        "body".to_owned()
    } else {
        path.to_owned()
    };
    FieldError::new(field, in_words(&message))
}

/// serde's account of a wrong value, in the words a person uses: `invalid type: string
/// "1.5", expected i64` is "must be a whole number (you gave "1.5")". A message it does not
/// recognise is kept as it is.
fn in_words(message: &str) -> String {
    if let Some(rest) = message.strip_prefix("unknown variant `") {
        // unknown variant `root`, expected one of `admin`, `learner` (the value given may
        // hold backticks or the word "expected": split at the last "`, expected ")
        let (given, tail) = rest.rsplit_once("`, expected ").unwrap_or((rest, ""));
        let choices: Vec<&str> = tail.split('`').skip(1).step_by(2).collect();
        return if choices.is_empty() {
            format!("\"{given}\" is not one of the choices")
        } else {
            format!(
                "must be one of {} (you gave \"{given}\")",
                choices.join(", ")
            )
        };
    }
    let Some(rest) = message.strip_prefix("invalid type: ") else {
        return match message {
            m if m.starts_with("invalid value: integer") || m.contains("out of range") => {
                "is too large or too small".to_owned()
            }
            m if m.contains("input contains invalid characters")
                || m.contains("premature end of input")
                || m.contains("trailing input") =>
            {
                "is not a date or time in the expected form (a date is YYYY-MM-DD)".to_owned()
            }
            m if m.starts_with("UUID parsing failed")
                || m.starts_with("invalid character: expected") =>
            {
                "is not a valid id".to_owned()
            }
            m => m.to_owned(),
        };
    };
    // `<what was given>, expected <what was wanted>`
    let (given, wanted) = rest.rsplit_once(", expected ").unwrap_or((rest, ""));
    let wanted = match wanted {
        "i8" | "i16" | "i32" | "i64" | "u8" | "u16" | "u32" | "u64" | "usize" | "isize" => {
            "a whole number"
        }
        "f32" | "f64" => "a number",
        "a boolean" => "true or false",
        w if w.starts_with("a string") || w == "a borrowed string" => "text",
        w if w.starts_with("a sequence") => "a list",
        w if w.starts_with("struct") || w.starts_with("a map") => "an object with fields",
        "" => "something else",
        w => w,
    };
    let given = match given {
        "null" => "nothing".to_owned(),
        g => g
            .strip_prefix("string ")
            .or_else(|| g.strip_prefix("integer `").map(|v| v.trim_end_matches('`')))
            .or_else(|| {
                g.strip_prefix("floating point `")
                    .map(|v| v.trim_end_matches('`'))
            })
            .map_or_else(|| g.to_owned(), str::to_owned),
    };
    format!("must be {wanted} (you gave {given})")
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Login {
        email: String,
        roles: Vec<Role>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "snake_case")]
    enum Role {
        Admin,
    }

    fn errors(body: &str) -> AppError {
        match parse::<Login>(body.as_bytes()) {
            Ok(v) => panic!("parsed {v:?}"),
            Err(e) => e,
        }
    }

    #[test]
    fn a_missing_field_is_named() {
        match errors(r#"{"roles": []}"#) {
            AppError::Validation(e) => assert_eq!(e, vec![FieldError::new("email", "is required")]),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_wrong_element_is_named_by_path() {
        match errors(r#"{"email": "a@b.c", "roles": ["admin", "root"]}"#) {
            AppError::Validation(e) => {
                assert_eq!(e[0].field, "roles[1]");
                assert_eq!(e[0].detail, "must be one of admin (you gave \"root\")");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn wrong_values_are_told_in_words() {
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct Entry {
            minutes: i64,
            hours: f64,
            with_assessor: bool,
            on: chrono::NaiveDate,
            tags: Vec<String>,
        }
        let detail = |body: &str| match parse::<Entry>(body.as_bytes()) {
            Err(AppError::Validation(e)) => (e[0].field.clone(), e[0].detail.clone()),
            other => panic!("{other:?}"),
        };
        let ok = r#""hours": 1, "with_assessor": true, "on": "2026-12-01", "tags": []"#;
        assert_eq!(
            detail(&format!(r#"{{"minutes": "1.5", {ok}}}"#)),
            (
                "minutes".into(),
                "must be a whole number (you gave \"1.5\")".into()
            )
        );
        assert_eq!(
            detail(&format!(r#"{{"minutes": 1.5, {ok}}}"#)),
            (
                "minutes".into(),
                "must be a whole number (you gave 1.5)".into()
            )
        );
        assert_eq!(
            detail(
                r#"{"minutes": 5, "hours": "x", "with_assessor": true, "on": "2026-12-01", "tags": []}"#
            ),
            ("hours".into(), "must be a number (you gave \"x\")".into())
        );
        assert_eq!(
            detail(
                r#"{"minutes": 5, "hours": 1, "with_assessor": "yes", "on": "2026-12-01", "tags": []}"#
            ),
            (
                "with_assessor".into(),
                "must be true or false (you gave \"yes\")".into()
            )
        );
        assert_eq!(
            detail(
                r#"{"minutes": 5, "hours": 1, "with_assessor": true, "on": "1st Dec", "tags": []}"#
            ),
            (
                "on".into(),
                "is not a date or time in the expected form (a date is YYYY-MM-DD)".into()
            )
        );
        assert_eq!(
            detail(
                r#"{"minutes": 5, "hours": 1, "with_assessor": true, "on": "2026-12-01", "tags": "a"}"#
            ),
            ("tags".into(), "must be a list (you gave \"a\")".into())
        );
        assert_eq!(
            detail(
                r#"{"minutes": null, "hours": 1, "with_assessor": true, "on": "2026-12-01", "tags": []}"#
            ),
            (
                "minutes".into(),
                "must be a whole number (you gave nothing)".into()
            )
        );
    }

    #[test]
    fn syntax_errors_and_empty_bodies_are_malformed() {
        assert!(matches!(
            errors(r#"{"email": "#),
            AppError::MalformedBody(_)
        ));
        assert!(matches!(errors(""), AppError::MalformedBody(_)));
        assert!(matches!(
            errors(r#"{"email": "a", "roles": []} trailing"#),
            AppError::MalformedBody(_)
        ));
    }

    #[test]
    fn a_wrong_type_at_the_top_names_the_body() {
        match errors(r#""just a string""#) {
            AppError::Validation(e) => assert_eq!(e[0].field, "body"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn null_reads_as_the_default_where_the_field_is_not_an_option() {
        #[derive(Debug, Deserialize)]
        struct Import {
            #[serde(default, deserialize_with = "null_as_default")]
            parts: Vec<u32>,
            #[serde(default, deserialize_with = "null_as_default")]
            optional: bool,
        }
        let nulls: Import = parse(br#"{"parts": null, "optional": null}"#).unwrap_or(Import {
            parts: vec![9],
            optional: true,
        });
        assert_eq!((nulls.parts, nulls.optional), (vec![], false));
        let given: Import = parse(br#"{"parts": [1, 2], "optional": true}"#).unwrap_or(Import {
            parts: vec![],
            optional: false,
        });
        assert_eq!((given.parts, given.optional), (vec![1, 2], true));
    }
}
