// End-to-end test of the dashboard and the public event page in a real browser
// (Debian's Chromium driven by playwright-core). It starts `keiho demo`, waits for
// Okinawa's alert on the map and the timeline, runs the two-person flow for an
// Actual manual alert (issue, approve, correct, withdraw), opens the public page in
// Japanese and English, and saves screenshots. It also measures how long the page's
// frames and main-thread tasks take while the event streams (a measurement printed
// for BENCHMARKS.md, not a pass/fail timing).
//
// Usage: node dashboard.mjs   (env: KEIHO_BIN, KEIHO_SHOTS, KEIHO_DEMO_SPEED, KEIHO_SHARED)

import { chromium } from "playwright-core";
import { spawn } from "node:child_process";
import assert from "node:assert/strict";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";

const BIN = process.env.KEIHO_BIN || "target/debug/keiho";
const SHOTS = process.env.KEIHO_SHOTS || "target/browser";
const SPEED = process.env.KEIHO_DEMO_SPEED || "10";
const CHROMIUM = process.env.KEIHO_CHROMIUM || "/usr/bin/chromium";
// The shared test data beside the repository (element sets used as fixtures).
const SHARED = process.env.KEIHO_SHARED || path.resolve("../shared");
// Generous: a debug build on a loaded 2-core machine.
const FLIGHT_TIMEOUT_MS = 600_000;

fs.mkdirSync(SHOTS, { recursive: true });

function step(text) {
  console.log(`[browser] ${new Date().toISOString().slice(11, 19)} ${text}`);
}

async function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });
}

/// Start the demo; resolve once it prints its tokens (the service is then up).
async function startDemo() {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "keiho-browser-"));
  const child = spawn(BIN, ["demo", "--listen", `127.0.0.1:${port}`, "--data-dir", dir, "--speed", SPEED], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stderr.on("data", (d) => fs.appendFileSync(path.join(SHOTS, "demo.stderr.log"), d));
  const ready = new Promise((resolve, reject) => {
    child.stdout.on("data", (d) => {
      out += d;
      fs.appendFileSync(path.join(SHOTS, "demo.stdout.log"), d);
      const operator = /operator token (\S+)/.exec(out);
      const approver = /approver token (\S+)/.exec(out);
      if (operator && approver) resolve({ operator: operator[1], approver: approver[1] });
    });
    child.on("exit", (code) => reject(new Error(`keiho demo exited (${code}) before it was ready:\n${out}`)));
  });
  const tokens = await ready;
  return { child, base: `http://127.0.0.1:${port}`, tokens };
}

// Installed before any page script: long tasks and frame gaps, for the measurement.
function perfProbe() {
  window.__perf = { longTasks: [], frames: [] };
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) window.__perf.longTasks.push(e.duration);
    }).observe({ type: "longtask", buffered: true });
  } catch {
    // No long-task timing in this browser: frames are still measured.
  }
  let last = performance.now();
  const frame = (now) => {
    window.__perf.frames.push(now - last);
    last = now;
    requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
}

function percentile(values, p) {
  if (!values.length) return 0;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

async function newPage(browser, options) {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(`${m.text()} (${m.location().url || "?"})`);
  });
  page.errors = errors;
  return page;
}

async function main() {
  step(`starting ${BIN} demo at ${SPEED}x`);
  const demo = await startDemo();
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
  });
  try {
    await run(demo, browser);
  } finally {
    await browser.close();
    demo.child.kill("SIGTERM");
  }
}

