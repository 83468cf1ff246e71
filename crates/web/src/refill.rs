//! A form sent without the script and refused (422) comes back as it was typed: the page
//! the form was on is rendered again and that one form is filled in with what was sent,
//! every field at fault marked with its message and a summary at its top, as `folio.js`
//! does in the page. Nothing is kept between requests: the refused post answers with the
//! page itself.
//!
//! The form is found by what it posts to (its hidden `_api` and `_method`), so no template
//! has to name its forms. The page's HTML is rewritten by `lol_html` (Cloudflare's
//! streaming HTML rewriter) in two passes: the first finds the form and counts each field's
//! inputs, the second fills them in.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use lol_html::html_content::ContentType;
use lol_html::{RewriteStrSettings, element, end_tag, rewrite_str};

/// Said under a file input of a refused form, which the browser sends back empty.
const REFILE: &str = "<span class=\"hint refile\">If you had chosen a file, choose it again: \
                      a form that comes back cannot keep it.</span>";

/// A field the API refused, and why.
#[derive(Debug, Clone)]
pub(crate) struct FieldProblem {
    /// The API's field name (`minutes`, `rows[1].code`).
    pub field: String,
    /// In words.
    pub detail: String,
}

/// The form's field a name belongs to: `minutes:hours` and `minutes:addmin` are both
/// `minutes`; an error about `rows[1].code` is placed at `rows`.
fn base(name: &str) -> &str {
    let name = name.split(':').next().unwrap_or(name);
    name.split('[').next().unwrap_or(name)
}

/// What the first pass learns of each form: where it posts, and how many inputs each field
/// has.
#[derive(Debug, Default)]
struct FormSeen {
    api: Option<String>,
    method: Option<String>,
    /// Its hidden fields other than the page's own (`role` of one of several signature
    /// forms posting to the same place): the form sent must have had them all.
    hidden: Vec<(String, String)>,
    inputs: HashMap<String, usize>,
    /// The `<details>` it is inside (their order in the page), to open them.
    details: Vec<usize>,
}

/// The form found: its place, its fields' input counts and the `<details>` around it.
struct Found {
    index: usize,
    inputs: HashMap<String, usize>,
    details: Vec<usize>,
}

