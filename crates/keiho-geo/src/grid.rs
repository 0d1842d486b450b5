//! A uniform lon/lat grid that answers most `locate` calls without any polygon test.
//!
//! Each cell lists the region parts whose boundary passes through it (those need an
//! exact test) and the regions that cover it completely (no test needed). Most points,
//! at sea or inland, land in cells with no boundary at all. The grid only narrows the
//! candidates: every answer it gives is the one the exact test would give.

use crate::prepared::PreparedPolygon;

/// Cell size in degrees. Coastline edges in the data are about 1 km long, so almost
/// every edge falls in one or two cells; smaller cells mean fewer boundary cells but
/// more memory and a slower start-up.
const CELL_DEG: f64 = 0.1;
/// Marks an item as "this whole cell is inside region N" rather than "test part N".
const INSIDE: u32 = 1 << 31;

pub(crate) struct LocateGrid {
    x0: f64,
    y0: f64,
    nx: usize,
    ny: usize,
    /// `items[start[c]..start[c + 1]]` belong to cell `c`.
    start: Vec<u32>,
    items: Vec<u32>,
}

impl LocateGrid {
    pub(crate) fn build(parts: &[PreparedPolygon], part_region: &[usize]) -> Self {
        let mut b = [
            f64::INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NEG_INFINITY,
        ];
        for p in parts {
            b = [
                b[0].min(p.bbox[0]),
                b[1].min(p.bbox[1]),
                b[2].max(p.bbox[2]),
                b[3].max(p.bbox[3]),
            ];
        }
        if parts.is_empty() {
            b = [0.0, 0.0, 0.0, 0.0];
        }
        let (x0, y0) = (b[0], b[1]);
        let nx = (((b[2] - x0) / CELL_DEG).floor() as usize + 1).max(1);
        let ny = (((b[3] - y0) / CELL_DEG).floor() as usize + 1).max(1);
        let mut grid = Self {
            x0,
            y0,
            nx,
            ny,
            start: Vec::new(),
            items: Vec::new(),
        };

        // (cell, item) pairs, then a counting sort into the flat layout.
        let mut pairs: Vec<(u32, u32)> = Vec::new();
        let mut boundary_cells: Vec<u32> = Vec::new();
        for (i, part) in parts.iter().enumerate() {
            boundary_cells.clear();
            for e in part.edges() {
                let (cx0, cy0) = grid.cell_xy(e.x1.min(e.x2), e.y1.min(e.y2));
                let (cx1, cy1) = grid.cell_xy(e.x1.max(e.x2), e.y1.max(e.y2));
                for cy in cy0..=cy1 {
                    for cx in cx0..=cx1 {
                        boundary_cells.push((cy * nx + cx) as u32);
                    }
                }
            }
            boundary_cells.sort_unstable();
            boundary_cells.dedup();
            pairs.extend(boundary_cells.iter().map(|&c| (c, i as u32)));
            // Cells of the part's box that no edge touches are wholly inside or
            // wholly outside: one test at the centre decides.
            let (bx0, by0) = grid.cell_xy(part.bbox[0], part.bbox[1]);
            let (bx1, by1) = grid.cell_xy(part.bbox[2], part.bbox[3]);
            for cy in by0..=by1 {
                for cx in bx0..=bx1 {
                    let c = (cy * nx + cx) as u32;
                    if boundary_cells.binary_search(&c).is_ok() {
                        continue;
                    }
                    let (mx, my) = grid.cell_centre(cx, cy);
                    if part.contains(mx, my) {
                        pairs.push((c, INSIDE | part_region[i] as u32));
                    }
                }
            }
        }
        let cells = nx * ny;
        let mut start = vec![0u32; cells + 1];
        for &(c, _) in &pairs {
            start[c as usize + 1] += 1;
        }
        for c in 0..cells {
            start[c + 1] += start[c];
        }
        let mut fill = start.clone();
        let mut items = vec![0u32; pairs.len()];
        for (c, item) in pairs {
            items[fill[c as usize] as usize] = item;
            fill[c as usize] += 1;
        }
        grid.start = start;
        grid.items = items;
        grid
    }

    fn cell_xy(&self, x: f64, y: f64) -> (usize, usize) {
        let cx = (((x - self.x0) / CELL_DEG).max(0.0) as usize).min(self.nx - 1);
        let cy = (((y - self.y0) / CELL_DEG).max(0.0) as usize).min(self.ny - 1);
        (cx, cy)
    }

    fn cell_centre(&self, cx: usize, cy: usize) -> (f64, f64) {
        (
            self.x0 + (cx as f64 + 0.5) * CELL_DEG,
            self.y0 + (cy as f64 + 0.5) * CELL_DEG,
        )
    }

    /// The lowest-index region containing the point, exactly as a full scan would say.
    #[inline]
    pub(crate) fn locate(
        &self,
        x: f64,
        y: f64,
        parts: &[PreparedPolygon],
        part_region: &[usize],
    ) -> Option<usize> {
        let in_x = x >= self.x0 && x <= self.x0 + self.nx as f64 * CELL_DEG;
        let in_y = y >= self.y0 && y <= self.y0 + self.ny as f64 * CELL_DEG;
        if !(in_x && in_y) {
            return None;
        }
        let (cx, cy) = self.cell_xy(x, y);
        let c = cy * self.nx + cx;
        let mut best: Option<usize> = None;
        for &item in &self.items[self.start[c] as usize..self.start[c + 1] as usize] {
            let region = if item & INSIDE != 0 {
                (item & !INSIDE) as usize
            } else {
                let part = item as usize;
                let region = part_region[part];
                if best.is_some_and(|b| b <= region) || !parts[part].contains(x, y) {
                    continue;
                }
                region
            };
            if best.is_none_or(|b| region < b) {
                best = Some(region);
            }
        }
        best
    }
}
