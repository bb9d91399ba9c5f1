//! The study area as an SVG map, and bar charts.

use super::format::*;
use crate::analysis::study::Study;
use crate::network::RoadNetwork;
use std::fmt::Write as _;

/// A map of the study area as SVG: roads (grey), flow difference (red = more traffic,
/// blue = less, width by |Δ|), closed edges (black), detours (teal dashes), choke points
/// coloured by Δv/c, and the other works in conflict (orange).
pub fn map_svg(net: &RoadNetwork, s: &Study, width: f64, height: f64) -> String {
    // The area: closed edges, detours, the larger flow changes, conflict sites.
    let maxd = s
        .edge_changes
        .iter()
        .map(|e| e.delta_vph.abs())
        .fold(1.0, f64::max);
    let mut pts: Vec<[f64; 2]> = Vec::new();
    for c in &s.closures {
        for &e in &c.edges {
            pts.extend(net.edge(e).geometry.0.iter().map(|c| [c.x, c.y]));
        }
    }
    for d in &s.detours {
        pts.extend(d.geometry.iter().copied());
    }
    for e in &s.edge_changes {
        if e.delta_vph.abs() >= 0.2 * maxd {
            pts.extend(e.geometry.iter().copied());
        }
    }
    if pts.is_empty() {
        pts.extend(net.nodes().iter().map(|n| [n.lon, n.lat]));
    }
    let (mut x0, mut y0, mut x1, mut y1) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
    for p in &pts {
        x0 = x0.min(p[0]);
        y0 = y0.min(p[1]);
        x1 = x1.max(p[0]);
        y1 = y1.max(p[1]);
    }
    let k = ((y0 + y1) / 2.0).to_radians().cos();
    let (mut w, mut h) = (((x1 - x0) * k).max(1e-4), (y1 - y0).max(1e-4));
    let (cx, cy) = ((x0 + x1) / 2.0, (y0 + y1) / 2.0);
    w *= 1.15;
    h *= 1.15;
    // Keep the aspect of the picture.
    if w / h > width / height {
        h = w * height / width;
    } else {
        w = h * width / height;
    }
    let scale = width / w;
    let (left, top) = (cx * k - w / 2.0, cy + h / 2.0);
    let px = |lon: f64, lat: f64| ((lon * k - left) * scale, (top - lat) * scale);
    let inside = |lon: f64, lat: f64| {
        let (x, y) = px(lon, lat);
        (-50.0..=width + 50.0).contains(&x) && (-50.0..=height + 50.0).contains(&y)
    };
    let path = |coords: &mut dyn Iterator<Item = [f64; 2]>| {
        let mut d = String::new();
        for (i, c) in coords.enumerate() {
            let (x, y) = px(c[0], c[1]);
            let _ = write!(d, "{}{x:.1},{y:.1}", if i == 0 { "M" } else { " L" });
        }
        d
    };
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width} {height}\" \
         width=\"{width}\" height=\"{height}\" font-family='{}' font-size=\"12\">\
         <rect width=\"100%\" height=\"100%\" fill=\"#f7f7f4\"/>",
        FONT_STACK.replace('\'', "")
    );
    // Roads: each segment once (the lower id of a twin pair).
    svg.push_str("<g stroke=\"#c9c9c4\" fill=\"none\" stroke-linecap=\"round\">");
    for (i, e) in net.edges().iter().enumerate() {
        if e.planned || e.twin.is_some_and(|t| t.index() < i) {
            continue;
        }
        let g = &e.geometry.0;
        if !g.iter().any(|c| inside(c.x, c.y)) {
            continue;
        }
        let wdt = match e.class.as_str() {
            "motorway" | "trunk" | "primary" => 2.2,
            "secondary" => 1.6,
            _ => 1.0,
        };
        let _ = write!(
            svg,
            "<path d=\"{}\" stroke-width=\"{wdt}\"/>",
            path(&mut g.iter().map(|c| [c.x, c.y]))
        );
    }
    svg.push_str("</g>");
    // Flow difference.
    svg.push_str("<g fill=\"none\" stroke-linecap=\"round\" opacity=\"0.8\">");
    let mut changes: Vec<_> = s.edge_changes.iter().collect();
    changes.sort_by(|a, b| a.delta_vph.abs().total_cmp(&b.delta_vph.abs()));
    for e in changes {
        let colour = if e.delta_vph > 0.0 {
            "#d7301f"
        } else {
            "#2b6cb0"
        };
        let wdt = 1.0 + 9.0 * e.delta_vph.abs() / maxd;
        let _ = write!(
            svg,
            "<path d=\"{}\" stroke=\"{colour}\" stroke-width=\"{wdt:.1}\"><title>{} {:+.0} veh/h</title></path>",
            path(&mut e.geometry.iter().copied()),
            esc(&e.street),
            e.delta_vph
        );
    }
    svg.push_str("</g>");
    // Detours.
    svg.push_str(
        "<g fill=\"none\" stroke=\"#0f9d8a\" stroke-width=\"2.5\" stroke-dasharray=\"7 4\">",
    );
    for d in &s.detours {
        if d.geometry.len() >= 2 {
            let _ = write!(
                svg,
                "<path d=\"{}\"><title>detour {}</title></path>",
                path(&mut d.geometry.iter().copied()),
                esc(&d.id)
            );
        }
    }
    svg.push_str("</g>");
    // Closures.
    svg.push_str("<g fill=\"none\" stroke=\"#111\" stroke-width=\"5\" stroke-linecap=\"butt\">");
    for c in &s.closures {
        for &e in &c.edges {
            let g = &net.edge(e).geometry.0;
            let _ = write!(
                svg,
                "<path d=\"{}\"><title>{} {}</title></path>",
                path(&mut g.iter().map(|c| [c.x, c.y])),
                esc(&c.label),
                esc(&c.what)
            );
        }
    }
    svg.push_str("</g>");
    // Conflict sites: the site drawn in orange, its id at the middle edge.
    for c in &s.conflicts {
        for &e in &c.site_edges {
            let g = &net.edge(e).geometry.0;
            let _ = write!(
                svg,
                "<path d=\"{}\" fill=\"none\" stroke=\"#f59e0b\" stroke-width=\"3\" \
                 stroke-dasharray=\"2 3\"/>",
                path(&mut g.iter().map(|c| [c.x, c.y]))
            );
        }
        let mid = c.site_edges.get(c.site_edges.len() / 2).and_then(|&e| {
            let g = &net.edge(e).geometry.0;
            g.get(g.len() / 2).map(|c| [c.x, c.y])
        });
        if let Some(p) = mid {
            let (x, y) = px(p[0], p[1]);
            let _ = write!(
                svg,
                "<g><rect x=\"{:.1}\" y=\"{:.1}\" width=\"12\" height=\"12\" fill=\"#f59e0b\" \
                 stroke=\"#7c4a03\"/><text x=\"{:.1}\" y=\"{:.1}\" fill=\"#7c4a03\" \
                 font-weight=\"bold\" stroke=\"#fff\" stroke-width=\"3\" paint-order=\"stroke\">{}</text><title>{}</title></g>",
                x - 6.0,
                y - 6.0,
                x + 9.0,
                y + 4.0,
                esc(c.work.as_str()),
                esc(&c.summary)
            );
        }
    }
    // Choke points.
    for c in &s.choke_points {
        let Some(p) = c.at else { continue };
        if !inside(p[0], p[1]) {
            continue;
        }
        let (x, y) = px(p[0], p[1]);
        let dv = c.delta_vc.unwrap_or(0.0);
        let fill = if !c.crosses.is_empty() {
            "#7f1d1d"
        } else if dv > 0.05 {
            "#dc2626"
        } else if dv > 0.005 {
            "#f97316"
        } else if dv < -0.005 {
            "#3b82f6"
        } else {
            "#9ca3af"
        };
        let _ = write!(
            svg,
            "<g><circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"9\" fill=\"{fill}\" stroke=\"#fff\" \
             stroke-width=\"2\"/><text x=\"{x:.1}\" y=\"{:.1}\" fill=\"#fff\" font-size=\"9\" \
             text-anchor=\"middle\">{}</text><title>{} {} v/c {} → {}</title></g>",
            y + 3.0,
            esc(c.id.trim_start_matches('H')),
            esc(&c.id),
            esc(&c.name_zh),
            opt2(c.vc_before),
            opt2(c.vc_after)
        );
    }
    // Labels of the streets that change most.
    let mut labelled: Vec<&str> = Vec::new();
    for st in s
        .streets
        .iter()
        .filter(|c| c.delta_vph.abs() >= 0.15 * maxd)
        .take(10)
    {
        if labelled.contains(&st.name_zh.as_str()) {
            continue;
        }
        let best = st
            .edges
            .iter()
            .filter_map(|e| s.edge_changes.iter().find(|x| x.edge == *e))
            .max_by(|a, b| a.delta_vph.abs().total_cmp(&b.delta_vph.abs()));
        if let Some(e) = best
            && let Some(p) = e.geometry.get(e.geometry.len() / 2)
        {
            let (x, y) = px(p[0], p[1]);
            let _ = write!(
                svg,
                "<text x=\"{:.1}\" y=\"{:.1}\" fill=\"#111\" stroke=\"#fff\" stroke-width=\"3\" \
                 paint-order=\"stroke\">{} {:+.0}</text>",
                x + 6.0,
                y - 6.0,
                esc(&st.name_zh),
                st.delta_vph
            );
            labelled.push(&st.name_zh);
        }
    }
    // Legend and scale.
    let _ = write!(
        svg,
        "<g font-size=\"11\"><rect x=\"8\" y=\"8\" width=\"250\" height=\"92\" fill=\"#fff\" \
         opacity=\"0.9\" stroke=\"#ccc\"/>\
         <line x1=\"16\" y1=\"22\" x2=\"44\" y2=\"22\" stroke=\"#111\" stroke-width=\"5\"/>\
         <text x=\"50\" y=\"26\">closed</text>\
         <line x1=\"16\" y1=\"38\" x2=\"44\" y2=\"38\" stroke=\"#0f9d8a\" stroke-width=\"2.5\" stroke-dasharray=\"7 4\"/>\
         <text x=\"50\" y=\"42\">detour</text>\
         <line x1=\"16\" y1=\"54\" x2=\"44\" y2=\"54\" stroke=\"#d7301f\" stroke-width=\"6\"/>\
         <text x=\"50\" y=\"58\">more traffic (max {maxd:+.0} veh/h)</text>\
         <line x1=\"16\" y1=\"70\" x2=\"44\" y2=\"70\" stroke=\"#2b6cb0\" stroke-width=\"6\"/>\
         <text x=\"50\" y=\"74\">less traffic</text>\
         <circle cx=\"30\" cy=\"88\" r=\"6\" fill=\"#dc2626\"/><text x=\"50\" y=\"92\">choke point (red: v/c rises)</text>\
         <rect x=\"170\" y=\"16\" width=\"10\" height=\"10\" fill=\"#f59e0b\"/><text x=\"184\" y=\"26\">conflict</text></g>"
    );
    // Scale bar: 1 km.
    let bar = 1000.0 / 111_320.0 * scale;
    if bar < width / 2.0 {
        let _ = write!(
            svg,
            "<g><line x1=\"{:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"#333\" \
             stroke-width=\"3\"/><text x=\"{:.1}\" y=\"{:.1}\">1 km</text></g>",
            width - 20.0 - bar,
            height - 16.0,
            width - 20.0,
            height - 16.0,
            width - 20.0 - bar,
            height - 22.0
        );
    }
    svg.push_str("</svg>");
    svg
}

