// Every screen of Folio's web application, in a real browser, as the person it is for,
// against a running `folio demo`: each one opens without an error page, and the main
// thing it is for is done through it once and shows its result.
//
//   admin:    adds a person (after a readable refusal), enrols her, starts her learning,
//             revises her end date, edits her details and password, changes the
//             settings and the disclaimer, sets up single sign-on (after a readable
//             refusal), builds a course by hand, imports one from CSV and adds a file to
//             the learners' course;
//   assessor: opens every homepage tile, books a session, closes it, gives feedback and a
//             file on its page, sets an action at it (the session marked red until the action is
//             complete, then green),
//             leaves an internal comment, sends a document to sign, chooses an optional
//             unit, finds assessed evidence cannot be returned and returns another piece
//             with points for improvement;
//   learner:  accepts the new disclaimer, opens the returned evidence from the bell,
//             reads the files from her course,
//             updates the action, messages the assessor,
//             edits a time-log entry and sees the month, logs time from a day of
//             the calendar and opens it there, deletes one (asked first, after
//             changing her mind once), reads the units page, signs the
//             document, edits the profile and photo, finds the assessed evidence offers
//             no new version and resubmits the returned piece; without the script,
//             uploads evidence, a photo that its page then draws, and a PDF it shows
//             page by page;
//   IQA:      reads the assessed evidence, comments, samples the sign-off and refers it
//             back (after being asked what she found); the assessor answers her;
//   employer: sees the employee's portfolio read-only (no upload, time-log or delete
//             forms) and signs the document;
//   auditor:  reads nothing without a grant, then the sample the admin gives her under a
//             banner, until the admin withdraws it.
//
// Environment as scenario.mjs.

import { createHmac } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { checkNoCspViolations, launchChromium, watchedContext } from "./csp.mjs";

const BASE = process.env.FOLIO_BASE;
const SHOTS = process.env.FOLIO_SCREENSHOTS;
const PASSWORD = "folio-demo-2026";
const ORG = "northgate-training";
// The organisation's identity provider, started by the Rust test (tests/oidc/provider.js).
const IDP = {
  issuer: process.env.FOLIO_IDP_ISSUER,
  clientId: process.env.FOLIO_IDP_CLIENT_ID,
  secret: process.env.FOLIO_IDP_CLIENT_SECRET,
};
if (!BASE || !SHOTS || !IDP.issuer) {
  console.error("set FOLIO_BASE, FOLIO_SCREENSHOTS and FOLIO_IDP_*");
  process.exit(2);
}
mkdirSync(SHOTS, { recursive: true });

let step = "start";
function check(condition, message) {
  if (!condition) throw new Error(message);
}

async function open(page, path) {
  const response = await page.goto(`${BASE}${path}`);
  check(response && response.status() < 400, `${path} answered ${response && response.status()}`);
  const text = await page.locator("body").innerText();
  check(!/could not be shown|Something went wrong|Not found|Not allowed/.test(text), `${path} shows an error: ${text.slice(0, 300)}`);
  check(!/^\s*[{[]|\/problems\//.test(text), `${path} shows raw JSON`);
  return text;
}

// The tables of a page wider than their box (that would scroll sideways), by label.
async function sidewaysTables(page) {
  return page.locator(".table-wrap").evaluateAll((wraps) =>
    wraps.filter((w) => w.scrollWidth > w.clientWidth + 1).map((w) => w.getAttribute("aria-label")),
  );
}

// The natural width of a picture once the browser has drawn it (0 if it never is).
async function drawnWidth(page, img) {
  await img.waitFor();
  await img.scrollIntoViewIfNeeded();
  let width = 0;
  for (let tries = 0; tries < 50 && width === 0; tries++) {
    width = await img.evaluate((i) => (i.complete ? i.naturalWidth : 0));
    if (width === 0) await page.waitForTimeout(200);
  }
  return width;
}

// A PDF of two A4 pages, written by hand: a line of text on each.
function twoPagePdf() {
  const text = (words) => `BT /F1 24 Tf 72 720 Td (${words}) Tj ET`;
  const page = (contents) => `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 7 0 R >> >> /Contents ${contents} 0 R >>`;
  const stream = (body) => `<< /Length ${body.length} >>\nstream\n${body}\nendstream`;
  const objects = [
    "<< /Type /Catalog /Pages 2 0 R >>",
    "<< /Type /Pages /Kids [3 0 R 5 0 R] /Count 2 >>",
    page(4),
    stream(text("1. Request the permit")),
    page(6),
    stream(text("2. Isolate the machine")),
    "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
  ];
  let pdf = "%PDF-1.4\n";
  const offsets = [];
  objects.forEach((object, i) => {
    offsets.push(pdf.length);
    pdf += `${i + 1} 0 obj\n${object}\nendobj\n`;
  });
  const xref = pdf.length;
  pdf += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const offset of offsets) pdf += `${String(offset).padStart(10, "0")} 00000 n \n`;
  pdf += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(pdf, "latin1");
}

async function signIn(page, email) {
  await page.goto(`${BASE}/sign-in?org=${ORG}`);
  await page.getByLabel("E-mail address").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForLoadState("load");
}

// The e-mail the demo sent, as the SMTP server (tests/src/smtp.rs) wrote it into its
// Maildir: the first link to set a password in a message to `to` that is not in `seen`,
// waiting up to 60 seconds for it to arrive.
const MAILDIR = process.env.FOLIO_MAILDIR;
function decodeMail(raw) {
  // Quoted-printable parts (soft line breaks, =XX), then any base64 parts.
  const qp = raw
    .replace(/=\r?\n/g, "")
    .replace(/=([0-9A-F]{2})/g, (_, hex) => String.fromCharCode(parseInt(hex, 16)));
  const b64 = (raw.match(/(?:^[A-Za-z0-9+/=]{16,}\r?\n)+/gm) || [])
    .map((block) => Buffer.from(block.replace(/\s+/g, ""), "base64").toString("utf8"));
  return [qp, ...b64].join("\n");
}
const SET_PASSWORD_LINK = /https?:\/\/[^\s"<>]+\/sign-in\/set-password\?token=[A-Za-z0-9_-]+/g;
async function mailLink(to, seen = [], pattern = SET_PASSWORD_LINK) {
  check(MAILDIR, "set FOLIO_MAILDIR");
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    let names = [];
    try { names = readdirSync(join(MAILDIR, "new")); } catch { /* not yet created */ }
    for (const name of names) {
      const raw = readFileSync(join(MAILDIR, "new", name), "utf8");
      const head = raw.split(/\r?\n\r?\n/)[0];
      if (!new RegExp(`^To:.*${to.replace(/[.]/g, "\\.")}`, "im").test(head)) continue;
      for (const link of decodeMail(raw).match(pattern) || []) {
        if (!seen.includes(link)) return link;
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`no e-mail with a link matching ${pattern} reached ${to}`);
}

// Follows an e-mailed link as its recipient would, not signed in: the link asks her to
// sign in (naming the organisation if the page does not know it) and then opens itself.
async function followMailLink(page, link, email) {
  await page.goto(link);
  await page.waitForURL(/\/sign-in/);
  const org = page.getByLabel("Organisation");
  if (!(await org.inputValue())) await org.fill(ORG);
  await page.getByLabel("E-mail address").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  const wanted = new URL(link).pathname;
  await page.waitForURL((url) => url.pathname === wanted);
}

// A TOTP code (RFC 6238: HMAC-SHA1 over the 30-second counter, RFC 4226 truncation)
// computed here with node's own crypto, independently of Folio, for `secret` (base32) at
// `unixSeconds`.
function totp(secret, unixSeconds) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const c of secret.replace(/=+$/, "")) bits += alphabet.indexOf(c).toString(2).padStart(5, "0");
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(unixSeconds / 30)));
  const h = createHmac("sha1", key).update(counter).digest();
  const offset = h[19] & 0x0f;
  const binary = ((h[offset] & 0x7f) << 24) | (h[offset + 1] << 16) | (h[offset + 2] << 8) | h[offset + 3];
  return String(binary % 1_000_000).padStart(6, "0");
}
check(totp("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", 59) === "287082", "the test's TOTP meets RFC 6238's test vector");

async function notice(page, text) {
  await page.getByRole("status").filter({ hasText: text }).waitFor();
}

const browser = await launchChromium();

