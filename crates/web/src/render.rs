//! The page templates (`templates/pages/*.hbs`, compiled into the binary) and the helpers
//! they use. HTML escaping is on, and the helpers that write text escape it themselves
//! (a helper's output is not escaped for it). Strict mode is off: the API leaves out what
//! is not set, and a page shows nothing for it; the browser tests check what pages show.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use handlebars::{
    Context, Handlebars, Helper, HelperResult, JsonRender, Output, RenderContext, RenderError,
    RenderErrorReason, handlebars_helper,
};
use serde_json::Value;

macro_rules! pages {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("../../../templates/pages/", $name, ".hbs")))),*]
    };
}

/// Every page template, by name.
const PAGES: &[(&str, &str)] = pages![
    "layout",
    "portfolio_nav",
    "chart",
    "action_marker",
    "sign_in",
    "forgot_password",
    "set_password",
    "sign_in_code",
    "signing_out",
    "two_step",
    "disclaimer",
    "error",
    "confirm",
    "learner_home",
    "staff_home",
    "tile",
    "enrolment",
    "evidence_list",
    "evidence_detail",
    "progress_map",
    "time_log",
    "time_log_entry",
    "time_log_fields",
    "exports",
    "documents",
    "messages",
    "message",
    "session",
    "action",
    "units",
    "gateway",
    "iqa",
    "iqa_plans",
    "iqa_plan",
    "iqa_plan_fields",
    "profile",
    "admin_people",
    "admin_courses",
    "admin_course",
    "admin_enrolments",
    "admin_settings",
    "admin_auditor_access",
    "caseload_list",
    "my_overdue_actions",
    "notifications",
    "resources",
    "resource_list",
];

/// The compiled templates, twice: leniently for the pages that still read the API's JSON,
/// strictly for pages rendered from a typed view, where a name the view lacks is an error
/// (caught by the tests) rather than a blank on the page.
pub struct Pages {
    hb: Handlebars<'static>,
    strict: Handlebars<'static>,
}

impl std::fmt::Debug for Pages {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pages").finish_non_exhaustive()
    }
}

fn param<'a>(h: &'a Helper<'_>, i: usize) -> Option<&'a Value> {
    h.param(i).map(|p| p.value())
}

/// `{{date v}}`: an ISO date as `30/11/2026`, an RFC 3339 instant as `30/11/2026 09:05`
/// in the organisation's time zone (the page's `tz`, else Europe/London); blank for none.
fn date_helper(
    h: &Helper<'_>,
    _: &Handlebars<'_>,
    ctx: &Context,
    _: &mut RenderContext<'_, '_>,
    out: &mut dyn Output,
) -> HelperResult {
    let text = param(h, 0).and_then(Value::as_str).unwrap_or("");
    let tz: Tz = ctx
        .data()
        .get("tz")
        .and_then(Value::as_str)
        .and_then(|t| t.parse().ok())
        .unwrap_or(Tz::Europe__London);
    let shown = if let Ok(d) = text.parse::<NaiveDate>() {
        d.format("%d/%m/%Y").to_string()
    } else if let Ok(t) = text.parse::<DateTime<Utc>>() {
        t.with_timezone(&tz).format("%d/%m/%Y %H:%M").to_string()
    } else {
        text.to_owned()
    };
    out.write(&handlebars::html_escape(&shown))?;
    Ok(())
}

// `{{pct v}}`: a fraction or percentage number as a whole percentage (`45`).
handlebars_helper!(pct_helper: |v: Json| {
    format!("{:.0}", v.as_f64().unwrap_or(0.0).clamp(0.0, 100.0))
});

// `{{mib bytes}}`: a size in megabytes (MiB), up to two decimals: `512`, `1.5`.
handlebars_helper!(mib_helper: |v: Json| {
    let mib = v.as_f64().unwrap_or(0.0) / (1024.0 * 1024.0);
    let s = format!("{mib:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
});

// `{{hm minutes}}`: minutes as `1:30`.
handlebars_helper!(hm_helper: |v: Json| {
    let m = v.as_i64().unwrap_or(0);
    format!("{}:{:02}", m / 60, m % 60)
});

/// A snake_case value as words (`off_track` → `Off track`).
pub(super) fn human(value: &str) -> String {
    let words = value.replace(['_', '-'], " ");
    let mut chars = words.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().collect::<String>() + chars.as_str())
        .unwrap_or_default()
}

