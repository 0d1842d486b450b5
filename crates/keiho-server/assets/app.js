// Keiho dashboard: live pictures (GET /v1/live) and alerts (GET /v1/stream) in,
// the map, the event's timeline and the operators' actions out.
//
// Updates are coalesced per animation frame: however fast pictures arrive, each
// frame applies only the newest picture of each event, so the page stays
// responsive while an event streams.

import { WarningMap } from "/assets/map.js";
import * as i18n from "/assets/i18n.js";
import { OrbitWatch } from "/assets/orbit.js";

const { t } = i18n;
const $ = (id) => document.getElementById(id);

const state = {
  events: new Map(), // id -> { id, view, record, predictions, phases: [{t, phase}], firstSeen }
  alerts: new Map(), // identifier -> alert view
  deliveries: new Map(), // identifier -> counts
  selected: null,
  token: sessionStorage.getItem("keiho.token") || "",
  caller: null,
  pending: new Map(), // event -> newest picture not yet drawn
  frameRequested: false,
};

// Counters a test (or a curious operator) can read.
window.keiho = { pictures: 0, frames: 0, alerts: 0, state };

let map;
let orbit;

function h(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else if (k === "dataset") Object.assign(e.dataset, v);
    else e.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    e.append(c instanceof Node ? c : String(c));
  }
  return e;
}

