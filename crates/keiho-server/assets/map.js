// Keiho dashboard: the map. Plain SVG, drawn from the service's own region outlines
// (GET /v1/map/regions): no tiles, nothing fetched from the internet, so it works on
// an isolated network.
//
// The projection is fixed (equirectangular, longitudes shrunk by cos 30°, true near
// the latitudes of Japan and Korea); panning and zooming move the SVG viewBox, so a
// live update only changes the few overlay elements and never re-projects the land.

const NS = "http://www.w3.org/2000/svg";
const K = 10; // SVG units per degree of latitude
const COS = Math.cos((30 * Math.PI) / 180);
const LON0 = 95;
const LAT0 = 55;
// The West Pacific as first shown: the Korean peninsula to the Philippines.
const HOME = { lon0: 112, lat0: 46, lon1: 150, lat1: 14 };

export function project(lon, lat) {
  return [(lon - LON0) * COS * K, (LAT0 - lat) * K];
}

function ringPath(ring) {
  let d = "";
  for (let i = 0; i < ring.length; i++) {
    const [x, y] = project(ring[i][0], ring[i][1]);
    d += (i === 0 ? "M" : "L") + x.toFixed(2) + " " + y.toFixed(2);
  }
  return d + "Z";
}

function linePath(points) {
  let d = "";
  for (let i = 0; i < points.length; i++) {
    const [x, y] = project(points[i][0], points[i][1]);
    d += (i === 0 ? "M" : "L") + x.toFixed(2) + " " + y.toFixed(2);
  }
  return d;
}

function el(name, attrs = {}, parent = null) {
  const e = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (parent) parent.appendChild(e);
  return e;
}

export class WarningMap {
  constructor(svg, { onRegion } = {}) {
    this.svg = svg;
    this.onRegion = onRegion || (() => {});
    this.regionPaths = new Map(); // code -> path
    this.regionProps = new Map(); // code -> properties
    this.shaded = new Map(); // code -> kind
    this.objects = new Map(); // event/object -> elements
    this.tracks = new Map(); // event/object -> [[lon, lat], ...]
    this.land = el("g", { class: "land" }, svg);
    this.overlay = el("g", { class: "overlay" }, svg);
    const [x0, y0] = project(HOME.lon0, HOME.lat0);
    const [x1, y1] = project(HOME.lon1, HOME.lat1);
    this.home = [x0, y0, x1 - x0, y1 - y0];
    this.view = [...this.home];
    this.apply();
    this.interact();
  }

  /// Draw the regions (once).
  drawRegions(fc) {
    const frag = document.createDocumentFragment();
    for (const f of fc.features || []) {
      const code = f.properties && f.properties.code;
      if (!code || !f.geometry) continue;
      let d = "";
      for (const poly of f.geometry.coordinates) for (const ring of poly) d += ringPath(ring);
      const p = el("path", { d, "data-code": code, "data-country": f.properties.country || "" });
      frag.appendChild(p);
      this.regionPaths.set(code, p);
      this.regionProps.set(code, f.properties);
    }
    this.land.appendChild(frag);
    for (const [code, kind] of this.shaded) this.regionPaths.get(code)?.setAttribute("data-kind", kind);
  }

  /// Shade the areas at risk by kind; unshade the rest.
  shade(areas) {
    const next = new Map(areas.map((a) => [a.code, a.kind]));
    for (const [code] of this.shaded) {
      if (!next.has(code)) this.regionPaths.get(code)?.removeAttribute("data-kind");
    }
    for (const [code, kind] of next) {
      if (this.shaded.get(code) !== kind) this.regionPaths.get(code)?.setAttribute("data-kind", kind);
    }
    this.shaded = next;
  }

  /// Seed an object's track from the event record (positions so far).
  seedTrack(key, points) {
    this.tracks.set(key, points.slice());
  }

  /// Draw one event's picture: each object's track, position, IIP, ellipse, traces.
  picture(view) {
    const seen = new Set();
    for (const o of view.objects) {
      const key = `${view.event}/${o.object}`;
      seen.add(key);
      let g = this.objects.get(key);
      if (!g) g = this.objectLayer(key);
      const track = this.tracks.get(key) || [];
      const last = track[track.length - 1];
      if (!last || last[0] !== o.position[0] || last[1] !== o.position[1]) track.push(o.position);
      this.tracks.set(key, track);
      g.track.setAttribute("d", linePath(track));
      g.ground.setAttribute("d", linePath(o.ground_track));
      g.trace.setAttribute("d", linePath(o.iip_trace));
      g.ellipse.setAttribute("d", o.ellipse.length ? ringPath(o.ellipse) : "");
      g.debris.setAttribute("d", o.debris.length ? ringPath(o.debris) : "");
      const [px, py] = project(o.position[0], o.position[1]);
      g.position.setAttribute("cx", px);
      g.position.setAttribute("cy", py);
      g.position.classList.toggle("down", !!o.down);
      g.position.classList.toggle("lost", !!o.lost);
      if (o.iip && !o.down) {
        const [ix, iy] = project(o.iip[0], o.iip[1]);
        g.iip.setAttribute("transform", `translate(${ix.toFixed(2)} ${iy.toFixed(2)})`);
        g.iip.style.display = "";
      } else {
        g.iip.style.display = "none";
      }
      g.title.textContent = o.object;
    }
    // Objects of this event no longer in the picture keep their track only.
    for (const [key, g] of this.objects) {
      if (key.startsWith(view.event + "/") && !seen.has(key)) {
        for (const part of [g.ground, g.trace, g.ellipse]) part.setAttribute("d", "");
        g.iip.style.display = "none";
      }
    }
    this.shade(view.areas);
  }