pub(super) fn bars_svg(title: &str, rows: &[(String, f64)], unit: &str) -> String {
    let maxv = rows.iter().map(|r| r.1.abs()).fold(1e-9, f64::max);
    let label_w = rows.iter().map(|r| display_width(&r.0)).max().unwrap_or(10) as f64 * 7.5 + 10.0;
    let bar_w = 360.0;
    let h = 30.0 + rows.len() as f64 * 22.0;
    let w = label_w + bar_w * 2.0 + 100.0;
    let zero = label_w + bar_w;
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w:.0} {h:.0}\" width=\"{w:.0}\" \
         height=\"{h:.0}\" font-size=\"12\"><text x=\"4\" y=\"16\" font-weight=\"bold\">{}</text>\
         <line x1=\"{zero:.1}\" y1=\"22\" x2=\"{zero:.1}\" y2=\"{h:.0}\" stroke=\"#999\"/>",
        esc(title)
    );
    for (i, (label, v)) in rows.iter().enumerate() {
        let y = 26.0 + i as f64 * 22.0;
        let len = bar_w * v.abs() / maxv;
        let (x, colour) = if *v >= 0.0 {
            (zero, "#d7301f")
        } else {
            (zero - len, "#2b6cb0")
        };
        let _ = write!(
            s,
            "<text x=\"4\" y=\"{:.1}\">{}</text><rect x=\"{x:.1}\" y=\"{y:.1}\" \
             width=\"{len:.1}\" height=\"16\" fill=\"{colour}\"/><text x=\"{:.1}\" y=\"{:.1}\">{v:+.1} {}</text>",
            y + 12.0,
            esc(label),
            if *v >= 0.0 {
                zero + len + 4.0
            } else {
                zero + 4.0
            },
            y + 12.0,
            esc(unit)
        );
    }
    s.push_str("</svg>");
    s
}
