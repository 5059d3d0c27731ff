// Browser side of the end-to-end tests (tests/e2e/browser.rs starts the
// collector and a partner page, then runs one scenario of this script).
//
//   node e2e.mjs <scenario> '<json: {collector, partner}>'
//
// Drives Debian's Chromium through playwright-core, answers as a person
// would, and checks what a person would see. Prints what it did; exits
// non-zero with the reason when something is wrong. The Rust side then
// checks what the collector stored.
import { chromium } from "playwright-core";
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";

const require = createRequire(import.meta.url);
const [scenario, paramsJson] = process.argv.slice(2);
const params = JSON.parse(paramsJson || "{}");
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
let runs = 0;
const AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"];

function log(...a) { console.log(`[${scenario}]`, ...a); }
function fail(msg) { throw new Error(msg); }

async function until(what, fn, ms = 15000) {
  const end = Date.now() + ms;
  let last;
  while (Date.now() < end) {
    try { last = await fn(); if (last) return last; } catch (e) { last = e; }
    await new Promise((r) => setTimeout(r, 50));
  }
  fail(`timed out waiting for ${what} (last: ${last})`);
}

async function launch() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
}

async function newPage(browser, opts = {}) {
  const context = await browser.newContext({ viewport: { width: opts.width || 1280, height: 900 }, ...opts.context });
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("console", (m) => { if (/TAKEOVER|MICRO/.test(m.text())) console.log(m.text());
    // Browsers ask every site for a favicon; the test pages have none.
    if (m.type() === "error" && !/favicon\.ico$/.test(m.location().url || "")) errors.push(`${m.text()} ${m.location().url}`);
  });
  return { context, page, errors };
}

/** The widget for `form` on the page (its shadow root is open). */
function widget(page, form) {
  return page.locator(`[data-feedback-form="${form}"]`);
}

/** How many answers wait in the widget's two lists on this page's origin:
 * [to be sent, refused and kept to be put back] (widget/src/offline.rs). */
function waitingLists(page) {
  return page.evaluate(() =>
    ["community-feedback-outbox-v1", "community-feedback-returned-v1"].map((k) =>
      (localStorage.getItem(k) || "").split("\n").filter(Boolean).length).join(","));
}

/** With the responses route cut off, opens the partner page and sends
 * `value` on the street form: the widget keeps it offline. Returns the
 * route (to restore) and the widget. */
async function sendOffline(page, value) {
  const responses = `${params.collector}/api/v1/forms/street-feedback/responses`;
  await page.route(responses, (r) => r.abort("internetdisconnected"));
  await page.goto(params.partner);
  const w = widget(page, "street-feedback");
  await w.scrollIntoViewIfNeeded();
  await w.locator(`input[name="f-feel_safe_now"][value="${value}"]`).check();
  await w.locator("button[type=submit]").click();
  await w.locator(".notice").waitFor();
  return { responses, w };
}

/** `form` with a copy of its first question, as required, under `id`. */
function withQuestion(form, id) {
  const next = structuredClone(form);
  next.questions.push({ ...structuredClone(form.questions[0]), id });
  return next;
}

/** Publishes `form` as the admin of the test's collector would. */
async function republish(form) {
  const put = await fetch(params.publish_url, {
    method: "PUT",
    headers: { authorization: `Bearer ${params.token}`, "content-type": "application/json" },
    body: JSON.stringify(form),
  });
  if (!put.ok) fail(`republishing the form: ${put.status} ${await put.text()}`);
}

async function answer(w, qid, value) {
  const first = w.locator(`#f-${qid}`);
  const tag = await first.evaluate((el) => el.tagName.toLowerCase() + ":" + (el.type || ""));
  if (tag.startsWith("select")) return first.selectOption(String(value));
  if (tag === "textarea:textarea" || tag === "input:text") return first.fill(String(value));
  for (const v of Array.isArray(value) ? value : [value]) {
    await w.locator(`input[name="f-${qid}"][value="${v}"]`).check();
  }
}

/** The id of the question on screen in a stepped form, or null on the review. */
async function currentQuestion(w) {
  if (await w.locator("dl").count()) return null;
  const id = await w.locator("form .q :is(input, select, textarea)[id^='f-']").first().getAttribute("id");
  return id.slice(2);
}

async function fillStepped(w, plan) {
  const seen = [];
  for (let i = 0; i < 60; i++) {
    const q = await currentQuestion(w);
    if (q === null) return seen;
    seen.push(q);
    if (plan[q] !== undefined) await answer(w, q, plan[q]);
    await w.locator("button[type=submit]").click();
    await until(`the step after ${q}`, async () => (await currentQuestion(w)) !== q);
  }
  fail("never reached the review page");
}

async function check_w(w, qid, value) {
  await w.locator(`input[name="f-${qid}"][value="${value}"]`).check();
}

async function activeIs(locator) {
  return locator.evaluate((el) => el.getRootNode().activeElement === el);
}

async function axe(page, label) {
  if (!(await page.evaluate(() => !!window.axe))) {
    // Evaluated through the DevTools protocol rather than added as a
    // <script>: the hosted pages' policy refuses inline scripts.
    await page.evaluate(readFileSync(require.resolve("axe-core/axe.min.js"), "utf8"));
  }
  const result = await page.evaluate(async (tags) => {
    const r = await window.axe.run(document, { runOnly: { type: "tag", values: tags }, resultTypes: ["violations"] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.slice(0, 5).map((n) => ({ target: n.target, summary: n.failureSummary })) }));
  }, AXE_TAGS);
  runs += 1;
  log(`axe ${label}: ${result.length} violation(s)`);
  return result.map((v) => ({ page: label, ...v }));
}


/** Sums every layout shift from the start, input or not (a shift just
 * after a tap is still a shift under the person's finger). */
async function watchShifts(page) {
  await page.addInitScript(() => {
    window.__shifts = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        window.__shifts.push({ value: e.value, nodes: (e.sources || []).map((s) => s.node && (s.node.id || s.node.nodeName)) });
      }
    }).observe({ type: "layout-shift", buffered: true });
  });
  return async () => page.evaluate(() => window.__shifts);
}

/** Where each visible thing of the form is: inputs, labels, legends,
 * hints, headings, buttons; keyed so the server's form and the widget's
 * can be compared. */
async function layout(page, widgetOf) {
  return page.evaluate((form) => {
    const root = form ? document.querySelector(`[data-feedback-form="${form}"]`).shadowRoot : document.getElementById("page-form");
    const out = {};
    for (const el of root.querySelectorAll("input, select, textarea, label, legend, h1, .hint, .inset, button[type=submit], summary, .langs li")) {
      const r = el.getBoundingClientRect();
      if (r.width <= 1 || r.height <= 1) continue;
      const key = `${el.tagName.toLowerCase()} ${el.id || el.htmlFor || ""} ${(el.type === "radio" || el.type === "checkbox" ? el.value : "")} ${el.matches("input, textarea, select") ? "" : el.textContent.trim().slice(0, 50)}`;
      out[key] = [Math.round(r.x * 2) / 2, Math.round(r.y * 2) / 2, Math.round(r.width * 2) / 2, Math.round(r.height * 2) / 2];
    }
    return out;
  }, widgetOf);
}

/** Every Content-Security-Policy violation on the page, gathered here
 * across navigations; the event is composed, so it reaches the document
 * from inside the widget's shadow root too. */
async function watchViolations(page) {
  const seen = [];
  await page.exposeFunction("__cspViolation", (v) => { seen.push(v); });
  await page.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (e) => {
      window.__cspViolation({ directive: e.violatedDirective, blocked: e.blockedURI, sample: e.sample,
        source: e.sourceFile, line: e.lineNumber, page: document.URL });
    });
  });
  return seen;
}

/** The response's policy, checked for what every page of ours must have. */
function checkPolicy(res, label) {
  const h = res.headers();
  const csp = h["content-security-policy"] || "";
  if (!/(^|; )frame-ancestors 'none'(;|$)/.test(csp)) fail(`${label}: no frame-ancestors 'none' in '${csp}'`);
  if (/unsafe-inline/.test(csp)) fail(`${label}: 'unsafe-inline' in '${csp}'`);
  if (h["x-frame-options"] !== "DENY") fail(`${label}: X-Frame-Options is '${h["x-frame-options"]}'`);
  return csp;
}

/** Proves the watch sees a refused style inside the widget's shadow root. */
async function controlViolation(w, seen) {
  const before = seen.length;
  await w.locator(".cfw").evaluate((el) => {
    const s = document.createElement("style");
    s.textContent = ".not-allowed{color:red}";
    el.getRootNode().appendChild(s);
  });
  await until("the control violation to be reported", async () => seen.length > before);
  if (!/style-src/.test(seen[before].directive)) fail(`the control was refused by ${seen[before].directive}`);
}

/** Holds the widget's wasm back until `release()`: a slow phone network. */
async function holdWasm(page) {
  let release;
  const gate = new Promise((r) => (release = r));
  await page.route("**/assets/*.wasm", async (r) => { await gate; await r.continue(); });
  return release;
}

const COMMUNITY_PLAN = {
  respondent_type: "resident",
  feel_safe_day: "2",
  feel_safe_dark: "4",
  worry: "a-little",
  victim_12m: "yes",
  victim_reported: "no",
  why_not_reported: ["takes-too-long", "did-not-know-how"],
  police_good_job: "2",
  priorities: ["vawg", "fraud-cyber"],
  safety_comment: "Better lighting near the station would help",
};

