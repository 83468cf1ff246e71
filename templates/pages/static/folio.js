// Folio's one script: progressive enhancement, no build step.
//
// Every form that changes something carries `_api` (an /api/v1 path), optionally `_method`,
// `_next` (where to go after, `{id}` replaced by the new resource's id) and `_notice`.
// Without this script the form posts to /app/do, which makes the API call on the server.
// With it, the form is sent straight to the API as JSON (or, for a file, as multipart with
// upload progress), and the API's problem details are shown beside the fields they name.
(function () {
  "use strict";

  // The same convention as the server's `forms::to_json`: `name:int`, `name:number`,
  // `name:bool`, `name:list`, `name:hours` and `name:addmin` (a duration's parts, added up
  // as minutes); blanks left out; `_`-fields never sent.
  function toJson(form) {
    var root = {};
    var data = new FormData(form);
    data.forEach(function (value, name) {
      if (name.charAt(0) === "_" || typeof value !== "string") return;
      var i = name.indexOf(":");
      var path = (i < 0 ? name : name.slice(0, i)).split(".");
      var kind = i < 0 ? "text" : name.slice(i + 1);
      var key = path.pop();
      var out = root;
      path.forEach(function (part) {
        if (typeof out[part] !== "object" || out[part] === null || Array.isArray(out[part])) out[part] = {};
        out = out[part];
      });
      if (kind === "list") {
        if (!Array.isArray(out[key])) out[key] = [];
        if (value !== "") out[key].push(value);
      } else if (kind === "nullable") {
        out[key] = value.trim() === "" ? null : value;
      } else if (kind === "bool") {
        out[key] = ["true", "on", "yes", "1"].indexOf(value) >= 0;
      } else if (value.trim() === "") {
        // left out
      } else if (kind === "optbool") {
        out[key] = ["true", "on", "yes", "1"].indexOf(value) >= 0;
      } else if (kind === "lines") {
        out[key] = value.split(/[\n,]/).map(function (v) { return v.trim(); }).filter(function (v) { return v !== ""; });
      } else if (kind === "json") {
        try { out[key] = JSON.parse(value); } catch (e) { out[key] = value; }
      } else if (kind === "hours" || kind === "addmin") {
        // A duration in hours (decimals allowed) and whole minutes, added up as minutes;
        // a part that is not a number is sent as typed, for the API to say so.
        // The grammar of forms.rs `duration_part`: hours with a point or a comma.
        var v = value.trim();
        var h = v.replace(",", ".");
        var m = kind === "hours"
          ? (/^(\d+(\.\d*)?|\.\d+)$/.test(h) ? Math.round(Number(h) * 60) : null)
          : (/^\d+$/.test(v) ? parseInt(v, 10) : null);
        if (m === null) out[key] = value;
        else if (typeof out[key] === "number") out[key] += m;
        else if (out[key] === undefined) out[key] = m;
      } else if (kind === "mib") {
        // A size typed in megabytes, sent as bytes (forms.rs `mib_to_bytes`).
        var mb = value.trim().replace(",", ".");
        out[key] = /^(\d+(\.\d*)?|\.\d+)$/.test(mb) ? Math.round(Number(mb) * 1048576) : value;
      } else if (kind === "int" && /^-?\d+$/.test(value.trim())) {
        out[key] = parseInt(value.trim(), 10);
      } else if (kind === "number" && !isNaN(Number(value.trim()))) {
        out[key] = Number(value.trim());
      } else {
        out[key] = value;
      }
    });
    return root;
  }

  function hidden(form, name) {
    var el = form.querySelector('input[name="' + name + '"]');
    return el ? el.value : null;
  }

  function clearErrors(form) {
    form.querySelectorAll(".field-error, .alert.problem.js").forEach(function (el) { el.remove(); });
    form.querySelectorAll("[aria-invalid]").forEach(function (el) {
      el.removeAttribute("aria-invalid");
    });
  }

  // Every input a field's value comes from (the hours and minutes of a duration are two).
  function fieldsFor(form, field) {
    var base = field.replace(/\[\d+\].*$/, "");
    var found = [];
    form.querySelectorAll("[name]").forEach(function (el) {
      var n = el.getAttribute("name");
      if (n === base || n.split(":")[0] === base) found.push(el);
    });
    return found;
  }

  // A field's name in words, as forms.rs `field_words`: `rows[3].unit_code` is
  // "row 3, unit code", `track.margin_points` "margin points".
  function fieldWords(field) {
    var m = /^([^\[]+)\[(\d+)\]\.?(.*)$/.exec(field);
    if (m) {
      var item = m[1].replace(/s$/, "").replace(/_/g, " ");
      return m[3] ? item + " " + m[2] + ", " + fieldWords(m[3]) : item + " " + m[2];
    }
    return field.split(".").pop().replace(/_/g, " ");
  }

  function showProblem(form, problem, status) {
    var box = document.createElement("div");
    box.className = "alert problem js";
    box.setAttribute("role", "alert");
    var message = (problem && (problem.detail || problem.title)) ||
      "Something went wrong (" + status + "). Please try again.";
    var errors = (problem && problem.errors) || [];
    var unplaced = [];
    errors.forEach(function (e, n) {
      var els = fieldsFor(form, e.field);
      if (!els.length) { unplaced.push(fieldWords(e.field) + ": " + e.detail); return; }
      var note = document.createElement("span");
      note.className = "field-error";
      note.id = "err-" + n + "-" + Math.random().toString(36).slice(2, 7);
      note.textContent = e.detail;
      els.forEach(function (el) {
        el.setAttribute("aria-invalid", "true");
        el.setAttribute("aria-describedby", note.id);
      });
      els[els.length - 1].insertAdjacentElement("afterend", note);
    });
    if (errors.length) {
      message = "Please correct the fields marked below." +
        (unplaced.length ? " " + unplaced.join("; ") + "." : "");
    }
    box.textContent = message;
    form.insertBefore(box, form.firstChild);
    box.scrollIntoView({ block: "nearest" });
  }

  function done(form, body) {
    var next = hidden(form, "_next") || hidden(form, "_back") || window.location.pathname;
    var id = body && body.id ? body.id : "";
    next = next.replace("{id}", id);
    var notice = hidden(form, "_notice") || "Saved.";
    // The next page shows it and clears it (the same cookie /app/do sets); with `_undo`,
    // the API path that undoes the change, it offers an Undo button back to `next`.
    var undo = hidden(form, "_undo");
    var flash = undo
      ? "u:" + [notice, undo, next].map(encodeURIComponent).join("|")
      : "n:" + encodeURIComponent(notice);
    document.cookie = "folio_flash=" + flash + "; Path=/; Max-Age=60; SameSite=Lax";
    window.location.assign(next);
  }

  function parse(text) {
    try { return JSON.parse(text); } catch (e) { return null; }
  }

  function send(form, submitter) {
    var api = hidden(form, "_api");
    var method = hidden(form, "_method") || "POST";
    if (!api || api.indexOf("/api/v1/") !== 0) return false;
    // A local date and time is turned into an instant in the organisation's time zone by
    // the server: such a form goes the no-script way.
    if (form.querySelector('[name$=":datetime"]')) return false;
    // A form that deletes or takes something away is asked first, on the page /app/do
    // shows for it: it goes the no-script way until it has been confirmed there.
    if (hidden(form, "_confirm") && hidden(form, "_confirmed") !== "yes") return false;
    clearErrors(form);
    var buttons = form.querySelectorAll("button");
    buttons.forEach(function (b) { b.disabled = true; });
    var xhr = new XMLHttpRequest();
    xhr.open(method, api);
    xhr.setRequestHeader("Accept", "application/json");
    var progress = form.querySelector("progress");
    var multipart = form.getAttribute("enctype") === "multipart/form-data";
    if (multipart && progress) {
      progress.hidden = false;
      progress.value = 0;
      xhr.upload.onprogress = function (e) {
        if (e.lengthComputable) {
          progress.max = e.total;
          progress.value = e.loaded;
          progress.textContent = Math.round((100 * e.loaded) / e.total) + "%";
        }
      };
    }
    xhr.onload = function () {
      buttons.forEach(function (b) { b.disabled = false; });
      var body = parse(xhr.responseText);
      if (xhr.status >= 200 && xhr.status < 300) { done(form, body); return; }
      if (xhr.status === 401) { window.location.assign("/sign-in?next=" + encodeURIComponent(window.location.pathname)); return; }
      if (progress) progress.hidden = true;
      showProblem(form, body, xhr.status);
    };
    xhr.onerror = function () {
      buttons.forEach(function (b) { b.disabled = false; });
      if (progress) progress.hidden = true;
      showProblem(form, { detail: "Folio could not be reached. Check your connection and try again." }, 0);
    };
    if (multipart) {
      // Parts in the form's order (the file last); `name:csv` values joined by commas
      // into one part, where the API takes a list that way.
      var data = new FormData();
      var csv = {};
      new FormData(form).forEach(function (value, name) {
        if (name.charAt(0) === "_") return;
        var key = name.split(":")[0];
        if (/:csv$/.test(name)) {
          if (!(key in csv)) { csv[key] = []; data.append(key, ""); }
          csv[key].push(value);
        } else {
          data.append(key, value);
        }
      });
      Object.keys(csv).forEach(function (key) { data.set(key, csv[key].join(",")); });
      xhr.send(data);
    } else if (hidden(form, "_content_type")) {
      // A form whose one field is the body itself (a CSV import).
      xhr.setRequestHeader("Content-Type", hidden(form, "_content_type"));
      xhr.send(form.querySelector('[name="_body"]').value);
    } else if (method === "DELETE") {
      xhr.send();
    } else {
      xhr.setRequestHeader("Content-Type", "application/json");
      xhr.send(JSON.stringify(toJson(form)));
    }
    return true;
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.querySelector('input[name="_api"]')) return;
    if (send(form, event.submitter)) event.preventDefault();
  });

  // "Non-completed only" and similar toggles filter in place.
  document.addEventListener("change", function (event) {
    var t = event.target;
    if (t && t.matches && t.matches("[data-autosubmit]")) t.form.submit();
  });
})();