async function api(method, path, body) {
  const headers = { Accept: "application/json" };
  if (state.token) headers.Authorization = `Bearer ${state.token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const r = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { json = null; }
  if (!r.ok) {
    const why = (json && (json.detail || json.title)) || `${r.status} ${r.statusText}`;
    const err = new Error(why);
    err.status = r.status;
    throw err;
  }
  return json;
}

// ---- words ----------------------------------------------------------------

function translatePage() {
  document.title = t("title");
  for (const e of document.querySelectorAll("[data-t]")) e.textContent = t(e.dataset.t);
  for (const e of document.querySelectorAll("[data-t-label]")) {
    e.setAttribute("aria-label", t(e.dataset.tLabel));
    e.title = t(e.dataset.tLabel);
  }
  $("lang").value = i18n.lang();
  renderAll();
}

function regionName(code) {
  return i18n.regionName(map && map.regionProps.get(code), code);
}

// ---- events and pictures ----------------------------------------------------

function eventState(id) {
  let e = state.events.get(id);
  if (!e) {
    e = { id, view: null, record: null, predictions: 0, phases: [], firstSeen: null };
    state.events.set(id, e);
  }
  return e;
}

function isManual(id) {
  return String(id).startsWith("manual-");
}

async function loadEvent(id) {
  const e = eventState(id);
  try {
    const record = await api("GET", `/v1/events/${encodeURIComponent(id)}`);
    e.record = record;
    for (const f of record.prediction.features) {
      if (f.properties.kind === "track") map.seedTrack(`${id}/${f.properties.object}`, f.geometry.coordinates);
    }
    for (const a of record.alerts) addAlert(a, false);
  } catch (err) {
    // A manual incident has messages but no event record.
    if (err.status !== 404) console.warn("event", id, err);
  }
  if (!state.selected) select(id);
  else renderAll();
}

function onPicture(view) {
  window.keiho.pictures++;
  state.pending.set(view.event, view);
  if (!state.frameRequested) {
    state.frameRequested = true;
    requestAnimationFrame(applyPictures);
  }
}

function applyPictures() {
  state.frameRequested = false;
  window.keiho.frames++;
  let changed = false;
  for (const view of state.pending.values()) {
    const e = eventState(view.event);
    if (!e.firstSeen) {
      e.firstSeen = view.t;
      changed = true;
      if (!e.record) loadEvent(view.event);
    }
    const last = e.phases[e.phases.length - 1];
    if (!last || last.phase !== view.phase) {
      e.phases.push({ t: view.t, phase: view.phase });
      changed = true;
    }
    e.predictions++;
    e.view = view;
    map.picture(view);
  }
  state.pending.clear();
  if (!state.selected && state.events.size) select([...state.events.keys()][0]);
  renderEvents();
  renderDetail();
  if (changed) renderTimeline();
  else updatePredictionRow();
}

function select(id) {
  state.selected = id;
  renderAll();
}

// ---- alerts -----------------------------------------------------------------

function addAlert(a, live) {
  if (state.alerts.has(a.identifier)) return;
  state.alerts.set(a.identifier, a);
  window.keiho.alerts++;
  const e = eventState(a.event_id);
  // Manual incidents (ids `manual-N`, see src/manual.rs) have messages but no
  // recorded flight, so there is no event document to load.
  if (!e.record && !e.firstSeen && live && !isManual(a.event_id)) loadEvent(a.event_id);
  setMode(a.status);
  if (live) {
    if (!state.selected) state.selected = a.event_id;
    refreshDeliveries(a.identifier);
    setTimeout(() => refreshDeliveries(a.identifier), 2000);
    renderEvents();
    renderTimeline();
  }
}

function setMode(status) {
  const mode = $("mode");
  mode.hidden = false;
  mode.dataset.status = status;
  mode.textContent = `${t("status_" + status)} — ${t("mode_note_" + status)}`;
  document.body.dataset.mode = status;
}

async function refreshDeliveries(identifier) {
  try {
    state.deliveries.set(identifier, await api("GET", `/v1/alerts/${encodeURIComponent(identifier)}/deliveries`));
    const row = document.querySelector(`[data-identifier="${CSS.escape(identifier)}"] .deliveries`);
    if (row) row.textContent = deliveryText(identifier);
  } catch (err) {
    console.warn("deliveries", identifier, err);
  }
}

function deliveryText(identifier) {
  const d = state.deliveries.get(identifier);
  if (!d) return "";
  const total = (c) => c.pending + c.delivered + c.expired + c.failed;
  return t("deliveries", {
    wd: d.webhook.delivered, wt: total(d.webhook),
    md: d.mqtt.delivered, mt: total(d.mqtt),
    ps: d.push_sent,
  });
}

function alertsOf(id) {
  return [...state.alerts.values()].filter((a) => a.event_id === id).sort((a, b) => a.sequence - b.sequence);
}

// ---- rendering ----------------------------------------------------------------

function renderAll() {
  renderEvents();
  renderDetail();
  renderTimeline();
  renderOperator();
}

function renderEvents() {
  const box = $("events");
  const ids = [...new Set([...state.events.keys(), ...[...state.alerts.values()].map((a) => a.event_id)])].sort();
  if (!ids.length) {
    box.replaceChildren(h("p", { class: "help" }, t("no_events")));
    return;
  }
  const key = ids.join("|") + "#" + state.selected + i18n.lang();
  if (box.dataset.key === key) return;
  box.dataset.key = key;
  box.replaceChildren(h("div", { class: "events" }, ids.map((id) =>
    h("button", { type: "button", "aria-pressed": String(id === state.selected), onclick: () => select(id) }, id))));
}

// The detail panel is built once per event and language; pictures only update its
// text, and the areas list is rebuilt only when the areas change, so a keyboard
// user's focus on an area is not lost at every picture.
function renderDetail() {
  const box = $("event-detail");
  const e = state.selected && state.events.get(state.selected);
  if (!e) {
    box.replaceChildren();
    box.dataset.key = "";
    return;
  }
  const key = `${e.id}|${i18n.lang()}`;
  if (box.dataset.key !== key) {
    box.dataset.key = key;
    box.replaceChildren(h("div", { class: "detail" },
      h("dl", {},
        h("dt", {}, t("event_phase")), h("dd", { id: "phase" }),
        h("dt", {}, "⇱"), h("dd", { id: "origin" }),
        h("dt", {}, "Σ"), h("dd", { id: "counts" })),
      h("h3", {}, t("at_risk")),
      h("div", { id: "areas-box" }),
      h("h3", {}, t("objects")),
      h("ul", { class: "help", id: "objects" }),
      h("p", {},
        h("a", { href: `/events/${encodeURIComponent(e.id)}?lang=${i18n.lang()}` }, t("public_page")), " · ",
        h("a", { href: `/events/${encodeURIComponent(e.id)}/report` }, t("report")))));
  }
  const v = e.view;
  // A manual incident has messages only: no flight to describe.
  box.querySelector(".detail").hidden = !v && !e.record;
  const phase = v ? v.phase : (e.record && e.record.event.phase) || "";
  $("phase").textContent = phase ? t("phase_" + phase) : "";
  $("origin").textContent = e.record ? e.record.event.origin : "";
  $("counts").textContent = v ? t("reports_sensors", { reports: v.reports, sensors: v.sensors }) : "";
  const areas = v ? v.areas : [];
  const areasBox = $("areas-box");
  const label = (a) => `${regionName(a.code)} (${a.code}) · ${t("kind_" + a.kind)} · ${Math.round(a.probability * 100)}%`;
  const areasKey = areas.map((a) => `${a.code}:${a.kind}`).join(",");
  if (areasBox.dataset.key !== areasKey || !areasBox.firstChild) {
    areasBox.dataset.key = areasKey;
    areasBox.replaceChildren(areas.length
      ? h("ul", { class: "areas", id: "areas" }, areas.map((a) => h("li", {},
          h("button", { type: "button", dataset: { kind: a.kind, code: a.code }, onclick: () => openRegion(a.code) }, label(a)))))
      : h("p", { class: "help", id: "areas" }, t("none_at_risk")));
  } else {
    // Same areas: only the probabilities move; the buttons (and focus) stay.
    areas.forEach((a, i) => {
      const b = areasBox.querySelectorAll("button")[i];
      if (b && b.textContent !== label(a)) b.textContent = label(a);
    });
  }
  $("objects").replaceChildren(...(v ? v.objects : []).map((o) => h("li", {},
    `${o.object}: ${t("alt_speed", { alt: (o.alt_m / 1000).toFixed(0), speed: (o.speed_mps / 1000).toFixed(2) })}`,
    o.lost ? ` · ${t("lost")}` : "", o.down ? ` · ${t("down")}` : "",
    o.iip && !o.down ? ` · ${t("iip_at", { lat: o.iip[1].toFixed(2), lon: o.iip[0].toFixed(2), when: i18n.formatTime(o.impact_at) })}` : "")));
}

function timelineRows(e) {
  const rows = [];
  const launch = e.record && e.record.event.launch_at;
  const first = launch || e.firstSeen;
  if (first) rows.push({ t: first, kind: "first", text: t("tl_first") });
  for (const p of e.phases) rows.push({ t: p.t, kind: "phase", text: t("tl_phase", { phase: t("phase_" + p.phase) }) });
  for (const n of (e.record && e.record.notes) || []) {
    rows.push({ t: n.t, kind: "note", text: t("tl_note", { note: `${n.object || ""} ${n.note}${n.detail ? " — " + n.detail : ""}` }) });
  }
  for (const a of alertsOf(e.id)) rows.push({ t: a.sent, kind: "message", alert: a });
  rows.sort((a, b) => new Date(a.t) - new Date(b.t));
  if (e.view) rows.push({ t: e.view.t, kind: "prediction" });
  return rows;
}

function renderTimeline() {
  const list = $("timeline-list");
  const e = state.selected && eventState(state.selected);
  if (!e) {
    list.replaceChildren();
    return;
  }
  list.replaceChildren(...timelineRows(e).map(row));
}

function row(r) {
  if (r.kind === "prediction") {
    return h("li", { class: "prediction", id: "prediction-row" }, predictionText());
  }
  if (r.kind !== "message") {
    return h("li", { class: r.kind }, h("time", { datetime: r.t }, i18n.formatTime(r.t)), r.text);
  }
  const a = r.alert;
  const caller = state.caller;
  const canAct = caller && ["operator", "admin"].includes(caller.role) && a.msg_type !== "Cancel";
  return h("li", { class: "message", dataset: { identifier: a.identifier, stage: a.stage, status: a.status } },
    h("time", { datetime: a.sent }, i18n.formatTime(a.sent)),
    h("span", { class: "status-tag", dataset: { status: a.status } }, t("status_" + a.status)),
    t("tl_message", { status: "", msg_type: a.msg_type, sequence: a.sequence, stage: t("stage_" + a.stage) }).trim(),
    a.regions.length ? h("div", {}, `${t("regions")}: ${a.regions.map(regionName).join(", ")}`) : null,
    a.lifted.length ? h("div", {}, `${t("lifted")}: ${a.lifted.map(regionName).join(", ")}`) : null,
    h("div", { class: "help" }, a.cause),
    h("div", { class: "deliveries" }, deliveryText(a.identifier)),
    h("div", { class: "msg-actions" },
      h("a", { href: a.cap_url, target: "_blank", rel: "noopener" }, t("open_xml")),
      canAct ? h("button", { type: "button", class: "danger", onclick: () => cancelMessage(a) }, t("cancel_msg")) : null,
      canAct && a.event_id.startsWith("manual-") ? h("button", { type: "button", onclick: () => correctMessage(a) }, t("correct_msg")) : null));
}

function predictionText() {
  const e = state.selected && state.events.get(state.selected);
  if (!e || !e.view) return "";
  return [h("time", { datetime: e.view.t }, i18n.formatTime(e.view.t)), t("tl_prediction", { count: e.predictions })];
}

function updatePredictionRow() {
  const r = $("prediction-row");
  if (r) r.replaceChildren(...predictionText());
}

// ---- regions ----------------------------------------------------------------

function openRegion(code) {
  const history = [...state.alerts.values()]
    .filter((a) => a.regions.includes(code) || a.lifted.includes(code))
    .sort((a, b) => new Date(a.sent) - new Date(b.sent));
  $("region-dialog-title").textContent = t("region_history", { name: `${regionName(code)} (${code})` });
  $("region-history").replaceChildren(...(history.length
    ? history.map((a) => h("li", { class: "message", dataset: { stage: a.stage } },
        h("time", { datetime: a.sent }, i18n.formatTime(a.sent)),
        h("span", { class: "status-tag", dataset: { status: a.status } }, t("status_" + a.status)),
        `${a.event_id} #${a.sequence} ${a.msg_type} ${t("stage_" + a.stage)} — `,
        a.regions.includes(code) ? t("regions") : t("lifted"), " ",
        h("a", { href: a.cap_url, target: "_blank", rel: "noopener" }, t("open_xml"))))
    : [h("li", {}, t("no_history"))]));
  $("region-dialog").showModal();
}