const scenarios = {
  // Every hosted page under its Content-Security-Policy: the page, the
  // loader and the widget that takes the page's form over are refused
  // nothing, and the street form is answered and sent.
  async csp_hosted(browser) {
    const pages = [
      ["street-feedback", "en", "/f/street-feedback?loc=bank&ch=qr&lang=en"],
      ["street-feedback", "ar", "/f/street-feedback?loc=bank&ch=qr&lang=ar"],
      ["community-safety", "en", "/f/community-safety?loc=bank&ch=qr"],
      ["victim-satisfaction", "en", "/f/victim-satisfaction?ch=link"],
    ];
    let policy;
    for (const [form, lang, path] of pages) {
      const label = `${form} ${lang}`;
      const { context, page, errors } = await newPage(browser, { width: 360 });
      const seen = await watchViolations(page);
      const res = await page.goto(params.collector + path);
      policy = checkPolicy(res, label);
      const w = widget(page, form);
      await w.locator(".cfw").waitFor();
      await until(`${label}: the widget to take over`, async () => !(await page.locator("#page-form").isVisible()));
      if (form === "street-feedback" && lang === "en") {
        await w.locator('input[name="f-feel_safe_now"][value="3"]').check();
        await w.locator("#f-comment").fill("Fine");
        await w.locator("button[type=submit]").click();
        await w.locator(".panel h2").waitFor();
        // The thank-you page the form without JavaScript lands on.
        checkPolicy(await page.goto(`${params.collector}/f/street-feedback/thanks?lang=en`), "thanks");
        await page.locator("h1").waitFor();
      }
      // The widget's look is its stylesheet's: the style was applied, not refused.
      if (form !== "street-feedback" || lang !== "en") {
        const bg = await w.locator("button[type=submit]").evaluate((b) => getComputedStyle(b).backgroundColor);
        if (bg !== "rgb(0, 112, 60)") fail(`${label}: the widget is unstyled (button ${bg})`);
      }
      await page.waitForTimeout(200);
      if (seen.length) fail(`${label}: ${seen.length} CSP violation(s): ${JSON.stringify(seen)}`);
      if (errors.length) fail(`${label}: console errors: ${errors.join(" | ")}`);
      if (form === "community-safety") await controlViolation(w, seen);
      log(`${label}: no violation`);
      await context.close();
    }
    log("policy:", policy);
    return { ok: true, policy };
  },

  // A partner page with a strict policy of its own plus what the README
  // tells partners to allow: the widget loads, is styled and answers.
  async csp_partner(browser) {
    const { page, errors } = await newPage(browser);
    const seen = await watchViolations(page);
    const res = await page.goto(params.partner);
    const policy = res.headers()["content-security-policy"] || fail("the partner page has no policy");
    const w = widget(page, "community-safety");
    await w.locator(".prog").waitFor();
    const bg = await w.locator("button[type=submit]").evaluate((b) => getComputedStyle(b).backgroundColor);
    if (bg !== "rgb(0, 112, 60)") fail(`the widget is unstyled (button ${bg})`);
    await answer(w, "respondent_type", "resident");
    await w.locator("button[type=submit]").click();
    await until("the second step", async () => (await currentQuestion(w)) !== "respondent_type");
    await page.waitForTimeout(200);
    if (seen.length) fail(`${seen.length} CSP violation(s): ${JSON.stringify(seen)}`);
    if (errors.length) fail(`console errors: ${errors.join(" | ")}`);
    await controlViolation(w, seen);
    log("partner policy:", policy);
    return { ok: true, policy };
  },

  // A partner page with hostile CSS embeds two widgets from the collector.
  async embed(browser) {
    const { page, errors } = await newPage(browser);
    await page.goto(params.partner);
    const w = widget(page, "community-safety");
    await w.locator(".prog").waitFor();
    // The page's CSS does not reach in: the widget's own styles hold.
    const style = await w.locator("button[type=submit]").evaluate((b) => {
      const s = getComputedStyle(b);
      return { bg: s.backgroundColor, display: s.display, size: parseFloat(s.fontSize), font: s.fontFamily };
    });
    if (style.bg !== "rgb(0, 112, 60)" || style.display === "none" || style.size > 24 || /Comic/.test(style.font)) {
      fail(`the page's CSS reached the widget: ${JSON.stringify(style)}`);
    }
    // ...and the widget's CSS does not reach out.
    const probe = await page.locator("#probe").evaluate((p) => getComputedStyle(p).color);
    if (probe !== "rgb(34, 34, 34)") fail(`the widget's CSS reached the page: probe is ${probe}`);

    // Nothing answered: the error summary takes focus and links to the field.
    await w.locator("button[type=submit]").click();
    const summary = w.locator(".es");
    await summary.waitFor();
    if (!(await activeIs(summary))) fail("the error summary did not take focus");
    await w.locator(".es a").first().click();
    if (!(await activeIs(w.locator("#f-respondent_type")))) fail("the error link did not focus the field");

    const seen = await fillStepped(w, COMMUNITY_PLAN);
    for (const q of ["victim_reported", "why_not_reported"]) {
      if (!seen.includes(q)) fail(`the show_if question ${q} was not asked (asked: ${seen})`);
    }
    if (seen.includes("priorities_other")) fail("priorities_other was asked though 'other' was not chosen");
    const review = await w.locator("dl").innerText();
    if (!/I live in the City/.test(review) || !/Walbrook/.test(review)) fail(`review misses answers: ${review}`);
    await w.locator("button[type=submit]").click();
    await w.locator(".panel h2").waitFor();
    const status = await w.locator("[role=status]").last().innerText();
    if (!/Thank you/.test(status)) fail(`the live region did not announce the submission: '${status}'`);
    log("community-safety sent; questions asked:", seen.join(","));

    // The second widget on the page works on its own, in Arabic, by keyboard.
    const w2 = widget(page, "street-feedback");
    await w2.scrollIntoViewIfNeeded();
    await w2.locator(".cfw").waitFor();
    if ((await w2.locator(".cfw").getAttribute("dir")) !== "rtl") fail("Arabic is not right to left");
    await w2.locator('input[name="f-feel_safe_now"][value="4"]').focus();
    await page.keyboard.press("Space");
    await w2.locator("#f-comment").focus();
    await page.keyboard.type("إضاءة أفضل");
    for (let i = 0; i < 10; i++) {
      await page.keyboard.press("Tab");
      if (await activeIs(w2.locator("button[type=submit]"))) break;
    }
    if (!(await activeIs(w2.locator("button[type=submit]")))) fail("could not reach Submit with the keyboard");
    await page.keyboard.press("Enter");
    await w2.locator(".panel h2").waitFor();
    if ((await w.locator(".panel h2").count()) !== 1) fail("the first widget changed");
    if (errors.length) fail(`page errors: ${errors.join(" | ")}`);
    return { ok: true };
  },

  // The hosted page with JavaScript turned off: plain HTML form and POST.
  async nojs(browser) {
    const { page } = await newPage(browser, { width: 320, context: { javaScriptEnabled: false } });
    const url = `${params.collector}/f/community-safety?loc=bank&ch=qr`;
    await page.goto(url);
    await page.locator("button[type=submit]").click();
    await page.waitForURL(/\/f\/community-safety$/);
    const links = await page.locator(".es a").evaluateAll((as) => as.map((a) => a.getAttribute("href")));
    const want = ["#f-respondent_type", "#f-feel_safe_day", "#f-feel_safe_dark", "#f-worry"];
    if (JSON.stringify(links) !== JSON.stringify(want)) fail(`error summary links ${links}, want ${want}`);
    if (!(await page.locator("#f-worry-error").isVisible())) fail("no inline error message");
    if (!/^Error:/.test(await page.title())) fail("the title does not say there is an error");
    // The person's place survived the round trip.
    if ((await page.locator("#f-area").inputValue()) !== "walbrook") fail("the location (the ward of the site) was lost");

    const check = (name, v) => page.locator(`input[name="q.${name}"][value="${v}"]`).check();
    await check("respondent_type", "worker");
    await check("feel_safe_day", "3");
    await check("feel_safe_dark", "5");
    await check("worry", "not-very");
    await check("victim_12m", "no");
    // Without JavaScript every question is on the page; this one only
    // counts after a "yes", so it must not be stored.
    await check("victim_reported", "yes-all");
    await check("priorities", "anti-social-behaviour");
    await check("priorities", "drugs");
    await page.locator("#f-safety_comment").fill("More patrols at night");
    const id = await page.locator("input[name=submission_id]").getAttribute("value");
    const body = new URLSearchParams();
    for (const el of await page.locator("form input, form textarea, form select").all()) {
      const name = await el.getAttribute("name");
      const type = await el.getAttribute("type");
      if (!name) continue;
      if ((type === "radio" || type === "checkbox") && !(await el.isChecked())) continue;
      body.append(name, await el.inputValue());
    }
    await page.locator("button[type=submit]").click();
    await page.waitForURL(/\/thanks/);
    const thanks = await page.locator("h1").innerText();
    if (!/Thank you/.test(thanks)) fail(`no thank-you page: ${thanks}`);
    // A double submit (the same hidden submission id) is stored once.
    const again = await fetch(`${params.collector}/f/community-safety`, {
      method: "POST", body, redirect: "manual",
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    if (again.status !== 303) fail(`resubmit answered ${again.status}`);
    log("submitted twice with", id);
    return { ok: true, submission_id: id };
  },

  // The hosted page with JavaScript: the widget takes over from the HTML form.
  async hosted_js(browser) {
    const { page, errors } = await newPage(browser, { width: 320 });
    const fetched = [];
    // (Its proof-of-work challenge is fetched, as it must be.)
    page.on("request", (r) => { if (r.method() === "GET" && /\/api\/v1\/forms\/[^/]+$/.test(r.url().split("?")[0])) fetched.push(r.url()); });
    await page.goto(`${params.collector}/f/street-feedback?loc=bank&ch=qr&lang=pl`);
    const w = widget(page, "street-feedback");
    await w.locator(".cfw").waitFor();
    await until("the server form to step aside", async () => !(await page.locator("#page-form").isVisible()));
    if ((await w.locator(".cfw").getAttribute("lang")) !== "pl") fail("the page's language was not passed on");
    await w.locator('input[name="f-feel_safe_now"][value="2"]').check();
    await w.locator("button[type=submit]").click();
    await w.locator(".panel h2").waitFor();
    if ((await w.locator(".panel h2").innerText()) !== "Dziękujemy") fail("no Polish thank-you");
    if (fetched.length) fail(`the widget fetched the form the page carries: ${fetched}`);
    if (errors.length) fail(`page errors: ${errors.join(" | ")}`);
    return { ok: true };
  },

  // The funnel, leaving: the hosted page counts its own view (the widget
  // sends none), the first answer sends a start, and leaving the page a
  // leave naming the question answered, by sendBeacon.
  async funnel_leave(browser) {
    const { page, errors } = await newPage(browser, { width: 360 });
    const beacons = [];
    page.on("request", (r) => {
      if (r.url().endsWith("/api/v1/events")) beacons.push(`${r.headers()["content-type"]} ${r.postData()}`);
    });
    await page.goto(`${params.collector}/f/street-feedback?loc=bank&ch=qr&lang=en`);
    const w = widget(page, "street-feedback");
    await w.locator(".cfw").waitFor();
    await until("the widget to take over", async () => !(await page.locator("#page-form").isVisible()));
    await w.locator('input[name="f-feel_safe_now"][value="2"]').check();
    await until("the start", async () => beacons.some((b) => b.includes('"event":"start"')));
    if (errors.length) fail(`page errors: ${errors.join(" | ")}`);
    await page.goto("about:blank");
    // The leave goes as the page goes: give it a moment before the
    // browser closes.
    await page.waitForTimeout(500);
    log("beacons seen:", beacons.join(" | "));
    return { ok: true, beacons };
  },

  // The funnel, answering: a start, then the answers sent; leaving the
  // thank-you sends no leave (the collector counts the completion).
  async funnel_complete(browser) {
    const { page, errors } = await newPage(browser, { width: 360 });
    await page.goto(`${params.collector}/f/street-feedback?loc=bank&ch=qr&lang=en`);
    const w = widget(page, "street-feedback");
    await w.locator(".cfw").waitFor();
    await until("the widget to take over", async () => !(await page.locator("#page-form").isVisible()));
    await w.locator('input[name="f-feel_safe_now"][value="4"]').check();
    await w.locator("button[type=submit]").click();
    await w.locator(".panel h2").waitFor();
    if (errors.length) fail(`page errors: ${errors.join(" | ")}`);
    await page.goto("about:blank");
    await page.waitForTimeout(500);
    return { ok: true };
  },

  // Safeguarding with JavaScript: on the hosted page the widget, sending
  // free text that reads as self-harm, shows the support numbers at once,
  // while the collector has not answered (its answer is held back), with
  // the focus on them; they stay above the thank-you. Then the Arabic
  // widget on the partner page does the same, right to left.
  async safeguarding_widget(browser) {
    const { page, errors } = await newPage(browser, { width: 360 });
    let release, asked = 0;
    const held = new Promise((r) => (release = r));
    await page.route("**/api/v1/forms/street-feedback/responses", async (r) => { asked += 1; await held; await r.continue(); });
    await page.goto(`${params.collector}/f/street-feedback?loc=bank&ch=qr&lang=en`);
    const w = widget(page, "street-feedback");
    await w.locator(".cfw").waitFor();
    await until("the widget to take over", async () => !(await page.locator("#page-form").isVisible()));
    await w.locator('input[name="f-feel_safe_now"][value="1"]').check();
    await w.locator("#f-comment").fill("Honestly I want to end my life, nobody helps");
    if (await w.locator(".help").count()) fail("the numbers showed while typing");
    await w.locator("button[type=submit]").click();
    const help = w.locator(".help");
    await help.waitFor();
    // The collector has not answered: no thank-you yet, still sending.
    if (await w.locator(".panel").count()) fail("a thank-you before the collector answered");
    const button = await w.locator("button[type=submit]").innerText();
    if (!/Sending/.test(button)) fail(`the button says '${button}', not sending`);
    if ((await help.getAttribute("role")) !== "region" || (await help.getAttribute("aria-labelledby")) !== "help-title") {
      fail("the panel is not a region named by its heading");
    }
    if (!(await activeIs(w.locator("#help-title")))) fail("the numbers did not take the focus");
    const tels = await w.locator(".help a.tel").evaluateAll((as) => as.map((a) => a.getAttribute("href")));
    for (const t of ["tel:999", "tel:101", "tel:08081689111", "tel:116123"]) {
      if (!tels.includes(t)) fail(`no ${t} link: ${tels}`);
    }
    log("numbers shown before the collector answered; requests held:", asked);
    release();
    await w.locator(".panel h2").waitFor();
    const [h, t] = [await help.boundingBox(), await w.locator(".panel").boundingBox()];
    if (!(h.y + h.height <= t.y)) fail(`the numbers (${h.y}+${h.height}) are not above the thank-you (${t.y})`);
    if (!(await activeIs(w.locator("#help-title")))) fail("the thank-you took the focus from the numbers");
    const violations = await axe(page, "hosted widget with the numbers");
    if (violations.length) fail(`accessibility: ${JSON.stringify(violations)}`);
    if (errors.length) fail(`page errors: ${errors.join(" | ")}`);

    // The Arabic widget on the partner page.
    const p2 = await newPage(browser, { width: 1280 });
    await p2.page.goto(params.partner);
    const w2 = widget(p2.page, "street-feedback");
    await w2.scrollIntoViewIfNeeded();
    await w2.locator(".cfw").waitFor();
    await w2.locator('input[name="f-feel_safe_now"][value="3"]').check();
    await w2.locator("#f-comment").fill("أفكر في الانتحار كل يوم");
    await w2.locator("button[type=submit]").click();
    await w2.locator(".help").waitFor();
    const title = await w2.locator("#help-title").innerText();
    if (title !== "إذا كنت بحاجة إلى مساعدة الآن") fail(`Arabic heading: '${title}'`);
    if ((await w2.locator(".cfw").getAttribute("dir")) !== "rtl") fail("not right to left");
    await w2.locator(".panel h2").waitFor();
    const [h2, t2] = [await w2.locator(".help").boundingBox(), await w2.locator(".panel").boundingBox()];
    if (!(h2.y + h2.height <= t2.y)) fail("the Arabic numbers are not above the thank-you");
    if (p2.errors.length) fail(`partner page errors: ${p2.errors.join(" | ")}`);
    return { ok: true, held: asked };
  },

  // A victim's invitation link, answered with the widget: the response
  // is stored with the invitation (so with its team); a second tab opened
  // on the same link before the first answered is told plainly that the
  // survey was already answered, never thanked; opening the link again
  // shows the same.
  async invitation_widget(browser) {
    const open = async () => {
      const p = await newPage(browser, { width: 360 });
      await p.page.goto(`${params.collector}${params.link}`);
      const w = widget(p.page, "victim-satisfaction");
      await w.locator(".cfw").waitFor();
      await until("the widget to take over", async () => !(await p.page.locator("#page-form").isVisible()));
      return { ...p, w };
    };
    const a = await open();
    const b = await open();
    await a.w.locator('input[name="f-overall_service"][value="5"]').check();
    await a.w.locator("button[type=submit]").click();
    await a.w.locator(".panel h2").waitFor();
    log("first tab thanked:", await a.w.locator(".panel h2").innerText());
    await b.w.locator('input[name="f-overall_service"][value="1"]').check();
    await b.w.locator("button[type=submit]").click();
    await b.w.locator(".notice h2").waitFor();
    const said = await b.w.locator(".notice").innerText();
    if (!/already answered/.test(said)) fail(`the second tab says '${said}'`);
    if (await b.w.locator(".panel").count()) fail("the second tab was thanked for an answer not kept");
    if (!(await activeIs(b.w.locator(".notice h2")))) fail("the notice did not take the focus");
    const violations = await axe(b.page, "already answered");
    if (violations.length) fail(`accessibility: ${JSON.stringify(violations)}`);
    const again = await newPage(browser, { width: 360 });
    const res = await again.page.goto(`${params.collector}${params.link}`);
    if (res.status() !== 409) fail(`the link again: ${res.status()}`);
    const body = await again.page.locator("main").innerText();
    if (!/already answered/.test(body)) fail(`the link again says '${body}'`);
    // The browser logs the refused request (409) itself; anything else is a fault.
    for (const p of [a, b, again]) {
      const errs = p.errors.filter((e) => !/status of 409/.test(e));
      if (errs.length) fail(`page errors: ${errs.join(" | ")}`);
    }
    return { ok: true };
  },

  // Safeguarding without JavaScript (bot checks on, as deployed): the
  // plain form's post of free text that reads as domestic abuse lands on
  // a thank-you page that leads with the numbers, focused; a post that
  // missed a question comes back with the numbers above its errors.
  // axe runs over both, JavaScript on but the loader blocked.
  async safeguarding_nojs(browser) {
    const { context, page } = await newPage(browser, { width: 360, context: { javaScriptEnabled: false } });
    const form = `${params.collector}/f/street-feedback?loc=bank&ch=qr&lang=en`;
    await page.goto(form);
    await page.locator('input[name="q.feel_safe_now"][value="2"]').check();
    const words = "My partner hits me when he drinks and I'm scared to go home to him";
    await page.locator("#f-comment").fill(words);
    await new Promise((r) => setTimeout(r, 2200));
    await page.locator("button[type=submit]").click();
    await page.waitForURL(/\/thanks\?/);
    const url = page.url();
    if (!/[?&]help=1(&|$)/.test(url)) fail(`no help=1 in ${url}`);
    if (/partner|hits|domestic/.test(decodeURIComponent(url))) fail(`the URL carries what was written: ${url}`);
    const help = page.locator(".help");
    if (!(await help.isVisible())) fail("no numbers on the thank-you page");
    const [h, t] = [await help.boundingBox(), await page.locator(".panel").boundingBox()];
    if (!(h.y + h.height <= t.y)) fail("the numbers are not above the thank-you");
    if ((await page.locator("#help-title:focus").count()) !== 1) fail("the numbers' heading is not focused");
    const tels = await page.locator(".help a.tel").evaluateAll((as) => as.map((a) => a.getAttribute("href")));
    if (!tels.includes("tel:999") || !tels.includes("tel:08082000247")) fail(`tel links: ${tels}`);
    if (!/^If you need help now/.test(await page.title())) fail(`title: ${await page.title()}`);
    const thanksUrl = url;

    // A question missed: the numbers above the errors, nothing stored.
    await page.goto(form);
    await page.locator("#f-comment").fill("someone is following me right now");
    await page.locator("button[type=submit]").click();
    await page.waitForURL(/\/f\/street-feedback$/);
    const [h2, es] = [await page.locator(".help").boundingBox(), await page.locator(".es").boundingBox()];
    if (!h2 || !es || !(h2.y + h2.height <= es.y)) fail("the numbers are not above the errors");
    await context.close();

    // axe, as the existing checks run it: JavaScript on, the loader blocked.
    const violations = [];
    const { context: c2, page: p2 } = await newPage(browser, { width: 320 });
    await p2.route("**/widget.js", (r) => r.abort());
    await p2.goto(thanksUrl);
    violations.push(...await axe(p2, "thank-you with the numbers"));
    await p2.goto(form);
    await p2.locator("#f-comment").fill("I want to kill myself");
    await p2.locator("button[type=submit]").click();
    await p2.locator(".es").waitFor();
    violations.push(...await axe(p2, "errors with the numbers"));
    await c2.close();
    if (violations.length) fail(`accessibility: ${JSON.stringify(violations)}`);
    return { ok: true };
  },

  // The hosted page with the wasm held back: the person answers on the
  // server's form, and is mid-sentence when the widget takes over. Nothing
  // moves, nothing is lost, the focus and caret stay in the comment box.
  async takeover(browser) {
    const { page, errors } = await newPage(browser, { width: 360, context: { viewport: { width: 360, height: 640 } } });
    const shifts = await watchShifts(page);
    const release = await holdWasm(page);
    // A tap that lands while the widget is drawing the answers it was just
    // handed (right after the loader read the page's form): "2" becomes "4".
    await page.addInitScript(() => {
      const Real = window.FormData;
      let first = true;
      window.FormData = function (form) {
        const data = new Real(form);
        if (first && form) {
          first = false;
          const late = form.querySelector('input[name="q.feel_safe_now"][value="4"]');
          if (late) late.checked = true;
        }
        return data;
      };
    });
    await page.goto(`${params.collector}/f/street-feedback?loc=bank&ch=qr`);
    await page.locator('input[name="q.feel_safe_now"][value="2"]').check();
    await page.locator("#f-comment").scrollIntoViewIfNeeded();
    await page.locator("#f-comment").click();
    await page.keyboard.type("Dark by the ");
    const y = await page.evaluate(() => window.scrollY);
    const before = await layout(page, null);
    // Keep typing while the widget arrives, and a few letters after it
    // has taken over.
    const rest = "station at night, and the alley behind it is worse";
    let typed = "Dark by the ", since = -1;
    for (const ch of rest) {
      await page.keyboard.type(ch);
      typed += ch;
      if (typed.length === 14) release();
      if (since < 0 && !(await page.locator("#page-form").isVisible())) since = 0;
      if (since >= 0 && ++since > 5) break;
      // A quick typist on a phone: a key every 100 ms or so.
      await new Promise((r) => setTimeout(r, 90));
    }
    const w = widget(page, "street-feedback");
    if (since < 0) fail("the widget had not taken over by the end of the sentence");
    const onServerForm = await page.locator("#page-form #f-comment").inputValue();
    if (!(onServerForm.length > 12 && onServerForm.length < typed.length && typed.startsWith(onServerForm))) {
      fail(`the takeover did not fall mid-typing: '${onServerForm}' of '${typed}'`);
    }
    const after = await layout(page, "street-feedback");
    const moved = Object.keys(before).filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k]))
      .map((k) => `${k}: ${before[k]} -> ${after[k]}`);
    if (moved.length) fail(`the takeover moved ${moved.length} thing(s):\n${moved.join("\n")}`);
    const comment = await w.locator("#f-comment").inputValue();
    if (comment !== typed) fail(`the comment is '${comment}', typed '${typed}'`);
    if (!(await w.locator('input[name="f-feel_safe_now"][value="4"]').isChecked())) fail("the tap during the takeover was lost");
    if (!(await activeIs(w.locator("#f-comment")))) fail("the focus left the comment box");
    const caret = await w.locator("#f-comment").evaluate((t) => [t.selectionStart, t.selectionEnd]);
    if (caret[0] !== comment.length || caret[1] !== comment.length) fail(`the caret is at ${caret}`);
    if ((await page.evaluate(() => window.scrollY)) !== y) fail("the page scrolled");
    const total = (await shifts()).reduce((a, e) => a + e.value, 0);
    log(`layout shift across the takeover: ${total.toFixed(4)}`);
    if (total > 0.01) fail(`layout shift ${total}: ${JSON.stringify(await shifts())}`);
    await w.locator("button[type=submit]").click();
    await w.locator(".panel h2").waitFor();
    if (errors.length) fail(`page errors: ${errors.join(" | ")}`);
    return { ok: true, shift: total, comment, switchedAfter: onServerForm.length };
  },

  // Every question on the long form, answered on the server's form before
  // the wasm arrives, carries over, and nothing moves.
  async takeover_long(browser) {
    const { page, errors } = await newPage(browser, { width: 1280 });
    const shifts = await watchShifts(page);
    const release = await holdWasm(page);
    await page.goto(`${params.collector}/f/community-safety?ch=link`);
    const check = (name, v) => page.locator(`input[name="q.${name}"][value="${v}"]`).check();
    await check("respondent_type", "worker");
    await check("feel_safe_day", "3");
    await check("worry", "not-very");
    await check("victim_12m", "yes");
    await check("victim_reported", "no");
    await check("why_not_reported", "takes-too-long");
    await check("priorities", "drugs");
    await check("priorities", "vawg");
    await page.locator("#f-area").selectOption("walbrook");
    await page.locator("#f-safety_comment").fill("More patrols");
    const before = await layout(page, null);
    release();
    const w = widget(page, "community-safety");
    await until("the widget to take over", async () => !(await page.locator("#page-form").isVisible()));
    const after = await layout(page, "community-safety");
    const moved = Object.keys(before).filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k]))
      .map((k) => `${k}: ${before[k]} -> ${after[k]}`);
    if (moved.length) fail(`the takeover moved ${moved.length} thing(s):\n${moved.join("\n")}`);
    const total = (await shifts()).reduce((a, e) => a + e.value, 0);
    if (total > 0.01) fail(`layout shift ${total}`);
    await check_w(w, "feel_safe_dark", "4");
    await w.locator("button[type=submit]").click();
    await w.locator(".panel h2").waitFor();
    if (errors.length) fail(`page errors: ${errors.join(" | ")}`);
    return { ok: true, shift: total, compared: Object.keys(before).length };
  },

  // The wasm never arrives: the server's form alone is answered and sent,
  // after the time a person takes (the bot checks are on).
  async wasm_blocked(browser) {
    const { page } = await newPage(browser, { width: 360 });
    await page.route("**/assets/*.wasm", (r) => r.abort());
    await page.goto(`${params.collector}/f/street-feedback?loc=bank&ch=qr`);
    await page.locator('input[name="q.feel_safe_now"][value="5"]').check();
    await page.locator("#f-comment").fill("Well lit");
    await new Promise((r) => setTimeout(r, 2200));
    await page.locator("button[type=submit]").click();
    await page.waitForURL(/\/thanks/);
    if (!/Thank you/.test(await page.locator("h1").innerText())) fail("no thank-you page");
    return { ok: true };
  },

  // Sent on the server's form while the wasm was still on its way: the
  // widget never shows, and the answers are stored once.
  async sent_before_takeover(browser) {
    const { page } = await newPage(browser, { width: 360 });
    const release = await holdWasm(page);
    await page.goto(`${params.collector}/f/street-feedback?loc=bank&ch=qr`);
    await page.locator('input[name="q.feel_safe_now"][value="1"]').check();
    await page.locator("button[type=submit]").click();
    release();
    await page.waitForURL(/\/thanks/);
    await new Promise((r) => setTimeout(r, 500));
    if (!/Thank you/.test(await page.locator("h1").innerText())) fail("no thank-you page");
    return { ok: true };
  },

  // The example partner page keeps the widget's place: nothing on it
  // jumps when the widget arrives, on a phone, a tablet or a desktop.
  async partner_shift(browser) {
    const totals = {};
    for (const [width, height] of [[412, 823], [768, 1024], [1280, 900]]) {
      const { context, page, errors } = await newPage(browser, { context: { viewport: { width, height } } });
      const shifts = await watchShifts(page);
      await page.goto(params.partner);
      await widget(page, "community-safety").locator(".cfw").waitFor({ state: "attached" });
      await page.waitForTimeout(300);
      const total = (await shifts()).reduce((a, e) => a + e.value, 0);
      totals[`${width}x${height}`] = total;
      if (total > 0.01) fail(`the partner page shifted by ${total} at ${width}x${height}: ${JSON.stringify(await shifts())}`);
      if (errors.length) fail(`page errors: ${errors.join(" | ")}`);
      await context.close();
    }
    log("layout shift on the partner page:", JSON.stringify(totals));
    return { ok: true, totals };
  },

  // No network when sending: kept in localStorage, sent on reload or when
  // the browser is back online, each once.
  async offline(browser) {
    const { context, page } = await newPage(browser);
    let { responses, w } = await sendOffline(page, 1);
    const notice = await w.locator(".notice p").innerText();
    if (!/تم حفظ إجاباتك/.test(notice)) fail(`notice: ${notice}`); // Arabic: "Your answers are saved…"
    // One waiting submission a line (widget/src/offline.rs).
    const outbox = () => page.evaluate(() =>
      (localStorage.getItem("community-feedback-outbox-v1") || "").split("\n").filter(Boolean));
    if ((await outbox()).length !== 1) fail("the answers are not in localStorage");
    if ((await context.cookies()).length) fail("cookies were set");

    // Back on the network: the next opening of the page sends them. An
    // "online" event at the same moment sends them a second time; the
    // collector must store them once.
    await page.unroute(responses);
    await page.reload();
    await page.evaluate(() => window.dispatchEvent(new Event("online")));
    await until("the outbox to empty after reload", async () => (await outbox()).length === 0);
    log("sent on reload");

    // Offline again, then the connection returns while the page is open.
    w = widget(page, "street-feedback");
    await w.scrollIntoViewIfNeeded();
    await w.locator('input[name="f-feel_safe_now"][value="5"]').check();
    await context.setOffline(true);
    await w.locator("button[type=submit]").click();
    await w.locator(".notice").waitFor();
    await context.setOffline(false);
    await w.locator(".panel h2").waitFor({ timeout: 15000 });
    if ((await outbox()).length !== 0) fail("the outbox is not empty after coming back online");
    log("sent when back online");

    // A station Wi-Fi's sign-in page answers everything with 200 and its
    // HTML: that is not the collector keeping the answers.
    await page.route(responses, (r) => r.fulfill({
      status: 200, contentType: "text/html",
      body: "<!doctype html><title>Station Wi-Fi</title><p>Sign in to continue",
    }));
    await page.reload();
    w = widget(page, "street-feedback");
    await w.scrollIntoViewIfNeeded();
    await w.locator('input[name="f-feel_safe_now"][value="3"]').check();
    await w.locator("button[type=submit]").click();
    await w.locator(".notice").waitFor();
    if (!/تم حفظ إجاباتك/.test(await w.locator(".notice p").innerText())) fail("thanked behind a sign-in page");
    if ((await outbox()).length !== 1) fail("the answers behind a sign-in page are not kept");
    await page.unroute(responses);
    await page.evaluate(() => window.dispatchEvent(new Event("online")));
    await w.locator(".panel h2").waitFor({ timeout: 15000 });
    if ((await outbox()).length !== 0) fail("the outbox is not empty past the sign-in page");
    log("kept behind a Wi-Fi sign-in page, sent past it");
    return { ok: true };
  },

  // Answers kept offline that the collector refuses when they go out (the
  // form was republished meanwhile with the comment required): put back on
  // screen with the new form's problem, in the page's language, never
  // dropped; put back again on a later visit; stored once when sent again.
  async offline_refused(browser) {
    const { context, page, errors } = await newPage(browser);
    let { responses, w } = await sendOffline(page, 2);
    const lists = () => waitingLists(page);
    if (String(await lists()) !== "1,0") fail(`kept offline: ${await lists()}`);

    await republish(params.form);
    log("form republished with the comment required");

    const putBack = async (w) => {
      const notice = w.locator(".notice.returned");
      await notice.waitFor({ timeout: 15000 });
      const text = await notice.innerText();
      // Arabic: "Your earlier answers could not be sent…"
      if (!/تعذّر إرسال إجاباتك السابقة/.test(text)) fail(`notice: ${text}`);
      if (!(await w.locator('input[name="f-feel_safe_now"][value="2"]').isChecked())) {
        fail("the answer given offline is not back on screen");
      }
      await w.locator("#f-comment-error").waitFor();
      if (String(await lists()) !== "0,1") fail(`after the refusal: ${await lists()}`);
    };
    // Back online with the page still open (the person may be reading
    // elsewhere on it: the focus stays where it is).
    await page.unroute(responses);
    await page.evaluate(() => window.dispatchEvent(new Event("online")));
    await putBack(w);
    log("put back on screen when the refusal came");

    await page.reload();
    w = widget(page, "street-feedback");
    await w.scrollIntoViewIfNeeded();
    await putBack(w);
    log("put back again on a later visit");

    await w.locator("#f-comment").fill("Dark by the station");
    await w.locator("button[type=submit]").click();
    await w.locator(".panel h2").waitFor();
    if (String(await lists()) !== "0,0") fail(`after sending: ${await lists()}`);
    await page.reload();
    w = widget(page, "street-feedback");
    await w.scrollIntoViewIfNeeded();
    await w.locator("button[type=submit]").waitFor();
    if (await w.locator(".notice.returned").count()) fail("put back after it was sent");

    // Republished again while the next person fills the form in, online,
    // with a new required question: their send is refused, and the changed
    // form comes up with their answers on it and the new question marked.
    await w.locator('input[name="f-feel_safe_now"][value="4"]').check();
    await w.locator("#f-comment").fill("Lamps out on the corner");
    const form3 = withQuestion(params.form, params.new_question);
    await republish(form3);
    await w.locator("button[type=submit]").click();
    await w.locator(".notice.returned").waitFor({ timeout: 15000 });
    // They pressed Send: the notice takes the focus.
    const focused = (loc) => loc.evaluate((el) => el.getRootNode().activeElement === el);
    if (!(await focused(w.locator(".notice.returned")))) fail("the notice did not take the focus");
    await w.locator(`#f-${params.new_question}-error`).waitFor();
    if (!(await w.locator('input[name="f-feel_safe_now"][value="4"]').isChecked())) fail("the answer is gone");
    if ((await w.locator("#f-comment").inputValue()) !== "Lamps out on the corner") fail("the comment is gone");
    await w.locator(`input[name="f-${params.new_question}"][value="1"]`).check();
    await w.locator("button[type=submit]").click();
    await w.locator(".panel h2").waitFor();
    if (String(await lists()) !== "0,0") fail(`after sending on the changed form: ${await lists()}`);
    log("a form changed while it was filled in takes the answers over");

    // Kept offline again, and refused as the widget opens on the next
    // visit (a fourth version asks one more question): put back on the
    // untouched form there and then, without taking the focus.
    await page.route(responses, (r) => r.abort("internetdisconnected"));
    await page.reload();
    w = widget(page, "street-feedback");
    await w.scrollIntoViewIfNeeded();
    await w.locator('input[name="f-feel_safe_now"][value="3"]').check();
    await w.locator(`input[name="f-${params.new_question}"][value="2"]`).check();
    await w.locator("#f-comment").fill("Better since the lights");
    await w.locator("button[type=submit]").click();
    await w.locator(".notice").waitFor();
    if (String(await lists()) !== "1,0") fail(`kept offline: ${await lists()}`);
    await republish(withQuestion(form3, params.fourth_question));
    await page.unroute(responses);
    await page.reload();
    w = widget(page, "street-feedback");
    await w.locator(".notice.returned").waitFor({ timeout: 20000 });
    await w.locator(`#f-${params.fourth_question}-error`).waitFor();
    if (!(await w.locator('input[name="f-feel_safe_now"][value="3"]').isChecked())) fail("not put back on opening");
    if (await page.evaluate(() => document.activeElement && document.activeElement !== document.body)) {
      fail("the focus was taken as the page opened");
    }
    await w.locator(`input[name="f-${params.fourth_question}"][value="1"]`).check();
    await w.locator("button[type=submit]").click();
    await w.locator(".panel h2").waitFor();
    if (String(await lists()) !== "0,0") fail(`after sending: ${await lists()}`);
    log("refused as the widget opened: put back there and then");

    // Once more (a fifth version), and this time the person is already in
    // the widget when the refusal comes (they tabbed to its first answer):
    // starting afresh takes that focus away, so the notice takes it.
    await page.route(responses, (r) => r.abort("internetdisconnected"));
    await page.reload();
    w = widget(page, "street-feedback");
    await w.scrollIntoViewIfNeeded();
    await w.locator('input[name="f-feel_safe_now"][value="5"]').check();
    await w.locator(`input[name="f-${params.new_question}"][value="2"]`).check();
    await w.locator(`input[name="f-${params.fourth_question}"][value="2"]`).check();
    await w.locator("#f-comment").fill("Quiet at last");
    await w.locator("button[type=submit]").click();
    await w.locator(".notice").waitFor();
    if (String(await lists()) !== "1,0") fail(`kept offline: ${await lists()}`);
    await republish(withQuestion(withQuestion(form3, params.fourth_question), params.fifth_question));
    await page.unroute(responses);
    await page.reload();
    w = widget(page, "street-feedback");
    // The refusal waits for the page's proof of work (2 s at least).
    await w.locator('input[name="f-feel_safe_now"]').first().focus();
    if (await w.locator(".notice.returned").count()) fail("refused before the person was in the widget");
    await w.locator(".notice.returned").waitFor({ timeout: 20000 });
    if (!(await focused(w.locator(".notice.returned")))) fail("the focus was lost as the answers came back");
    await w.locator(`#f-${params.fifth_question}-error`).waitFor();
    await w.locator(`input[name="f-${params.fifth_question}"][value="4"]`).check();
    await w.locator("button[type=submit]").click();
    await w.locator(".panel h2").waitFor();
    if (String(await lists()) !== "0,0") fail(`after sending: ${await lists()}`);
    log("refused as the widget opened, the person in it: the notice takes the focus");
    // The failed and refused requests are the test's; anything else is not.
    const others = errors.filter((e) => !e.startsWith("Failed to load resource"));
    if (others.length) fail(`page errors: ${others.join(" | ")}`);
    await context.close();
    return { ok: true };
  },

  // The same on the hosted page a QR code opens, where the widget has
  // taken over the page's own form: put back in place, and on the next
  // visit over the page's empty form, with the page's submission id.
  async offline_refused_hosted(browser) {
    const { context, page, errors } = await newPage(browser, { width: 320 });
    const responses = `${params.collector}/api/v1/forms/street-feedback/responses`;
    await page.route(responses, (r) => r.abort("internetdisconnected"));
    await page.goto(`${params.collector}/f/street-feedback?loc=bank&ch=qr&lang=pl`);
    let w = widget(page, "street-feedback");
    await w.locator(".cfw").waitFor();
    await until("the server form to step aside", async () => !(await page.locator("#page-form").isVisible()));
    await w.locator('input[name="f-feel_safe_now"][value="2"]').check();
    await w.locator("button[type=submit]").click();
    await w.locator(".notice").waitFor();
    const lists = () => waitingLists(page);
    if (String(await lists()) !== "1,0") fail(`kept offline: ${await lists()}`);
    await republish(params.form);

    const putBack = async (w) => {
      const notice = w.locator(".notice.returned");
      await notice.waitFor({ timeout: 15000 });
      // Polish: "Your earlier answers could not be sent…"
      if (!/Nie udało się wysłać Twoich wcześniejszych/.test(await notice.innerText())) fail("no Polish notice");
      if (!(await w.locator('input[name="f-feel_safe_now"][value="2"]').isChecked())) fail("the answer is not back");
      await w.locator("#f-comment-error").waitFor();
      if (await page.locator("#page-form").isVisible()) fail("the page's own form came back");
      if (String(await lists()) !== "0,1") fail(`after the refusal: ${await lists()}`);
    };
    await page.unroute(responses);
    await page.evaluate(() => window.dispatchEvent(new Event("online")));
    await putBack(w);
    log("put back in place");
    await page.reload();
    w = widget(page, "street-feedback");
    await w.locator(".cfw").waitFor();
    await until("the server form to step aside", async () => !(await page.locator("#page-form").isVisible()));
    await putBack(w);
    log("put back over the next visit's page form");
    const violations = await axe(page, "hosted page, answers put back");
    if (violations.length) fail(`axe violations: ${JSON.stringify(violations, null, 1)}`);
    // On a shared device they may be someone else's: they can be deleted.
    await w.locator(".notice.returned button").click();
    await until("a fresh form", async () => (await w.locator(".notice.returned").count()) === 0
      && (await w.locator('input[name="f-feel_safe_now"]').count()) > 0);
    if (await w.locator('input[name="f-feel_safe_now"][value="2"]').isChecked()) fail("still put back");
    if (!(await w.locator("h1").evaluate((el) => el.getRootNode().activeElement === el))) {
      fail("the focus did not go to the form's title");
    }
    if (String(await lists()) !== "0,0") fail(`after deleting them: ${await lists()}`);
    await page.reload();
    w = widget(page, "street-feedback");
    await until("the server form to step aside", async () => !(await page.locator("#page-form").isVisible()));
    if (await w.locator(".notice.returned").count()) fail("put back after they were deleted");
    log("deleted, and not put back again");
    // Deleted in place: the fresh answers go under a new submission id,
    // not under the page's, which the deleted answers may have been
    // stored under already.
    await w.locator('input[name="f-feel_safe_now"][value="3"]').check();
    await w.locator("#f-comment").fill("Skasuję");
    const pageId = await page.locator('#page-form input[name="submission_id"]').inputValue();
    let sentId = null;
    await page.route(responses, (r) => r.abort("internetdisconnected"));
    await w.locator("button[type=submit]").click();
    await w.locator(".notice").waitFor();
    await republish(withQuestion(params.form, "feel_safe_night"));
    await page.unroute(responses);
    await page.evaluate(() => window.dispatchEvent(new Event("online")));
    await w.locator(".notice.returned").waitFor({ timeout: 15000 });
    await w.locator(".notice.returned button").click();
    await until("a fresh form", async () => (await w.locator(".notice.returned").count()) === 0
      && (await w.locator('input[name="f-feel_safe_now"]').count()) > 0);
    page.on("request", (r) => {
      if (r.url() === responses && r.method() === "POST") sentId = JSON.parse(r.postData()).submission_id;
    });
    await w.locator('input[name="f-feel_safe_now"][value="2"]').check();
    await w.locator('input[name="f-feel_safe_night"][value="2"]').check();
    await w.locator("#f-comment").fill("Ciemno przy stacji");
    await w.locator("button[type=submit]").click();
    await w.locator(".panel h2").waitFor();
    if (!sentId || sentId === pageId) fail(`sent under the page's submission id after deleting: ${sentId}`);
    if (String(await lists()) !== "0,0") fail(`after sending: ${await lists()}`);
    const others = errors.filter((e) => !e.startsWith("Failed to load resource"));
    if (others.length) fail(`page errors: ${others.join(" | ")}`);
    await context.close();
    return { ok: true };
  },

  // axe-core, WCAG 2.2 AA rules, at 320 and 1280 px: the hosted page with
  // and without the widget, and the embedded widgets, with and without errors.
  async axe(browser) {
    const violations = [];
    for (const width of [320, 1280]) {
      // Hosted page as served (the loader blocked: what no-JS users get).
      {
        const { context, page } = await newPage(browser, { width });
        await page.route("**/widget.js", (r) => r.abort());
        await page.goto(`${params.collector}/f/community-safety?loc=bank&ch=qr`);
        violations.push(...await axe(page, `hosted html ${width}`));
        const scroll = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        if (scroll > 0) violations.push({ page: `hosted html ${width}`, id: "horizontal-scroll", help: `${scroll}px` });
        await page.locator("button[type=submit]").click();
        await page.locator(".es").waitFor();
        violations.push(...await axe(page, `hosted html errors ${width}`));
        await page.goto(`${params.collector}/f/street-feedback?lang=ar`);
        violations.push(...await axe(page, `hosted html ar ${width}`));
        await context.close();
      }
      // Hosted page with the widget.
      {
        const { context, page } = await newPage(browser, { width });
        await page.goto(`${params.collector}/f/community-safety?loc=bank&ch=qr`);
        const w = widget(page, "community-safety");
        await w.locator(".cfw h1").waitFor();
        await until("the widget to take over", async () => !(await page.locator("#page-form").isVisible()));
        violations.push(...await axe(page, `hosted widget ${width}`));
        await w.locator("button[type=submit]").click();
        await w.locator(".es").waitFor();
        violations.push(...await axe(page, `hosted widget errors ${width}`));
        const scroll = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        if (scroll > 0) violations.push({ page: `hosted widget ${width}`, id: "horizontal-scroll", help: `${scroll}px` });
        await context.close();
      }
      // Embedded on the partner page: first step, error state, Arabic widget.
      {
        const { context, page } = await newPage(browser, { width });
        await page.goto(params.partner);
        const w = widget(page, "community-safety");
        await w.locator(".prog").waitFor();
        violations.push(...await axe(page, `embed ${width}`));
        await w.locator("button[type=submit]").click();
        await w.locator(".es").waitFor();
        const w2 = widget(page, "street-feedback");
        await w2.scrollIntoViewIfNeeded();
        await w2.locator(".cfw").waitFor();
        await w2.locator("button[type=submit]").click();
        await w2.locator(".es").waitFor();
        violations.push(...await axe(page, `embed errors ${width}`));
        for (const [name, loc] of [["community-safety", w], ["street-feedback", w2]]) {
          const over = await loc.locator(".cfw").evaluate((el) => el.scrollWidth - el.clientWidth);
          if (over > 0) violations.push({ page: `embed ${name} ${width}`, id: "horizontal-scroll", help: `${over}px` });
        }
        await context.close();
      }
    }
    // The check must see inside the widget's shadow root: an unlabelled
    // input put there on purpose has to be caught.
    {
      const { context, page } = await newPage(browser, { width: 1280 });
      await page.goto(params.partner);
      const w = widget(page, "community-safety");
      await w.locator(".prog").waitFor();
      await w.locator(".cfw").evaluate((el) => el.appendChild(document.createElement("input")));
      const caught = await axe(page, "control: unlabelled input in the shadow root");
      if (!caught.some((v) => v.id === "label")) fail("axe did not look inside the shadow root");
      await context.close();
    }
    for (const v of violations) log("VIOLATION", JSON.stringify(v));
    if (violations.length) fail(`${violations.length} accessibility violation(s)`);
    return { ok: true, checks: runs };
  },
};


