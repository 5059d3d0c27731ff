// A person on the street, for scripts/street-walkthrough.sh: opens the
// address a poster's QR code holds in headless Chromium on a phone-sized
// screen and, per step given,
//   answer-js    answers "how safe do you feel here" with the widget (JavaScript on)
//   answer-nojs  answers it with the page's own form (JavaScript off)
//   leave        answers the first question, then leaves without sending
//
//   node tests/browser/walk-street.mjs <url> <step>...
import { chromium } from "playwright-core";

const [url, ...steps] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run"],
});

async function open(javaScriptEnabled) {
  const context = await browser.newContext({
    viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, javaScriptEnabled,
  });
  const page = await context.newPage();
  await page.goto(url);
  return { context, page };
}

async function widgetReady(page) {
  const w = page.locator('[data-feedback-form="street-feedback"]');
  await w.locator(".cfw").waitFor();
  for (let i = 0; i < 200 && (await page.locator("#page-form").isVisible()); i++) await page.waitForTimeout(50);
  return w;
}

try {
  for (const step of steps) {
    if (step === "answer-js") {
      const { context, page } = await open(true);
      const w = await widgetReady(page);
      await w.locator('input[name="f-feel_safe_now"][value="4"]').check();
      await w.locator("#f-comment").fill("Well lit and busy in the evening.");
      await w.getByRole("button", { name: /send|submit/i }).first().click();
      await w.getByText(/thank you/i).first().waitFor({ timeout: 30_000 });
      console.log("with JavaScript: the widget said thank you");
      await context.close();
    } else if (step === "answer-nojs") {
      const { context, page } = await open(false);
      await page.locator('input[name="q.feel_safe_now"][value="2"]').check();
      // A person takes more than the two seconds the bot check asks.
      await page.waitForTimeout(2500);
      await page.locator("form button[type=submit]").click();
      await page.waitForURL(/\/thanks/);
      console.log(`without JavaScript: ${(await page.locator("h1").innerText()).trim()} (${new URL(page.url()).pathname})`);
      await context.close();
    } else if (step === "leave") {
      const { context, page } = await open(true);
      const w = await widgetReady(page);
      await w.locator('input[name="f-feel_safe_now"][value="1"]').check();
      await page.waitForTimeout(500);
      await page.goto("about:blank");
      await page.waitForTimeout(500);
      console.log("opened, answered one question, left without sending");
      await context.close();
    } else {
      throw new Error(`no step '${step}'`);
    }
  }
} finally {
  await browser.close();
}
