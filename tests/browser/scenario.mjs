// Folio's end-to-end scenario in a real browser (Debian's Chromium, driven by
// playwright-core), against a running `folio demo`:
//
//   1. a learner (on a 360-px phone screen) signs in after a mistyped password, accepts the
//      disclaimer, uploads evidence (after being told what the form is missing) and logs
//      time (after being told an impossible duration is refused);
//   2. their assessor finds the new evidence from a homepage tile, maps it to two criteria
//      and signs them off;
//   3. the learner's progress map shows those two criteria green;
//   4. an admin asks for the compliance workbook and downloads it when it is ready.
//
// Environment: FOLIO_BASE (http://127.0.0.1:PORT), FOLIO_SCREENSHOTS (a directory),
// FOLIO_DOWNLOAD (where the workbook goes), FOLIO_CHROMIUM (default /usr/bin/chromium).
// Exits non-zero with the failing step on any failure.

import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { checkNoCspViolations, launchChromium, watchedContext } from "./csp.mjs";

const BASE = process.env.FOLIO_BASE;
const SHOTS = process.env.FOLIO_SCREENSHOTS;
const DOWNLOAD = process.env.FOLIO_DOWNLOAD;
const PASSWORD = "folio-demo-2026";
const ORG = "northgate-training";
if (!BASE || !SHOTS || !DOWNLOAD) {
  console.error("set FOLIO_BASE, FOLIO_SCREENSHOTS and FOLIO_DOWNLOAD");
  process.exit(2);
}
mkdirSync(SHOTS, { recursive: true });