async function run(demo, browser) {
  const { base, tokens } = demo;

  // 1. The operator's dashboard, in Japanese, as the flight streams in.
  const a = await newPage(browser, { locale: "ja-JP", viewport: { width: 1440, height: 900 } });
  await a.addInitScript(perfProbe);
  await a.goto(`${base}/`);
  await a.waitForSelector("body[data-ready=true]");
  assert.equal(await a.getAttribute("html", "lang"), "ja", "the page follows the browser's language");
  const missing = await a.evaluate(async () => (await import("/assets/i18n.js")).missingKeys());
  assert.deepEqual(missing, [], "every text exists in ja, en and ko");
  const regions = await a.locator("#map .land path").count();
  assert.ok(regions >= 47, `the map draws the bundled regions (${regions} drawn)`);

  step("waiting for the first live picture");
  await a.waitForFunction(() => window.keiho.pictures > 0, null, { timeout: FLIGHT_TIMEOUT_MS });
  const perfStart = await a.evaluate(() => ({ p: window.keiho.pictures, t: performance.now(), f: window.__perf.frames.length, l: window.__perf.longTasks.length }));

  step("waiting for Okinawa (JP-47) on the map and the timeline");
  await a.waitForSelector('#map path[data-code="JP-47"][data-kind]', { timeout: FLIGHT_TIMEOUT_MS });
  const okinawaRow = a.locator(".timeline li.message", { hasText: "沖縄県" }).first();
  await okinawaRow.waitFor({ timeout: FLIGHT_TIMEOUT_MS });
  const tag = await okinawaRow.locator(".status-tag").textContent();
  assert.equal(tag, "訓練", "the demo's messages are marked Exercise, in Japanese");
  assert.equal(await a.getAttribute("body", "data-mode"), "Exercise");
  await a.screenshot({ path: path.join(SHOTS, "dashboard-okinawa-ja.png") });
  // The areas at risk are also a list a keyboard reaches: Tab to Okinawa, Enter.
  const listed = a.locator('#areas button[data-code="JP-47"]');
  await listed.waitFor({ timeout: 30_000 });
  await listed.focus();
  await a.keyboard.press("Enter");
  await a.waitForSelector("#region-dialog[open] #region-history li.message");
  await a.keyboard.press("Escape");
  // The message opens as signed CAP XML.
  const xmlHref = await okinawaRow.locator("a", { hasText: "CAP XML" }).getAttribute("href");
  const xml = await (await fetch(base + xmlHref)).text();
  assert.match(xml, /<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"/);
  assert.match(xml, /JP-47|沖縄/);

  // The measurement: frames and main-thread tasks while pictures stream in.
  await a.waitForTimeout(10_000);
  const perf = await a.evaluate((s) => ({
    pictures: window.keiho.pictures - s.p,
    seconds: (performance.now() - s.t) / 1000,
    frames: window.__perf.frames.slice(s.f),
    longTasks: window.__perf.longTasks.slice(s.l),
  }), perfStart);
  const figures = {
    pictures_per_s: +(perf.pictures / perf.seconds).toFixed(1),
    frames: perf.frames.length,
    frame_p50_ms: +percentile(perf.frames, 50).toFixed(1),
    frame_p99_ms: +percentile(perf.frames, 99).toFixed(1),
    frame_max_ms: +Math.max(0, ...perf.frames).toFixed(1),
    frames_over_50ms: perf.frames.filter((f) => f > 50).length,
    long_tasks: perf.longTasks.length,
    long_task_max_ms: +Math.max(0, ...perf.longTasks).toFixed(1),
  };
  fs.writeFileSync(path.join(SHOTS, "perf.json"), JSON.stringify(figures, null, 2));
  step(`measured while streaming: ${JSON.stringify(figures)}`);

  // Pan and zoom from the keyboard.
  const before = await a.getAttribute("#map", "viewBox");
  await a.focus("#map");
  await a.keyboard.press("+");
  await a.keyboard.press("ArrowRight");
  assert.notEqual(await a.getAttribute("#map", "viewBox"), before, "keyboard zoom and pan move the map");
  await a.keyboard.press("0");
  // A region's alert history: from the map (a tap on the region; Okinawa's islands
  // leave sea at the centre of its box, so the event goes to the region itself) and
  // from the keyboard-reachable list of areas at risk.
  await a.locator('#map path[data-code="JP-47"]').dispatchEvent("pointerup");
  await a.waitForSelector("#region-dialog[open] #region-history li.message");
  await a.screenshot({ path: path.join(SHOTS, "dashboard-region-history-ja.png") });
  await a.click("#region-dialog button");

  step("waiting for the all-clear");
  await a.waitForSelector('.timeline li.message[data-stage="AllClear"]', { timeout: FLIGHT_TIMEOUT_MS });
  await a.waitForFunction(() => !document.querySelector("#map path[data-kind]"), null, { timeout: 60_000 });
  await a.screenshot({ path: path.join(SHOTS, "dashboard-all-clear-ja.png") });

  // 2. The two-person rule: the operator drafts an Actual alert, the approver issues it.
  step("two-person flow");
  await a.fill("#token", tokens.operator);
  await a.click("#signin button[type=submit]");
  await a.waitForSelector("#signed-in:not([hidden])");
  await a.selectOption("#manual-status", "actual");
  await a.fill("#manual-regions", "JP-47");
  await a.fill("#manual-cause", "browser test of the two-person rule");
  await a.click("#manual button[type=submit]");
  await a.waitForFunction(() => /承認待ち|拒否/.test(document.querySelector("#action-result").textContent));
  const drafted = await a.textContent("#action-result");
  const draftId = /(\d+)/.exec(drafted)?.[1];
  assert.ok(draftId, `the operator is told the draft waits for approval: ${drafted}`);
  // The operator cannot approve (their role offers no approve button; the API refuses).
  assert.equal(await a.locator(`#drafts li[data-draft="${draftId}"] button.approve`).count(), 0);
  const self = await a.evaluate(async (id) => {
    const r = await fetch(`/v1/manual/${id}/approve`, { method: "POST", headers: { Authorization: `Bearer ${sessionStorage.getItem("keiho.token")}` } });
    return r.status;
  }, draftId);
  assert.equal(self, 403, "the author's own token cannot approve");
  // That refusal was provoked on purpose; the browser logs it as a failed request.
  const provoked = a.errors.findIndex((e) => e.includes(`/v1/manual/${draftId}/approve`));
  assert.ok(provoked >= 0, "the refused approval was a request the page saw");
  a.errors.splice(provoked, 1);

  const b = await newPage(browser, { locale: "en-US", viewport: { width: 1280, height: 900 } });
  await b.goto(`${base}/`);
  await b.waitForSelector("body[data-ready=true]");
  assert.equal(await b.getAttribute("html", "lang"), "en");
  await b.fill("#token", tokens.approver);
  await b.click("#signin button[type=submit]");
  const approveButton = b.locator(`#drafts li[data-draft="${draftId}"] button.approve`);
  await approveButton.waitFor({ timeout: 10_000 });
  await b.screenshot({ path: path.join(SHOTS, "dashboard-approval-en.png") });
  await approveButton.click();
  await b.waitForFunction(() => /Issued/.test(document.querySelector("#action-result").textContent), null, { timeout: 10_000 });
  const incident = `manual-${draftId}`;
  // Both screens show the Actual message, marked as such.
  for (const page of [a, b]) {
    await page.click(`#events button:text-is("${incident}")`);
    await page.waitForSelector('.timeline li.message[data-status="Actual"]');
  }
  assert.equal(await b.textContent('.timeline li.message[data-status="Actual"] .status-tag'), "ACTUAL");
  await b.screenshot({ path: path.join(SHOTS, "dashboard-actual-en.png") });

  // Correct it (Okinawa -> Kagoshima): again a draft, again approved by the second person.
  step("correct and withdraw");
  await a.click('.timeline li.message[data-status="Actual"] button:text-is("訂正")');
  assert.equal(await a.inputValue("#manual-corrects"), await a.getAttribute('.timeline li.message[data-status="Actual"]', "data-identifier"));
  await a.fill("#manual-regions", "JP-46");
  await a.fill("#manual-cause", "wrong prefecture");
  await a.click("#manual button[type=submit]");
  // The result line is cleared on submission, so this is the correction's own answer.
  await a.waitForFunction(() => /承認待ち|拒否/.test(document.querySelector("#action-result").textContent));
  const correctionDraft = /(\d+)/.exec(await a.textContent("#action-result"))?.[1];
  assert.ok(correctionDraft && correctionDraft !== draftId, `a new draft for the correction: ${await a.textContent("#action-result")}`);
  const approveCorrection = b.locator(`#drafts li[data-draft="${correctionDraft}"] button.approve`);
  await approveCorrection.waitFor({ timeout: 10_000 });
  await approveCorrection.click();
  await b.waitForSelector('.timeline li.message[data-status="Actual"] >> nth=1');
  const update = b.locator(".timeline li.message").nth(1);
  assert.match(await update.textContent(), /Update/);
  assert.match(await update.textContent(), /Kagoshima/);
  assert.match(await update.textContent(), /Lifted: Okinawa/);
  // Withdraw in one action: a Cancel.
  a.once("dialog", (d) => d.accept("exercise over"));
  await a.locator('.timeline li.message[data-status="Actual"] button.danger').last().click();
  await a.waitForFunction(() => /取り消しました/.test(document.querySelector("#action-result").textContent));
  await b.waitForSelector('.timeline li.message >> text=Cancel');
  await b.screenshot({ path: path.join(SHOTS, "dashboard-corrected-withdrawn-en.png") });

  // 3. Orbit watch: a catalogued object's passes over the deployment's regions, and
  // the chosen pass's ground track on the map. The element sets are the Malligyong-1
  // fixtures of ../shared (test data, not bundled with the product).
  step("orbit watch");
  const tle = fs.readFileSync(path.join(SHARED, "data/tle/malligyong-1_norad58400_2024-06.tle"), "utf8");
  const added = await fetch(`${base}/v1/elements`, {
    method: "POST",
    headers: { Authorization: `Bearer ${tokens.operator}`, "Content-Type": "text/plain" },
    body: tle,
  });
  assert.equal(added.status, 201, await added.text());
  await b.waitForSelector('#orbit-object option[value="58400"]', { state: "attached", timeout: 15_000 });
  await b.click('#orbit-form button[type=submit]');
  await b.waitForSelector("#orbit-passes li.pass.chosen", { timeout: 30_000 });
  assert.match(await b.textContent("#orbit-note"), /2024-06-12/, "stale elements: passes from their epoch, and the page says so");
  const drawn = Number(await b.getAttribute("#map g.orbit", "data-points"));
  assert.ok(drawn > 10, `the chosen pass's ground track is on the map (${drawn} points)`);
  await b.screenshot({ path: path.join(SHOTS, "dashboard-orbit-en.png") });

  // 4. The public page, in the browser's language.
  step("public event page");
  const events = await (await fetch(`${base}/v1/events`)).json();
  assert.ok(events.length >= 1);
  const eventId = events[0].id;
  for (const [locale, lang, words] of [["ja-JP", "ja", /沖縄/], ["en-GB", "en", /Okinawa/]]) {
    const p = await newPage(browser, { locale, viewport: { width: 1024, height: 900 } });
    await p.goto(`${base}/events/${encodeURIComponent(eventId)}`);
    assert.equal(await p.getAttribute("html", "lang"), lang, `public page in ${lang}`);
    assert.match(await p.textContent("body"), words);
    await p.screenshot({ path: path.join(SHOTS, `public-${lang}.png`), fullPage: true });
    assert.deepEqual(p.errors, [], `no script errors on the ${lang} public page`);
  }

  // 5. A phone-sized screen.
  const phone = await newPage(browser, { locale: "ko-KR", viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  await phone.goto(`${base}/`);
  await phone.waitForSelector("body[data-ready=true]");
  assert.equal(await phone.getAttribute("html", "lang"), "ko");
  const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `nothing wider than the phone's screen (${overflow} px over)`);
  await phone.screenshot({ path: path.join(SHOTS, "dashboard-phone-ko.png"), fullPage: true });

  for (const [name, page] of [["operator", a], ["approver", b], ["phone", phone]]) {
    assert.deepEqual(page.errors, [], `no script errors on the ${name}'s dashboard`);
  }
  step(`all browser checks passed; screenshots in ${SHOTS}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
