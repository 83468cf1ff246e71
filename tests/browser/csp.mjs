// The browser the scripts drive, and the Content-Security-Policy violations in the pages
// under test. Folio serves its pages with
// a policy that allows no inline script, style or event handler (folio_api::security), so
// a page that breaks it is broken in every browser: any violation fails the scenario.
// Each context opened through `watchedContext` reports violations two ways: Chromium's own
// console error ("Refused to apply inline style because it violates …"), and the page's
// `securitypolicyviolation` event, listened for by an init script (Playwright injects it
// outside the page's policy).

import { chromium } from "playwright-core";

const violations = [];

// Debian's Chromium (or FOLIO_CHROMIUM), headless, quiet: what every script drives.
export function launchChromium() {
  return chromium.launch({
    executablePath: process.env.FOLIO_CHROMIUM || "/usr/bin/chromium",
    args: [
      "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
      "--disable-quic",
    ],
  });
}

export async function watchedContext(browser, options) {
  const context = await browser.newContext(options);
  await context.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (e) => {
      console.error(
        `CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || "inline"} ` +
          `(${e.sourceFile || document.location.href}:${e.lineNumber})`,
      );
    });
  });
  context.on("console", (message) => {
    const text = message.text();
    if (message.type() === "error" && /Content Security Policy|CSP violation/.test(text)) {
      violations.push(`${message.page()?.url() ?? "a page"}: ${text}`);
    }
  });
  return context;
}

// Throws listing every violation seen so far, if there was any.
export function checkNoCspViolations() {
  if (violations.length > 0) {
    throw new Error(`the pages broke their Content-Security-Policy:\n${violations.join("\n")}`);
  }
}