/// `html` with the form that posts to `api` with `method` filled in with `sent` and marked
/// with `problems` and the `summary`; `None` if the page has no such form (or cannot be
/// read), when the caller falls back to its plain message.
pub(crate) fn refill(
    html: &str,
    api: &str,
    method: &str,
    sent: &[(String, String)],
    problems: &[FieldProblem],
    summary: &str,
) -> Option<String> {
    let Found {
        index,
        inputs: seen_inputs,
        details,
    } = find_form(html, api, method, sent)?;
    let at = Rc::new(RefCell::new(Walk::default()));
    // Field → (its note's id, its messages), in the order of the problems.
    let mut notes: HashMap<String, (String, String)> = HashMap::new();
    let mut unplaced = Vec::new();
    for (n, p) in problems.iter().enumerate() {
        let b = base(&p.field).to_owned();
        if seen_inputs.contains_key(&b) {
            notes
                .entry(b)
                .and_modify(|(_, detail)| {
                    detail.push_str("; ");
                    detail.push_str(&p.detail);
                })
                .or_insert_with(|| (format!("err-{n}"), p.detail.clone()));
        } else {
            unplaced.push(format!(
                "{}: {}",
                crate::forms::field_words(&p.field),
                p.detail
            ));
        }
    }
    let mut message = if problems.is_empty() {
        summary.to_owned()
    } else {
        "Please correct the fields marked below.".to_owned()
    };
    if !unplaced.is_empty() {
        message = format!("{message} {}.", unplaced.join("; "));
    }
    let notes = Rc::new(notes);
    let seen_inputs = Rc::new(seen_inputs);
    let sent = Rc::new(sent.to_vec());

    let details_at = at.clone();
    let form_at = at.clone();
    let field_at = at.clone();
    let area_at = at.clone();
    let select_at = at.clone();
    let option_at = at.clone();
    let (field_notes, field_sent, field_counts) =
        (notes.clone(), sent.clone(), seen_inputs.clone());
    let (area_notes, area_sent, area_counts) = (notes.clone(), sent.clone(), seen_inputs.clone());
    let (select_notes, select_counts) = (notes.clone(), seen_inputs.clone());
    let option_sent = sent.clone();
    let settings = RewriteStrSettings {
        element_content_handlers: vec![
            element!("details", move |el| {
                let mut w = details_at.borrow_mut();
                if details.contains(&w.details) {
                    el.set_attribute("open", "")?;
                }
                w.details += 1;
                Ok(())
            }),
            element!("form", move |el| {
                let mut w = form_at.borrow_mut();
                w.forms += 1;
                if w.forms - 1 == index {
                    w.inside = true;
                    el.prepend(
                        &format!(
                            "<div class=\"alert problem js\" role=\"alert\">{}</div>",
                            escape(&message)
                        ),
                        ContentType::Html,
                    );
                    let end_at = form_at.clone();
                    if let Some(handlers) = el.end_tag_handlers() {
                        handlers.push(end_tag!(move |_| {
                            end_at.borrow_mut().inside = false;
                            Ok(())
                        }));
                    }
                }
                Ok(())
            }),
            element!("input[name]", move |el| {
                let Some(name) = el.get_attribute("name") else {
                    return Ok(());
                };
                let mut w = field_at.borrow_mut();
                if !w.inside {
                    return Ok(());
                }
                let kind = el.get_attribute("type").unwrap_or_else(|| "text".into());
                let nth = w.next(&name);
                if !name.starts_with('_') {
                    match kind.as_str() {
                        // A browser fills no file in: say so where it is chosen.
                        "file" => el.after(REFILE, ContentType::Html),
                        "hidden" | "password" | "submit" | "button" => {}
                        "checkbox" | "radio" => {
                            let value = el
                                .get_attribute("value")
                                .map_or_else(|| "on".into(), |v| unescape(&v));
                            if field_sent.iter().any(|(n, v)| *n == name && *v == value) {
                                el.set_attribute("checked", "")?;
                            } else {
                                el.remove_attribute("checked");
                            }
                        }
                        _ => {
                            let value = field_sent
                                .iter()
                                .filter(|(n, _)| *n == name)
                                .nth(nth)
                                .map(|(_, v)| v.as_str())
                                .unwrap_or("");
                            el.set_attribute("value", &attribute(value))?;
                        }
                    }
                }
                mark(el, &name, &mut w, &field_notes, &field_counts)
            }),
            element!("textarea[name]", move |el| {
                let Some(name) = el.get_attribute("name") else {
                    return Ok(());
                };
                let mut w = area_at.borrow_mut();
                if !w.inside {
                    return Ok(());
                }
                let nth = w.next(&name);
                let value = area_sent
                    .iter()
                    .filter(|(n, _)| *n == name)
                    .nth(nth)
                    .map(|(_, v)| v.as_str())
                    .unwrap_or("");
                el.set_inner_content(value, ContentType::Text);
                mark(el, &name, &mut w, &area_notes, &area_counts)
            }),
            element!("select[name]", move |el| {
                let Some(name) = el.get_attribute("name") else {
                    return Ok(());
                };
                let mut w = select_at.borrow_mut();
                if !w.inside {
                    return Ok(());
                }
                w.next(&name);
                w.select = Some(name.clone());
                let end_at = select_at.clone();
                if let Some(handlers) = el.end_tag_handlers() {
                    handlers.push(end_tag!(move |_| {
                        end_at.borrow_mut().select = None;
                        Ok(())
                    }));
                }
                mark(el, &name, &mut w, &select_notes, &select_counts)
            }),
            element!("option[value]", move |el| {
                let w = option_at.borrow();
                let Some(select) = w.select.as_deref().filter(|_| w.inside) else {
                    return Ok(());
                };
                if select.starts_with('_') {
                    return Ok(());
                }
                let value = unescape(&el.get_attribute("value").unwrap_or_default());
                if option_sent.iter().any(|(n, v)| n == select && *v == value) {
                    el.set_attribute("selected", "")?;
                } else {
                    el.remove_attribute("selected");
                }
                Ok(())
            }),
        ],
        ..RewriteStrSettings::new()
    };
    rewrite_str(html, settings).ok()
}