const PHONE = { viewport: { width: 360, height: 740 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };
const DESKTOP = { viewport: { width: 1280, height: 860 } };

let step = "start";
function check(condition, message) {
  if (!condition) throw new Error(message);
}

async function shot(page, name) {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

async function signIn(page, email, password = PASSWORD) {
  await page.goto(`${BASE}/sign-in?org=${ORG}`);
  await page.getByLabel("E-mail address").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForLoadState("load");
}

async function signOut(page) {
  await page.getByRole("button", { name: /Sign out/ }).click();
  await page.waitForURL(/\/sign-in/);
}

// No page may show a raw error: JSON, a stack trace or an HTTP status line alone.
async function noRawErrors(page) {
  const text = await page.locator("body").innerText();
  check(!/^\s*[{[]/.test(text), `raw JSON shown on ${page.url()}`);
  check(!/problem\+json|\/problems\/|panicked|stack backtrace|invalid type:|expected i64|expected f64/i.test(text), `raw error text on ${page.url()}`);
}

const browser = await launchChromium();

try {
  // 1. The learner, on a phone.
  const learnerContext = await watchedContext(browser, PHONE);
  const learner = await learnerContext.newPage();

  step = "sign-in page names the organisation";
  await learner.goto(`${BASE}/sign-in?org=${ORG}`);
  await learner.getByRole("heading", { name: "Sign in to Northgate Training" }).waitFor();
  await shot(learner, "sign-in");

  step = "a wrong password is refused readably";
  await signIn(learner, "learner1@northgate.example", "not-my-password");
  await learner.getByRole("alert").filter({ hasText: "password is not right" }).waitFor();
  await noRawErrors(learner);

  step = "sign in and accept the disclaimer";
  await signIn(learner, "learner1@northgate.example");
  await learner.waitForURL(/\/app\/disclaimer/);
  await learner.getByText("must be your own work").waitFor();
  await shot(learner, "disclaimer");
  await learner.getByRole("button", { name: "I accept" }).click();
  await learner.waitForURL(/\/app\/enrolments\/[0-9a-f-]+/);
  const enrolmentUrl = learner.url().split("?")[0];
  await learner.getByRole("heading", { name: "Amelia Clarke" }).waitFor();
  await learner.getByText("0 of 10 criteria signed off").waitFor();
  await shot(learner, "learner-overview");

  step = "the upload form says what is missing";
  await learner.getByRole("link", { name: "Evidence" }).click();
  await learner.waitForURL(/\/evidence$/);
  const upload = learner.locator("#upload");
  await upload.getByLabel("Title").fill("Workshop risk assessment");
  await upload.getByLabel("Your name as your signature").fill("Amelia Clarke");
  await upload.getByLabel("File").setInputFiles({
    name: "risk-assessment.txt",
    mimeType: "text/plain",
    buffer: Buffer.from("Hazards: swarf, noise, lifting. Controls: guards, ear defenders, hoist.\n"),
  });
  await upload.getByRole("button", { name: "Upload" }).click();
  await upload.getByRole("alert").waitFor();
  const declaration = upload.getByLabel("I declare that this is my own work.");
  check((await declaration.getAttribute("aria-invalid")) === "true", "the declaration is not marked as the problem");
  await noRawErrors(learner);

  step = "upload evidence";
  await declaration.check();
  await upload.getByRole("button", { name: "Upload" }).click();
  await learner.getByText("Your evidence is uploaded.").waitFor();
  await learner.getByRole("link", { name: "Workshop risk assessment" }).waitFor();
  // A second piece, which the assessor will return for improvement (screens.mjs).
  await upload.getByLabel("Title").fill("Toolbox talk notes");
  await upload.getByLabel("Your name as your signature").fill("Amelia Clarke");
  await upload.getByLabel("I declare that this is my own work.").check();
  await upload.getByLabel("File").setInputFiles({
    name: "toolbox-talk.txt",
    mimeType: "text/plain",
    buffer: Buffer.from("Toolbox talk: working at height, ladders, harness checks.\n"),
  });
  await upload.getByRole("button", { name: "Upload" }).click();
  await learner.getByRole("link", { name: "Toolbox talk notes" }).waitFor();
  await shot(learner, "learner-evidence");

  step = "an impossible duration is refused readably";
  await learner.goto(`${enrolmentUrl}/time-log`);
  const log = learner.locator("#log-time");
  await log.getByLabel("Minutes").fill("2000");
  await log.getByRole("button", { name: "Add to time log" }).click();
  await log.getByRole("alert").waitFor();
  check((await log.getByLabel("Minutes").getAttribute("aria-invalid")) === "true", "minutes not marked as the problem");
  await noRawErrors(learner);

  step = "a duration that is not a number is refused in words";
  await log.getByLabel("Minutes").fill("");
  await log.getByLabel("Hours").fill("one");
  await log.getByRole("button", { name: "Add to time log" }).click();
  await log.getByText('must be a whole number (you gave "one")').waitFor();
  check((await log.getByLabel("Hours").getAttribute("aria-invalid")) === "true", "hours not marked as the problem");
  await noRawErrors(learner);

  step = "log time";
  // An hour and a half, typed as hours with a decimal comma: 90 minutes.
  await log.getByLabel("Hours").fill("1,5");
  await log.getByLabel("Activity").selectOption("trainer_led_training");
  await log.getByLabel("What did you learn?").fill("Lifting plan workshop with the site engineer.");
  await log.getByRole("button", { name: "Add to time log" }).click();
  await learner.getByText("Time logged.").waitFor();
  await learner.locator("#entries").getByText("1:30").waitFor();
  // The activity is named as the funding rules name it.
  await learner.locator("#entries").getByText("Trainer or assessor led training").waitFor();
  await learner.locator("#otj-summary").getByText("1.5 hours").waitFor();

  step = "on-the-job time is logged but not counted off the job (item 2)";
  // Nothing is pre-ticked: the learner is not asked at all, the activity decides.
  check((await log.locator("input[type=checkbox][name^='off_the_job']").count()) === 0, "the learner is offered an off-the-job box");
  await log.getByLabel("Hours").fill("1");
  await log.getByLabel("Activity").selectOption("technical_experience");
  await log.getByLabel("Unit").selectOption({ label: "K1 Health, safety and the environment" });
  await log.getByLabel("What did you learn?").fill("Fitted the guard on the lathe at work.");
  await log.getByRole("button", { name: "Add to time log" }).click();
  await learner.getByText("Time logged.").waitFor();
  const onTheJob = learner.locator("#entries tr", { hasText: "Gaining technical experience by doing my job" });
  check((await onTheJob.locator('td[data-label="Off the job"]').innerText()).startsWith("No"), "on-the-job time is listed as off the job");
  await learner.locator("#otj-summary").getByText("1.5 hours").waitFor();

  step = "editing an entry shows its unit and changes it (item 3)";
  await onTheJob.getByRole("link").first().click();
  await learner.waitForURL(/\/app\/time-log\//);
  const unit = learner.getByLabel("Unit");
  const chosen = await unit.evaluate((s) => s.options[s.selectedIndex].text);
  check(chosen === "K1 Health, safety and the environment", `the entry's unit shows as ${chosen}`);
  const values = await unit.evaluate((s) => [...s.options].map((o) => o.value).filter(Boolean));
  check(new Set(values).size === values.length && values.length >= 2, `the unit options share values: ${values}`);
  await unit.selectOption({ label: "K2 Engineering drawings and specifications" });
  await learner.getByRole("button", { name: "Save entry" }).click();
  await learner.getByText("Entry saved.").waitFor();
  await learner.locator("#entries tr", { hasText: "Gaining technical experience" }).getByRole("link").first().click();
  const now = await learner.getByLabel("Unit").evaluate((s) => s.options[s.selectedIndex].text);
  check(now === "K2 Engineering drawings and specifications", `the changed unit shows as ${now}`);
  await learner.goto(`${enrolmentUrl}/time-log`);
  await shot(learner, "learner-time-log");
  await signOut(learner);

  // 2. The assessor, at a desk.
  const assessorContext = await watchedContext(browser, DESKTOP);
  const assessor = await assessorContext.newPage();
  step = "the assessor's homepage tiles";
  await signIn(assessor, "assessor1@northgate.example");
  await assessor.waitForURL(/\/app(\?|$)/);
  const tile = assessor.locator('[data-tile="new_evidence_to_review"]');
  await tile.waitFor();
  check((await tile.locator(".n").innerText()).trim() === "2", "the new evidence tile does not count the two uploads");
  await shot(assessor, "assessor-home");

  step = "map and sign off the evidence";
  await tile.click();
  await assessor.getByRole("link", { name: "Workshop risk assessment" }).click();
  await assessor.waitForURL(/\/app\/evidence\//);
  const map = assessor.locator("#map");
  await map.getByLabel(/K1\.1 Identify the hazards/).check();
  await map.getByLabel(/K1\.2 Explain the permit-to-work/).check();
  await map.getByRole("button", { name: "Save mapping" }).click();
  await assessor.getByText("Mapping saved.").waitFor();
  const signOff = assessor.locator("#sign-off");
  await signOff.getByLabel(/K1\.1 Identify the hazards/).waitFor();
  await signOff.getByRole("button", { name: "Sign off selected" }).click();
  await assessor.getByText("Criteria signed off.").waitFor();
  await shot(assessor, "assessor-evidence");
  await signOut(assessor);

  // 3. The learner's progress map turns green.
  step = "the learner's progress map is green where signed off";
  await signIn(learner, "learner1@northgate.example");
  await learner.goto(`${enrolmentUrl}/progress-map`);
  for (const code of ["K1.1", "K1.2"]) {
    const state = await learner.locator(`[data-criterion="${code}"]`).getAttribute("data-state");
    check(state === "signed_off", `${code} is ${state}, not signed off`);
  }
  check((await learner.locator('[data-criterion="K1.3"]').getAttribute("data-state")) === "none", "K1.3 should have no evidence");
  const green = await learner.locator('[data-criterion="K1.1"]').evaluate((el) => getComputedStyle(el).backgroundColor);
  check(green === "rgb(220, 250, 230)", `K1.1 is not shown green (${green})`);
  await shot(learner, "learner-progress-map");
  step = "the non-completed filter hides what is signed off";
  await learner.getByLabel("Non-completed criteria only").check();
  await learner.waitForURL(/filter=incomplete/);
  check((await learner.locator('[data-criterion="K1.1"]').count()) === 0, "K1.1 still listed under non-completed");
  await learner.locator('[data-criterion="K1.3"]').waitFor();
  await learnerContext.close();

  // 4. The admin downloads the compliance workbook.
  const adminContext = await watchedContext(browser, { ...DESKTOP, acceptDownloads: true });
  const admin = await adminContext.newPage();
  step = "the admin asks for the compliance workbook";
  await signIn(admin, "admin@northgate.example");
  await admin.getByRole("link", { name: "Exports" }).click();
  await admin.getByRole("button", { name: "Compliance workbook" }).click();
  await admin.getByText("The compliance workbook is being made.").waitFor();
  step = "the workbook becomes ready";
  let ready = false;
  for (let i = 0; i < 120 && !ready; i++) {
    ready = (await admin.locator('tr[data-status="ready"]').count()) > 0;
    if (!ready) {
      check((await admin.locator('tr[data-status="failed"]').count()) === 0, "the export failed");
      await admin.waitForTimeout(500);
      await admin.reload();
    }
  }
  check(ready, "the compliance workbook was not ready within a minute");
  await shot(admin, "admin-exports");
  step = "download it";
  const [download] = await Promise.all([
    admin.waitForEvent("download"),
    admin.getByRole("link", { name: /Download compliance-.*\.xlsx/ }).click(),
  ]);
  await download.saveAs(DOWNLOAD);
  await adminContext.close();
  await assessorContext.close();
  step = "no page broke its Content-Security-Policy";
  checkNoCspViolations();
  console.log("scenario passed");
} catch (e) {
  console.error(`browser scenario failed at "${step}": ${e.message}`);
  // What each open page showed, for the one reading the failure.
  let n = 0;
  for (const context of browser.contexts()) {
    for (const page of context.pages()) {
      await page.screenshot({ path: join(SHOTS, `failure-${n++}.png`), fullPage: true }).catch(() => {});
      console.error(`page ${page.url()}:\n${(await page.locator("body").innerText().catch(() => "")).slice(0, 2000)}`);
    }
  }
  process.exitCode = 1;
} finally {
  await browser.close();
}
