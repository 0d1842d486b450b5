//! The report's figures as SVG text, drawn with plotters' SVG backend (text is left
//! to the browser as `<text>` elements, so no font is needed to draw them). Each
//! function takes the record (and the analysis or truth where needed) and returns a
//! complete `<svg>` element, for the HTML report and for the dashboard.
//!
//! Objects are drawn in reverse order, so the main object (first) lies on top of the
//! pieces that fly with it.
//!
//! The map is equirectangular with the aspect ratio corrected for the middle latitude
//! (good enough for a few thousand km); longitudes are unwrapped around the launch
//! site, so a flight across the antimeridian stays in one piece.

use crate::analysis::Analysis;
use crate::record::{EventRecord, issued_at};
use crate::truth::Truth;
use chrono::{DateTime, Utc};
use keiho_types::GeoPoint;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::error::Error;
use std::sync::OnceLock;

type DrawResult = Result<(), Box<dyn Error>>;

/// A ring or polyline in (lon, lat) degrees.
type Ring = Vec<(f64, f64)>;

/// Line colours, one per object in the order of [`EventRecord::objects`].
const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
    RGBColor(214, 39, 40),
];

fn colour(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

const LAND: RGBColor = RGBColor(236, 233, 224);
const COAST: RGBColor = RGBColor(150, 150, 140);
const SEA: RGBColor = RGBColor(244, 249, 253);
const ALERTED: RGBColor = RGBColor(250, 190, 120);

/// A stage's colour in the alert chart.
fn stage_colour(stage: &str) -> RGBColor {
    match stage {
        "TakeShelter" => RGBColor(230, 85, 13),
        "ImpactExpected" => RGBColor(165, 15, 21),
        "Correction" => RGBColor(253, 174, 107),
        "PassedOver" => RGBColor(49, 130, 189),
        "FellOnLand" => RGBColor(117, 107, 177),
        "FellIntoSea" => RGBColor(49, 163, 84),
        _ => RGBColor(150, 150, 150),
    }
}

/// Draw into a `w` x `h` SVG; a drawing error (none is expected when drawing into a
/// string) gives an SVG that says so rather than a broken page.
fn svg(
    w: u32,
    h: u32,
    draw: impl FnOnce(&DrawingArea<SVGBackend<'_>, Shift>) -> DrawResult,
) -> String {
    let mut buf = String::new();
    let result = {
        let root = SVGBackend::with_string(&mut buf, (w, h)).into_drawing_area();
        let r = root
            .fill(&WHITE)
            .map_err(Into::into)
            .and_then(|()| draw(&root));
        r.and_then(|()| root.present().map_err(Into::into))
    };
    match result {
        Ok(()) => buf,
        Err(e) => message_svg(w, 60, &format!("figure not drawn: {e}")),
    }
}

/// A small SVG holding one line of text (for figures with nothing to show).
pub fn message_svg(w: u32, h: u32, text: &str) -> String {
    format!(
        r##"<svg width="{w}" height="{h}" viewBox="0 0 {w} {h}" xmlns="http://www.w3.org/2000/svg"><text x="10" y="{}" font-family="sans-serif" font-size="14" fill="grey">{}</text></svg>"##,
        h / 2,
        crate::html::escape(text)
    )
}

/// Minutes as `m:ss` (negative with a sign).
pub fn mmss(seconds: f64) -> String {
    let sign = if seconds < 0.0 { "-" } else { "" };
    let s = seconds.abs().round() as i64;
    format!("{sign}{}:{:02}", s / 60, s % 60)
}

fn short(object: &str) -> &str {
    object.rsplit('/').next().unwrap_or(object)
}

/// Whether a prediction rests on measurements: a lost track's estimates are
/// extrapolations (thrust held on), left out of the figures.
fn measured(p: &crate::record::Prediction) -> bool {
    !p.body.lost
}

/// Ellipses larger than this (semi-major, km) are drawn but do not set the map's
/// extent: early or lost-track ellipses can span an ocean.
const MAX_EXTENT_ELLIPSE_KM: f64 = 1500.0;

/// Split a polyline into the runs of points inside `b` (display only: the points are
/// dense, so dropping the ones outside loses nothing visible).
fn runs_inside(points: &[(f64, f64)], b: &Bounds) -> Vec<Vec<(f64, f64)>> {
    let inside = |p: &(f64, f64)| p.0 >= b.lon0 && p.0 <= b.lon1 && p.1 >= b.lat0 && p.1 <= b.lat1;
    let mut out: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut run: Vec<(f64, f64)> = Vec::new();
    for p in points {
        if inside(p) {
            run.push(*p);
        } else if !run.is_empty() {
            out.push(std::mem::take(&mut run));
        }
    }
    if !run.is_empty() {
        out.push(run);
    }
    out
}

/// Unwrap `lon` to within 180 degrees of `reference`.
fn unwrap_lon(lon: f64, reference: f64) -> f64 {
    let mut l = lon;
    while l - reference > 180.0 {
        l -= 360.0;
    }
    while l - reference < -180.0 {
        l += 360.0;
    }
    l
}

/// Lon/lat bounds of a figure.
#[derive(Debug, Clone, Copy)]
struct Bounds {
    lon0: f64,
    lon1: f64,
    lat0: f64,
    lat1: f64,
}

impl Bounds {
    fn of(points: &[(f64, f64)]) -> Option<Self> {
        let mut it = points
            .iter()
            .filter(|(x, y)| x.is_finite() && y.is_finite());
        let &(x, y) = it.next()?;
        let mut b = Self {
            lon0: x,
            lon1: x,
            lat0: y,
            lat1: y,
        };
        for &(x, y) in it {
            b.lon0 = b.lon0.min(x);
            b.lon1 = b.lon1.max(x);
            b.lat0 = b.lat0.min(y);
            b.lat1 = b.lat1.max(y);
        }
        Some(b)
    }

    fn intersects(&self, o: &Self) -> bool {
        self.lon0 <= o.lon1 && o.lon0 <= self.lon1 && self.lat0 <= o.lat1 && o.lat0 <= self.lat1
    }
}

/// Per polygon part of every bundled region: its exterior's bounds (computed once).
fn region_parts() -> &'static [(usize, usize, Bounds)] {
    static PARTS: OnceLock<Vec<(usize, usize, Bounds)>> = OnceLock::new();
    PARTS.get_or_init(|| {
        let Ok(set) = keiho_geo::RegionSet::bundled() else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (r, region) in set.regions().iter().enumerate() {
            for (p, poly) in region.geometry.0.iter().enumerate() {
                let pts: Vec<(f64, f64)> = poly.exterior().coords().map(|c| (c.x, c.y)).collect();
                if let Some(b) = Bounds::of(&pts) {
                    out.push((r, p, b));
                }
            }
        }
        out
    })
}

/// Clip a closed ring to a rectangle (Sutherland-Hodgman).
fn clip_ring(ring: &[(f64, f64)], b: &Bounds) -> Vec<(f64, f64)> {
    type Inside = fn(&(f64, f64), &Bounds) -> bool;
    type Cross = fn(&(f64, f64), &(f64, f64), &Bounds) -> (f64, f64);
    let edges: [(Inside, Cross); 4] = [
        (
            |p, b| p.0 >= b.lon0,
            |p, q, b| (b.lon0, p.1 + (q.1 - p.1) * (b.lon0 - p.0) / (q.0 - p.0)),
        ),
        (
            |p, b| p.0 <= b.lon1,
            |p, q, b| (b.lon1, p.1 + (q.1 - p.1) * (b.lon1 - p.0) / (q.0 - p.0)),
        ),
        (
            |p, b| p.1 >= b.lat0,
            |p, q, b| (p.0 + (q.0 - p.0) * (b.lat0 - p.1) / (q.1 - p.1), b.lat0),
        ),
        (
            |p, b| p.1 <= b.lat1,
            |p, q, b| (p.0 + (q.0 - p.0) * (b.lat1 - p.1) / (q.1 - p.1), b.lat1),
        ),
    ];
    let mut out: Vec<(f64, f64)> = ring.to_vec();
    for (inside, cross) in edges {
        let input = std::mem::take(&mut out);
        let Some(mut prev) = input.last().copied() else {
            break;
        };
        for p in input {
            match (inside(&p, b), inside(&prev, b)) {
                (true, true) => out.push(p),
                (true, false) => {
                    out.push(cross(&prev, &p, b));
                    out.push(p);
                }
                (false, true) => out.push(cross(&prev, &p, b)),
                (false, false) => {}
            }
            prev = p;
        }
    }
    out
}

/// Drop points closer than `eps` degrees to the last kept one (display only).
fn decimate(ring: impl Iterator<Item = (f64, f64)>, eps: f64) -> Vec<(f64, f64)> {
    let mut out: Vec<(f64, f64)> = Vec::new();
    for p in ring {
        match out.last() {
            Some(q) if (p.0 - q.0).abs() < eps && (p.1 - q.1).abs() < eps => {}
            _ => out.push(p),
        }
    }
    out
}

/// Codes of every region told to shelter by any message of the event.
fn alerted_codes(record: &EventRecord) -> Vec<&str> {
    let mut codes: Vec<&str> = Vec::new();
    for a in &record.alerts {
        for c in &a.regions {
            if !codes.contains(&c.as_str()) {
                codes.push(c);
            }
        }
    }
    codes
}

/// Indices into the main object's predictions with an ellipse: up to `n` moments
/// evenly spread, the last one included.
fn ellipse_moments(record: &EventRecord, object: &str, n: usize) -> Vec<usize> {
    let with: Vec<usize> = record
        .predictions
        .iter()
        .enumerate()
        .filter(|(_, p)| p.object == object && measured(p) && p.body.ellipse.is_some())
        .map(|(i, _)| i)
        .collect();
    if with.len() <= n {
        return with;
    }
    let mut picked: Vec<usize> = (0..n)
        .map(|k| with[k * (with.len() - 1) / (n - 1).max(1)])
        .collect();
    picked.dedup();
    picked
}

/// The map: region outlines for context (alerted regions shaded), each object's
/// ground track, the main object's IIP trace, its 99% impact ellipses at several
/// moments, the recorded outcome's impact point and, with `truth`, the true impacts.
pub fn map_svg(record: &EventRecord, truth: Option<&Truth>) -> String {
    let objects = record.objects();
    let Some(main) = objects.first().copied() else {
        return message_svg(900, 60, "no prediction was recorded: no map");
    };
    let reference = record.predictions.first().map_or(0.0, |p| p.body.lon_deg);
    let u = |lon: f64| unwrap_lon(lon, reference);
    let tracks: Vec<Vec<(f64, f64)>> = objects
        .iter()
        .map(|o| {
            record
                .predictions
                .iter()
                .filter(|p| p.object == *o && measured(p))
                .map(|p| (u(p.body.lon_deg), p.body.lat_deg))
                .collect()
        })
        .collect();
    let iip: Vec<(f64, f64)> = record
        .predictions
        .iter()
        .filter(|p| p.object == main && measured(p))
        .filter_map(|p| p.body.iip.as_ref())
        .map(|i| (u(i.lon_deg), i.lat_deg))
        .collect();
    let t0 = record.t0();
    let ellipses: Vec<(String, f64, Ring)> = ellipse_moments(record, main, 5)
        .into_iter()
        .filter_map(|i| {
            let p = &record.predictions[i];
            let e = p.body.ellipse?;
            let centre = GeoPoint::new(e.lat_deg, e.lon_deg).ok()?;
            let ring = keiho_geo::geodesy::ellipse_ring(
                centre,
                e.semi_major_km,
                e.semi_minor_km,
                e.orientation_deg,
                72,
            );
            let label = format!("+{}", mmss(crate::record::seconds(p.t - t0)));
            Some((
                label,
                e.semi_major_km,
                ring.iter().map(|g| (u(g.lon_deg()), g.lat_deg())).collect(),
            ))
        })
        .collect();
    let impact = record
        .outcome
        .as_ref()
        .and_then(|(_, o)| o.impact)
        .map(|p| (u(p.lon_deg), p.lat_deg));
    let true_impacts: Vec<(String, (f64, f64))> = truth
        .map(|t| {
            t.impacts
                .iter()
                .filter(|i| objects.contains(&i.object.as_str()))
                .map(|i| (i.object.clone(), (u(i.lon_deg), i.lat_deg)))
                .collect()
        })
        .unwrap_or_default();

    let mut all: Vec<(f64, f64)> = tracks.iter().flatten().copied().collect();
    // The IIP trace does not set the extent: near orbital speed it runs round the
    // world. It is drawn clipped to the map.
    all.extend(
        ellipses
            .iter()
            .filter(|(_, a, _)| *a <= MAX_EXTENT_ELLIPSE_KM)
            .flat_map(|(_, _, r)| r.iter().copied()),
    );
    all.extend(impact);
    // The alerted regions, so the map shows who was told to shelter.
    let alerted = alerted_codes(record);
    if let Ok(set) = keiho_geo::RegionSet::bundled() {
        for (r, _, pb) in region_parts() {
            if alerted.contains(&set.regions()[*r].code.as_str()) {
                all.push((u(pb.lon0), pb.lat0));
                all.push((u(pb.lon0) + (pb.lon1 - pb.lon0), pb.lat1));
            }
        }
    }
    all.extend(true_impacts.iter().map(|(_, p)| *p));
    let Some(mut b) = Bounds::of(&all) else {
        return message_svg(900, 60, "no position was recorded: no map");
    };
    // Margins, a minimum extent, and the aspect ratio of the middle latitude.
    let pad = 0.08 * (b.lon1 - b.lon0).max(b.lat1 - b.lat0).max(2.0);
    b = Bounds {
        lon0: b.lon0 - pad,
        lon1: b.lon1 + pad,
        lat0: (b.lat0 - pad).max(-89.0),
        lat1: (b.lat1 + pad).min(89.0),
    };
    let kx = ((b.lat0 + b.lat1) / 2.0).to_radians().cos().max(0.2);
    let (plot_w, plot_h_max, plot_h_min) = (800.0, 900.0, 320.0);
    let want_h = plot_w * (b.lat1 - b.lat0) / ((b.lon1 - b.lon0) * kx);
    let plot_h = want_h.clamp(plot_h_min, plot_h_max);
    if want_h > plot_h_max {
        // Too tall: widen in longitude.
        let lon_span = (b.lat1 - b.lat0) * plot_w / (plot_h * kx);
        let mid = (b.lon0 + b.lon1) / 2.0;
        b.lon0 = mid - lon_span / 2.0;
        b.lon1 = mid + lon_span / 2.0;
    } else if want_h < plot_h_min {
        // Too flat: heighten in latitude.
        let lat_span = plot_h * (b.lon1 - b.lon0) * kx / plot_w;
        let mid = (b.lat0 + b.lat1) / 2.0;
        b.lat0 = (mid - lat_span / 2.0).max(-89.0);
        b.lat1 = (mid + lat_span / 2.0).min(89.0);
    }
    let w = plot_w as u32 + 90;
    let h = plot_h as u32 + 70;
    svg(w, h, |root| {
        let mut chart = ChartBuilder::on(root)
            .margin(10)
            .x_label_area_size(35)
            .y_label_area_size(45)
            .build_cartesian_2d(b.lon0..b.lon1, b.lat0..b.lat1)?;
        chart.plotting_area().fill(&SEA)?;
        // Regions for context, simplified for display only.
        let eps = (b.lon1 - b.lon0) / 600.0;
        if let Ok(set) = keiho_geo::RegionSet::bundled() {
            for &(r, p, pb) in region_parts() {
                let shifted = Bounds {
                    lon0: u(pb.lon0),
                    lon1: u(pb.lon0) + (pb.lon1 - pb.lon0),
                    ..pb
                };
                if !shifted.intersects(&b) {
                    continue;
                }
                let region = &set.regions()[r];
                let ring = decimate(
                    region.geometry.0[p]
                        .exterior()
                        .coords()
                        .map(|c| (c.x - pb.lon0 + shifted.lon0, c.y)),
                    eps,
                );
                let ring = clip_ring(&ring, &b);
                if ring.len() < 3 {
                    continue;
                }
                let fill = if alerted.contains(&region.code.as_str()) {
                    ALERTED
                } else {
                    LAND
                };
                chart.draw_series(std::iter::once(Polygon::new(ring.clone(), fill.filled())))?;
                let mut closed = ring;
                if let Some(first) = closed.first().copied() {
                    closed.push(first);
                }
                chart.draw_series(std::iter::once(PathElement::new(
                    closed,
                    COAST.stroke_width(1),
                )))?;
            }
            // Name each alerted region once, beside its largest part in view.
            for code in &alerted {
                let largest = region_parts()
                    .iter()
                    .filter(|(r, _, _)| set.regions()[*r].code.as_str() == *code)
                    .map(|(_, _, pb)| Bounds {
                        lon0: u(pb.lon0),
                        lon1: u(pb.lon0) + (pb.lon1 - pb.lon0),
                        ..*pb
                    })
                    .filter(|pb| pb.intersects(&b))
                    .max_by(|x, y| {
                        let area = |q: &Bounds| (q.lon1 - q.lon0) * (q.lat1 - q.lat0);
                        area(x).total_cmp(&area(y))
                    });
                if let Some(pb) = largest {
                    let at = (pb.lon1.min(b.lon1), (pb.lat0 + pb.lat1) / 2.0);
                    chart.draw_series(std::iter::once(Text::new(
                        format!("  {code}"),
                        at,
                        ("sans-serif", 13).into_font().color(&RGBColor(170, 80, 0)),
                    )))?;
                }
            }
        }
        chart
            .configure_mesh()
            .light_line_style(WHITE.mix(0.0))
            .bold_line_style(BLACK.mix(0.08))
            .x_desc("longitude, degrees E")
            .y_desc("latitude, degrees N")
            .label_style(("sans-serif", 12))
            .draw()?;
        for (i, (o, track)) in objects.iter().zip(&tracks).enumerate().rev() {
            let c = colour(i);
            chart
                .draw_series(
                    runs_inside(track, &b)
                        .into_iter()
                        .map(|r| PathElement::new(r, c.stroke_width(2))),
                )?
                .label(format!("{} ground track", short(o)))
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 16, y)], c.stroke_width(2))
                });
        }
        let dark = RGBColor(60, 60, 60);
        chart
            .draw_series(
                runs_inside(&iip, &b)
                    .into_iter()
                    .flatten()
                    .map(|p| Circle::new(p, 1, dark.filled())),
            )?
            .label(format!("{} IIP trace", short(main)))
            .legend(move |(x, y)| Circle::new((x + 8, y), 2, dark.filled()));
        let red = RGBColor(200, 0, 0);
        for (k, (label, _, ring)) in ellipses.iter().enumerate() {
            let series = chart.draw_series(
                runs_inside(ring, &b)
                    .into_iter()
                    .map(|r| PathElement::new(r, red.mix(0.85).stroke_width(1))),
            )?;
            if k == 0 {
                series
                    .label("99% impact ellipse (time after launch)")
                    .legend(move |(x, y)| {
                        PathElement::new(vec![(x, y), (x + 16, y)], red.stroke_width(1))
                    });
            }
            if let Some(top) = runs_inside(ring, &b)
                .into_iter()
                .flatten()
                .reduce(|a, p| if p.1 > a.1 { p } else { a })
            {
                chart.draw_series(std::iter::once(Text::new(
                    label.clone(),
                    top,
                    ("sans-serif", 11).into_font().color(&red),
                )))?;
            }
        }
        if let Some(p) = impact {
            chart
                .draw_series(std::iter::once(Cross::new(p, 7, red.stroke_width(3))))?
                .label("impact (recorded outcome)")
                .legend(move |(x, y)| Cross::new((x + 8, y), 5, red.stroke_width(3)));
        }
        if !true_impacts.is_empty() {
            chart
                .draw_series(
                    true_impacts
                        .iter()
                        .map(|(_, p)| TriangleMarker::new(*p, 5, BLACK.filled())),
                )?
                .label("true impacts (simulator)")
                .legend(|(x, y)| TriangleMarker::new((x + 8, y), 4, BLACK.filled()));
        }
        if let Some(&start) = tracks.first().and_then(|t| t.first()) {
            chart.draw_series(std::iter::once(Circle::new(
                start,
                5,
                BLACK.stroke_width(2),
            )))?;
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.3))
            .label_font(("sans-serif", 12))
            .position(SeriesLabelPosition::UpperRight)
            .draw()?;
        Ok(())
    })
}