// ---- operators ----------------------------------------------------------------

function say(text, error = false) {
  const r = $("action-result");
  r.textContent = text;
  r.classList.toggle("error", error);
}

async function signIn(token) {
  state.token = token.trim();
  try {
    state.caller = await api("GET", "/v1/whoami");
    sessionStorage.setItem("keiho.token", state.token);
  } catch (err) {
    state.caller = null;
    state.token = "";
    sessionStorage.removeItem("keiho.token");
    say(t("error", { why: err.message }), true);
  }
  renderAll();
  refreshDrafts();
}

function renderOperator() {
  const signedIn = !!state.caller;
  $("signin").hidden = signedIn;
  $("signed-in").hidden = !signedIn;
  $("need-sign-in").hidden = signedIn;
  if (signedIn) $("whoami").textContent = t("signed_in_as", { id: state.caller.id, role: state.caller.role });
  const canIssue = signedIn && ["operator", "admin"].includes(state.caller.role);
  $("manual").hidden = !canIssue;
}

async function refreshDrafts() {
  if (!state.caller) return;
  let drafts = [];
  try {
    drafts = await api("GET", "/v1/manual");
  } catch (err) {
    return;
  }
  const pending = drafts.filter((d) => d.state === "pending");
  const list = $("drafts");
  const key = JSON.stringify(pending.map((d) => d.id)) + i18n.lang() + state.caller.role;
  if (list.dataset.key === key) return;
  list.dataset.key = key;
  if (!pending.length) {
    list.replaceChildren(h("li", { class: "help" }, t("no_drafts")));
    return;
  }
  const mayApprove = ["approver", "admin"].includes(state.caller.role);
  list.replaceChildren(...pending.map((d) => {
    let body = {};
    try { body = JSON.parse(d.body); } catch { body = {}; }
    return h("li", { dataset: { status: d.status, draft: d.id } },
      h("span", { class: "status-tag", dataset: { status: d.status } }, t("status_" + d.status)),
      `#${d.id} ${(body.regions || []).map(regionName).join(", ")} — ${body.cause || ""}`,
      body.corrects ? h("div", { class: "help" }, `${t("corrects")}: ${body.corrects}`) : null,
      h("div", { class: "help" }, t("drafted_by", { by: d.drafted_by, at: i18n.formatTime(d.drafted_at) })),
      h("div", { class: "msg-actions" },
        mayApprove ? h("button", { type: "button", class: "danger approve", onclick: () => approve(d.id) }, t("approve")) : null,
        h("button", { type: "button", class: "reject", onclick: () => reject(d.id) }, t("reject"))));
  }));
}

