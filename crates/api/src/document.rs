//! The OpenAPI document as served at `/api/openapi.json`: poem-openapi's, with what its
//! derive macros cannot say added, so that the document describes what the API does.
//!
//! - An optional property is answered as `null` when it has no value (and `null` is
//!   accepted for it in a request): it is marked `nullable` (OpenAPI 3.0; a reference is
//!   wrapped in `allOf`, as `nullable` beside `$ref` is ignored).
//! - An operation that takes a body answers 415 for a body of another media type.
//! - A date is `format: date` (RFC 3339 full-date, `2026-09-01`), the standard name for
//!   what poem-openapi calls `naive-date`, so clients and tools know what to send.
//! - A body that refuses fields it does not name (`#[serde(deny_unknown_fields)]`, listed
//!   in [`closed_bodies`]) says so: `additionalProperties: false`.
//! - A list's paging parameters say what they take: `limit` 1-200 (default 50), `cursor`
//!   not empty (an opaque value from a previous page), `q` at most 200 characters.

use serde_json::{Map, Value, json};

/// The request bodies that refuse fields they do not name, by schema name. A unit test
/// proves that each one does.
pub(crate) fn closed_bodies() -> Vec<String> {
    use poem_openapi::types::Type;
    [
        crate::exports::ExportRequest::name(),
        crate::jobs::RunRequest::name(),
        crate::notifications::NotificationPreferences::name(),
        crate::profile::AcceptDisclaimer::name(),
        crate::profile::SetDisclaimer::name(),
        crate::profile::CvRequest::name(),
        crate::settings::TenantSettingsBody::name(),
        crate::settings::TrackRuleBody::name(),
        crate::sso_settings::SsoSettingsInput::name(),
    ]
    .into_iter()
    .map(std::borrow::Cow::into_owned)
    .collect()
}

/// The document `spec` (poem-openapi's JSON) with the additions above; `closed` names the
/// schemas that take no other properties than their own.
pub fn served(spec: &str, closed: &[String]) -> String {
    let Ok(mut doc) = serde_json::from_str::<Value>(spec) else {
        return spec.to_owned();
    };
    if let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    {
        for schema in schemas.values_mut() {
            nullable_optionals(schema);
        }
        for name in closed {
            if let Some(schema) = schemas.get_mut(name).and_then(Value::as_object_mut) {
                schema.insert("additionalProperties".into(), Value::Bool(false));
            }
        }
    }
    standard_formats(&mut doc);
    if let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) {
        for operation in paths
            .values_mut()
            .filter_map(Value::as_object_mut)
            .flat_map(|ops| ops.values_mut())
        {
            unsupported_media_type(operation);
            paging_parameters(operation);
        }
    }
    serde_json::to_string(&doc).unwrap_or_else(|_| spec.to_owned())
}