/// Distance from each prediction's IIP to the object's true impact, km, against time
/// after launch; `None` when no predicted object has a true impact.
pub fn iip_error_svg(record: &EventRecord, truth: &Truth) -> Option<String> {
    let t0 = record.t0();
    let series: Vec<(String, Vec<(f64, f64)>)> = record
        .objects()
        .into_iter()
        .filter_map(|o| {
            let real = truth.impact(o)?;
            let real = GeoPoint::new(real.lat_deg, real.lon_deg).ok()?;
            let pts: Vec<(f64, f64)> = record
                .predictions
                .iter()
                .filter(|p| p.object == o && !p.body.down && measured(p))
                .filter_map(|p| {
                    let i = p.body.iip.as_ref()?;
                    let g = GeoPoint::new(i.lat_deg, i.lon_deg).ok()?;
                    let km = keiho_geo::geodesy::distance_km(g, real);
                    Some((crate::record::seconds(p.t - t0) / 60.0, km.max(0.1)))
                })
                .collect();
            (!pts.is_empty()).then(|| (o.to_owned(), pts))
        })
        .collect();
    let all: Vec<(f64, f64)> = series.iter().flat_map(|(_, p)| p.iter().copied()).collect();
    let b = Bounds::of(&all)?;
    let messages = message_minutes(record, t0);
    let x0 = b.lon0.min(0.0);
    // Room on the right for the legend.
    let x1 = x0
        + (b.lon1
            .max(messages.iter().map(|(m, _)| *m).fold(0.0, f64::max))
            - x0)
            * 1.25;
    let colours: Vec<usize> = {
        let objects = record.objects();
        series
            .iter()
            .map(|(o, _)| objects.iter().position(|x| x == o).unwrap_or(0))
            .collect()
    };
    Some(svg(900, 420, |root| {
        let mut chart = ChartBuilder::on(root)
            .margin(10)
            .x_label_area_size(35)
            .y_label_area_size(55)
            .build_cartesian_2d(x0..x1, (0.1f64..(b.lat1 * 1.5).max(10.0)).log_scale())?;
        chart
            .configure_mesh()
            .x_desc("minutes after launch")
            .y_desc("IIP error, km (log)")
            .y_label_formatter(&|v| format!("{v}"))
            .label_style(("sans-serif", 12))
            .light_line_style(BLACK.mix(0.04))
            .draw()?;
        for (m, _) in &messages {
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(*m, 0.1), (*m, (b.lat1 * 1.5).max(10.0))],
                BLACK.mix(0.25).stroke_width(1),
            )))?;
        }
        for ((o, pts), c) in series.iter().zip(colours).rev() {
            let col = colour(c);
            chart
                .draw_series(LineSeries::new(pts.iter().copied(), col.stroke_width(2)))?
                .label(short(o).to_owned())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 16, y)], col.stroke_width(2))
                });
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.3))
            .label_font(("sans-serif", 12))
            .draw()?;
        Ok(())
    }))
}