async function submitManual(ev) {
  ev.preventDefault();
  const corrects = $("manual-corrects").value.trim();
  const request = {
    status: $("manual-status").value,
    regions: $("manual-regions").value.split(/[\s,]+/).filter(Boolean),
    cause: $("manual-cause").value.trim(),
  };
  if (corrects) request.corrects = corrects;
  // An earlier result must not be mistaken for this one's.
  say(t("sending"));
  try {
    const result = await api("POST", "/v1/manual", request);
    if (result.state === "pending") say(t("done_draft", { id: result.draft_id }));
    else say(t("done_issued", { identifier: result.alert.identifier }));
    $("manual").reset();
    refreshDrafts();
  } catch (err) {
    say(t("error", { why: err.message }), true);
  }
}

async function approve(id) {
  say(t("sending"));
  try {
    const result = await api("POST", `/v1/manual/${id}/approve`);
    say(t("done_issued", { identifier: result.alert.identifier }));
  } catch (err) {
    say(t("error", { why: err.message }), true);
  }
  refreshDrafts();
}

async function reject(id) {
  say(t("sending"));
  try {
    await api("POST", `/v1/manual/${id}/reject`);
    say(t("done_rejected", { id }));
  } catch (err) {
    say(t("error", { why: err.message }), true);
  }
  refreshDrafts();
}