// `{{human v}}`: [`human`].
handlebars_helper!(human_helper: |v: Json| {
    human(&if v.is_null() { String::new() } else { v.render() })
});

// `{{join list ", "}}`: an array's items joined.
handlebars_helper!(join_helper: |list: Json, sep: str| {
    list.as_array()
        .map(|items| items.iter().map(JsonRender::render).collect::<Vec<_>>().join(sep))
        .unwrap_or_default()
});

// `{{urlenc v}}`: a value for a query string.
handlebars_helper!(urlenc_helper: |v: Json| {
    let text = match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    };
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect::<String>()
});

// `{{json v}}`: a value as JSON text (for a field that takes JSON).
handlebars_helper!(json_helper: |v: Json| {
    if v.is_null() { String::new() } else { v.to_string() }
});

// `{{#if (has list value)}}`: whether an array holds a value.
handlebars_helper!(has_helper: |list: Json, value: Json| {
    list.as_array().is_some_and(|items| items.contains(value))
});

impl Pages {
    /// Compiles every page; fails on one that does not parse.
    pub fn load() -> Result<Self, handlebars::TemplateError> {
        let registry = |strict: bool| {
            let mut hb = Handlebars::new();
            hb.set_strict_mode(strict);
            for (name, text) in PAGES {
                hb.register_template_string(name, *text)?;
            }
            hb.register_helper("date", Box::new(date_helper));
            hb.register_helper("pct", Box::new(pct_helper));
            hb.register_helper("hm", Box::new(hm_helper));
            hb.register_helper("mib", Box::new(mib_helper));
            hb.register_helper("human", Box::new(human_helper));
            hb.register_helper("has", Box::new(has_helper));
            hb.register_helper("join", Box::new(join_helper));
            hb.register_helper("json", Box::new(json_helper));
            hb.register_helper("urlenc", Box::new(urlenc_helper));
            Ok::<_, handlebars::TemplateError>(hb)
        };
        Ok(Self {
            hb: registry(false)?,
            strict: registry(true)?,
        })
    }

