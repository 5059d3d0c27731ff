// The dashboard's first view as a sergeant meets it on a phone on mobile
// data: a signed-in session opens the overview over a 150 ms round trip
// at 1.6 Mbit/s down, and this prints when the page was usable (its HTML
// in and parsed: the page needs no script) and first painted.
//
//   node tests/browser/bench-dashboard.mjs <collector origin> <session cookie value>
//
// Run by `cargo run --release -p collector --example bench_dashboard`. A
// benchmark: it prints figures and checks only that the page arrived.
import { chromium } from "playwright-core";

const [base, session] = process.argv.slice(2);
const NETWORK = { offline: false, latency: 150, downloadThroughput: 200_000, uploadThroughput: 93_750 };
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run"],
});
for (const [name, path] of [["overview", "/dashboard/overview?form=community-safety"],
  ["places by ward", "/dashboard/drill?form=community-safety&m=feel_safe_dark&level=ward&respondent=worker"],
  ["a ward's public page", "/results/bishopsgate"]]) {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true });
  await context.addCookies([{ name: "dashboard_session", value: session, url: `${base}/dashboard`, httpOnly: true, secure: true, sameSite: "Strict" }]);
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.emulateNetworkConditions", NETWORK);
  const started = Date.now();
  const response = await page.goto(base + path, { waitUntil: "domcontentloaded" });
  const usable = Date.now() - started;
  if (response.status() !== 200) throw new Error(`${path}: ${response.status()}`);
  const [fcp, transferred] = await page.evaluate(() => [
    performance.getEntriesByName("first-contentful-paint")[0]?.startTime ?? null,
    performance.getEntriesByType("navigation")[0]?.transferSize ?? null,
  ]);
  console.log(`${name}: usable after ${usable} ms` + (fcp == null ? "" : `, first paint ${Math.round(fcp)} ms`) +
    (transferred == null ? "" : `, ${(transferred / 1024).toFixed(1)} KiB over the wire`) + " (150 ms RTT, 1.6 Mbit/s; target 2 s)");
  await context.close();
}
await browser.close();