// "One question a scan" on a phone: the page asks one question, each
// answer a button; answered by keyboard alone, with JavaScript and
// without, under axe with no violation.
scenarios.one_tap = async (browser) => {
  const phone = { width: 390, context: { viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true } };
  const violations = [];
  // With JavaScript, by keyboard.
  {
    const { context, page, errors } = await newPage(browser, phone);
    await page.goto(`${params.collector}/f/street-pulse?loc=bank&ch=qr&lang=en&q=police_visible`);
    const heading = (await page.locator("h1").textContent()).trim();
    if (heading !== "How often do you see police officers here?") fail(`heading '${heading}'`);
    const buttons = await page.locator("form button[type=submit]").allTextContents();
    if (JSON.stringify(buttons) !== JSON.stringify(["Often", "Sometimes", "Rarely", "Never"])) fail(`buttons ${buttons}`);
    if (await page.locator("script[src*=widget]").count()) fail("a one-tap page loads no widget");
    violations.push(...(await axe(page, "one-tap en 390px")));
    // Targets a thumb can hit (WCAG 2.5.8 asks 24 px; GOV.UK 44).
    for (const b of await page.locator("form button[type=submit]").all()) {
      const box = await b.boundingBox();
      if (box.height < 44 || box.width < 300) fail(`a small target ${JSON.stringify(box)}`);
    }
    // A person reads the question first (the bot check wants a second).
    await page.waitForTimeout(1200);
    let focused = "";
    for (let i = 0; i < 40 && focused !== "Rarely"; i++) {
      await page.keyboard.press("Tab");
      focused = await page.evaluate(() => document.activeElement && document.activeElement.tagName === "BUTTON" ? document.activeElement.textContent.trim() : "");
    }
    if (focused !== "Rarely") fail("the keyboard never reached the answer");
    await page.keyboard.press("Enter");
    await page.waitForURL(/\/f\/street-pulse\/thanks/);
    if (!(await page.locator("h1").textContent()).trim()) fail("no thank-you heading");
    violations.push(...(await axe(page, "one-tap thanks")));
    if (errors.length) fail(`page errors: ${errors}`);
    await context.close();
  }
  // In Arabic (right to left): the same page, which has no script of its
  // own, checked by axe (which needs JavaScript to run)…
  const arabic = `${params.collector}/f/street-pulse?loc=tower-hill&ch=qr&lang=ar&q=well_lit`;
  {
    const { context, page } = await newPage(browser, phone);
    await page.goto(arabic);
    if ((await page.locator("html").getAttribute("dir")) !== "rtl") fail("Arabic is not right to left");
    violations.push(...(await axe(page, "one-tap ar 390px")));
    await context.close();
  }
  // …and answered without JavaScript, with a tap.
  {
    const { context, page } = await newPage(browser, { ...phone, context: { ...phone.context, javaScriptEnabled: false } });
    await page.goto(arabic);
    await page.waitForTimeout(1200);
    await page.locator("form button[type=submit]", { hasText: "لا" }).first().tap();
    await page.waitForURL(/\/f\/street-pulse\/thanks/);
    await context.close();
  }
  for (const v of violations) log("VIOLATION", JSON.stringify(v));
  if (violations.length) fail(`${violations.length} accessibility violation(s)`);
  return { ok: true, checks: runs };
};