try {
  const desk = { viewport: { width: 1280, height: 860 } };

  // The admin.
  const adminContext = await watchedContext(browser, desk);
  const admin = await adminContext.newPage();
  step = "admin: home and people";
  await signIn(admin, "admin@northgate.example");
  await admin.locator('[data-tile="caseload"]').waitFor();
  await open(admin, "/app/admin/people");
  await admin.locator('tr[data-user="learner1@northgate.example"]').waitFor();

  step = "admin: a person without a role is refused readably";
  const add = admin.locator("#add-person");
  await add.getByLabel("Name").fill("Ruby Fox");
  await add.getByLabel("E-mail address").fill("ruby.fox@northgate.example");
  await add.getByRole("button", { name: "Add person" }).click();
  await add.getByRole("alert").waitFor();

  step = "admin: adds a learner";
  await add.getByLabel("Learner").check();
  await add.getByLabel("Password", { exact: false }).fill("ruby-fox-password-1");
  await add.getByRole("button", { name: "Add person" }).click();
  await notice(admin, "Person added.");
  const rubyRow = admin.locator('tr[data-user="ruby.fox@northgate.example"]');
  await rubyRow.waitFor();
  // Each row says its roles in words; the role boxes wait behind "Edit".
  check((await rubyRow.locator('td[data-label="Roles"]').innerText()) === "Learner", "Ruby's roles are not shown in words");
  check((await admin.locator("#people input[type=checkbox]:visible").count()) === 0, "role boxes are open on every row");
  await admin.screenshot({ path: join(SHOTS, "admin-people.png"), fullPage: true });

  step = "admin: invites a person, who chooses her password from the e-mail's link";
  await add.getByLabel("Name").fill("Ivy Reed");
  await add.getByLabel("E-mail address").fill("ivy.reed@northgate.example");
  await add.getByLabel("Learner").check();
  await add.getByRole("button", { name: "Add person" }).click();
  await notice(admin, "Person added.");
  const invitation = await mailLink("ivy.reed@northgate.example");
  check(invitation.startsWith(BASE), `the invitation links to ${invitation}, not to Folio at ${BASE}`);
  const ivyContext = await watchedContext(browser, desk);
  const ivy = await ivyContext.newPage();
  const opened = await ivy.goto(invitation);
  check(opened.status() === 200, `the invitation's link answered ${opened.status()}`);
  await ivy.getByLabel("New password").fill("ivy-reed-password-1");
  await ivy.getByLabel("Type it again").fill("ivy-reed-password-2");
  await ivy.getByRole("button", { name: "Save my password" }).click();
  await ivy.getByRole("alert").filter({ hasText: "not the same" }).waitFor();
  await ivy.getByLabel("New password").fill("ivy-reed-password-1");
  await ivy.getByLabel("Type it again").fill("ivy-reed-password-1");
  await ivy.getByRole("button", { name: "Save my password" }).click();
  await notice(ivy, "Your password is set");
  await ivy.getByLabel("E-mail address").fill("ivy.reed@northgate.example");
  await ivy.getByLabel("Password").fill("ivy-reed-password-1");
  await ivy.getByRole("button", { name: "Sign in" }).click();
  await ivy.waitForURL(/\/app\//);
  const reused = await ivy.goto(invitation);
  check(reused.status() === 410, `a used invitation answered ${reused.status()}`);
  await ivy.getByText("has expired or has already been used").waitFor();

  step = "a person who forgot her password resets it from the e-mail's link";
  const forgetful = await (await watchedContext(browser, desk)).newPage();
  await forgetful.goto(`${BASE}/sign-in?org=${ORG}`);
  await forgetful.getByRole("link", { name: "Forgot your password?" }).click();
  await forgetful.getByLabel("E-mail address").fill("ivy.reed@northgate.example");
  await forgetful.getByRole("button", { name: "Send me a link" }).click();
  await forgetful.getByRole("status").filter({ hasText: "we have e-mailed them a link" }).waitFor();
  const reset = await mailLink("ivy.reed@northgate.example", [invitation]);
  await forgetful.goto(reset);
  await forgetful.getByLabel("New password").fill("ivy-reed-password-3");
  await forgetful.getByLabel("Type it again").fill("ivy-reed-password-3");
  await forgetful.getByRole("button", { name: "Save my password" }).click();
  await notice(forgetful, "Your password is set");
  // The reset ended the session she had: her page now asks her to sign in.
  await ivy.goto(`${BASE}/app/`);
  await ivy.waitForURL(/\/sign-in/);
  await forgetful.getByLabel("E-mail address").fill("ivy.reed@northgate.example");
  await forgetful.getByLabel("Password").fill("ivy-reed-password-3");
  await forgetful.getByRole("button", { name: "Sign in" }).click();
  await forgetful.waitForURL(/\/app\//);

  step = "she turns on two-step sign-in with her authenticator app, then signs in with a code";
  await forgetful.waitForURL(/\/app\/disclaimer/);
  await Promise.all([
    forgetful.waitForNavigation(),
    forgetful.getByRole("button", { name: "I accept" }).click(),
  ]);
  check(
    !forgetful.url().includes("/app/disclaimer"),
    `accepting left her at ${forgetful.url()}: ${(await forgetful.locator("main").innerText()).slice(0, 400)}`,
  );
  await open(forgetful, "/app/profile");
  await forgetful.getByRole("link", { name: "Two-step sign-in" }).click();
  await forgetful.getByRole("button", { name: "Set up two-step sign-in" }).click();
  await forgetful.locator(".qr svg").waitFor();
  const secret = (await forgetful.locator("#totp-secret").innerText()).trim();
  await forgetful.screenshot({ path: join(SHOTS, "two-step-setup.png"), fullPage: true });
  const started = Date.now() / 1000;
  await forgetful.getByLabel(/six-digit code/).fill(totp(secret, started));
  await forgetful.getByRole("button", { name: "Turn on two-step sign-in" }).click();
  await notice(forgetful, "Two-step sign-in is on.");
  const recoveryCodes = await forgetful.locator(".recovery-codes code").allInnerTexts();
  check(recoveryCodes.length === 10, `ten recovery codes are shown, not ${recoveryCodes.length}`);
  const twoStep = await (await watchedContext(browser, desk)).newPage();
  await twoStep.goto(`${BASE}/sign-in?org=${ORG}`);
  await twoStep.getByLabel("E-mail address").fill("ivy.reed@northgate.example");
  await twoStep.getByLabel("Password").fill("ivy-reed-password-3");
  await twoStep.getByRole("button", { name: "Sign in" }).click();
  await twoStep.getByRole("heading", { name: "Enter your code" }).waitFor();
  await twoStep.getByLabel("Code").fill("000000");
  await twoStep.getByRole("button", { name: "Continue" }).click();
  await twoStep.getByRole("alert").filter({ hasText: "That code is not right" }).waitFor();
  // The code for the next 30-second step: the one used to turn it on is good only once.
  await twoStep.getByLabel("Code").fill(totp(secret, started + 30));
  await twoStep.getByRole("button", { name: "Continue" }).click();
  await twoStep.waitForURL(/\/app(\/|$)/);
  await twoStep.locator("main").waitFor();
  // And with a recovery code, as after losing the phone.
  const lostPhone = await (await watchedContext(browser, desk)).newPage();
  await lostPhone.goto(`${BASE}/sign-in?org=${ORG}`);
  await lostPhone.getByLabel("E-mail address").fill("ivy.reed@northgate.example");
  await lostPhone.getByLabel("Password").fill("ivy-reed-password-3");
  await lostPhone.getByRole("button", { name: "Sign in" }).click();
  await lostPhone.getByLabel("Code").fill(recoveryCodes[0]);
  await lostPhone.getByRole("button", { name: "Continue" }).click();
  await lostPhone.waitForURL(/\/app(\/|$)/);

  step = "admin: enrols her";
  await open(admin, "/app/admin/enrolments");
  const enrol = admin.locator("#enrol");
  // By e-mail address, as typed from her welcome form: a typo first, then the address.
  await enrol.getByLabel("Learner's e-mail address").fill("ruby.fax@northgate.example");
  await enrol.getByLabel("Planned end date").fill("2028-06-30");
  await enrol.getByLabel("Assessor").selectOption({ label: "Tom Hughes" });
  await enrol.getByLabel("Planned off-the-job hours").fill("320");
  await enrol.getByRole("button", { name: "Enrol" }).click();
  await admin.locator("#enrol").getByText("is not the address of anyone in your organisation").waitFor();
  // What she typed is kept: only the address needs correcting.
  if ((await enrol.getByLabel("Planned off-the-job hours").inputValue()) !== "320") {
    throw new Error("the enrol form lost the hours typed before the error");
  }
  await enrol.getByLabel("Learner's e-mail address").fill("Ruby.Fox@northgate.example");
  await enrol.getByRole("button", { name: "Enrol" }).click();
  await notice(admin, "Learner enrolled.");
  await admin.locator("#enrolments").getByRole("link", { name: "Ruby Fox" }).waitFor();

  step = "admin: starts her learning and revises her end date";
  await admin.locator("#enrolments").getByRole("link", { name: "Ruby Fox" }).click();
  await admin.waitForURL(/\/app\/enrolments\//);
  await admin.getByText(/Programme status, dates/).click();
  const change = admin.locator("#change-status");
  await change.getByLabel("New status").selectOption("in_learning");
  await change.getByLabel("From").fill(new Date().toISOString().slice(0, 10));
  await change.getByRole("button", { name: "Change status" }).click();
  await notice(admin, "Status changed.");
  await admin.getByText("In learning").first().waitFor();
  await admin.getByText(/Programme status, dates/).click();
  const revise = admin.locator("#revise-end");
  await revise.getByLabel(/Revised end date/).fill("2028-09-30");
  await revise.getByLabel("Reason").fill("Break for an operation");
  await revise.getByRole("button", { name: "Record revised end date" }).click();
  await notice(admin, "Revised end date recorded.");
  await admin.getByText(/Programme status, dates/).click();
  const people = admin.locator("#enrolment-people");
  check((await people.getByLabel("Assessor").inputValue()) !== "", "her assessor is not shown as chosen");
  await people.getByLabel("Assessor").selectOption({ label: "Grace Okafor" });
  await people.getByLabel("IQA").selectOption({ label: "None" });
  await people.getByRole("button", { name: "Save people" }).click();
  await notice(admin, "People saved.");

  step = "admin: edits her details and sets a password";
  await open(admin, "/app/admin/people");
  const ruby = admin.locator('tr[data-user="ruby.fox@northgate.example"]');
  await ruby.getByText("Edit").click();
  await ruby.getByLabel("Name").fill("Ruby Fox-Hale");
  await ruby.getByRole("button", { name: "Save details" }).click();
  await notice(admin, "Details saved.");
  const renamed = admin.locator('tr[data-user="ruby.fox@northgate.example"]');
  await renamed.getByText("Ruby Fox-Hale").first().waitFor();
  await renamed.getByText("Edit").click();
  await renamed.getByLabel("New password").fill("short");
  await renamed.getByRole("button", { name: "Set password" }).click();
  await renamed.getByRole("alert").waitFor();
  await renamed.getByLabel("New password").fill("ruby-fox-hale-password-2");
  await renamed.getByRole("button", { name: "Set password" }).click();
  await notice(admin, "Password set.");

  step = "admin: imports a course";
  await open(admin, "/app/admin/courses");
  const csv = [
    "course_code,course_title,component,unit_code,unit_title,unit_optional,optional_group,criterion_code,criterion_text",
    "ST0001,Customer Service Practitioner,Knowledge,K1,Customers,no,,K1.1,Know who the customers are",
    "ST0001,Customer Service Practitioner,Knowledge,K1,Customers,no,,K1.2,Know what they expect",
  ].join("\n");
  // A row with a mistake is named as a person would: row and column, in words.
  await admin.getByLabel("CSV").fill(csv.replace("Knowledge,K1,Customers,no,,K1.2", "Knowledge,,Customers,no,,K1.2"));
  await admin.getByRole("button", { name: "Import" }).click();
  const importProblem = admin.getByRole("alert").filter({ hasText: "row 2, unit code" });
  await importProblem.waitFor();
  check(!(await importProblem.innerText()).includes("rows["), `the import's problem is in code: ${await importProblem.innerText()}`);
  await admin.getByLabel("CSV").fill(csv);
  await admin.getByRole("button", { name: "Import" }).click();
  await notice(admin, "Course imported.");
  await admin.getByRole("link", { name: "ST0001" }).click();
  await admin.getByText("Know what they expect").waitFor();

  step = "admin: adds a file to the learners' course";
  await open(admin, "/app/admin/courses");
  await admin.getByRole("link", { name: "ST0457" }).click();
  const addResource = admin.locator("#add-resource");
  if (!(await addResource.isVisible())) await admin.getByText("Add a file to the course").click();
  await addResource.getByLabel("Title").fill("Learner handbook");
  await addResource.getByLabel(/What it is for/).fill("Read before your induction.");
  await addResource.getByLabel("File").setInputFiles({ name: "handbook.txt", mimeType: "text/plain", buffer: Buffer.from("The learner handbook\n") });
  await addResource.getByRole("button", { name: "Add file" }).click();
  await notice(admin, "File added to the course.");
  await admin.locator("#resources li", { hasText: "Learner handbook" }).waitFor();

  step = "admin: builds a course by hand";
  await open(admin, "/app/admin/courses");
  await admin.locator("#add-course").getByLabel("Code").fill("ST0384");
  await admin.locator("#add-course").getByLabel("Title").fill("Team Leader");
  await admin.getByRole("button", { name: "Add course" }).click();
  await notice(admin, "Course added");
  await admin.getByRole("heading", { name: "ST0384 Team Leader" }).waitFor();
  await admin.getByText("Add a component").click();
  await admin.locator("#add-component").getByLabel("Title").fill("Leadership");
  await admin.getByRole("button", { name: "Add component" }).click();
  await notice(admin, "Component added.");
  const addUnit = admin.locator('[data-add-unit="Leadership"]');
  await addUnit.getByText("Add a unit to Leadership").click();
  await addUnit.getByLabel("Code").fill("L1");
  await addUnit.getByLabel("Title").fill("Leading people");
  await addUnit.getByRole("button", { name: "Add unit" }).click();
  await notice(admin, "Unit added.");
  await admin.getByText("Add a criterion to L1").click();
  const unit = admin.locator('[data-unit="L1"]');
  await unit.getByLabel("Code").fill("L1.1");
  await unit.getByLabel("What the learner must show").fill("Run a team briefing");
  await unit.getByRole("button", { name: "Add criterion" }).click();
  await notice(admin, "Criterion added.");
  await admin.locator('[data-criterion="L1.1"]').getByRole("button", { name: /Remove/ }).click();
  // Asked first, naming what goes.
  await admin.getByRole("heading", { name: "Are you sure?" }).waitFor();
  await admin.getByText("Remove criterion L1.1 (Run a team briefing)").waitFor();
  await admin.getByRole("button", { name: "Remove the criterion" }).click();
  await notice(admin, "Criterion removed.");
  check((await admin.locator('[data-criterion="L1.1"]').count()) === 0, "the criterion was not removed");

  step = "admin: settings and disclaimer";
  await open(admin, "/app/admin/settings");
  await admin.getByLabel("Progress review every (weeks)").fill("10");
  await admin.getByRole("button", { name: "Save settings" }).click();
  await notice(admin, "Settings saved.");
  check((await admin.getByLabel("Progress review every (weeks)").inputValue()) === "10", "the review frequency was not saved");
  // The upload limit is in megabytes, not bytes.
  const limit = admin.getByLabel(/Largest evidence file \(MB\)/);
  check((await limit.inputValue()) === "512", `the upload limit shows as ${await limit.inputValue()}`);
  await limit.fill("600");
  await admin.getByRole("button", { name: "Save settings" }).click();
  await notice(admin, "Settings saved.");
  check((await admin.getByLabel(/Largest evidence file \(MB\)/).inputValue()) === "600", "the upload limit was not saved in megabytes");
  await admin.getByLabel(/Text learners accept/).fill("Version two: your work must be your own. Keep your evidence free of other people's personal data.");
  await admin.getByRole("button", { name: "Save disclaimer" }).click();
  await notice(admin, "Disclaimer saved.");
  step = "admin: sets up single sign-on, password sign-in kept";
  const sso = admin.locator("#sso");
  await sso.getByLabel("Identity provider (issuer URL)").fill("not a url");
  await sso.getByLabel("Client id").fill("folio-northgate");
  await sso.getByRole("button", { name: "Save single sign-on" }).click();
  await sso.getByRole("alert").waitFor();
  check((await sso.getByLabel("Identity provider (issuer URL)").getAttribute("aria-invalid")) === "true", "the issuer is not marked as the problem");
  // A provider that cannot be reached is named as the problem when saving, in words.
  await sso.getByLabel("Identity provider (issuer URL)").fill("https://login.northgate.example");
  await sso.getByLabel(/Client secret/).fill(IDP.secret);
  await sso.getByRole("button", { name: "Save single sign-on" }).click();
  await sso.getByText(/could not be reached/).waitFor();
  check((await sso.getByLabel("Identity provider (issuer URL)").getAttribute("aria-invalid")) === "true", "the unreachable issuer is not marked as the problem");
  // The organisation's real provider.
  await sso.getByLabel("Identity provider (issuer URL)").fill(IDP.issuer);
  await sso.getByLabel("Client id").fill(IDP.clientId);
  await sso.getByLabel(/Client secret/).fill(IDP.secret);
  await sso.getByLabel(/Role mapping/).fill('{"tutors": ["assessor"]}');
  await sso.getByRole("button", { name: "Save single sign-on" }).click();
  await notice(admin, "Single sign-on saved.");
  await sso.getByText("give your identity provider the redirect URI").waitFor();
  check((await sso.getByLabel(/Role mapping/).inputValue()).includes("tutors"), "the role mapping was not kept");
  check(!(await admin.content()).includes(IDP.secret), "the settings page shows the client secret");
  // Amelia follows "Sign in with your organisation" in her own browser, signs in at the
  // provider and lands in Folio signed in.
  const ssoContext = await watchedContext(browser, desk);
  const viaSso = await ssoContext.newPage();
  await viaSso.goto(`${BASE}/sign-in?org=${ORG}`);
  await viaSso.getByLabel("Password").waitFor();
  await viaSso.getByRole("link", { name: "Sign in with your organisation" }).click();
  await viaSso.waitForURL((url) => url.href.startsWith(IDP.issuer));
  await viaSso.locator('input[name="login"]').fill("amelia");
  await viaSso.locator('input[name="password"]').fill("amelia-password");
  await viaSso.getByRole("button", { name: "Sign in" }).click();
  const allow = viaSso.getByRole("button", { name: "Allow" });
  // The provider may ask to allow access first (its page has no <main>, Folio's have).
  await allow.or(viaSso.locator("main")).first().waitFor();
  if (await allow.count()) await allow.click();
  await viaSso.waitForURL((url) => url.href.startsWith(`${BASE}/app`));
  await viaSso.getByText("Amelia").first().waitFor();
  // She signs out: Folio's session and the provider's end (RP-initiated logout with her ID
  // token as the hint), so signing in through the provider again asks for her password.
  step = "admin: the SSO learner signs out at the provider too";
  await viaSso.getByRole("button", { name: /Sign out/ }).click();
  await viaSso.waitForURL((url) => url.href.startsWith(IDP.issuer));
  await viaSso.getByRole("button", { name: /Yes, sign me out/i }).click();
  await viaSso.waitForURL((url) => url.href.startsWith(BASE));
  await viaSso.goto(`${BASE}/app/`);
  await viaSso.waitForURL(/\/sign-in/);
  await viaSso.goto(`${BASE}/sign-in?org=${ORG}`);
  await viaSso.getByRole("link", { name: "Sign in with your organisation" }).click();
  await viaSso.waitForURL((url) => url.href.startsWith(IDP.issuer));
  await viaSso.locator('input[name="login"]').waitFor();
  await ssoContext.close();

  step = "admin: gives the auditor a sample for the day; she reads it under a banner until it is withdrawn";
  // Without a grant the auditor reads nothing, and her home page says so.
  const auditorContext = await watchedContext(browser, desk);
  const auditor = await auditorContext.newPage();
  await signIn(auditor, "auditor@northgate.example");
  await auditor.getByText("You have no access to any learner's records at the moment").waitFor();
  await open(admin, "/app/admin/auditor-access");
  const sample = admin.locator("#grant-sample");
  const londonToday = new Date().toLocaleDateString("en-CA", { timeZone: "Europe/London" });
  await sample.getByLabel("What it is for").fill("ESFA funding audit");
  await sample.getByLabel("Learners' e-mail addresses").fill("learner2@northgate.example\nnobody@northgate.example");
  await sample.getByLabel("Last day").fill(londonToday);
  await sample.getByRole("button", { name: "Give access to the sample" }).click();
  // An address nobody enrolled has is named; what was typed stays.
  await sample.getByText("nobody enrolled in your organisation has the address nobody@northgate.example").waitFor();
  check((await sample.getByLabel("What it is for").inputValue()) === "ESFA funding audit", "the purpose was lost");
  check(!/\/problems\/|^\s*[{[]/.test(await admin.locator("body").innerText()), "raw error shown");
  await sample.getByLabel("Learners' e-mail addresses").fill("learner2@northgate.example");
  await sample.getByRole("button", { name: "Give access to the sample" }).click();
  await notice(admin, "Access given.");
  const grantRow = admin.locator("#grants tr", { hasText: "ESFA funding audit" });
  await grantRow.getByText("A sample of 1 programme").waitFor();
  await grantRow.getByText("In force").waitFor();
  // Her home is the sample, under the banner; the programme opens.
  await open(auditor, "/app/");
  await auditor.getByRole("note").filter({ hasText: "a sample of 1 learner's programme" }).waitFor();
  check(!(await auditor.getByRole("link", { name: "Amelia Clarke" }).count()), "a learner outside the sample is listed");
  await auditor.getByRole("link", { name: "Jack Robinson" }).click();
  await auditor.waitForURL(/\/app\/enrolments\/[0-9a-f-]+/);
  await auditor.getByRole("note").filter({ hasText: "ESFA funding audit" }).waitFor();
  const auditedUrl = auditor.url();
  // Withdrawn, asked first: her next page is refused and the banner is gone.
  await grantRow.getByRole("button", { name: /Withdraw/ }).click();
  await admin.getByRole("button", { name: "Withdraw the access" }).click();
  await notice(admin, "Access withdrawn.");
  await admin.locator("#grants tr", { hasText: "ESFA funding audit" }).getByText("Withdrawn").waitFor();
  await auditor.goto(auditedUrl);
  await auditor.getByRole("heading", { name: "Not found" }).waitFor();
  check(!(await auditor.getByRole("note").count()), "the banner outlived the access");
  await auditorContext.close();
  await open(admin, "/app/exports");
  await open(admin, "/app/profile");
  await adminContext.close();

  // The assessor.
  const assessorContext = await watchedContext(browser, desk);
  const assessor = await assessorContext.newPage();
  step = "assessor: every homepage tile opens";
  await signIn(assessor, "assessor1@northgate.example");
  const keys = await assessor.locator("[data-tile]").evaluateAll((els) => els.map((e) => e.getAttribute("data-tile")));
  check(keys.length >= 12, `only ${keys.length} tiles`);
  for (const key of keys) await open(assessor, `/app/tiles/${key}`);

  step = "assessor: books and closes a session";
  await open(assessor, "/app/tiles/caseload");
  await assessor.getByRole("link", { name: "Amelia Clarke" }).click();
  await assessor.waitForURL(/\/app\/enrolments\//);
  const amelia = assessor.url().split("?")[0];
  await assessor.getByText("Book a session").click();
  const book = assessor.locator("#book-session");
  await book.getByLabel("Type").selectOption("review");
  // Yesterday at ten: a session that has happened can be closed as attended.
  const yesterday = new Date(Date.now() - 86400000).toISOString().slice(0, 10);
  await book.getByLabel(/Starts/).fill(`${yesterday}T10:00`);
  await book.getByLabel("Planning notes").fill("Review the risk assessment.");
  // First with no length: refused, and the form (folded away in its <details>) comes back
  // open, the length marked and focused, what was typed still there.
  await book.getByLabel("Length in minutes").fill("");
  await book.getByRole("button", { name: "Book session" }).click();
  await assessor.locator("#book-session").getByRole("alert").waitFor();
  const rebooked = assessor.locator("#book-session");
  check(await rebooked.isVisible(), "the refused form is folded away");
  check((await rebooked.getByLabel("Length in minutes").getAttribute("aria-invalid")) === "true", "the length is not marked");
  check((await rebooked.getByLabel("Planning notes").inputValue()) === "Review the risk assessment.", "the notes typed are lost");
  check((await rebooked.getByLabel("Type").inputValue()) === "review", "the type chosen is lost");
  await rebooked.getByLabel("Length in minutes").fill("60");
  await rebooked.getByRole("button", { name: "Book session" }).click();
  await notice(assessor, "Session booked.");
  const session = assessor.locator("#sessions tr[data-session]").first();
  await session.getByText("Review the risk assessment.").waitFor();
  await session.getByLabel("Outcome").selectOption("attended");
  await session.getByRole("button", { name: "Close session" }).click();
  await notice(assessor, "Session closed.");
  await assessor.locator("#sessions").getByText("Attended").waitFor();

  step = "assessor: the session's page takes feedback and a file";
  await assessor.locator("#sessions").getByRole("link", { name: "Review" }).click();
  await assessor.waitForURL(/\/app\/sessions\//);
  await assessor.getByLabel("Feedback for the learner").fill("Good progress on the risk assessment.");
  await assessor.getByRole("button", { name: "Save session" }).click();
  await notice(assessor, "Session saved.");
  await assessor.locator("dl").getByText("Good progress on the risk assessment.").waitFor();
  await assessor.getByLabel(/Add a file/).setInputFiles({ name: "review-form.txt", mimeType: "text/plain", buffer: Buffer.from("Progress review form\n") });
  await assessor.getByRole("button", { name: "Add file" }).click();
  await notice(assessor, "File added.");
  await assessor.locator("#session-files").getByText("review-form.txt").waitFor();
  await assessor.goto(amelia);

  step = "assessor: sets an action and comments";
  await assessor.getByText("Set an action").click();
  const action = assessor.locator("#set-action");
  await action.getByLabel("What to do").fill("Write up the permit-to-work procedure");
  await action.getByLabel("Target date").fill("2027-01-15");
  // Set at the review just held: the session then shows it as to do (the guide's red).
  const atSession = action.getByLabel(/Set at session/);
  await atSession.selectOption(await atSession.locator("option", { hasText: "Review" }).first().getAttribute("value"));
  await action.getByRole("button", { name: "Set action" }).click();
  await notice(assessor, "Action set.");
  await assessor.locator("#actions").getByText("Write up the permit-to-work procedure").waitFor();
  const reviewRow = assessor.locator("#sessions tr[data-session]", { hasText: "Review the risk assessment." });
  await reviewRow.locator('[data-marker="open"]', { hasText: "1 action to do" }).waitFor();
  const setAction = assessor.locator("#actions li", { hasText: "permit-to-work procedure" });
  await setAction.getByRole("link", { name: /^Review, / }).waitFor();
  const red = await setAction.locator(".badge").evaluate((b) => getComputedStyle(b).color);
  check(red === "rgb(180, 35, 24)", `an outstanding action is not red: ${red}`);
  await assessor.getByLabel("Add a comment").fill("Confident on site; push on the drawings unit.");
  await assessor.getByRole("button", { name: "Add comment" }).click();
  await notice(assessor, "Comment added.");
  await assessor.getByText("push on the drawings unit").waitFor();
  await assessor.screenshot({ path: join(SHOTS, "assessor-learning-plan.png"), fullPage: true });

  step = "assessor: sends a document to sign";
  await assessor.getByText("Send a document to sign").click();
  const send = assessor.locator("#send-document");
  await send.getByLabel("Employer").check();
  await send.getByLabel("Title").fill("Training plan");
  await send.getByLabel("File").setInputFiles({ name: "training-plan.txt", mimeType: "text/plain", buffer: Buffer.from("Training plan for Amelia Clarke\n") });
  await send.getByRole("button", { name: "Send for signature" }).click();
  await notice(assessor, "Document sent for signature.");
  await assessor.locator("#documents").getByText("Training plan").waitFor();

  step = "assessor: reads messages and chooses an optional unit";
  await open(assessor, "/app/messages");
  await open(assessor, `${new URL(amelia).pathname}/units`);
  await assessor.getByLabel(/O1 Machining/).check();
  await assessor.getByRole("button", { name: "Save optional units" }).click();
  await notice(assessor, "Optional units saved.");
  await assessor.locator('[data-unit="O1"]').waitFor();
  check((await assessor.locator('[data-unit="O2"]').count()) === 0, "the unchosen option is listed");

  step = "assessor: the track list and the learner's page give one figure after a change";
  // O1 added its criteria to Amelia's total a moment ago. Her page works its figures out as
  // it is drawn; the tile lists read the stored ones, which must already say the same.
  await assessor.goto(amelia);
  const track = await assessor.locator("[data-track]").first().getAttribute("data-track");
  const overall = (await assessor.getByText(/^With evidence \d+%$/).first().innerText()).match(/(\d+)%/)?.[1];
  check(["off_track", "on_track", "ahead"].includes(track), `Amelia's track is ${track}`);
  // Between midnight and the night's recalculation (01:00, the organisation's time) the
  // stored figures are still last night's, a day's elapsed time behind her page (the lists
  // say "as of" that night): the two agree again once the night has run.
  const londonHour = Number(new Date().toLocaleString("en-GB", { timeZone: "Europe/London", hour: "2-digit", hour12: false }));
  if (londonHour >= 1) {
    await open(assessor, `/app/tiles/${track}`);
    const listedRow = assessor.locator("tr", { hasText: "Amelia Clarke" });
    check((await listedRow.count()) === 1, `Amelia is not in the ${track} list`);
    const listed = (await listedRow.innerText()).match(/Progress (\d+)%/)?.[1];
    check(listed !== undefined && listed === overall, `the ${track} list says ${listed}%, her page ${overall}%`);
  } else {
    console.log("screens: before the night's recalculation; the track list is last night's, not compared");
  }

  step = "assessor: assessed evidence is not returned; other evidence is, with points for improvement";
  await open(assessor, `${new URL(amelia).pathname}/evidence`);
  await assessor.getByRole("link", { name: "Workshop risk assessment" }).click();
  // Signed off in scenario.mjs: no return form, and why.
  await assessor.locator("#no-return").getByText("cannot be returned for changes").waitFor();
  check((await assessor.locator("#return").count()) === 0, "assessed evidence can still be returned");
  await open(assessor, `${new URL(amelia).pathname}/evidence`);
  await assessor.getByRole("link", { name: "Toolbox talk notes" }).click();
  await assessor.getByLabel("Points for improvement").fill("Add the noise assessment and who signed the permit.");
  await assessor.getByRole("button", { name: "Return to learner" }).click();
  await notice(assessor, "Returned to the learner.");
  await assessor.getByText("Add the noise assessment").waitFor();
  await assessorContext.close();

  // The learner, on a phone.
  const learnerContext = await watchedContext(browser, { viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true });
  const learner = await learnerContext.newPage();
  step = "learner: accepts the new disclaimer";
  await signIn(learner, "learner1@northgate.example");
  await learner.waitForURL(/\/app\/disclaimer/);
  await learner.getByText("Version two").waitFor();
  await learner.getByRole("button", { name: "I accept" }).click();
  await learner.waitForURL(/\/app\/enrolments\//);

  step = "learner: the overview says what needs doing and who is around her";
  // The assessor returned "Toolbox talk notes" and sent a training plan for her to sign.
  await learner.locator("#returned-evidence").getByText("Evidence returned for changes: 1").waitFor();
  await learner.locator("#to-sign").getByText("Documents for you to sign: 1").waitFor();
  const around = await learner.locator("#people-around").innerText();
  check(/Assessor: \S/.test(around) && !around.includes("Assessor: not yet assigned"), `her assessor is not named: ${around}`);

  step = "learner: the bell says her evidence was returned and opens it";
  const bell = learner.locator("#bell");
  check(/^\d+/.test(await bell.locator(".count").innerText()), "the bell counts nothing unread");
  await bell.click();
  await learner.waitForURL((u) => u.pathname === "/app/notifications");
  const returnedNote = learner.locator("ul.notifications li.unread", { hasText: "Your evidence has been returned" }).first();
  await returnedNote.getByRole("link").click();
  await learner.waitForURL((u) => /^\/app\/evidence\/[0-9a-f-]{36}$/.test(u.pathname));
  await learner.getByText("Add the noise assessment").first().waitFor();
  await open(learner, "/app/notifications");
  check(
    (await learner.locator("ul.notifications li.read", { hasText: "Your evidence has been returned" }).count()) >= 1,
    "the notification she opened is not marked read",
  );
  await open(learner, new URL(amelia).pathname);

  step = "learner: updates the action and messages the assessor";
  const item = learner.locator("#actions li", { hasText: "permit-to-work procedure" });
  await item.getByLabel("What have you done?").fill("Drafted it with my supervisor.");
  await item.getByLabel("Time spent (minutes)").fill("45");
  await item.getByRole("button", { name: "Update" }).click();
  await notice(learner, "Action updated.");
  await learner.locator("#actions li", { hasText: "permit-to-work procedure" }).getByText("In progress").waitFor();
  const yellow = await learner.locator("#actions li", { hasText: "permit-to-work procedure" }).locator(".badge").evaluate((b) => getComputedStyle(b).color);
  check(yellow === "rgb(181, 71, 8)", `an action in progress is not yellow: ${yellow}`);
  await learner.getByRole("link", { name: "Write up the permit-to-work procedure" }).click();
  await learner.getByLabel(/Add a file/).setInputFiles({ name: "permit-procedure.txt", mimeType: "text/plain", buffer: Buffer.from("1. Request the permit\n") });
  await learner.getByRole("button", { name: "Add file" }).click();
  await notice(learner, "File added.");
  await learner.locator("#action-files").getByText("permit-procedure.txt").waitFor();
  await learner.getByRole("link", { name: "← Overview" }).click();
  await learner.getByLabel("Subject").fill("Review date");
  await learner.getByLabel("Message").fill("Could we move my next review to Thursday?");
  await learner.getByRole("button", { name: "Send" }).click();
  await notice(learner, "Message sent.");

  step = "learner: edits a time-log entry and sees the month";
  const enrolmentPath = new URL(learner.url()).pathname;
  await open(learner, `${enrolmentPath}/time-log`);
  await learner.locator("#entries").getByRole("link").first().click();
  await learner.waitForURL(/\/app\/time-log\//);
  await learner.getByLabel("Hours").fill("2");
  await learner.getByLabel("Minutes").fill("0");
  await learner.getByRole("button", { name: "Save entry" }).click();
  await notice(learner, "Entry saved.");
  await learner.locator("#entries").getByText("2:00").waitFor();
  await learner.getByLabel("To").fill("2020-01-31");
  await learner.getByRole("button", { name: "Filter" }).click();
  await learner.getByText("No time logged that matches these filters").waitFor();
  await learner.getByRole("link", { name: "Calendar" }).click();
  await learner.locator("#calendar").getByText("Month total").waitFor();

  step = "learner: logs time from a day of the calendar and opens it there";
  await open(learner, `${enrolmentPath}/time-log?view=calendar`);
  // The last day time can be logged on this month is today.
  const addOnDay = learner.locator("#calendar a.cal-add").last();
  const onDay = await addOnDay.evaluate((a) => a.closest("td").dataset.date);
  await addOnDay.click();
  await learner.waitForURL((u) => u.searchParams.get("day") === onDay);
  const fromCalendar = learner.locator("#log-time");
  check((await fromCalendar.getByLabel("Date").inputValue()) === onDay, `the form does not start on ${onDay}`);
  await fromCalendar.getByLabel("Minutes").fill("45");
  await fromCalendar.getByLabel("What did you learn?").fill("Logged from the calendar.");
  await fromCalendar.getByRole("button", { name: "Add to time log" }).click();
  await notice(learner, "Time logged.");
  await learner.waitForURL((u) => u.searchParams.get("view") === "calendar" && !u.searchParams.has("day"));
  const logged = learner.locator(`#calendar td[data-date="${onDay}"] ul.cal-entries a`, { hasText: "0:45" });
  await logged.click();
  await learner.waitForURL(/\/app\/time-log\//);
  check((await learner.getByLabel("What did you learn?").inputValue()) === "Logged from the calendar.", "the calendar's entry opened another entry");

  step = "learner: deletes a time-log entry, asked first, and can change her mind";
  await open(learner, `${enrolmentPath}/time-log`);
  const log = learner.locator("#log-time");
  await log.getByLabel("Minutes").fill("25");
  await log.getByLabel("What did you learn?").fill("Logged by mistake.");
  await log.getByRole("button", { name: "Add to time log" }).click();
  await notice(learner, "Time logged.");
  const deletes = learner.locator("#entries").getByRole("button", { name: /^Delete/ });
  const before = await deletes.count();
  const mistake = learner.locator("#entries tr", { hasText: "Logged by mistake." });
  const del = mistake.getByRole("button", { name: /^Delete/ });
  // The button can be read: its text is not the white of the row behind it.
  const [ink, paper] = await del.evaluate((b) => [
    getComputedStyle(b).color,
    getComputedStyle(b.closest("tr")).backgroundColor,
  ]);
  check(ink !== "rgb(255, 255, 255)" && ink !== paper, `the Delete button is ${ink} on ${paper}`);
  // On this 360-pixel phone every column is in view, the Delete button's too.
  const box = await del.boundingBox();
  check(box && box.x >= 0 && box.x + box.width <= 360, `the Delete button is off the phone's screen: ${JSON.stringify(box)}`);
  await del.click();
  await learner.getByRole("heading", { name: "Are you sure?" }).waitFor();
  check((await learner.locator("body").innerText()).includes("You can undo it for a day."), "the question does not say what deleting means");
  await learner.getByRole("link", { name: "Cancel" }).click();
  await learner.locator("#entries").waitFor();
  check((await deletes.count()) === before, "cancelling deleted the entry");
  await mistake.getByRole("button", { name: /^Delete/ }).click();
  await learner.getByRole("button", { name: "Delete the entry" }).click();
  await notice(learner, "Entry deleted.");
  check((await deletes.count()) === before - 1, "confirming did not delete the entry");
  check((await learner.locator("#entries tr", { hasText: "Logged by mistake." }).count()) === 0, "the deleted entry is still listed");
  // Deleted the wrong one after all: the notice's Undo brings it back as it was.
  step = "learner: undoes the delete from the notice";
  await learner.getByRole("status").getByRole("button", { name: "Undo" }).click();
  await notice(learner, "Brought back.");
  await learner.locator("#entries tr", { hasText: "Logged by mistake." }).getByText("0:25").waitFor();
  check((await deletes.count()) === before, "undo did not bring the entry back");
  await learner.locator("#entries tr", { hasText: "Logged by mistake." }).getByRole("button", { name: /^Delete/ }).click();
  await learner.getByRole("button", { name: "Delete the entry" }).click();
  await notice(learner, "Entry deleted.");
  await learner.goto(`${BASE}${enrolmentPath}`);

  step = "learner: reads the files from her course";
  await learner.getByRole("link", { name: "Files from course" }).click();
  await learner.waitForURL((u) => u.pathname.endsWith("/resources"));
  const handbook = learner.locator("#resources li", { hasText: "Learner handbook" });
  await handbook.getByText("Read before your induction.").waitFor();
  const handbookFile = await learner.request.get(`${BASE}${await handbook.getByRole("link", { name: "Learner handbook" }).getAttribute("href")}`);
  check(handbookFile.ok() && (await handbookFile.text()) === "The learner handbook\n", "the handbook's link does not download it");
  await learner.goto(`${BASE}${enrolmentPath}`);

  step = "learner: reads her gateway checklist and agrees she is ready";
  await learner.getByRole("link", { name: "Gateway" }).click();
  await learner.waitForURL((u) => u.pathname.endsWith("/gateway"));
  await learner.getByRole("heading", { name: "Not yet ready for gateway" }).waitFor();
  const criteriaCheck = await learner.locator('[data-check="mandatory_criteria"]').innerText();
  check(/Not yet.*\d+ of \d+ criteria of the learner's units signed off/.test(criteriaCheck), `the criteria check says: ${criteriaCheck}`);
  await open(learner, `${enrolmentPath}/gateway`);
  await learner.getByRole("button", { name: "I agree I am ready for gateway" }).click();
  await notice(learner, "Your agreement is recorded.");
  await learner.locator("#gateway-agreements").getByText("The learner: Amelia Clarke").waitFor();
  check((await learner.locator('[data-check="learner_agrees"]').innerText()).startsWith("Met"), "her agreement is not met on the checklist");
  check((await learner.locator("#gateway-agree").count()) === 0, "the form is still offered after agreeing");
  await learner.goto(`${BASE}${enrolmentPath}`);

  step = "learner: units, documents, profile";
  const units = await open(learner, `${new URL(learner.url()).pathname}/units`);
  check(units.includes("Health, safety and the environment"), "the units page lists no units");
  await learner.locator('[data-unit="K1"]').waitFor();
  await learner.screenshot({ path: join(SHOTS, "learner-units.png"), fullPage: true });
  check((await sidewaysTables(learner)).length === 0, `on the phone the units tables scroll sideways: ${await sidewaysTables(learner)}`);
  step = "learner: asks for the progress map as PDF and downloads it";
  await learner.goto(`${BASE}${enrolmentPath}/progress-map`);
  // As the page filters it: the non-completed criteria only.
  await learner.getByLabel("Non-completed criteria only").check();
  await learner.waitForURL(/filter=incomplete/);
  await learner.getByRole("button", { name: "Download the non-completed criteria as PDF" }).click();
  await learner.getByText("Your PDF is being made.").waitFor();
  let pdfReady = false;
  for (let i = 0; i < 120 && !pdfReady; i++) {
    pdfReady = (await learner.locator('tr[data-status="ready"]').count()) > 0;
    if (!pdfReady) {
      await learner.waitForTimeout(500);
      await learner.reload();
    }
  }
  check(pdfReady, "the progress map PDF was not ready within a minute");
  const pdfLink = learner.getByRole("link", { name: /Download progress-map-.*\.pdf/ });
  const pdf = await learner.request.get(`${BASE}${await pdfLink.getAttribute("href")}`);
  check(pdf.ok() && (await pdf.body()).subarray(0, 5).toString() === "%PDF-", "the download is not a PDF");
  await learner.getByText("Progress map (non-completed criteria only)").waitFor();
  check((await sidewaysTables(learner)).length === 0, `on the phone the exports table scrolls sideways: ${await sidewaysTables(learner)}`);

  step = "learner: signs the document and reads messages";
  await open(learner, "/app/documents");
  const doc = learner.locator("[data-document]", { hasText: "Training plan" });
  await doc.getByLabel(/Type your full name to sign as Learner/).fill("Amelia Clarke");
  await doc.getByRole("button", { name: "Sign" }).click();
  await notice(learner, "Signed.");
  // Signed: nothing is left for her to sign, though the employer still has to.
  await learner.goto(`${BASE}${enrolmentPath}`);
  check((await learner.locator("#to-sign").count()) === 0, "the overview still counts a document she has signed");
  await learner.locator("#documents").getByText(/Training plan.*waiting for Employer/).waitFor();
  await open(learner, "/app/messages");
  await learner.getByText("Could we move my next review to Thursday?").waitFor();

  step = "learner: profile and photo";
  await open(learner, "/app/profile");
  // A 1×1 PNG.
  const png = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==", "base64");
  await learner.getByLabel("A JPEG, PNG or WebP image").setInputFiles({ name: "me.png", mimeType: "image/png", buffer: png });
  await learner.getByRole("button", { name: "Upload photo" }).click();
  await notice(learner, "Photo saved.");
  await learner.getByRole("img", { name: "Your photo" }).waitFor();
  await learner.getByLabel("Skills").fill("Lathe, milling, CAD");
  await learner.getByRole("button", { name: "Save profile" }).click();
  await notice(learner, "Profile saved.");
  check((await learner.getByLabel("Skills").inputValue()) === "Lathe, milling, CAD", "the profile was not saved");

  step = "learner: assessed evidence offers no new version; she resubmits the returned one";
  await learner.goBack();
  await open(learner, "/app");
  await learner.getByRole("link", { name: "Evidence", exact: true }).click();
  // Returned evidence is flagged in the library; each piece names its criteria.
  await learner.locator("tr", { hasText: "Toolbox talk notes" }).getByText("Returned: needs your changes").waitFor();
  const riskRow = await learner.locator("tr", { hasText: "Workshop risk assessment" }).innerText();
  check(riskRow.includes("K1.1") && riskRow.includes("K1.2"), `the library does not name the criteria: ${riskRow}`);
  await learner.getByRole("link", { name: "Workshop risk assessment" }).click();
  await learner.locator("#mapped-to").getByText("K1.1", { exact: true }).waitFor();
  // Its criteria were signed off on version 1 (scenario.mjs): the page says which, and
  // offers no upload that would replace what was assessed.
  await learner.locator("#assessed").getByText("Version 1: criteria K1.1, K1.2 signed off on it").waitFor();
  await learner.locator("#no-resubmit").getByText("cannot be replaced").waitFor();
  check((await learner.locator("#resubmit").count()) === 0, "assessed evidence still offers a new version");
  await learner.goBack();
  await learner.getByRole("link", { name: "Toolbox talk notes" }).click();
  await learner.getByText("Add the noise assessment").waitFor();
  const resubmit = learner.locator("#resubmit");
  await resubmit.getByLabel("What did you change?").fill("Added the noise assessment and the permit signatory.");
  await resubmit.getByLabel("File").setInputFiles({ name: "toolbox-talk-v2.txt", mimeType: "text/plain", buffer: Buffer.from("v2: noise 85 dB, permit signed by J. Smith\n") });
  await resubmit.getByRole("button", { name: "Upload new version" }).click();
  await notice(learner, "New version uploaded.");
  await learner.getByText("Version 2: toolbox-talk-v2.txt").waitFor();
  await learnerContext.close();

  // The employer's manager.
  const employerContext = await watchedContext(browser, desk);
  const employer = await employerContext.newPage();
  step = "employer: reads an employee's portfolio";
  await signIn(employer, "manager@northgate.example");
  await employer.getByRole("link", { name: "Amelia Clarke" }).click();
  // The chosen option counts now: 10 mandatory criteria and 2 of Machining.
  await employer.getByText("of 12 criteria signed off").waitFor();
  const photo = employer.getByRole("img", { name: "Photo of Amelia Clarke" });
  await photo.waitFor();
  // Inside its card, not over its edge.
  const [pic, card] = [await photo.boundingBox(), await employer.locator("#at-a-glance").boundingBox()];
  check(
    pic.x >= card.x && pic.y >= card.y && pic.x + pic.width <= card.x + card.width && pic.y + pic.height <= card.y + card.height,
    `the photo overflows its card: ${JSON.stringify({ pic, card })}`,
  );
  check((await employer.locator("#book-session, #set-action, #add-comment").count()) === 0, "the employer is offered staff tools");
  // Read-only: no upload form, no time to log, no entry to change or delete.
  const portfolio = new URL(employer.url()).pathname;
  await open(employer, `${portfolio}/evidence`);
  await employer.getByRole("link", { name: "Workshop risk assessment" }).waitFor();
  check((await employer.locator("#upload").count()) === 0, "the employer is offered an upload form");
  await open(employer, `${portfolio}/time-log`);
  await employer.locator("#entries").waitFor();
  check((await employer.locator("#log-time").count()) === 0, "the employer is offered the time-log form");
  check((await employer.locator("#entries form, #entries a[href^='/app/time-log/']").count()) === 0, "the employer is offered changes to entries");
  step = "employer: signs the document";
  await open(employer, "/app/documents");
  const toSign = employer.locator("[data-document]", { hasText: "Training plan" });
  await toSign.getByLabel(/Type your full name to sign as Employer/).fill("Dan Walsh");
  await toSign.getByRole("button", { name: "Sign" }).click();
  await notice(employer, "Signed.");
  await employer.getByText("Nothing is waiting for your signature.").waitFor();
  await employerContext.close();

  // The IQA (Grace Okafor, IQA of every demo learner) samples Tom Hughes's assessing: she
  // reads what he signed off on Amelia's evidence and notes her finding where staff keep
  // notes. She reads; the assessor's tools are not hers on his learners.
  const iqaContext = await watchedContext(browser, desk);
  const iqa = await iqaContext.newPage();
  step = "IQA: opens a learner she quality-assures from her caseload";
  await signIn(iqa, "assessor2@northgate.example");
  await iqa.locator("a.tile.go").click();
  await iqa.getByRole("link", { name: "Amelia Clarke" }).first().click();
  await iqa.waitForURL(/\/app\/enrolments\//);
  await iqa.locator("#people-around").getByText("Assessor: Tom Hughes · IQA: Grace Okafor").waitFor();
  step = "IQA: reads the assessed evidence, with no assessor's tools offered";
  const sampled = new URL(iqa.url()).pathname;
  await open(iqa, `${sampled}/evidence`);
  await iqa.getByRole("link", { name: "Workshop risk assessment" }).click();
  await iqa.locator("#assessed").getByText("signed off on it").waitFor();
  await iqa.locator("#mapped-to").getByText("K1.1", { exact: true }).waitFor();
  check((await iqa.locator("#map, #sign-off, #return").count()) === 0, "the IQA is offered the assessor's mapping, sign-off or return forms");
  step = "IQA: records her sampling as an internal comment";
  await open(iqa, sampled);
  await iqa.getByLabel("Add a comment").fill("IQA sample: risk assessment meets K1.1; sign-off sound.");
  await iqa.getByRole("button", { name: "Add comment" }).click();
  await notice(iqa, "Comment added.");
  const note = iqa.locator(".card", { hasText: "IQA sample: risk assessment meets K1.1" });
  await note.getByText("Grace Okafor").waitFor();
  step = "IQA: samples the sign-off on the IQA tab and refers it back, asked first for what she found";
  await iqa.getByRole("link", { name: "IQA", exact: true }).click();
  await iqa.waitForURL(/\/iqa$/);
  const sampling = iqa.locator("#sample-form");
  await sampling.getByLabel(/K1\.1/).check();
  await sampling.getByLabel(/Refer back to the assessor/).check();
  await sampling.getByRole("button", { name: "Record the sample" }).click();
  await sampling.getByRole("alert").waitFor();
  check((await sampling.getByLabel("What you found").getAttribute("aria-invalid")) === "true", "the missing feedback is not marked");
  await sampling.getByLabel("What you found").fill("Add the signed risk assessment itself, not only the photo.");
  await sampling.getByRole("button", { name: "Record the sample" }).click();
  await notice(iqa, "Your sample is recorded.");
  await iqa.locator('article.sample[data-decision="refer"]').getByText("K1.1").waitFor();
  const iqaTab = iqa.url();
  step = "IQA: plans Tom Hughes's sampling, every learner, and sees Amelia's interim sample done";
  await iqa.getByRole("link", { name: "IQA plans" }).click();
  await iqa.waitForURL(/\/app\/iqa-plans$/);
  const newPlan = iqa.locator("#new-plan");
  await newPlan.getByLabel("Assessor", { exact: true }).selectOption({ label: "Tom Hughes" });
  await newPlan.getByLabel("Course", { exact: true }).selectOption({ label: "Engineering Technician (Level 3)" });
  await newPlan.getByLabel("Every learner (a new assessor)").check();
  await newPlan.getByLabel("Observation").check();
  await newPlan.getByRole("button", { name: "Make the plan" }).click();
  await notice(iqa, "The plan is made.");
  await iqa.waitForURL(/\/app\/iqa-plans\/[0-9a-f-]{36}$/);
  await iqa.getByRole("heading", { name: /Sampling plan: Tom Hughes/ }).waitFor();
  const ameliaInterim = iqa.locator("#planned tr", { hasText: "Amelia Clarke" }).filter({ hasText: "Interim" });
  await ameliaInterim.waitFor();
  const doneOn = await ameliaInterim.locator('td[data-label="Done"]').innerText();
  check(/\d/.test(doneOn) && !/Not yet|Overdue/.test(doneOn), `Amelia's interim sample, just taken, is not shown done: ${doneOn}`);
  await iqa.locator("#methods tr", { hasText: "Observation" }).getByText("Not sampled yet").waitFor();
  await iqaContext.close();
  step = "assessor: follows the e-mail about the IQA's referral and answers it";
  const referredContext = await watchedContext(browser, desk);
  const referred = await referredContext.newPage();
  const iqaLink = await mailLink("assessor1@northgate.example", [], /https?:\/\/[^\s"<>]+\/app\/enrolments\/[0-9a-f-]{36}\/iqa/g);
  check(new URL(iqaLink).pathname === new URL(iqaTab).pathname, `the e-mail links to ${iqaLink}, not the IQA tab`);
  await followMailLink(referred, iqaLink, "assessor1@northgate.example");
  const referral = referred.locator('article.sample[data-decision="refer"]');
  await referral.getByText("Add the signed risk assessment itself").waitFor();
  await referral.getByLabel("Your answer").fill("Uploaded the signed copy and mapped it.");
  await referral.getByRole("button", { name: "Answer the IQA" }).click();
  await notice(referred, "Your answer is recorded.");
  await referred.locator('article.sample[data-decision="refer"]').getByText("Uploaded the signed copy and mapped it.").waitFor();
  check(!(await referred.locator("#sample-form").count()), "the assessor is offered the IQA's sampling form");
  await referredContext.close();
  // The conversation goes both ways: the assessor answers the learner's message, and
  // she reads the answer in the thread and answers it.
  step = "assessor: answers the learner's message in its conversation";
  const answerContext = await watchedContext(browser, desk);
  const answerer = await answerContext.newPage();
  // She follows the link in the e-mail the learner's message sent her.
  const messageLink = await mailLink("assessor1@northgate.example", [], /https?:\/\/[^\s"<>]+\/app\/messages\/[0-9a-f-]{36}/g);
  await followMailLink(answerer, messageLink, "assessor1@northgate.example");
  await answerer.locator("#thread").getByText("Could we move my next review to Thursday?").waitFor();
  await answerer.getByLabel(/Your answer to/).fill("Thursday at 2pm works. I have moved it.");
  await answerer.getByRole("button", { name: "Send answer" }).click();
  await notice(answerer, "Answer sent.");
  await answerer.locator("#thread li").nth(1).getByText("Thursday at 2pm works.").waitFor();

  step = "assessor: marks the session's action complete and its marker turns green";
  await answerer.goto(amelia);
  await answerer.locator("#actions li", { hasText: "permit-to-work procedure" }).getByRole("button", { name: "Mark complete" }).click();
  await notice(answerer, "Action marked complete.");
  const held = answerer.locator("#sessions tr[data-session]", { hasText: "Review the risk assessment." });
  await held.locator('[data-marker="done"]', { hasText: "Nothing outstanding" }).waitFor();
  await held.getByRole("link", { name: "Review" }).click();
  await answerer.waitForURL(/\/app\/sessions\//);
  const done = answerer.locator("#session-actions li", { hasText: "permit-to-work procedure" });
  await done.getByText("Complete").waitFor();
  const green = await done.locator(".badge").evaluate((b) => getComputedStyle(b).color);
  check(green === "rgb(6, 118, 71)", `a complete action is not green: ${green}`);
  await answerContext.close();

  step = "learner: reads the answer and answers it from her Messages page";
  const againContext = await watchedContext(browser, { viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true });
  const again = await againContext.newPage();
  await signIn(again, "learner1@northgate.example");
  await open(again, "/app/messages");
  const thread = again.locator("#conversations li", { hasText: "Review date" });
  await thread.getByText("1 new").waitFor();
  await thread.getByRole("link", { name: "Review date" }).click();
  await again.locator("#thread").getByText("Thursday at 2pm works.").waitFor();
  await again.getByLabel(/Your answer to/).fill("Thank you!");
  await again.getByRole("button", { name: "Send answer" }).click();
  await notice(again, "Answer sent.");
  check((await again.locator("#thread li").count()) === 3, "the conversation does not hold all three messages");
  // A new conversation from the Messages page itself.
  await open(again, "/app/messages");
  await again.getByText("Write a new message").click();
  await again.locator("#compose").getByLabel("Subject").fill("Portfolio question");
  await again.locator("#compose").getByLabel("Message").fill("Which unit does the toolbox talk count for?");
  await again.locator("#compose").getByRole("button", { name: "Send" }).click();
  await notice(again, "Message sent.");
  await again.locator("#conversations li", { hasText: "Portfolio question" }).waitFor();
  await againContext.close();

  step = "learner, without JavaScript: a refused form keeps what she typed";
  const plainContext = await watchedContext(browser, { ...desk, javaScriptEnabled: false });
  const plain = await plainContext.newPage();
  await signIn(plain, "learner1@northgate.example");
  await open(plain, `${enrolmentPath}/time-log`);
  const plainLog = plain.locator("#log-time");
  await plainLog.getByLabel("Hours").fill("one");
  await plainLog.getByLabel("Minutes").fill("15");
  await plainLog.getByLabel("What did you learn?").fill("Read the lifting regulations.");
  await plainLog.getByRole("button", { name: "Add to time log" }).click();
  await plain.locator("#log-time").getByRole("alert").getByText("Please correct the fields marked below.").waitFor();
  const refused = plain.locator("#log-time");
  check((await refused.getByLabel("Hours").inputValue()) === "one", "the hours typed are lost");
  check((await refused.getByLabel("Minutes").inputValue()) === "15", "the minutes typed are lost");
  check((await refused.getByLabel("What did you learn?").inputValue()) === "Read the lifting regulations.", "the text typed is lost");
  check((await refused.getByLabel("Hours").getAttribute("aria-invalid")) === "true", "hours not marked as the problem");
  await refused.getByText('must be a whole number (you gave "one")').waitFor();
  step = "learner, without JavaScript: uploads evidence, refused first and sent again";
  await open(plain, `${enrolmentPath}/evidence`);
  const plainUpload = plain.locator("#upload");
  const inductionNotes = { name: "induction.txt", mimeType: "text/plain", buffer: Buffer.from("Site induction: fire exits, first aid, permits.\n") };
  // Without the declaration: the form comes back as typed, and says the file must be
  // chosen again (no browser keeps it).
  await plainUpload.getByLabel("Title").fill("Site induction notes");
  await plainUpload.getByLabel("Your name as your signature").fill("Amelia Clarke");
  await plainUpload.getByLabel("File").setInputFiles(inductionNotes);
  await plainUpload.getByRole("button", { name: "Upload" }).click();
  await plainUpload.getByText("you must declare that this is your own work").waitFor();
  check((await plainUpload.getByLabel("Title").inputValue()) === "Site induction notes", "the title typed is lost");
  await plainUpload.getByText("If you had chosen a file, choose it again").waitFor();
  await plainUpload.getByLabel("I declare that this is my own work.").check();
  await plainUpload.getByLabel("File").setInputFiles(inductionNotes);
  await plainUpload.getByRole("button", { name: "Upload" }).click();
  await plain.getByText("Your evidence is uploaded.").waitFor();
  await plain.getByRole("link", { name: "Site induction notes" }).waitFor();
  // A photo of her work is shown in its page, drawn (a 2 x 1 PNG).
  const panelPng = Buffer.from(
    "iVBORw0KGgoAAAANSUhEUgAAAAIAAAABCAIAAAB7QOjdAAAAD0lEQVR4nGOQj9/PVuYOAAbdAgHmrC8fAAAAAElFTkSuQmCC",
    "base64",
  );
  await plainUpload.getByLabel("Title").fill("Finished panel");
  await plainUpload.getByLabel("I declare that this is my own work.").check();
  await plainUpload.getByLabel("Your name as your signature").fill("Amelia Clarke");
  await plainUpload.getByLabel("File").setInputFiles({ name: "panel.png", mimeType: "image/png", buffer: panelPng });
  await plainUpload.getByRole("button", { name: "Upload" }).click();
  await plain.getByText("Your evidence is uploaded.").waitFor();
  await plain.getByRole("link", { name: "Finished panel" }).click();
  const shown = plain.locator("#preview img");
  const photoWidth = await drawnWidth(plain, shown);
  check(photoWidth === 2, `the photo is not drawn in the evidence's page (width ${photoWidth})`);
  check((await shown.getAttribute("alt")).includes("Finished panel"), "the photo has no alternative text");

  step = "learner, without JavaScript: a PDF is shown page by page";
  await open(plain, `${enrolmentPath}/evidence`);
  await plainUpload.getByLabel("Title").fill("Permit procedure (PDF)");
  await plainUpload.getByLabel("I declare that this is my own work.").check();
  await plainUpload.getByLabel("Your name as your signature").fill("Amelia Clarke");
  await plainUpload.getByLabel("File").setInputFiles({ name: "permit.pdf", mimeType: "application/pdf", buffer: twoPagePdf() });
  await plainUpload.getByRole("button", { name: "Upload" }).click();
  await plain.getByText("Your evidence is uploaded.").waitFor();
  await plain.getByRole("link", { name: "Permit procedure (PDF)" }).click();
  const pdfPage = plain.locator("#pdf-preview img");
  // Drawn by the server, 1000 pixels wide, with words for those who cannot see it.
  check((await drawnWidth(plain, pdfPage)) === 1000, "the PDF's first page is not drawn");
  check((await pdfPage.getAttribute("alt")).startsWith("Page 1 of 2"), "the page's alternative text does not say which page");
  await plain.locator("#pdf-preview").getByRole("link", { name: "Next page →" }).click();
  await plain.locator("#pdf-preview").getByText("Page 2 of 2").waitFor();
  check((await drawnWidth(plain, plain.locator("#pdf-preview img"))) === 1000, "the PDF's second page is not drawn");
  check((await plain.locator("#pdf-preview").getByRole("link", { name: "Next page →" }).count()) === 0, "the last page offers a next one");
  await plain.locator("#pdf-preview").getByRole("link", { name: "← Previous page" }).click();
  await plain.locator("#pdf-preview").getByText("Page 1 of 2").waitFor();
  await plainContext.close();

  step = "no page broke its Content-Security-Policy";
  checkNoCspViolations();
  console.log("screens passed");
} catch (e) {
  console.error(`browser screens failed at "${step}": ${e.message}`);
  let n = 0;
  for (const context of browser.contexts()) {
    for (const page of context.pages()) {
      await page.screenshot({ path: join(SHOTS, `screens-failure-${n++}.png`), fullPage: true }).catch(() => {});
      console.error(`page ${page.url()}:\n${(await page.locator("body").innerText().catch(() => "")).slice(0, 2000)}`);
    }
  }
  process.exitCode = 1;
} finally {
  await browser.close();
}