/// Each message's issue time, minutes after `t0`, with its sequence number.
fn message_minutes(record: &EventRecord, t0: DateTime<Utc>) -> Vec<(f64, u32)> {
    record
        .alerts
        .iter()
        .map(|a| (crate::record::seconds(issued_at(a) - t0) / 60.0, a.sequence))
        .collect()
}

/// Estimated altitude (km) and speed (km/s) of each object against time after launch,
/// two panels; message times as grey lines.
pub fn altitude_speed_svg(record: &EventRecord) -> String {
    let t0 = record.t0();
    let objects = record.objects();
    if objects.is_empty() {
        return message_svg(900, 60, "no prediction was recorded");
    }
    let per = |f: fn(&keiho_pipeline::journal::PredictionBody) -> f64| -> Vec<Vec<(f64, f64)>> {
        objects
            .iter()
            .map(|o| {
                record
                    .predictions
                    .iter()
                    .filter(|p| p.object == *o && measured(p))
                    .map(|p| (crate::record::seconds(p.t - t0) / 60.0, f(&p.body)))
                    .collect()
            })
            .collect()
    };
    let alt = per(|b| b.alt_m / 1000.0);
    let speed = per(|b| b.speed_mps / 1000.0);
    let messages = message_minutes(record, t0);
    svg(900, 620, |root| {
        let panels = root.split_evenly((2, 1));
        for (k, (data, desc)) in [(&alt, "altitude, km"), (&speed, "speed, km/s")]
            .into_iter()
            .enumerate()
        {
            let all: Vec<(f64, f64)> = data.iter().flatten().copied().collect();
            let Some(b) = Bounds::of(&all) else {
                continue;
            };
            let x0 = b.lon0.min(0.0);
            // Room on the right for the legend.
            let x1 = x0
                + (b.lon1
                    .max(messages.iter().map(|(m, _)| *m).fold(0.0, f64::max))
                    - x0)
                    * 1.2;
            let y1 = b.lat1.max(0.1) * 1.08;
            let mut chart = ChartBuilder::on(&panels[k])
                .margin(10)
                .x_label_area_size(35)
                .y_label_area_size(55)
                .build_cartesian_2d(x0..x1, 0.0..y1)?;
            chart
                .configure_mesh()
                .x_desc("minutes after launch")
                .y_desc(desc)
                .label_style(("sans-serif", 12))
                .light_line_style(BLACK.mix(0.04))
                .draw()?;
            for (m, seq) in &messages {
                chart.draw_series(std::iter::once(PathElement::new(
                    vec![(*m, 0.0), (*m, y1)],
                    BLACK.mix(0.25).stroke_width(1),
                )))?;
                chart.draw_series(std::iter::once(Text::new(
                    format!("#{seq}"),
                    (*m, y1),
                    ("sans-serif", 10).into_font().color(&BLACK.mix(0.6)),
                )))?;
            }
            for (i, (o, pts)) in objects.iter().zip(data).enumerate().rev() {
                let c = colour(i);
                let s =
                    chart.draw_series(LineSeries::new(pts.iter().copied(), c.stroke_width(2)))?;
                if k == 0 {
                    s.label(short(o).to_owned()).legend(move |(x, y)| {
                        PathElement::new(vec![(x, y), (x + 16, y)], c.stroke_width(2))
                    });
                }
            }
            if k == 0 {
                chart
                    .configure_series_labels()
                    .background_style(WHITE.mix(0.85))
                    .border_style(BLACK.mix(0.3))
                    .label_font(("sans-serif", 11))
                    .draw()?;
            }
        }
        Ok(())
    })
}