/// Where the second pass is.
#[derive(Debug, Default)]
struct Walk {
    /// Forms started so far.
    forms: usize,
    /// `<details>` started so far.
    details: usize,
    /// The first field at fault was given the focus.
    focused: bool,
    /// Inside the form being filled.
    inside: bool,
    /// The `name` of the select being read.
    select: Option<String>,
    /// Inputs seen so far, by name and by field.
    by_name: HashMap<String, usize>,
    by_field: HashMap<String, usize>,
}

impl Walk {
    /// Counts an input of `name`; returns how many of that name came before it.
    fn next(&mut self, name: &str) -> usize {
        *self.by_field.entry(base(name).to_owned()).or_default() += 1;
        let n = self.by_name.entry(name.to_owned()).or_default();
        *n += 1;
        *n - 1
    }
}

/// Marks an input of a field at fault, and places the field's message after its last
/// input (as `folio.js` does).
fn mark<H: lol_html::HandlerTypes>(
    el: &mut lol_html::html_content::Element<'_, '_, H>,
    name: &str,
    w: &mut Walk,
    notes: &HashMap<String, (String, String)>,
    counts: &HashMap<String, usize>,
) -> lol_html::HandlerResult {
    let field = base(name);
    let Some((id, detail)) = notes.get(field) else {
        return Ok(());
    };
    el.set_attribute("aria-invalid", "true")?;
    el.set_attribute("aria-describedby", id)?;
    if !w.focused {
        // Without the script the page opens at the first field to correct.
        w.focused = true;
        el.set_attribute("autofocus", "")?;
    }
    let done = w.by_field.get(field).copied().unwrap_or(0);
    if counts.get(field).copied() == Some(done) {
        el.after(
            &format!(
                "<span class=\"field-error\" id=\"{id}\">{}</span>",
                escape(detail)
            ),
            ContentType::Html,
        );
    }
    Ok(())
}

/// The first form posting to `api` with `method` whose hidden fields were all sent as
/// they are, with how many inputs each of its fields has and the `<details>` around it.
fn find_form(html: &str, api: &str, method: &str, sent: &[(String, String)]) -> Option<Found> {
    #[derive(Default)]
    struct Pass {
        forms: Vec<FormSeen>,
        /// Inside a form now.
        open: bool,
        details_seen: usize,
        details_open: Vec<usize>,
    }
    let pass: Rc<RefCell<Pass>> = Rc::default();
    let (on_form, on_field, on_details) = (pass.clone(), pass.clone(), pass.clone());
    let settings = RewriteStrSettings {
        element_content_handlers: vec![
            element!("details", move |el| {
                let mut p = on_details.borrow_mut();
                let n = p.details_seen;
                p.details_seen += 1;
                p.details_open.push(n);
                let end = on_details.clone();
                if let Some(handlers) = el.end_tag_handlers() {
                    handlers.push(end_tag!(move |_| {
                        end.borrow_mut().details_open.pop();
                        Ok(())
                    }));
                }
                Ok(())
            }),
            element!("form", move |el| {
                let mut p = on_form.borrow_mut();
                let details = p.details_open.clone();
                p.forms.push(FormSeen {
                    details,
                    ..FormSeen::default()
                });
                p.open = true;
                let end = on_form.clone();
                if let Some(handlers) = el.end_tag_handlers() {
                    handlers.push(end_tag!(move |_| {
                        end.borrow_mut().open = false;
                        Ok(())
                    }));
                }
                Ok(())
            }),
            element!("input[name], textarea[name], select[name]", move |el| {
                let Some(name) = el.get_attribute("name") else {
                    return Ok(());
                };
                let mut p = on_field.borrow_mut();
                if !p.open {
                    return Ok(());
                }
                let Some(form) = p.forms.last_mut() else {
                    return Ok(());
                };
                let value = el.get_attribute("value").map(|v| unescape(&v));
                match name.as_str() {
                    "_api" => form.api = value,
                    "_method" => form.method = value,
                    n if n.starts_with('_') => {}
                    _ => {
                        if el.get_attribute("type").as_deref() == Some("hidden") {
                            form.hidden.push((name.clone(), value.unwrap_or_default()));
                        }
                        *form.inputs.entry(base(&name).to_owned()).or_default() += 1;
                    }
                }
                Ok(())
            }),
        ],
        ..RewriteStrSettings::new()
    };
    rewrite_str(html, settings).ok()?;
    let forms = std::mem::take(&mut pass.borrow_mut().forms);
    forms.into_iter().enumerate().find_map(|(i, f)| {
        let same = f.api.as_deref() == Some(api)
            && f.method.as_deref().unwrap_or("POST") == method
            && f.hidden.iter().all(|h| sent.contains(h));
        same.then_some(Found {
            index: i,
            inputs: f.inputs,
            details: f.details,
        })
    })
}