  /// A satellite's ground track (a pass), split where it crosses the antimeridian.
  orbitTrack(points, name = "") {
    if (!this.orbit) {
      this.orbit = el("g", { class: "orbit" }, this.overlay);
      this.orbitLine = el("path", { class: "orbit-track" }, this.orbit);
      el("title", {}, this.orbitLine);
    }
    let d = "";
    let run = [];
    for (const p of points) {
      if (run.length && Math.abs(p[0] - run[run.length - 1][0]) > 180) {
        d += linePath(run);
        run = [];
      }
      run.push(p);
    }
    if (run.length) d += linePath(run);
    this.orbitLine.setAttribute("d", d);
    this.orbitLine.firstChild.textContent = name;
    this.orbit.dataset.points = String(points.length);
  }

  objectLayer(key) {
    const root = el("g", { class: "object", "data-object": key }, this.overlay);
    const g = {
      debris: el("path", { class: "debris" }, root),
      ellipse: el("path", { class: "ellipse" }, root),
      ground: el("path", { class: "ground" }, root),
      trace: el("path", { class: "trace" }, root),
      track: el("path", { class: "track" }, root),
      position: el("circle", { class: "position", r: 1 }, root),
      iip: el("g", { class: "iip" }, root),
    };
    el("path", { d: "M-1 -1L1 1M-1 1L1 -1" }, g.iip);
    g.title = el("title", {}, g.position);
    this.objects.set(key, g);
    this.scaleMarkers();
    return g;
  }

  /// Markers keep their size on screen whatever the zoom.
  scaleMarkers() {
    const px = this.view[2] / Math.max(1, this.svg.clientWidth || 800);
    for (const g of this.objects.values()) {
      g.position.setAttribute("r", (5 * px).toFixed(3));
      g.iip.firstChild.setAttribute("transform", `scale(${(6 * px).toFixed(3)})`);
    }
  }

  apply() {
    this.svg.setAttribute("viewBox", this.view.map((v) => v.toFixed(2)).join(" "));
    this.scaleMarkers();
  }

  zoom(factor, cx = 0.5, cy = 0.5) {
    const [x, y, w, h] = this.view;
    const nw = Math.min(Math.max(w / factor, 2), this.home[2] * 4);
    const nh = (nw * h) / w;
    this.view = [x + (w - nw) * cx, y + (h - nh) * cy, nw, nh];
    this.apply();
  }

  pan(dx, dy) {
    this.view[0] += dx * this.view[2];
    this.view[1] += dy * this.view[3];
    this.apply();
  }

  reset() {
    this.view = [...this.home];
    this.apply();
  }

  /// Show a place (e.g. the current IIP) without changing the zoom.
  centre(lon, lat) {
    const [x, y] = project(lon, lat);
    this.view[0] = x - this.view[2] / 2;
    this.view[1] = y - this.view[3] / 2;
    this.apply();
  }

  interact() {
    const svg = this.svg;
    const pointers = new Map();
    let pinch = null;
    let moved = false;
    svg.addEventListener("wheel", (e) => {
      e.preventDefault();
      const r = svg.getBoundingClientRect();
      this.zoom(e.deltaY < 0 ? 1.25 : 0.8, (e.clientX - r.left) / r.width, (e.clientY - r.top) / r.height);
    }, { passive: false });
    svg.addEventListener("pointerdown", (e) => {
      pointers.set(e.pointerId, [e.clientX, e.clientY]);
      moved = false;
      if (pointers.size === 2) {
        const [a, b] = [...pointers.values()];
        pinch = Math.hypot(a[0] - b[0], a[1] - b[1]);
      }
    });
    svg.addEventListener("pointermove", (e) => {
      const prev = pointers.get(e.pointerId);
      if (!prev) return;
      const r = svg.getBoundingClientRect();
      if (pointers.size === 1) {
        const dx = e.clientX - prev[0];
        const dy = e.clientY - prev[1];
        if (Math.abs(dx) + Math.abs(dy) > 3) moved = true;
        if (moved) {
          svg.setPointerCapture(e.pointerId);
          this.pan(-dx / r.width, -dy / r.height);
        }
      }
      pointers.set(e.pointerId, [e.clientX, e.clientY]);
      if (pointers.size === 2 && pinch) {
        const [a, b] = [...pointers.values()];
        const d = Math.hypot(a[0] - b[0], a[1] - b[1]);
        this.zoom(d / pinch, ((a[0] + b[0]) / 2 - r.left) / r.width, ((a[1] + b[1]) / 2 - r.top) / r.height);
        pinch = d;
        moved = true;
      }
    });
    const end = (e) => {
      pointers.delete(e.pointerId);
      if (pointers.size < 2) pinch = null;
    };
    svg.addEventListener("pointerup", (e) => {
      const target = e.target;
      end(e);
      if (!moved && target && target.dataset && target.dataset.code) this.onRegion(target.dataset.code);
    });
    svg.addEventListener("pointercancel", end);
    svg.addEventListener("keydown", (e) => {
      const step = 0.1;
      const keys = {
        ArrowLeft: () => this.pan(-step, 0),
        ArrowRight: () => this.pan(step, 0),
        ArrowUp: () => this.pan(0, -step),
        ArrowDown: () => this.pan(0, step),
        "+": () => this.zoom(1.25),
        "=": () => this.zoom(1.25),
        "-": () => this.zoom(0.8),
        "0": () => this.reset(),
      };
      if (keys[e.key]) {
        e.preventDefault();
        keys[e.key]();
      }
    });
    window.addEventListener("resize", () => this.scaleMarkers());
  }
}
