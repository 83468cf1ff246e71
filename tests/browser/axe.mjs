// Accessibility of every page, checked with axe-core in a real browser (Debian's Chromium,
// driven by playwright-core) against a running `folio demo`, after scenario.mjs and
// screens.mjs have filled it with evidence, sessions, messages, documents and exports.
//
// Each role of the demo (learner, assessor, IQA, employer's manager, admin) signs in and
// walks the pages it can reach by following links from its home page, breadth first, one
// page of each kind (the same path with other ids is the same template). On each page every
// folded `<details>` is opened, so forms behind "Edit" are checked too, and axe runs with
// its default rules (WCAG 2.0/2.1/2.2 A and AA and best practice). The sweep fails on any
// violation, and on any colour-contrast check axe could not decide ("needs review"): every
// text must have a contrast axe can measure. The signed-out pages are checked the same way,
// and the learner's and the assessor's pages also at 360 px. Text drawn in charts (SVG,
// which axe cannot measure) gets the same 4.5:1 check here, in svgTextContrast.
//
// Environment as scenario.mjs; AXE_DEBUG=1 lists each page checked.

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { checkNoCspViolations, launchChromium, watchedContext } from "./csp.mjs";

const BASE = process.env.FOLIO_BASE;
if (!BASE) {
  console.error("set FOLIO_BASE");
  process.exit(2);
}
const PASSWORD = "folio-demo-2026";
const ORG = "northgate-training";
// axe's own script, evaluated in each page through the DevTools protocol, which the
// pages' Content-Security-Policy does not govern (it allows no inline script).
const AXE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
// Pages of one kind checked per role; more would re-check the same template.
const PER_KIND = 1;
// A role's walk stops after this many pages.
const MAX_PAGES = 60;

const PHONE = { viewport: { width: 360, height: 740 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };
const DESKTOP = { viewport: { width: 1280, height: 860 } };

// A page's kind: its path with ids as `{id}`, and the names (not values) of its query.
function kind(url) {
  const path = url.pathname.replace(/\/$/, "").replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, "{id}");
  const names = [...new Set([...url.searchParams.keys()])].sort().join("&");
  return names ? `${path}?${names}` : path;
}

// Links worth following: this site's pages (not the API's files, not signing out).
function followable(href) {
  let url;
  try {
    url = new URL(href, BASE);
  } catch {
    return null;
  }
  if (url.origin !== new URL(BASE).origin) return null;
  if (!url.pathname.startsWith("/app")) return null;
  if (/sign-out|\/download|\/file|\.(pdf|xlsx|csv|zip)$/i.test(url.pathname)) return null;
  url.hash = "";
  return url;
}

const problems = [];

async function audit(page, who) {
  await page.evaluate(() => {
    for (const d of document.querySelectorAll("details")) d.open = true;
  });
  const loaded = await page.evaluate(() => typeof window.axe !== "undefined");
  if (!loaded) await page.evaluate(AXE);
  const results = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ["violations", "incomplete"] });
    // Text drawn in a chart (an <svg role="img">) is left to svgTextContrast below: axe
    // cannot see through an image to its background.
    for (const check of r.incomplete) {
      check.nodes = check.nodes.filter((n) => !document.querySelector(n.target[0])?.closest("svg"));
    }
    return r;
  });
  const where = `${who} ${new URL(page.url()).pathname}${new URL(page.url()).search}`;
  for (const low of await page.evaluate(svgTextContrast)) {
    problems.push(`${where}: chart text "${low.text}" has contrast ${low.ratio.toFixed(2)}:1 (${low.fg} on ${low.bg}), below 4.5:1`);
  }
  for (const v of results.violations) {
    for (const node of v.nodes) {
      problems.push(`${where}: ${v.id} (${v.impact}): ${v.help} at ${node.target.join(" ")}: ${node.failureSummary?.split("\n").slice(1).join(" ").trim()}`);
    }
  }
  for (const v of results.incomplete.filter((r) => r.id === "color-contrast")) {
    for (const node of v.nodes) {
      const why = node.any.map((c) => c.message).join("; ");
      problems.push(`${where}: colour contrast needs review at ${node.target.join(" ")}: ${why}`);
    }
  }
  return results.violations.length;
}