/// Marks every property of `schema` (and of the objects inside it) that is not required as
/// nullable.
fn nullable_optionals(schema: &mut Value) {
    let Some(object) = schema.as_object_mut() else {
        return;
    };
    let required: Vec<String> = object
        .get("required")
        .and_then(Value::as_array)
        .map(|r| {
            r.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    if let Some(properties) = object.get_mut("properties").and_then(Value::as_object_mut) {
        for (name, property) in properties.iter_mut() {
            nullable_optionals(property);
            if !required.contains(name) {
                make_nullable(property);
            }
        }
    }
    for key in ["items", "additionalProperties"] {
        if let Some(inner) = object.get_mut(key) {
            nullable_optionals(inner);
        }
    }
    for key in ["allOf", "oneOf", "anyOf"] {
        if let Some(list) = object.get_mut(key).and_then(Value::as_array_mut) {
            list.iter_mut().for_each(nullable_optionals);
        }
    }
}

fn make_nullable(property: &mut Value) {
    let Some(object) = property.as_object_mut() else {
        return;
    };
    if let Some(reference) = object.remove("$ref") {
        let mut wrapped = Map::new();
        wrapped.insert("allOf".into(), json!([{ "$ref": reference }]));
        wrapped.insert("nullable".into(), Value::Bool(true));
        for (k, v) in std::mem::take(object) {
            wrapped.insert(k, v);
        }
        *object = wrapped;
    } else {
        object.insert("nullable".into(), Value::Bool(true));
    }
}

/// Renames poem-openapi's `naive-date` format, wherever it is, to the standard `date`.
fn standard_formats(value: &mut Value) {
    match value {
        Value::Object(object) => {
            if object.get("format").and_then(Value::as_str) == Some("naive-date") {
                object.insert("format".into(), json!("date"));
            }
            object.values_mut().for_each(standard_formats);
        }
        Value::Array(items) => items.iter_mut().for_each(standard_formats),
        _ => {}
    }
}

/// States the paging parameters' ranges (`folio_app::paging`), which the derive macros
/// cannot say of a parameter checked in the use case.
fn paging_parameters(operation: &mut Value) {
    let Some(parameters) = operation
        .get_mut("parameters")
        .and_then(Value::as_array_mut)
    else {
        return;
    };
    for parameter in parameters {
        if parameter.get("in").and_then(Value::as_str) != Some("query") {
            continue;
        }
        let name = parameter
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let Some(schema) = parameter.get_mut("schema").and_then(Value::as_object_mut) else {
            continue;
        };
        let is = |t: &str| schema.get("type").and_then(Value::as_str) == Some(t);
        match name.as_str() {
            "limit" if is("integer") => {
                schema.insert("minimum".into(), json!(1));
                schema.insert("maximum".into(), json!(folio_app::paging::MAX_LIMIT));
                schema.insert("default".into(), json!(folio_app::paging::DEFAULT_LIMIT));
            }
            "cursor" if is("string") => {
                schema.insert("minLength".into(), json!(1));
            }
            "q" if is("string") => {
                schema.insert("maxLength".into(), json!(200));
            }
            _ => {}
        }
    }
}

/// Documents 415 on an operation that takes a request body.
fn unsupported_media_type(operation: &mut Value) {
    let Some(operation) = operation.as_object_mut() else {
        return;
    };
    if !operation.contains_key("requestBody") {
        return;
    }
    if let Some(responses) = operation
        .get_mut("responses")
        .and_then(Value::as_object_mut)
    {
        responses.entry("415").or_insert_with(|| {
            json!({
                "description": "The body is not of a media type this operation takes",
                "content": {
                    "application/problem+json": {
                        "schema": { "$ref": "#/components/schemas/Problem" }
                    }
                }
            })
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn optional_properties_are_nullable_and_bodies_may_be_refused_as_415() {
        let spec = json!({
            "paths": {
                "/a": {
                    "post": { "requestBody": {}, "responses": { "200": {} } },
                    "get": { "responses": { "200": {} } }
                }
            },
            "components": { "schemas": {
                "Thing": {
                    "type": "object",
                    "required": ["id"],
                    "properties": {
                        "id": { "type": "string" },
                        "note": { "type": "string", "description": "A note." },
                        "owner": { "$ref": "#/components/schemas/Person", "description": "Who." },
                        "parts": { "type": "array", "items": {
                            "type": "object", "properties": { "x": { "type": "integer" } }
                        } }
                    }
                }
            } }
        });
        let served: Value =
            serde_json::from_str(&served(&spec.to_string(), &[])).unwrap_or_default();
        let thing = &served["components"]["schemas"]["Thing"]["properties"];
        assert_eq!(thing["id"].get("nullable"), None, "required: never null");
        assert_eq!(thing["note"]["nullable"], true);
        assert_eq!(
            thing["owner"],
            json!({
                "allOf": [{ "$ref": "#/components/schemas/Person" }],
                "nullable": true,
                "description": "Who."
            })
        );
        assert_eq!(thing["parts"]["items"]["properties"]["x"]["nullable"], true);
        assert!(served["paths"]["/a"]["post"]["responses"]["415"].is_object());
        assert!(
            served["paths"]["/a"]["get"]["responses"]
                .get("415")
                .is_none()
        );
    }

    #[test]
    fn paging_parameters_state_their_ranges_and_dates_are_standard() {
        let spec = json!({
            "paths": { "/list": { "get": {
                "parameters": [
                    { "name": "limit", "in": "query", "schema": { "type": "integer" } },
                    { "name": "cursor", "in": "query", "schema": { "type": "string" } },
                    { "name": "q", "in": "query", "schema": { "type": "string" } },
                    { "name": "from", "in": "query",
                      "schema": { "type": "string", "format": "naive-date" } },
                    { "name": "limit", "in": "path", "schema": { "type": "integer" } }
                ],
                "responses": { "200": {} }
            } } }
        });
        let served: Value =
            serde_json::from_str(&served(&spec.to_string(), &[])).unwrap_or_default();
        let p = &served["paths"]["/list"]["get"]["parameters"];
        assert_eq!(
            p[0]["schema"],
            json!({ "type": "integer", "minimum": 1, "maximum": 200, "default": 50 })
        );
        assert_eq!(p[1]["schema"], json!({ "type": "string", "minLength": 1 }));
        assert_eq!(
            p[2]["schema"],
            json!({ "type": "string", "maxLength": 200 })
        );
        assert_eq!(
            p[3]["schema"],
            json!({ "type": "string", "format": "date" })
        );
        // Only query parameters are paging parameters.
        assert_eq!(p[4]["schema"], json!({ "type": "integer" }));
    }

    #[test]
    fn every_closed_body_refuses_a_field_it_does_not_name_and_says_so() {
        fn refuses<T: serde::de::DeserializeOwned>() -> bool {
            serde_json::from_value::<T>(json!({ "not_a_field": 1 }))
                .is_err_and(|e| e.to_string().contains("unknown field `not_a_field`"))
        }
        assert!(refuses::<crate::exports::ExportRequest>());
        assert!(refuses::<crate::jobs::RunRequest>());
        assert!(refuses::<crate::notifications::NotificationPreferences>());
        assert!(refuses::<crate::profile::AcceptDisclaimer>());
        assert!(refuses::<crate::profile::SetDisclaimer>());
        assert!(refuses::<crate::profile::CvRequest>());
        assert!(refuses::<crate::settings::TenantSettingsBody>());
        assert!(refuses::<crate::settings::TrackRuleBody>());
        assert!(refuses::<crate::sso_settings::SsoSettingsInput>());
        assert_eq!(closed_bodies().len(), 9);

        let spec = json!({ "components": { "schemas": {
            "Closed": { "type": "object", "properties": { "a": { "type": "string" } } },
            "Open": { "type": "object", "properties": { "a": { "type": "string" } } }
        } } });
        let served: Value =
            serde_json::from_str(&served(&spec.to_string(), &["Closed".to_owned()]))
                .unwrap_or_default();
        let schemas = &served["components"]["schemas"];
        assert_eq!(schemas["Closed"]["additionalProperties"], false);
        assert_eq!(schemas["Open"].get("additionalProperties"), None);
    }
}
