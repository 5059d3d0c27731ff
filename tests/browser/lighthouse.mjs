// Runs Lighthouse (mobile preset, simulated throttling) over the hosted
// survey pages and prints, as a Markdown table, the four category scores and
// the vitals of each page; then, for any category below 0.95, the audits
// that fail in it, and the console errors Lighthouse saw.
//
//   node tests/browser/lighthouse.mjs http://127.0.0.1:8080 [--runs N] [--partner URL] [--check]
//
//   --runs N       audit each page N times and print the median of each figure (default 1)
//   --partner URL  also audit a partner page that embeds the widget
//                  (examples/partner-page.html served on another origin)
//   --check        exit 1 when a page has a category below 0.95, CLS >= 0.1,
//                  LCP >= 2.5 s or TBT >= 200 ms
//
// Needs a running collector (scripts/lighthouse.sh starts one, with the
// partner page). It is a measurement, not a test: without --check it exits 0
// unless Lighthouse itself fails (2). Chromium is $CHROME_PATH, by default
// Debian's /usr/bin/chromium. Lighthouse's figures depend on how busy the
// CPU is: compare runs made on the same, otherwise idle, machine.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import lighthouse from "lighthouse";
import * as chromeLauncher from "chrome-launcher";

const PAGES = [
  "/f/street-feedback?loc=liverpool-street&ch=qr&lang=en",
  "/f/street-feedback?loc=liverpool-street&ch=qr&lang=ar",
  "/f/community-safety?ch=link",
  "/f/victim-satisfaction?ch=link",
];
const CATEGORIES = ["performance", "accessibility", "best-practices", "seo"];
const CHROME_FLAGS = [
  "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
  "--disable-component-update", "--disable-sync", "--no-first-run",
];
// The bars of --check (and the score below which failing audits are listed).
const MIN_SCORE = 0.95;
const MAX_CLS = 0.1;
const MAX_LCP_MS = 2500;
const MAX_TBT_MS = 200;

function usage(message) {
  if (message) console.error(message);
  console.error("usage: node tests/browser/lighthouse.mjs BASE_URL [--runs N] [--partner URL] [--check]");
  process.exit(2);
}

function parseArgs(argv) {
  const opts = { base: null, runs: 1, partner: null, check: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => (i + 1 < argv.length ? argv[++i] : usage(`${a} needs a value`));
    if (a === "--runs") opts.runs = Number(value());
    else if (a.startsWith("--runs=")) opts.runs = Number(a.slice(7));
    else if (a === "--partner") opts.partner = value();
    else if (a.startsWith("--partner=")) opts.partner = a.slice(10);
    else if (a === "--check") opts.check = true;
    else if (a === "-h" || a === "--help") usage();
    else if (!a.startsWith("-") && !opts.base) opts.base = a;
    else usage(`unknown argument ${a}`);
  }
  if (!opts.base) usage("missing BASE_URL");
  if (!Number.isInteger(opts.runs) || opts.runs < 1) usage("--runs takes a whole number of at least 1");
  opts.base = opts.base.replace(/\/+$/, "");
  return opts;
}

// One Lighthouse run in a Chromium of its own with a fresh profile.
async function audit(url) {
  const userDataDir = mkdtempSync(join(tmpdir(), "lighthouse-chromium-"));
  const chrome = await chromeLauncher.launch({
    chromePath: process.env.CHROME_PATH || "/usr/bin/chromium",
    chromeFlags: CHROME_FLAGS,
    userDataDir,
    logLevel: "silent",
  });
  try {
    const result = await lighthouse(url, {
      port: chrome.port,
      output: "json",
      logLevel: "error",
      onlyCategories: CATEGORIES,
    });
    if (!result) throw new Error("Lighthouse returned no result");
    const lhr = result.lhr;
    if (lhr.runtimeError) throw new Error(`${lhr.runtimeError.code}: ${lhr.runtimeError.message}`);
    return lhr;
  } finally {
    await chrome.kill();
    rmSync(userDataDir, { recursive: true, force: true });
  }
}

// The figures of one run, and what failed in it.
function figures(lhr) {
  const score = (id) => lhr.categories[id]?.score ?? null;
  const value = (id) => lhr.audits[id]?.numericValue ?? null;
  const failing = {};
  for (const id of CATEGORIES) {
    const category = lhr.categories[id];
    if (!category || category.score === null || category.score >= MIN_SCORE) continue;
    failing[id] = [];
    for (const ref of category.auditRefs) {
      const a = lhr.audits[ref.id];
      const counted = !["informative", "notApplicable", "manual", "error"].includes(a.scoreDisplayMode);
      if (counted && a.score !== null && a.score < 0.9) {
        failing[id].push({ id: a.id, title: a.title, score: a.score, value: a.displayValue || "", items: culprits(a.details) });
      }
    }
  }
  const consoleErrors = (lhr.audits["errors-in-console"]?.details?.items || []).map(
    (e) => `${e.sourceLocation?.url || e.url || ""} ${e.description || ""}`.trim(),
  );
  return {
    scores: Object.fromEntries(CATEGORIES.map((id) => [id, score(id)])),
    cls: value("cumulative-layout-shift"),
    lcp: value("largest-contentful-paint"),
    tbt: value("total-blocking-time"),
    fcp: value("first-contentful-paint"),
    failing,
    consoleErrors,
    version: lhr.lighthouseVersion,
    userAgent: lhr.environment?.hostUserAgent,
    benchmarkIndex: lhr.environment?.benchmarkIndex,
  };
}