// Subresource Integrity. A glue or wasm altered on its way is refused by
// the loader and the hosted page's own form stays and is sent; a partner
// page that embeds the pinned loader with its hash runs the widget, and
// refuses a loader that was altered.
scenarios.sri = async (browser) => {
  const tamper = (page, pattern) => page.route(pattern, async (route) => {
    const res = await route.fetch();
    const body = Buffer.from(await res.body());
    body[body.length - 2] ^= 0x01;
    await route.fulfill({ response: res, body });
  });
  for (const [what, pattern] of [["wasm", "**/assets/widget-*.wasm"], ["glue", "**/assets/widget-*.js"]]) {
    const { context, page, errors } = await newPage(browser, { width: 390 });
    const failed = [];
    page.on("console", (m) => { if (/feedback widget failed to load/.test(m.text())) failed.push(m.text()); });
    await tamper(page, pattern);
    await page.goto(`${params.collector}/f/street-feedback?loc=bank&ch=qr&lang=en`);
    await until(`the loader to refuse the altered ${what}`, async () => failed.length > 0);
    if (!(await page.locator("#page-form").isVisible())) fail(`the page's form went with the altered ${what}`);
    log(`altered ${what}: refused (${errors.filter((e) => /integrity|digest/i.test(e)).length} integrity error(s) reported)`);
    if (what === "wasm") {
      await page.locator('input[name="q.feel_safe_now"][value="4"]').check();
      await page.locator("form button[type=submit]").click();
      await page.waitForURL(/\/thanks/);
    }
    await context.close();
  }
  // The pinned loader with its hash.
  {
    const { context, page } = await newPage(browser);
    await page.goto(params.partner);
    await widget(page, "community-safety").locator(".prog").waitFor();
    log("pinned loader with its integrity: the widget runs");
    await context.close();
  }
  {
    const { context, page } = await newPage(browser);
    await tamper(page, "**/assets/loader-*.js");
    await page.goto(params.partner);
    await page.waitForTimeout(1500);
    if (await page.locator("[data-feedback-form]").count()) fail("an altered loader ran");
    log("altered pinned loader: not run");
    await context.close();
  }
  return { ok: true };
};


