// Keiho dashboard: orbit watch. The objects in the service's catalogue
// (GET /v1/objects), their passes over the deployment's regions in the next day
// (GET /v1/passes) and, for the pass chosen, its ground track on the map
// (GET /v1/objects/{norad}/track). Everything is computed by the service.

import * as i18n from "/assets/i18n.js";

const t = i18n.t;
// Elements older or newer than this (days) say nothing useful about today's passes
// (they are "stale" for the service too), so passes are then shown from the epoch.
const STALE_DAYS = 14;
// Minutes of track drawn before and after a pass, so the approach is visible.
const TRACK_MARGIN_MIN = 8;

export class OrbitWatch {
  /// `ui`: the panel's elements; `map`: the WarningMap; `api(method, path)`;
  /// `regionName(code)`; `deploymentCodes()`: the region codes to watch.
  constructor(ui, { map, api, regionName, deploymentCodes }) {
    this.ui = ui;
    this.map = map;
    this.api = api;
    this.regionName = regionName;
    this.deploymentCodes = deploymentCodes;
    this.objects = [];
    this.passes = [];
    ui.form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      this.showPasses();
    });
  }

  async loadObjects() {
    try {
      this.objects = (await this.api("GET", "/v1/objects")).objects || [];
    } catch (err) {
      this.note(t("error", { why: err.message }));
      return;
    }
    const select = this.ui.object;
    const chosen = select.value;
    select.replaceChildren(...this.objects.map((o) => {
      const opt = document.createElement("option");
      opt.value = String(o.norad_id);
      opt.textContent = `${o.name || t("orbit_unnamed")} (${o.norad_id})`;
      return opt;
    }));
    if (chosen) select.value = chosen;
    this.ui.form.hidden = this.objects.length === 0;
    if (!this.objects.length) this.note(t("orbit_none"));
    else if (!this.passes.length) this.note("");
  }

  note(text) {
    this.ui.note.textContent = text;
  }

  async showPasses() {
    const norad = Number(this.ui.object.value);
    const object = this.objects.find((o) => o.norad_id === norad);
    if (!object) return;
    const codes = this.deploymentCodes();
    let from = null;
    const ageDays = Math.abs(Date.now() - new Date(object.latest_epoch).getTime()) / 86400000;
    if (ageDays > STALE_DAYS) {
      from = object.latest_epoch;
      this.note(t("orbit_stale", { epoch: i18n.formatDateTime(object.latest_epoch) }));
    } else {
      this.note("");
    }
    const query = new URLSearchParams({ norad: String(norad), region: codes.join(","), days: "1" });
    if (from) query.set("from", from);
    let report;
    try {
      report = await this.api("GET", `/v1/passes?${query}`);
    } catch (err) {
      this.note(t("error", { why: err.message }));
      return;
    }
    this.passes = report.passes || [];
    const list = this.ui.passes;
    if (!this.passes.length) {
      list.replaceChildren(li("help", t("orbit_no_passes")));
      this.map.orbitTrack([]);
      return;
    }
    list.replaceChildren(...this.passes.map((p, i) => {
      const item = li("pass", "");
      item.dataset.region = p.region;
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = t("orbit_show_track");
      button.addEventListener("click", () => this.drawPass(i));
      item.append(
        `${i18n.formatDateTime(p.start)} – ${i18n.formatTime(p.end)} · ${this.regionName(p.region)} · ${Math.round(p.duration_s)} s `,
        button,
      );
      return item;
    }));
    await this.drawPass(0);
  }

  /// Draw pass `i`'s ground track (with a margin either side) and mark it chosen.
  async drawPass(i) {
    const p = this.passes[i];
    if (!p) return;
    const from = new Date(new Date(p.start).getTime() - TRACK_MARGIN_MIN * 60000).toISOString();
    const minutes = (new Date(p.end) - new Date(p.start)) / 60000 + 2 * TRACK_MARGIN_MIN;
    const query = new URLSearchParams({ from, minutes: minutes.toFixed(3), step_s: "10" });
    try {
      const track = await this.api("GET", `/v1/objects/${p.norad_id}/track?${query}`);
      this.map.orbitTrack(track.points.map((q) => [q.lon_deg, q.lat_deg]), `${track.name || p.norad_id}`);
    } catch (err) {
      this.note(t("error", { why: err.message }));
      return;
    }
    [...this.ui.passes.children].forEach((c, k) => c.classList.toggle("chosen", k === i));
  }
}

function li(cls, text) {
  const e = document.createElement("li");
  e.className = cls;
  e.textContent = text;
  return e;
}