/// An attribute's value as the page meant it: the references handlebars writes
/// (`&amp;`, `&lt;`, `&gt;`, `&quot;`, `&#x27;`, `&#x60;`, `&#x3D;`) read back.
fn unescape(value: &str) -> String {
    if !value.contains('&') {
        return value.to_owned();
    }
    value
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&#x60;", "`")
        .replace("&#x3D;", "=")
        .replace("&amp;", "&")
}

/// A value made safe inside a double-quoted attribute (`lol_html` escapes only the quote).
fn attribute(value: &str) -> String {
    value.replace('&', "&amp;")
}

/// Text made safe to place in HTML.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = r#"<main>
<form method="post" action="/app/do" id="other"><input type="hidden" name="_api" value="/api/v1/x"><input name="title" value=""></form>
<form method="post" action="/app/do" id="log">
<input type="hidden" name="_api" value="/api/v1/enrolments/1/time-log">
<input type="text" name="minutes:hours" value="">
<input type="text" name="minutes:addmin" value="">
<select name="activity_type"><option value="a" selected>A</option><option value="b">B</option></select>
<input type="hidden" name="with_assessor:bool" value="false">
<input type="checkbox" name="with_assessor:bool" value="true">
<textarea name="reflection"></textarea>
<input type="file" name="file">
</form></main>"#;

    fn sent() -> Vec<(String, String)> {
        [
            ("_api", "/api/v1/enrolments/1/time-log"),
            ("minutes:hours", "one"),
            ("minutes:addmin", "30"),
            ("activity_type", "b"),
            ("with_assessor:bool", "false"),
            ("with_assessor:bool", "true"),
            ("reflection", "Lifting <plan> & more"),
        ]
        .iter()
        .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
        .collect()
    }

    #[test]
    fn the_refused_form_comes_back_as_typed_with_its_errors() {
        let problems = [
            FieldProblem {
                field: "minutes".into(),
                detail: "must be a whole number (you gave \"one\")".into(),
            },
            FieldProblem {
                field: "entry_date".into(),
                detail: "is required".into(),
            },
        ];
        let html = refill(
            PAGE,
            "/api/v1/enrolments/1/time-log",
            "POST",
            &sent(),
            &problems,
            "Please correct",
        )
        .unwrap();
        // The other form is untouched.
        assert!(html.contains(r#"<input name="title" value="">"#), "{html}");
        assert!(
            html.contains(r#"<input type="text" name="minutes:hours" value="one" aria-invalid="true" aria-describedby="err-0" autofocus="">"#),
            "{html}"
        );
        // The message once, after the field's last input.
        assert_eq!(html.matches("must be a whole number").count(), 1);
        assert!(
            html.contains(r#"value="30" aria-invalid="true" aria-describedby="err-0"><span class="field-error" id="err-0">must be a whole number (you gave &quot;one&quot;)</span>"#),
            "{html}"
        );
        assert!(
            html.contains(
                r#"<option value="a">A</option><option value="b" selected="">B</option>"#
            ),
            "{html}"
        );
        assert!(html.contains(r#"<input type="hidden" name="with_assessor:bool" value="false">"#));
        assert!(
            html.contains(r#"name="with_assessor:bool" value="true" checked="">"#),
            "{html}"
        );
        assert!(
            html.contains(
                "<textarea name=\"reflection\">Lifting &lt;plan&gt; &amp; more</textarea>"
            ),
            "{html}"
        );
        // The file input cannot be filled in; the person is told to choose it again.
        assert!(
            html.contains(r#"<input type="file" name="file"><span class="hint refile">If you had chosen a file, choose it again"#),
            "{html}"
        );
        // A field the form does not have is named in the summary.
        assert!(
            html.contains(r#"<div class="alert problem js" role="alert">Please correct the fields marked below. entry date: is required.</div>"#),
            "{html}"
        );
    }

    #[test]
    fn the_form_sent_is_the_one_filled_opened_and_focused() {
        // Two signature forms post to the same place, told apart by a hidden role; the
        // second, inside a closed <details>, was sent.
        let page = r#"<form><input type="hidden" name="_api" value="/api/v1/documents/d/signatures"><input type="hidden" name="role" value="learner"><input name="typed_name" value=""></form>
<details><summary>More</summary><form><input type="hidden" name="_api" value="/api/v1/documents/d/signatures"><input type="hidden" name="role" value="employer"><input name="typed_name" value=""><select name="unit"><option value="a&amp;b">A&amp;B</option><option value="c">C</option></select></form></details>
<input name="typed_name" value="outside">"#;
        let sent: Vec<(String, String)> = [
            ("_api", "/api/v1/documents/d/signatures"),
            ("role", "employer"),
            ("typed_name", "Dan & Co \"Ltd\""),
            ("unit", "a&b"),
        ]
        .iter()
        .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
        .collect();
        let problems = [
            FieldProblem {
                field: "typed_name".into(),
                detail: "is too long".into(),
            },
            FieldProblem {
                field: "typed_name".into(),
                detail: "must be your own name".into(),
            },
        ];
        let html = refill(
            page,
            "/api/v1/documents/d/signatures",
            "POST",
            &sent,
            &problems,
            "x",
        )
        .unwrap();
        let (first, rest) = html.split_once("<details").unwrap();
        assert!(
            first.contains(r#"<input name="typed_name" value="">"#),
            "{html}"
        );
        assert!(rest.starts_with(" open"), "{html}");
        assert!(
            rest.contains(r#"<input name="typed_name" value="Dan &amp; Co &quot;Ltd&quot;" aria-invalid="true" aria-describedby="err-0" autofocus="">"#),
            "{html}"
        );
        // Every message of the field, once.
        assert!(
            rest.contains(">is too long; must be your own name</span>"),
            "{html}"
        );
        assert!(
            rest.contains(r#"<option value="a&amp;b" selected="">"#),
            "{html}"
        );
        // An input after the form is not part of it.
        assert!(
            html.ends_with(r#"<input name="typed_name" value="outside">"#),
            "{html}"
        );
    }

    #[test]
    fn a_page_without_the_form_is_left_to_the_caller() {
        assert!(refill(PAGE, "/api/v1/elsewhere", "POST", &sent(), &[], "No").is_none());
        assert!(
            refill(
                PAGE,
                "/api/v1/enrolments/1/time-log",
                "PUT",
                &sent(),
                &[],
                "No"
            )
            .is_none()
        );
    }
}