// Proof of work: the loader finds it in the background (timed here with
// the processor slowed four times, as a mid-range phone), the widget
// sends it with the answers, and with the bot checks on they are counted.
scenarios.proof = async (browser) => {
  const { context, page, errors } = await newPage(browser, { width: 390 });
  const cdp = await context.newCDPSession(page);
  await cdp.send("Emulation.setCPUThrottlingRate", { rate: 4 });
  await page.goto(`${params.collector}/f/street-feedback?loc=bank&ch=qr&lang=en`);
  const key = `__feedbackProof:${params.collector}/street-feedback`;
  const found = await page.waitForFunction((k) => {
    if (!window[k]) return false;
    const c = performance.getEntriesByType("resource").find((e) => e.name.endsWith("/challenge"));
    return [performance.now(), c ? performance.now() - c.responseEnd : -1];
  }, key, { timeout: 30000 });
  const [at, solving] = await found.jsonValue();
  log(`proof of work found ${Math.round(at)} ms after the page started, ${Math.round(solving)} ms after its challenge arrived (CPU 4x slower)`);
  const w = widget(page, "street-feedback");
  await until("the widget to take over", async () => !(await page.locator("#page-form").isVisible()));
  // A person takes longer than two seconds to answer, counted from when
  // the challenge arrived (the server times the answer from its issue),
  // not from the page's start: on a slow machine the challenge can come
  // a second or more after that.
  const sinceChallenge = await page.evaluate(() => {
    const c = performance.getEntriesByType("resource").find((e) => e.name.endsWith("/challenge"));
    return c ? performance.now() - c.responseEnd : -1;
  });
  if (sinceChallenge < 0) fail("the challenge was never fetched");
  await page.waitForTimeout(Math.max(0, 2500 - sinceChallenge));
  await w.locator('input[name="f-feel_safe_now"][value="4"]').check();
  await w.getByRole("button", { name: /send|submit/i }).first().click();
  await w.getByText(/thank you/i).first().waitFor({ timeout: 30000 });
  if (errors.length) fail(`page errors: ${errors.join(" | ")}`);
  await context.close();

  // A quick person: the challenge comes late (held back here until they
  // have answered) and they send at once, before the proof is found and
  // well within the 2 s the server asks of a person. The widget shows
  // "Sending…" until the proof is found and 2 s old, so the answer counts.
  {
    const { context, page, errors } = await newPage(browser, { width: 390 });
    let release;
    const held = new Promise((r) => (release = r));
    await page.route("**/challenge", async (route) => { await held; await route.continue(); });
    await page.goto(`${params.collector}/f/street-feedback?loc=bank&ch=qr&lang=en`);
    const w = widget(page, "street-feedback");
    await until("the widget to take over", async () => !(await page.locator("#page-form").isVisible()));
    await w.locator('input[name="f-feel_safe_now"][value="2"]').check();
    // Times in the page's own clock, from its resource timings: when the
    // challenge's answer ended, and when the answers' POST started.
    const timing = (what) => page.evaluate((what) => {
      const of = (end) => performance.getEntriesByType("resource").find((e) => e.name.endsWith(end));
      const c = of("/challenge");
      if (what === "now") return c ? performance.now() - c.responseEnd : -1;
      const p = of("/responses");
      return c && p ? p.startTime - c.responseEnd : -1;
    }, what);
    release();
    await until("the challenge to arrive", async () => (await timing("now")) >= 0);
    await w.getByRole("button", { name: /send|submit/i }).first().click();
    const clicked = Math.round(await timing("now"));
    await w.getByText(/thank you/i).first().waitFor({ timeout: 30000 });
    const posted = Math.round(await timing("posted"));
    log(`quick person: sent ${clicked} ms after the challenge came; the answer went ${posted} ms after it`);
    if (clicked >= 2000) fail(`the quick person took ${clicked} ms: this checks nothing`);
    if (posted < 2000) fail(`the answer went ${posted} ms after its challenge, sooner than the server takes from a person`);
    if (errors.length) fail(`page errors: ${errors.join(" | ")}`);
    await context.close();
  }

  // A page left open: its challenge (good for four hours) is over three
  // hours old when the person answers, so a fresh one is asked for and
  // the answer waits for it. The page's clock is moved on, not the
  // server's.
  {
    const { context, page, errors } = await newPage(browser, { width: 390 });
    await page.addInitScript(() => {
      const real = Date.now;
      window.__later = 0;
      Date.now = () => real() + window.__later;
    });
    // Each challenge's salt, in the order they came, and the salt of the
    // proof the answers went with.
    const salts = [];
    let sent = "";
    page.on("response", async (r) => { if (r.url().endsWith("/challenge")) salts.push((await r.json()).salt); });
    page.on("request", (r) => {
      const proof = r.headers()["x-altcha"];
      if (r.method() === "POST" && proof) sent = JSON.parse(Buffer.from(proof, "base64").toString()).salt;
    });
    await page.goto(`${params.collector}/f/street-feedback?loc=bank&ch=qr&lang=en`);
    const w = widget(page, "street-feedback");
    await page.waitForFunction((k) => !!window[k], key, { timeout: 30000 });
    await until("the widget to take over", async () => !(await page.locator("#page-form").isVisible()));
    await page.evaluate(() => { window.__later = 3.5 * 3600 * 1000; });
    await w.locator('input[name="f-feel_safe_now"][value="5"]').check();
    await w.getByRole("button", { name: /send|submit/i }).first().click();
    await w.getByText(/thank you/i).first().waitFor({ timeout: 30000 });
    const used = salts.indexOf(sent);
    log(`a page left open 3.5 h: its answers went with challenge ${used + 1} of ${salts.length}`);
    if (used < 1) fail(`a page left open sent the proof of challenge ${used + 1}, not a fresh one`);
    if (errors.length) fail(`page errors: ${errors.join(" | ")}`);
    await context.close();
  }
  return { ok: true };
};