async function cancelMessage(a) {
  const cause = window.prompt(t("cancel_prompt"));
  if (!cause) return;
  say(t("sending"));
  try {
    const result = await api("POST", `/v1/alerts/${encodeURIComponent(a.identifier)}/cancel`, { cause });
    say(t("done_cancel", { identifier: result.identifier }));
  } catch (err) {
    say(t("error", { why: err.message }), true);
  }
}

function correctMessage(a) {
  $("manual-status").value = a.status.toLowerCase();
  $("manual-regions").value = a.regions.join(", ");
  $("manual-corrects").value = a.identifier;
  $("manual-cause").focus();
}

// ---- streams ----------------------------------------------------------------

function connect() {
  const live = new EventSource("/v1/live");
  live.addEventListener("live", (m) => {
    try { onPicture(JSON.parse(m.data)); } catch (err) { console.warn("picture", err); }
  });
  const alerts = new EventSource("/v1/stream");
  alerts.addEventListener("alert", (m) => {
    try { addAlert(JSON.parse(m.data), true); } catch (err) { console.warn("alert", err); }
  });
  const status = () => {
    const ok = live.readyState === 1 && alerts.readyState === 1;
    $("connection").textContent = ok ? `● ${t("live")}` : `○ ${t("offline")}`;
  };
  for (const s of [live, alerts]) {
    s.addEventListener("open", status);
    s.addEventListener("error", status);
  }
}

async function start() {
  i18n.setLang(i18n.initialLang());
  map = new WarningMap($("map"), { onRegion: openRegion });
  $("zoom-in").addEventListener("click", () => map.zoom(1.25));
  $("zoom-out").addEventListener("click", () => map.zoom(0.8));
  $("zoom-home").addEventListener("click", () => map.reset());
  $("lang").addEventListener("change", (e) => { i18n.setLang(e.target.value); translatePage(); });
  $("signin").addEventListener("submit", (e) => { e.preventDefault(); signIn($("token").value); $("token").value = ""; });
  $("signout").addEventListener("click", () => {
    state.token = "";
    state.caller = null;
    sessionStorage.removeItem("keiho.token");
    renderAll();
  });
  $("manual").addEventListener("submit", submitManual);
  $("manual-status").addEventListener("change", (e) => { $("manual").dataset.status = e.target.value; });
  translatePage();
  try {
    map.drawRegions(await api("GET", "/v1/map/regions"));
  } catch (err) {
    console.warn("map", err);
  }
  orbit = new OrbitWatch(
    { form: $("orbit-form"), object: $("orbit-object"), note: $("orbit-note"), passes: $("orbit-passes") },
    {
      map,
      api,
      regionName,
      // The deployment's regions: Japan's prefectures and Korea's provinces.
      deploymentCodes: () => [...map.regionProps.keys()].filter((c) => /^(JP|KR)-/.test(c)),
    },
  );
  await orbit.loadObjects();
  connect();
  try {
    for (const e of await api("GET", "/v1/events")) await loadEvent(e.id);
  } catch (err) {
    console.warn("events", err);
  }
  if (state.token) await signIn(state.token);
  renderAll();
  // Drafts and the newest messages' delivery counts move on their own.
  setInterval(() => {
    refreshDrafts();
    // A catalogue that was empty fills when someone adds element sets.
    if (!orbit.objects.length) orbit.loadObjects();
    if (state.selected) for (const a of alertsOf(state.selected).slice(-5)) refreshDeliveries(a.identifier);
  }, 3000);
  document.body.dataset.ready = "true";
}

start();