    /// Renders page `name` with `data`; `strict` for a page rendered from a typed view.
    pub fn render(&self, name: &str, data: &Value, strict: bool) -> Result<String, RenderError> {
        let hb = if strict { &self.strict } else { &self.hb };
        if !hb.has_template(name) {
            return Err(RenderErrorReason::TemplateNotFound(name.to_owned()).into());
        }
        hb.render(name, data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The pages are served with a Content-Security-Policy that allows scripts and styles
    /// only from Folio's own files (`folio_api::security`): an inline script, style or
    /// event handler in a template would be blocked in the browser.
    #[test]
    fn no_page_has_inline_script_style_or_event_handler() {
        for (name, source) in PAGES {
            let lower = source.to_ascii_lowercase();
            assert!(!lower.contains("style="), "{name}: a style attribute");
            assert!(!lower.contains("<style"), "{name}: a style element");
            assert!(!lower.contains("javascript:"), "{name}: a javascript: URL");
            for (at, _) in lower.match_indices("<script") {
                let tag = &lower[at..lower[at..].find('>').map_or(lower.len(), |end| at + end)];
                assert!(tag.contains(" src="), "{name}: an inline script");
            }
            let handler = lower.split(|c: char| c.is_whitespace()).any(|word| {
                word.starts_with("on")
                    && word.split_once('=').is_some_and(|(attr, _)| {
                        attr.len() > 2 && attr.chars().all(|c| c.is_ascii_lowercase())
                    })
            });
            assert!(!handler, "{name}: an event handler attribute");
        }
    }

    #[test]
    fn every_page_compiles_and_helpers_format() {
        let pages = Pages::load().expect("pages compile");
        let mut hb = Handlebars::new();
        hb.register_helper("date", Box::new(date_helper));
        hb.register_helper("pct", Box::new(pct_helper));
        hb.register_helper("hm", Box::new(hm_helper));
        hb.register_helper("human", Box::new(human_helper));
        hb.register_helper("mib", Box::new(mib_helper));
        let out = hb
            .render_template(
                "{{date d}} {{date t}} {{pct p}}% {{hm m}} {{human s}} {{mib a}} {{mib b}}",
                &json!({"d": "2026-11-30", "t": "2026-07-30T09:05:00Z", "p": 45.6, "m": 95,
                        "s": "off_track", "a": 536_870_912, "b": 1_572_864}),
            )
            .expect("renders");
        // Summer time in London: 09:05 UTC is 10:05 there. 512 MiB; 1.5 MiB.
        assert_eq!(
            out,
            "30/11/2026 30/07/2026 10:05 46% 1:35 Off track 512 1.5"
        );
        // What the helpers echo is escaped like any other value.
        let escaped = hb
            .render_template("{{date x}}|{{human x}}", &json!({"x": "<b>&"}))
            .expect("renders");
        assert_eq!(escaped, "&lt;b&gt;&amp;|&lt;b&gt;&amp;");
        hb.register_helper("join", Box::new(join_helper));
        hb.register_helper("json", Box::new(json_helper));
        let joined = hb
            .render_template(
                "{{join l \", \"}}|{{json m}}",
                &json!({"l": ["a", "<b>"], "m": {"k": "<"}}),
            )
            .expect("renders");
        assert_eq!(joined, "a, &lt;b&gt;|{&quot;k&quot;:&quot;&lt;&quot;}");
        hb.register_helper("has", Box::new(has_helper));
        let has = hb
            .render_template(
                "{{#if (has l \"b\")}}yes{{/if}}{{#if (has l \"z\")}}no{{/if}}",
                &json!({"l": ["a", "b"]}),
            )
            .expect("renders");
        assert_eq!(has, "yes");
        assert!(pages.render("no-such-page", &json!({}), false).is_err());
    }

    /// The layout's part of every page's context, as `Web::render_page` fills it in.
    fn layout(mut page: Value) -> Value {
        let extra = json!({
            "title": "T", "tz": "Europe/London", "tenant_name": "Northgate",
            "me": {"user": {"name": "Tom"}}, "is_learner": false, "is_staff": true,
            "is_admin": false, "problem": null, "notice": null,
            "bell_unread": 3, "bell_label": "3", "auditing": [],
        });
        if let (Value::Object(p), Value::Object(e)) = (&mut page, extra) {
            p.extend(e);
        }
        page
    }

    #[test]
    fn typed_pages_render_strictly_and_a_missing_name_is_an_error() {
        let pages = Pages::load().expect("pages compile");
        let line = json!({"learner_name": "Amelia", "course_title": "Engineering",
            "enrolment_link": "/app/enrolments/1", "detail": "review due", "link": "/app/enrolments/1"});
        let caseload = layout(json!({"on": "5 December 2026", "nightly": false, "lines": [line]}));
        let html = pages
            .render("caseload_list", &caseload, true)
            .expect("renders");
        assert!(
            html.contains("<a href=\"/app/enrolments/1\">review due</a>"),
            "{html}"
        );
        let mine = layout(json!({"lines": [line]}));
        assert!(pages.render("my_overdue_actions", &mine, true).is_ok());
        let empty = layout(json!({"on": null, "nightly": true, "lines": []}));
        assert!(pages.render("caseload_list", &empty, true).is_ok());

        // A view that lacks a name the template uses is an error, not a blank.
        let mut broken = caseload.clone();
        broken["lines"][0]
            .as_object_mut()
            .expect("object")
            .remove("detail");
        assert!(pages.render("caseload_list", &broken, true).is_err());
        assert!(pages.render("caseload_list", &broken, false).is_ok());
    }
}