// The contrast of every text drawn in a chart, worked out as axe would for HTML (WCAG 2
// relative luminance): its fill against the fill of the last shape painted under its
// centre, or else the background of the box the chart sits in. Runs in the page; answers
// the texts below 4.5:1.
function svgTextContrast() {
  const rgb = (c) => c.match(/[\d.]+/g).slice(0, 3).map(Number);
  const luminance = (c) => {
    const [r, g, b] = rgb(c).map((v) => {
      const s = v / 255;
      return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const opaque = (c) => c && c !== "none" && !/rgba\(.*,\s*0\)$/.test(c) && c !== "transparent";
  const low = [];
  for (const text of document.querySelectorAll("svg text")) {
    const svg = text.ownerSVGElement;
    const box = text.getBBox();
    if (box.width === 0 || text.textContent.trim() === "") continue;
    const [cx, cy] = [box.x + box.width / 2, box.y + box.height / 2];
    let bg = null;
    for (const shape of svg.querySelectorAll("rect, circle, path, polygon")) {
      if (shape.compareDocumentPosition(text) & Node.DOCUMENT_POSITION_PRECEDING) break;
      const b = shape.getBBox();
      const fill = getComputedStyle(shape).fill;
      if (opaque(fill) && cx >= b.x && cx <= b.x + b.width && cy >= b.y && cy <= b.y + b.height) bg = fill;
    }
    for (let el = svg.parentElement; !bg && el; el = el.parentElement) {
      const c = getComputedStyle(el).backgroundColor;
      if (opaque(c)) bg = c;
    }
    const fg = getComputedStyle(text).fill;
    const [hi, lo] = [luminance(fg), luminance(bg ?? "rgb(255, 255, 255)")].sort((a, b) => b - a);
    const ratio = (hi + 0.05) / (lo + 0.05);
    if (ratio < 4.5) low.push({ text: text.textContent.trim(), ratio, fg, bg });
  }
  return low;
}

async function signIn(page, email) {
  await page.goto(`${BASE}/sign-in?org=${ORG}`);
  await page.getByLabel("E-mail address").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL((u) => !u.pathname.startsWith("/sign-in"));
  await page.locator("main").waitFor();
}

// Follows links from the home page breadth first, auditing one page of each kind.
async function walk(page, who) {
  const seen = new Map();
  const queue = [new URL(`${BASE}/app/`)];
  let pages = 0;
  while (queue.length > 0 && pages < MAX_PAGES) {
    const url = queue.shift();
    const k = kind(url);
    if ((seen.get(k) ?? 0) >= PER_KIND) continue;
    seen.set(k, (seen.get(k) ?? 0) + 1);
    const response = await page.goto(url.href);
    if (!response || response.status() >= 400) {
      problems.push(`${who} ${url.pathname}: answered ${response?.status()}`);
      continue;
    }
    if (!(response.headers()["content-type"] ?? "").startsWith("text/html")) continue;
    pages += 1;
    if (process.env.AXE_DEBUG) console.log(who, k);
    await audit(page, who);
    const hrefs = await page.locator("a[href]").evaluateAll((as) => as.map((a) => a.getAttribute("href")));
    for (const href of hrefs) {
      const next = followable(href);
      if (next && (seen.get(kind(next)) ?? 0) < PER_KIND) queue.push(next);
    }
  }
  console.log(`axe: ${who}: ${pages} pages`);
  return pages;
}

const browser = await launchChromium();

try {
  // Signed out: sign-in and forgotten password.
  const anonymous = await (await watchedContext(browser, DESKTOP)).newPage();
  for (const path of [`/sign-in?org=${ORG}`, `/sign-in/forgot?org=${ORG}`]) {
    await anonymous.goto(`${BASE}${path}`);
    await audit(anonymous, "signed out");
  }

  const walks = [
    ["learner", "learner1@northgate.example", PHONE],
    ["learner", "learner1@northgate.example", DESKTOP],
    ["assessor", "assessor1@northgate.example", PHONE],
    ["assessor", "assessor1@northgate.example", DESKTOP],
    ["assessor and IQA", "assessor2@northgate.example", DESKTOP],
    ["employer", "manager@northgate.example", DESKTOP],
    ["admin", "admin@northgate.example", DESKTOP],
  ];
  for (const [who, email, device] of walks) {
    const context = await watchedContext(browser, device);
    const page = await context.newPage();
    await signIn(page, email);
    const label = `${who} (${device.viewport.width} px)`;
    // A learner who has not accepted the disclaimer yet sees it first (scenario.mjs has
    // accepted it for learner1; a demo on its own has not).
    if (new URL(page.url()).pathname === "/app/disclaimer") {
      await audit(page, label);
      await page.getByRole("button", { name: "I accept" }).click();
      await page.waitForURL((u) => u.pathname !== "/app/disclaimer");
    }
    const pages = await walk(page, label);
    if (pages < 5) problems.push(`${label}: only ${pages} pages reached`);
    await context.close();
  }
  checkNoCspViolations();
  if (problems.length > 0) {
    throw new Error(`accessibility problems (${problems.length}):\n${problems.join("\n")}`);
  }
  console.log("axe: no violations and no colour contrast left to review");
} catch (e) {
  console.error(e.message);
  process.exitCode = 1;
} finally {
  await browser.close();
}