// The staff dashboard and a ward's public page, as a sergeant and a
// resident use them: sign in, drill from the city to a site, open a
// trend and see its flagged months, correct an answer's codes and see the
// count move, sign out; every figure checked against the API's; axe at
// 768 and 1280 px on every view; the pages worked by keyboard alone.
// `params.shots`, when given, is a folder for the README's screenshots.
scenarios.dashboard = async (browser) => {
  const base = params.collector;
  const token = params.token;
  const violations = [];
  const { context, page, errors } = await newPage(browser, { width: 1280 });
  const api = async (path) => {
    const r = await context.request.get(base + path, { headers: { Authorization: `Bearer ${token}` } });
    if (!r.ok()) fail(`${path}: ${r.status()}`);
    return r.json();
  };
  const shot = async (name) => {
    if (params.shots) await page.screenshot({ path: `${params.shots}/${name}.png`, fullPage: false });
  };
  const both = async (label) => {
    for (const width of [768, 1280]) {
      await page.setViewportSize({ width, height: 900 });
      violations.push(...await axe(page, `${label} ${width}`));
    }
    await page.setViewportSize({ width: 1280, height: 900 });
    await keyboard(label);
  };
  const close = (a, b) => Math.abs(a - b) < 1e-9;
  // By keyboard alone: Tab from the top reaches every control on the page,
  // each showing where the focus is, and nothing traps it.
  const keyboard = async (label) => {
    await page.evaluate(() => { document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0); });
    const total = await page.evaluate(() => [...document.querySelectorAll(
      'a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex="0"]',
    )].filter((e) => (e.checkVisibility ? e.checkVisibility() : e.offsetParent !== null)).length);
    const seen = new Set();
    const unseen = [];
    // A date field takes a Tab for each of its parts: allow for them.
    for (let i = 0; i < total * 4 + 10 && seen.size < total; i++) {
      await page.keyboard.press("Tab");
      const at = await page.evaluate(() => {
        const e = document.activeElement;
        if (!e || e === document.body) return null;
        if (!e.dataset.kb) e.dataset.kb = String(Math.random());
        const cs = getComputedStyle(e);
        const shown = (cs.outlineStyle !== "none" && cs.outlineWidth !== "0px") || cs.boxShadow !== "none";
        return { id: e.dataset.kb, shown, what: `${e.tagName} ${(e.textContent || e.name || "").trim().slice(0, 30)}` };
      });
      if (!at) continue;
      seen.add(at.id);
      if (!at.shown) unseen.push(at.what);
    }
    if (seen.size < total) fail(`${label}: Tab reached ${seen.size} of ${total} controls`);
    if (unseen.length) fail(`${label}: no visible focus on ${unseen.slice(0, 5).join(" | ")}`);
    log(`keyboard ${label}: Tab reaches all ${total} controls, each with a visible focus`);
  };

  // Signed out: the sign-in page, reached and worked by keyboard.
  await page.goto(`${base}/dashboard/overview?form=community-safety`);
  if (!page.url().includes("/dashboard/sign-in")) fail(`not sent to sign in: ${page.url()}`);
  await both("sign-in");
  await page.reload();
  await page.keyboard.press("Tab");
  if (!(await page.evaluate(() => document.activeElement.classList.contains("skip")))) fail("the first Tab does not reach the skip link");
  await page.keyboard.press("Tab");
  if ((await page.evaluate(() => document.activeElement.id)) !== "token") fail("the token field is not next");
  await page.keyboard.type(token);
  await page.keyboard.press("Enter");
  await page.waitForURL(/\/dashboard\/overview/);
  const cookies = await context.cookies();
  const session = cookies.find((c) => c.name === "dashboard_session");
  if (!session || !session.httpOnly || session.sameSite !== "Strict" || !session.secure) fail(`session cookie: ${JSON.stringify(session)}`);
  if (page.url().includes(token)) fail("the token is in the URL");
  log("signed in; cookie HttpOnly, Secure, SameSite=Strict");

  // Overview: the headline figures are the API's.
  const quarter = await page.locator("#f-quarter option[selected]").getAttribute("value");
  const agg = await api(`/api/v1/forms/community-safety/aggregates?quarter=${encodeURIComponent(quarter)}`);
  const rows = page.locator("table").nth(1).locator("tbody tr");
  const n = await rows.count();
  if (n !== 10) fail(`overview: ${n} measures`);
  for (let i = 0; i < n; i++) {
    const row = rows.nth(i);
    const href = await row.locator("a").first().getAttribute("href");
    const m = new URL(href, base).searchParams.get("m");
    const shown = Number(await row.locator("td").nth(0).getAttribute("data-value"));
    const [q, answers] = m.split(":");
    const s = agg.summaries.find((x) => x.question === q && x.group.length === 0);
    // A scale's "satisfied" share, or a choice share from the cells.
    const expected = answers === undefined ? s.satisfied.proportion
      : agg.cells.filter((c) => c.question === q && c.group.length === 0 && answers.split(",").includes(c.answer))
        .reduce((t, c) => t + c.count, 0) / s.answered;
    if (!close(shown, expected)) fail(`overview ${m}: ${shown} against ${expected}`);
  }
  log(`overview: ${n} headline figures equal the API's for ${quarter}`);
  await shot("dashboard-overview");
  await both("overview");

  // Places: workers' feeling safe after dark, from the city down to a site,
  // by keyboard.
  await page.getByRole("link", { name: "Places", exact: true }).focus();
  await page.keyboard.press("Enter");
  await page.waitForURL(/\/dashboard\/drill/);
  await page.selectOption("#f-m", "feel_safe_dark");
  await page.selectOption("#f-respondent", "worker");
  await page.selectOption("#f-level", "ward");
  await page.getByRole("button", { name: "Show" }).focus();
  await page.keyboard.press("Enter");
  await page.waitForURL(/respondent=worker/);
  const url = new URL(page.url());
  const drill = await api(`/api/v1/forms/community-safety/aggregates?quarter=${encodeURIComponent(url.searchParams.get("quarter"))}&where=respondent_type:worker&by=ward&question=feel_safe_dark`);
  const wards = page.locator("table").first().locator("tbody tr");
  const wardCount = await wards.count();
  for (let i = 0; i < wardCount; i++) {
    const cell = wards.nth(i).locator("td").first();
    const v = await cell.getAttribute("data-value");
    const inParam = new URL(await wards.nth(i).locator("a").first().getAttribute("href"), base).searchParams.get("in");
    const g = drill.summaries.find((x) => x.group[0] === inParam.replace("ward:", ""));
    if (v === null ? g.satisfied : !close(Number(v), g.satisfied.proportion)) fail(`ward ${inParam}: ${v}`);
  }
  const least = (await wards.first().locator("th").innerText()).trim();
  log(`places: ${wardCount} wards equal the API's; workers feel least safe after dark in ${least}`);
  await shot("dashboard-places");
  await both("places by ward");
  // Is it an exception? The least safe ward's own trend, for workers.
  await wards.first().locator("a.minor").focus();
  await page.keyboard.press("Enter");
  await page.waitForURL(/\/dashboard\/trend/);
  const trendUrl = new URL(page.url());
  if (trendUrl.searchParams.get("ward") === null || trendUrl.searchParams.get("respondent") !== "worker") fail(`the ward's trend lost its filters: ${page.url()}`);
  const points = await page.locator("table tbody tr").count();
  const wardFlags = await page.locator("svg path.exception").count();
  log(`${least}'s trend for workers: ${points} months, ${wardFlags} flagged`);
  await page.goBack();
  await page.waitForURL(/\/dashboard\/drill/);
  // Back up to the city, then down: sector, cluster, ward, site.
  await page.locator(".crumbs a", { hasText: "City" }).focus();
  await page.keyboard.press("Enter");
  await page.waitForURL(/level=sector/);
  for (const level of ["cluster", "ward", "site"]) {
    const link = page.locator("table").first().locator("tbody tr a").first();
    const name = (await link.innerText()).trim();
    await link.focus();
    await page.keyboard.press("Enter");
    await page.waitForURL(new RegExp(`level=${level}`));
    const crumb = (await page.locator(".crumbs [aria-current]").innerText()).trim();
    if (crumb !== name) fail(`drilled into ${name}, the crumbs say ${crumb}`);
    log(`drilled into ${name}: ${level}s`);
  }
  const sites = await page.locator("table").first().locator("tbody tr").count();
  if (sites < 1) fail("no site at the bottom");
  await both("places by site");

  // The trend, with its flagged months.
  await page.getByRole("link", { name: "See the trend of this measure" }).click();
  await page.waitForURL(/\/dashboard\/trend/);
  const flagged = await page.locator("svg path.exception").count();
  const rowsFlagged = await page.locator("table tbody tr td .flag").count();
  if (flagged !== rowsFlagged) fail(`chart marks ${flagged}, table ${rowsFlagged}`);
  const signals = await page.locator("ul.signals li").count();
  log(`trend: ${flagged} flagged months, ${signals} exception(s) listed`);
  if (flagged === 0 && signals === 0) fail("the demonstration data has exceptions; none shown");
  await shot("dashboard-trend");
  await both("trend");

  // Free text: correct an answer's codes in place; the count moves.
  await page.goto(`${base}/dashboard/text?form=community-safety&quarter=${encodeURIComponent(quarter)}&ward=bishopsgate`);
  const countOf = async (theme) => Number(await page.locator(`table tbody tr:has(a[href*="theme=${theme}"]) td`).first().getAttribute("data-count"));
  const before = await countOf("road-safety");
  const answer = page.locator("article.answer", { has: page.locator('input[value="road-safety"]:not([checked])') }).first();
  const id = await answer.getAttribute("data-id");
  await answer.locator("summary").focus();
  await page.keyboard.press("Enter");
  await answer.locator('input[value="road-safety"]').focus();
  await page.keyboard.press("Space");
  await answer.getByRole("button", { name: "Save codes" }).focus();
  await page.keyboard.press("Enter");
  await page.waitForURL(new RegExp(`#a-${id}$`));
  const after = await countOf("road-safety");
  if (after !== before + 1) fail(`road safety ${before} → ${after}`);
  log(`recoded ${id}: road safety ${before} → ${after}`);
  await shot("dashboard-text");
  await both("free text");

  for (const view of ["map", "breakdown", "crosstab", "funnel", "cases", "actions"]) {
    await page.goto(`${base}/dashboard/${view}?form=community-safety`);
    if (view === "map") {
      const shaded = await page.locator("svg.map path[data-value]").count();
      if (shaded < 10) fail(`the map shades ${shaded} wards`);
      await shot("dashboard-map");
    }
    await both(view);
  }

  // Sign out, by keyboard; the session is gone.
  await page.getByRole("button", { name: "Sign out" }).focus();
  await page.keyboard.press("Enter");
  await page.waitForURL(/signed_out/);
  await page.goto(`${base}/dashboard/overview`);
  if (!page.url().includes("/dashboard/sign-in")) fail("still signed in after signing out");
  log("signed out");

  // A resident's ward page, in English and Arabic, no sign-in.
  for (const path of ["/results/bishopsgate", "/results/bishopsgate?lang=ar"]) {
    await page.goto(base + path);
    if (path === "/results/bishopsgate") await shot("results-bishopsgate");
    await both(path);
  }
  if (errors.length) fail(`page errors: ${errors.join(" | ")}`);
  await context.close();
  if (violations.length) fail(`axe violations: ${JSON.stringify(violations, null, 1)}`);
  log(`axe: 0 violations over ${runs} runs`);
  return { ok: true, recoded: id };
};

const browser = await launch();
let code = 0;
try {
  const run = scenarios[scenario];
  if (!run) fail(`no scenario '${scenario}'; have ${Object.keys(scenarios)}`);
  const result = await run(browser);
  console.log(JSON.stringify(result));
} catch (e) {
  console.error(`[${scenario}] FAILED: ${e && e.stack || e}`);
  code = 1;
} finally {
  await browser.close();
}
process.exit(code);
