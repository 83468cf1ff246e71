//! Forms as JSON: the one convention both the browser script and the no-script fallback use
//! to turn a form's fields into the JSON body of an API call.
//!
//! A field's name may end in a type: `minutes:int`, `hours:number`, `with_assessor:bool`,
//! `criterion_ids:list` (every value of the name, as an array), `starts_at:datetime` (a
//! `datetime-local` value, in the organisation's time zone, sent as an RFC 3339 instant),
//! `scopes:lines` (a list typed one per line or separated by commas), `mapping:json` (JSON
//! typed as text), `assessor_id:nullable` (blank sent as `null`, to clear),
//! `off_the_job:optbool` (a yes/no choice that may be left blank, and then is not sent).
//! A dotted name goes into a nested object (`track.margin_points:number`). Other fields
//! are strings;
//! an empty string is left out, so an optional field left blank is simply absent. A field
//! whose name starts with `_` is the form's own (where it goes, where to go next) and is
//! never sent.

use chrono::{NaiveDateTime, TimeZone};
use chrono_tz::Tz;
use serde_json::{Map, Value};

/// A `datetime-local` value (`2026-12-03T10:30`, seconds optional) in `tz` as RFC 3339 UTC.
pub fn local_instant(value: &str, tz: Tz) -> Option<String> {
    let naive = NaiveDateTime::parse_from_str(value, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(value, "%Y-%m-%dT%H:%M:%S"))
        .ok()?;
    // A time the clocks skip (spring forward) is not a time; one they repeat is the first.
    let local = tz.from_local_datetime(&naive).earliest()?;
    Some(local.with_timezone(&chrono::Utc).to_rfc3339())
}

/// A duration's part in minutes: `hours` (decimals allowed, with a point or a comma: 1.5
/// and 1,5 are 90) or `addmin` (whole minutes); `None` when it is not such a number. The
/// API judges the total's range. folio.js reads the parts by the same grammar.
fn duration_part(kind: &str, value: &str) -> Option<i64> {
    let v = value.trim();
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if kind != "hours" {
        return if digits(v) {
            v.parse::<i64>().ok()
        } else {
            None
        };
    }
    let v = v.replace(',', ".");
    let (whole, fraction) = v.split_once('.').unwrap_or((&v, ""));
    let well_formed = (digits(whole) || whole.is_empty())
        && (fraction.is_empty() || digits(fraction))
        && !(whole.is_empty() && fraction.is_empty());
    let hours: f64 = if well_formed {
        v.parse().ok()?
    } else {
        return None;
    };
    let minutes = (hours * 60.0).round();
    // Beyond any day's hours, the API's range check answers; kept exact as an integer.
    #[allow(clippy::cast_possible_truncation)]
    (minutes.is_finite() && minutes < 1e15).then_some(minutes as i64)
}

/// Adds a duration's part to the minutes at `key`; a part that is not a number is sent as
/// typed, for the API to say what is wrong with it.
fn add_minutes(out: &mut Map<String, Value>, key: &str, part: Option<i64>, raw: &str) {
    let sum = match (part, out.get(key)) {
        (Some(m), Some(Value::Number(n))) => n
            .as_i64()
            .and_then(|n| n.checked_add(m))
            .map_or_else(|| Value::String(raw.to_owned()), Value::from),
        (Some(m), None) => Value::from(m),
        (Some(_), Some(other)) => other.clone(),
        (None, _) => Value::String(raw.to_owned()),
    };
    out.insert(key.to_owned(), sum);
}