// What an audit points at (resources, elements), a few of them at most.
function culprits(details, found = new Set()) {
  for (const item of details?.items || []) {
    if (found.size >= 3) break;
    if (item?.type === "table" || item?.type === "list" || item?.type === "opportunity") {
      culprits(item, found);
      continue;
    }
    const node = item?.node?.type === "node" ? item.node : null;
    const what = item?.url || item?.source?.url || (node && (node.selector || node.snippet));
    if (typeof what === "string" && what) found.add((node?.snippet ? `${what} ${node.snippet}` : what).replace(/\s+/g, " "));
  }
  return [...found];
}

function median(values) {
  const v = values.filter((x) => x !== null && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

const fixed = (x, digits, scale = 1) => (x === null ? "–" : (x / scale).toFixed(digits));

const opts = parseArgs(process.argv.slice(2));
const targets = PAGES.map((path) => ({ label: path, url: opts.base + path }));
if (opts.partner) targets.push({ label: `partner page (${new URL(opts.partner).pathname})`, url: opts.partner });

let lighthouseFailed = false;
const pages = [];
for (const target of targets) {
  const runs = [];
  for (let i = 1; i <= opts.runs; i++) {
    console.error(`lighthouse: ${target.url} (run ${i} of ${opts.runs})`);
    try {
      runs.push(figures(await audit(target.url)));
    } catch (e) {
      lighthouseFailed = true;
      console.error(`lighthouse failed on ${target.url}: ${e.message}`);
    }
  }
  pages.push({ ...target, runs });
}

const row = (cells) => `| ${cells.join(" | ")} |`;
console.log(row(["page", "performance", "accessibility", "best-practices", "SEO", "CLS", "LCP (s)", "TBT (ms)", "FCP (s)"]));
console.log(row(["---", "---:", "---:", "---:", "---:", "---:", "---:", "---:", "---:"]));
const problems = [];
for (const page of pages) {
  const m = (f) => median(page.runs.map(f));
  page.median = {
    scores: Object.fromEntries(CATEGORIES.map((id) => [id, m((r) => r.scores[id])])),
    cls: m((r) => r.cls),
    lcp: m((r) => r.lcp),
    tbt: m((r) => r.tbt),
    fcp: m((r) => r.fcp),
  };
  const f = page.median;
  console.log(row([
    `\`${page.label}\``,
    ...CATEGORIES.map((id) => fixed(f.scores[id], 2)),
    fixed(f.cls, 3), fixed(f.lcp, 2, 1000), fixed(f.tbt, 0), fixed(f.fcp, 2, 1000),
  ]));
  if (page.runs.length === 0) continue;
  for (const id of CATEGORIES) {
    if (f.scores[id] !== null && f.scores[id] < MIN_SCORE) problems.push(`${page.label}: ${id} ${fixed(f.scores[id], 2)} < ${MIN_SCORE}`);
  }
  if (f.cls !== null && f.cls >= MAX_CLS) problems.push(`${page.label}: CLS ${fixed(f.cls, 3)} >= ${MAX_CLS}`);
  if (f.lcp !== null && f.lcp >= MAX_LCP_MS) problems.push(`${page.label}: LCP ${fixed(f.lcp, 2, 1000)} s >= ${MAX_LCP_MS / 1000} s`);
  if (f.tbt !== null && f.tbt >= MAX_TBT_MS) problems.push(`${page.label}: TBT ${fixed(f.tbt, 0)} ms >= ${MAX_TBT_MS} ms`);
}

const first = pages.find((p) => p.runs.length)?.runs[0];
if (first) {
  console.log(
    `\nLighthouse ${first.version}, mobile preset, simulated throttling; ` +
      `${opts.runs === 1 ? "one run" : `median of ${opts.runs} runs`} per page; ` +
      `benchmark index ${first.benchmarkIndex ?? "?"}; ${first.userAgent ?? ""}`,
  );
}

// What to fix: the failing audits of each category below the bar, and what
// the console said. With several runs, an audit is listed if it failed in
// any of them, with how many.
for (const page of pages) {
  if (page.runs.length === 0) continue;
  const lines = [];
  for (const id of CATEGORIES) {
    const score = page.median.scores[id];
    if (score === null || score >= MIN_SCORE) continue;
    const seen = new Map();
    for (const run of page.runs) {
      for (const a of run.failing[id] || []) {
        const entry = seen.get(a.id) || { ...a, count: 0 };
        entry.count += 1;
        seen.set(a.id, entry);
      }
    }
    lines.push(`- ${id} ${fixed(score, 2)}:`);
    if (seen.size === 0) lines.push("  - (no single audit below 0.9: the score is a sum of partial ones)");
    for (const a of seen.values()) {
      const runs = page.runs.length > 1 ? ` (in ${a.count} of ${page.runs.length} runs)` : "";
      const value = a.value ? ` — ${a.value}` : "";
      lines.push(`  - \`${a.id}\`: ${a.title}${value}${runs}`);
      for (const item of a.items) lines.push(`    - ${item.length > 160 ? `${item.slice(0, 157)}...` : item}`);
    }
  }
  const errors = [...new Set(page.runs.flatMap((r) => r.consoleErrors))];
  if (errors.length) {
    lines.push("- console errors:");
    for (const e of errors) lines.push(`  - ${e}`);
  }
  if (lines.length) console.log(`\n${page.label}\n${lines.join("\n")}`);
}

if (opts.check) {
  if (problems.length) {
    console.log(`\ncheck failed:\n${problems.map((p) => `- ${p}`).join("\n")}`);
  } else {
    console.log("\ncheck passed: every category >= 0.95, CLS < 0.1, LCP < 2.5 s, TBT < 200 ms");
  }
}
if (lighthouseFailed) process.exit(2);
if (opts.check && problems.length) process.exit(1);