/// The areas told to shelter over time: one row per region, one bar per period,
/// coloured by the stage of the message that started it; bars never closed by a
/// message run to the end of the record, paler.
pub fn alerts_gantt_svg(record: &EventRecord, analysis: &Analysis) -> String {
    if analysis.periods.is_empty() {
        return message_svg(900, 60, "no area was told to shelter");
    }
    let t0 = analysis.t0;
    let min = |t: DateTime<Utc>| crate::record::seconds(t - t0) / 60.0;
    let mut codes: Vec<&str> = Vec::new();
    for p in &analysis.periods {
        if !codes.contains(&p.code.as_str()) {
            codes.push(&p.code);
        }
    }
    let end = record
        .last_report_at
        .into_iter()
        .chain(record.alerts.iter().map(issued_at))
        .max()
        .unwrap_or(t0);
    let messages = message_minutes(record, t0);
    // Room on the right for the legend.
    let x1 = min(end).max(0.1) * 1.25;
    let n = codes.len() as i32;
    let h = 120 + 34 * codes.len() as u32;
    let mut stages: Vec<&str> = Vec::new();
    for p in &analysis.periods {
        if !stages.contains(&p.stage.as_str()) {
            stages.push(&p.stage);
        }
    }
    svg(900, h, |root| {
        let mut chart = ChartBuilder::on(root)
            .margin(10)
            .margin_top(22)
            .x_label_area_size(35)
            .y_label_area_size(70)
            .build_cartesian_2d(0.0..x1, (0..n).into_segmented())?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .x_desc("minutes after launch")
            .y_labels(codes.len() + 1)
            .y_label_formatter(&|v| match v {
                SegmentValue::CenterOf(i) => codes
                    .get(usize::try_from(*i).unwrap_or(usize::MAX))
                    .map_or(String::new(), |c| (*c).to_owned()),
                _ => String::new(),
            })
            .label_style(("sans-serif", 12))
            .light_line_style(BLACK.mix(0.04))
            .draw()?;
        for p in &analysis.periods {
            let row = codes.iter().position(|c| *c == p.code).unwrap_or(0) as i32;
            let c = stage_colour(&p.stage);
            let to = p.to.map_or(x1, min);
            let style = if p.to.is_some() {
                c.filled()
            } else {
                c.mix(0.45).filled()
            };
            chart.draw_series(std::iter::once(Rectangle::new(
                [
                    (min(p.from), SegmentValue::Exact(row)),
                    (to, SegmentValue::Exact(row + 1)),
                ],
                style,
            )))?;
        }
        for (m, seq) in &messages {
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(*m, SegmentValue::Exact(0)), (*m, SegmentValue::Exact(n))],
                BLACK.mix(0.5).stroke_width(1),
            )))?;
            chart.draw_series(std::iter::once(Text::new(
                format!("#{seq}"),
                (*m, SegmentValue::Exact(n)),
                ("sans-serif", 11).into_font().color(&BLACK),
            )))?;
        }
        for s in &stages {
            let c = stage_colour(s);
            chart
                .draw_series(std::iter::empty::<Rectangle<(f64, SegmentValue<i32>)>>())?
                .label((*s).to_owned())
                .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 14, y + 5)], c.filled()));
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK.mix(0.3))
            .label_font(("sans-serif", 12))
            .position(SeriesLabelPosition::UpperRight)
            .draw()?;
        Ok(())
    })
}