/// Builds the JSON body from the submitted `(name, value)` pairs, in order. A value that
/// does not parse as its type is sent as the string typed, so the API names the field in
/// its 422 rather than the page guessing at the rule.
pub fn to_json(fields: &[(String, String)], tz: Tz) -> Value {
    let mut root = Map::new();
    for (name, value) in fields {
        if name.starts_with('_') {
            continue;
        }
        let (path, kind) = name.split_once(':').unwrap_or((name.as_str(), "text"));
        // `a.b.c`: the object at `a.b`, made as needed, and its key `c`.
        let mut parts: Vec<&str> = path.split('.').collect();
        let key = parts.pop().unwrap_or_default();
        let mut out = &mut root;
        for part in parts {
            let entry = out
                .entry(part.to_owned())
                .or_insert_with(|| Value::Object(Map::new()));
            if !entry.is_object() {
                *entry = Value::Object(Map::new());
            }
            let Value::Object(inner) = entry else {
                unreachable!("made an object just above")
            };
            out = inner;
        }
        match kind {
            "list" => {
                let entry = out
                    .entry(key.to_owned())
                    .or_insert_with(|| Value::Array(Vec::new()));
                if let Value::Array(items) = entry
                    && !value.is_empty()
                {
                    items.push(Value::String(value.clone()));
                }
            }
            "bool" => {
                // A checkbox sends its value only when ticked; a hidden `false` before it
                // gives the unticked state.
                let on = matches!(value.as_str(), "true" | "on" | "yes" | "1");
                out.insert(key.to_owned(), Value::Bool(on));
            }
            "nullable" => {
                // A choice that may be cleared: blank is `null` (where the API reads a
                // missing field as "unchanged").
                let v = if value.trim().is_empty() {
                    Value::Null
                } else {
                    Value::String(value.clone())
                };
                out.insert(key.to_owned(), v);
            }
            _ if value.trim().is_empty() => {}
            "optbool" => {
                // A yes/no choice that may be left unmade (blank: not sent at all).
                let on = matches!(value.as_str(), "true" | "on" | "yes" | "1");
                out.insert(key.to_owned(), Value::Bool(on));
            }
            "int" => {
                let v = value
                    .trim()
                    .parse::<i64>()
                    .map_or_else(|_| Value::String(value.clone()), Value::from);
                out.insert(key.to_owned(), v);
            }
            "hours" | "addmin" => add_minutes(out, key, duration_part(kind, value), value),
            "mib" => {
                // A size typed in megabytes, sent as bytes; not a number: as typed, for the
                // API to say so.
                let v =
                    mib_to_bytes(value).map_or_else(|| Value::String(value.clone()), Value::from);
                out.insert(key.to_owned(), v);
            }
            "lines" => {
                let items = value
                    .split(['\n', ','])
                    .map(str::trim)
                    .filter(|v| !v.is_empty())
                    .map(|v| Value::String(v.to_owned()))
                    .collect();
                out.insert(key.to_owned(), Value::Array(items));
            }
            "json" => {
                let v =
                    serde_json::from_str(value).unwrap_or_else(|_| Value::String(value.clone()));
                out.insert(key.to_owned(), v);
            }
            "datetime" => {
                let v = local_instant(value.trim(), tz)
                    .map_or_else(|| Value::String(value.clone()), Value::String);
                out.insert(key.to_owned(), v);
            }
            "number" => {
                let v = value
                    .trim()
                    .parse::<f64>()
                    .ok()
                    .and_then(serde_json::Number::from_f64)
                    .map_or_else(|| Value::String(value.clone()), Value::Number);
                out.insert(key.to_owned(), v);
            }
            _ => {
                out.insert(key.to_owned(), Value::String(value.clone()));
            }
        }
    }
    Value::Object(root)
}

/// The first value of a form field.
/// A field's name as a person reads it in a message: `planned_end_date` is "planned end
/// date", `track.margin_points` "margin points", and a row of an import,
/// `rows[3].unit_code`, is "row 3, unit code" (the same words as `folio.js`).
pub fn field_words(field: &str) -> String {
    let words = |s: &str| s.replace('_', " ");
    if let Some((list, rest)) = field.split_once('[')
        && let Some((n, after)) = rest.split_once(']')
    {
        let item = list.strip_suffix('s').unwrap_or(list);
        let after = after.trim_start_matches('.');
        return if after.is_empty() {
            format!("{} {n}", words(item))
        } else {
            format!("{} {n}, {}", words(item), field_words(after))
        };
    }
    words(field.rsplit('.').next().unwrap_or(field))
}

/// Megabytes typed (a point or a comma for decimals) as bytes, whole: "1,5" is 1572864.
fn mib_to_bytes(value: &str) -> Option<i64> {
    let v = value.trim().replace(',', ".");
    let n: f64 = v
        .parse()
        .ok()
        .filter(|n: &f64| n.is_finite() && *n >= 0.0)?;
    let bytes = (n * 1024.0 * 1024.0).round();
    (bytes <= i64::MAX as f64).then_some(bytes as i64)
}

pub fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

#[cfg(test)]
mod tests {

    #[test]
    fn field_names_are_put_in_words() {
        assert_eq!(field_words("planned_end_date"), "planned end date");
        assert_eq!(field_words("track.margin_points"), "margin points");
        assert_eq!(field_words("rows[3].unit_code"), "row 3, unit code");
        assert_eq!(field_words("rows[12]"), "row 12");
        assert_eq!(field_words("items[0].minutes"), "item 0, minutes");
    }

