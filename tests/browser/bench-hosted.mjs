// Measures the hosted street-feedback page as a person on a phone on mobile
// data meets it: how soon the form is painted and usable from the server's
// HTML, how many actions answering takes, and how long sending takes.
//
//   node tests/browser/bench-hosted.mjs [http://127.0.0.1:8080]
//
// Needs a running collector (scripts/run.sh). Prints figures; it is a
// benchmark, not a test, and checks nothing but that the thank-you appears.
import { chromium } from "playwright-core";

const base = process.argv[2] || "http://127.0.0.1:8080";
const url = `${base}/f/street-feedback?loc=liverpool-street&ch=qr&lang=en`;
// A slow mobile connection: 150 ms round trip, 1.6 Mbit/s down, 750 kbit/s up.
const NETWORK = { offline: false, latency: 150, downloadThroughput: 200_000, uploadThroughput: 93_750 };

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run"],
});

async function run(javaScript) {
  const context = await browser.newContext({
    viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true, javaScriptEnabled: javaScript,
  });
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.emulateNetworkConditions", NETWORK);

  const started = Date.now();
  const response = await page.goto(url, { waitUntil: "domcontentloaded" });
  const html = (await response.body()).length;
  const usable = Date.now() - started;
  // First paint is read with JavaScript on only (the page exposes no timing otherwise).
  const fcp = javaScript
    ? await page.evaluate(() => performance.getEntriesByName("first-contentful-paint")[0]?.startTime ?? null)
    : null;

  // The person reads the question (their own time, not counted here), then:
  await page.waitForTimeout(2500);
  let actions = 0;
  const scope = javaScript ? page.locator("[data-feedback-form]").first() : page;
  const option = scope.getByRole("radio").nth(3); // "fairly safe"
  await option.check({ force: true });
  actions += 1;
  const sent = Date.now();
  await scope.getByRole("button", { name: /send|submit/i }).first().click();
  actions += 1;
  await scope.getByText(/thank you/i).first().waitFor({ timeout: 30_000 });
  const sending = Date.now() - sent;
  await context.close();
  return { javaScript, html, usable, fcp, actions, sending };
}

for (const js of [false, true]) {
  const r = await run(js);
  console.log(
    `JavaScript ${r.javaScript ? "on " : "off"}: HTML ${(r.html / 1024).toFixed(1)} KiB before compression, ` +
      `form usable after ${r.usable} ms` + (r.fcp == null ? "" : ` (first paint ${Math.round(r.fcp)} ms)`) +
      `, ${r.actions} actions (one tap, send), thank-you ${r.sending} ms after send`,
  );
}
console.log("network: 150 ms RTT, 1.6 Mbit/s down, 750 kbit/s up");
await browser.close();