    #[test]
    fn megabytes_are_sent_as_bytes() {
        assert_eq!(mib_to_bytes("512"), Some(536_870_912));
        assert_eq!(mib_to_bytes("1,5"), Some(1_572_864));
        assert_eq!(mib_to_bytes(" 0.5 "), Some(524_288));
        assert_eq!(mib_to_bytes("lots"), None);
        assert_eq!(mib_to_bytes("-1"), None);
    }

    use super::*;
    use serde_json::json;

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
            .collect()
    }

    #[test]
    fn a_duration_in_hours_and_minutes_is_added_up_as_minutes() {
        let minutes = |hours: &str, mins: &str| {
            to_json(
                &pairs(&[("minutes:hours", hours), ("minutes:addmin", mins)]),
                chrono_tz::Europe::London,
            )
            .get("minutes")
            .cloned()
        };
        // 1 h 30 min = 60 + 30 = 90; 1.5 h = 90; 2.25 h = 135; 0 h 45 min = 45.
        assert_eq!(minutes("1", "30"), Some(json!(90)));
        assert_eq!(minutes("1.5", ""), Some(json!(90)));
        assert_eq!(minutes("2.25", "0"), Some(json!(135)));
        assert_eq!(minutes("", "45"), Some(json!(45)));
        // 0.33 h = 19.8 min, rounded to 20.
        assert_eq!(minutes("0.33", ""), Some(json!(20)));
        // Nothing given: nothing sent (the API says it is required).
        assert_eq!(minutes("", ""), None);
        // A decimal comma, and a point with nothing on one side: 1,5 h = 90; 1. h = 60;
        // .5 h = 30.
        assert_eq!(minutes("1,5", ""), Some(json!(90)));
        assert_eq!(minutes("1.", ""), Some(json!(60)));
        assert_eq!(minutes(".5", ""), Some(json!(30)));
        // Very many hours are still minutes, for the API's range check to refuse:
        // 10,000 h = 600,000 min.
        assert_eq!(minutes("10000", ""), Some(json!(600_000)));
        // Not numbers: sent as typed, for the API to say what is wrong.
        assert_eq!(minutes("one", ""), Some(json!("one")));
        assert_eq!(minutes(".", ""), Some(json!(".")));
        assert_eq!(minutes("1", "half"), Some(json!("half")));
        assert_eq!(minutes("-1", ""), Some(json!("-1")));
    }

    #[test]
    fn typed_fields_become_json() {
        let body = to_json(
            &pairs(&[
                ("_api", "/api/v1/x"),
                ("starts_at:datetime", "2026-07-01T10:30"),
                ("ends_at:datetime", "2026-12-01T10:30"),
                ("entry_date", "2026-11-30"),
                ("minutes:int", "90"),
                ("hours:number", "1.5"),
                ("with_assessor:bool", "false"),
                ("with_assessor:bool", "on"),
                ("off_the_job:bool", "false"),
                ("exception:optbool", "true"),
                ("unmade:optbool", ""),
                ("criterion_ids:list", "a"),
                ("criterion_ids:list", "b"),
                ("reflection", ""),
                ("track.basis", "signed_off"),
                ("scopes:lines", "openid\nemail, profile\n"),
                ("role_mapping:json", "{\"staff\": [\"assessor\"]}"),
                ("iqa_id:nullable", ""),
                ("assessor_id:nullable", "a1"),
                ("track.margin_points:number", "10"),
            ]),
            Tz::Europe__London,
        );
        assert_eq!(
            body,
            json!({
                "starts_at": "2026-07-01T09:30:00+00:00",
                "ends_at": "2026-12-01T10:30:00+00:00",
                "entry_date": "2026-11-30",
                "minutes": 90,
                "hours": 1.5,
                "with_assessor": true,
                "off_the_job": false,
                "exception": true,
                "criterion_ids": ["a", "b"],
                "track": { "basis": "signed_off", "margin_points": 10.0 },
                "scopes": ["openid", "email", "profile"],
                "role_mapping": { "staff": ["assessor"] },
                "iqa_id": null,
                "assessor_id": "a1",
            })
        );
    }

    #[test]
    fn bad_numbers_go_through_as_typed_for_the_api_to_name() {
        let body = to_json(
            &pairs(&[
                ("minutes:int", "ninety"),
                ("tags:list", ""),
                ("at:datetime", "soon"),
            ]),
            Tz::Europe__London,
        );
        assert_eq!(
            body,
            json!({ "minutes": "ninety", "tags": [], "at": "soon" })
        );
        // 01:30 on the night the clocks go forward does not exist in London.
        assert_eq!(local_instant("2026-03-29T01:30", Tz::Europe__London), None);
        assert_eq!(field(&pairs(&[("_next", "/app")]), "_next"), Some("/app"));
    }
}
