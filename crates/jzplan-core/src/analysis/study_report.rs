//! A closure study as text (terminal, Chinese and English names aligned), as an HTML page
//! with a map of the study area drawn as SVG from the network itself, and as GeoJSON features
//! for map clients.

use super::detour::Outcome;
use super::study::{Study, StudyDetour};
use crate::network::{EdgeId, RoadNetwork};
use std::fmt::Write as _;

/// Terminal columns a string takes: East Asian wide and full-width characters count two.
pub fn display_width(s: &str) -> usize {
    s.chars()
        .map(|c| {
            let u = c as u32;
            let wide = matches!(u,
                0x1100..=0x115F
                | 0x2E80..=0x303E
                | 0x3041..=0x33FF
                | 0x3400..=0x4DBF
                | 0x4E00..=0x9FFF
                | 0xA000..=0xA4CF
                | 0xAC00..=0xD7A3
                | 0xF900..=0xFAFF
                | 0xFE30..=0xFE4F
                | 0xFF00..=0xFF60
                | 0xFFE0..=0xFFE6
                | 0x20000..=0x3FFFD);
            if c.is_control() {
                0
            } else if wide {
                2
            } else {
                1
            }
        })
        .sum()
}

/// `s` cut to at most `w` columns (with `…` when cut) and padded with spaces to exactly `w`.
pub fn pad(s: &str, w: usize) -> String {
    let mut out = String::new();
    let mut used = 0;
    let total = display_width(s);
    for c in s.chars() {
        let cw = display_width(c.encode_utf8(&mut [0; 4]));
        if total > w && used + cw > w.saturating_sub(1) {
            out.push('…');
            used += 1;
            break;
        }
        out.push(c);
        used += cw;
    }
    while used < w {
        out.push(' ');
        used += 1;
    }
    out
}

/// A right-aligned column of `w`.
fn rpad(s: &str, w: usize) -> String {
    let n = display_width(s);
    if n >= w {
        s.to_string()
    } else {
        format!("{}{s}", " ".repeat(w - n))
    }
}

fn dur(s: Option<f64>) -> String {
    match s {
        Some(v) if v.abs() >= 60.0 => {
            let sign = if v < 0.0 { "-" } else { "" };
            let a = v.abs();
            format!("{sign}{}m{:02.0}s", (a / 60.0).floor(), a % 60.0)
        }
        Some(v) => format!("{v:.0}s"),
        None => "—".into(),
    }
}

fn signed_dur(s: Option<f64>) -> String {
    match s {
        Some(v) if v >= 0.0 => format!("+{}", dur(Some(v))),
        other => dur(other),
    }
}

fn km(m: Option<f64>) -> String {
    match m {
        Some(v) => format!("{:.2} km", v / 1000.0),
        None => "—".into(),
    }
}

/// A signed figure with `digits` decimals; what rounds to zero prints as `±0` (never `-0.0`).
fn sgn(x: f64, digits: usize) -> String {
    let unit = 0.5 * 10f64.powi(-(digits as i32));
    if x.abs() < unit {
        format!("±{:.digits$}", 0.0)
    } else {
        format!("{x:+.digits$}")
    }
}

fn opt2(x: Option<f64>) -> String {
    x.map_or("—".into(), |v| format!("{v:.2}"))
}

fn street_label(zh: &str, en: &str) -> String {
    if en.is_empty() || en == zh {
        zh.to_string()
    } else {
        format!("{zh} {en}")
    }
}

fn outcome_word(o: Outcome) -> &'static str {
    match o {
        Outcome::Detour => "detour",
        Outcome::CutOff => "CUT OFF",
        Outcome::DeadEnd => "dead end",
    }
}

fn detour_line(d: &StudyDetour) -> String {
    format!(
        "  {} {} {} {} {} {} {}",
        pad(&d.id, 22),
        pad(&d.streets.join("/"), 14),
        pad(outcome_word(d.outcome), 8),
        rpad(&dur(d.base_s), 7),
        rpad(&dur(d.detour_s), 7),
        rpad(
            &match (d.extra_s, d.extra_m) {
                (Some(s), Some(m)) => format!("{} {:+.2} km", signed_dur(Some(s)), m / 1000.0),
                _ => "—".into(),
            },
            18
        ),
        if d.via.is_empty() {
            d.reason.clone().unwrap_or_default()
        } else {
            d.via.join(" → ")
        }
    )
}

/// The study as text for a terminal.
pub fn to_text(s: &Study) -> String {
    let mut o = String::new();
    let hl = s
        .periods
        .iter()
        .find(|p| p.period.id == s.headline_period)
        .map_or(s.headline_period.as_str(), |p| p.period.label);
    let _ = writeln!(o, "Closure study {}: {}", s.id, s.title);
    let _ = writeln!(
        o,
        "baseline: {} — {} works on site that day, {} completed",
        s.baseline.name,
        s.baseline.works_on_site.len(),
        s.baseline.works_completed.len()
    );
    let _ = writeln!(o, "closures:");
    for c in &s.closures {
        let _ = writeln!(
            o,
            "  {}  {}  [{}]  {:.2} km of directed road",
            pad(&c.label, 12),
            c.what,
            c.streets.join(", "),
            c.length_m / 1000.0
        );
    }
    let _ = writeln!(
        o,
        "\nDetours (free-flow, both directions; cut-off stretches first)"
    );
    let _ = writeln!(
        o,
        "  {} {} {} {} {} {} via",
        pad("stretch", 22),
        pad("closed", 14),
        pad("outcome", 8),
        rpad("before", 7),
        rpad("around", 7),
        rpad("extra", 18)
    );
    if s.detours.is_empty() {
        let _ = writeln!(
            o,
            "  (no road closed outright: lanes or speed reduced only; the traffic shifts below)"
        );
    }
    for d in &s.detours {
        let _ = writeln!(o, "{}", detour_line(d));
    }

    let _ = writeln!(
        o,
        "\nAssignments (BFW user equilibrium), one hour of each period"
    );
    let _ = writeln!(
        o,
        "  {} {} {} {} {} {} gap / iterations (base, with)",
        pad("period", 22),
        rpad("in force", 8),
        rpad("VHT base", 10),
        rpad("VHT with", 10),
        rpad("ΔVHT/h", 9),
        rpad("ΔVKT/h", 9),
    );
    for p in &s.periods {
        let _ = writeln!(
            o,
            "  {} {} {} {} {} {} {:.1e}/{}, {:.1e}/{}",
            pad(p.period.label, 22),
            rpad(&format!("{} h", p.hours_in_force), 8),
            rpad(&format!("{:.1}", p.baseline.vht), 10),
            rpad(&format!("{:.1}", p.with_closure.vht), 10),
            rpad(&sgn(p.delta_vht, 1), 9),
            rpad(&sgn(p.delta_vkt, 1), 9),
            p.baseline.relative_gap,
            p.baseline.iterations,
            p.with_closure.relative_gap,
            p.with_closure.iterations
        );
    }
    let w = &s.window_totals;
    let _ = writeln!(
        o,
        "  over the window: {} veh-h, {} veh-km ({} veh-h per weekday × {} weekdays)",
        sgn(w.delta_vht, 0),
        sgn(w.delta_vkt, 0),
        sgn(w.delta_vht_per_day, 1),
        w.weekdays
    );
    let _ = writeln!(o, "  period factors (× AM peak hour demand):");
    for p in &s.periods {
        let _ = writeln!(
            o,
            "    {} ×{:.2}  {}",
            pad(p.period.id, 9),
            p.period.demand_factor,
            p.period.source
        );
    }

    let _ = writeln!(
        o,
        "\nWhere the traffic goes ({hl}; veh/h, length-weighted mean per street and direction)"
    );
    let head = format!(
        "  {} {} {} {} {} {} {} {}",
        pad("street", 34),
        pad("direction", 10),
        rpad("before", 7),
        rpad("after", 7),
        rpad("Δveh/h", 8),
        rpad("peak Δ", 8),
        rpad("v/c", 12),
        rpad("Δv/c (rank)", 12)
    );
    let row = |c: &super::study::StreetChange| {
        format!(
            "  {} {} {} {} {} {} {} {}",
            pad(&street_label(&c.name_zh, &c.name_en), 34),
            pad(&c.direction, 10),
            rpad(&format!("{:.0}", c.before_vph), 7),
            rpad(&format!("{:.0}", c.after_vph), 7),
            rpad(&format!("{:+.0}", c.delta_vph), 8),
            rpad(&format!("{:+.0}", c.delta_vph_peak), 8),
            rpad(&format!("{:.2}→{:.2}", c.vc_before, c.vc_after), 12),
            rpad(&format!("{:+.2} ({})", c.delta_vc, c.rank_vc), 12)
        )
    };
    let _ = writeln!(o, "{head}");
    let gaining: Vec<_> = s
        .streets
        .iter()
        .filter(|c| c.delta_vph > 0.0)
        .take(12)
        .collect();
    let losing: Vec<_> = s
        .streets
        .iter()
        .rev()
        .filter(|c| c.delta_vph < 0.0)
        .take(6)
        .collect();
    for c in &gaining {
        let _ = writeln!(o, "{}", row(c));
    }
    if !losing.is_empty() {
        let _ = writeln!(o, "  … losing traffic:");
        for c in &losing {
            let _ = writeln!(o, "{}", row(c));
        }
    }
    let mut by_vc: Vec<_> = s.streets.iter().collect();
    by_vc.sort_by_key(|c| c.rank_vc);
    let _ = writeln!(o, "  by Δv/c: {}", {
        by_vc
            .iter()
            .take(5)
            .map(|c| format!("{} {} {:+.2}", c.name_zh, c.direction, c.delta_vc))
            .collect::<Vec<_>>()
            .join("; ")
    });

    let _ = writeln!(
        o,
        "\nChoke points ({hl}), ranked by Δv/c then Δdelay; ! = crosses v/c 0.9, !! = crosses 1.0"
    );
    let _ = writeln!(
        o,
        "  {} {} {} {} {} {} {}",
        rpad("#", 2),
        pad("id", 4),
        pad("name", 40),
        rpad("v/c", 11),
        rpad("Δv/c", 6),
        rpad("delay s/veh", 13),
        rpad("Δdelay", 7)
    );
    for c in &s.choke_points {
        let flag = if c.crosses.contains(&1.0) {
            "!!"
        } else if c.crosses.contains(&0.9) {
            "!"
        } else {
            ""
        };
        let _ = writeln!(
            o,
            "  {} {} {} {} {} {} {} {flag}",
            rpad(&c.rank.to_string(), 2),
            pad(&c.id, 4),
            pad(&street_label(&c.name_zh, &c.name_en), 40),
            rpad(&format!("{}→{}", opt2(c.vc_before), opt2(c.vc_after)), 11),
            rpad(&c.delta_vc.map_or("—".into(), |v| format!("{v:+.2}")), 6),
            rpad(
                &format!(
                    "{}→{}",
                    c.delay_before_s.map_or("—".into(), |v| format!("{v:.0}")),
                    c.delay_after_s.map_or("—".into(), |v| format!("{v:.0}"))
                ),
                13
            ),
            rpad(
                &c.delta_delay_s.map_or("—".into(), |v| format!("{v:+.1}")),
                7
            ),
        );
    }

    let _ = writeln!(
        o,
        "\nTrips whose time grows most ({hl}; {} OD pairs lose every path)",
        s.od_pairs_cut
    );
    for p in &s.od_pairs {
        let _ = writeln!(
            o,
            "  {} → {} {} trips/h  {} → {} ({})",
            pad(&format!("{} {}", p.origin, p.origin_name), 34),
            pad(&format!("{} {}", p.destination, p.destination_name), 34),
            rpad(&format!("{:.0}", p.trips), 5),
            dur(p.before_s),
            dur(p.after_s),
            signed_dur(p.delta_s)
        );
    }

    let _ = writeln!(
        o,
        "\nSecondary conflicts (other works on site during the window: on a detour, on the closed \
         stretch, or taking more than +{:.0} veh/h)",
        s.flow_threshold_vph
    );
    if s.conflicts.is_empty() {
        let _ = writeln!(o, "  none");
    }
    for c in &s.conflicts {
        let _ = writeln!(o, "  - {}", c.summary);
    }

    let m = &s.mitigation;
    let _ = writeln!(o, "\nMitigation hints (computed)");
    if let Some(b) = m.starts.get(m.best) {
        let _ = writeln!(
            o,
            "  best start among the next 12 months: {} … {} ({:+.0} veh-h over the window; \
             {:.0} veh-h less than as asked)",
            b.window.start, b.window.end, b.delta_vht, m.best_saving_vht
        );
    }
    let _ = writeln!(
        o,
        "  {}",
        m.starts
            .iter()
            .map(|c| format!("{}: {}", c.window.start, sgn(c.delta_vht, 0)))
            .collect::<Vec<_>>()
            .join(" · ")
    );
    let _ = writeln!(
        o,
        "  night works 22:00–06:00 only: {} veh-h over the window, {:.0} veh-h saved{}",
        sgn(m.night_delta_vht, 0),
        m.night_saving_vht,
        m.night_saving_share
            .map_or(String::new(), |x| format!(" ({:.0} %)", 100.0 * x))
    );
    let _ = writeln!(o, "\nmethod: {}", s.method);
    let _ = writeln!(o, "mitigation method: {}", m.method);
    let _ = writeln!(o, "source: {}", s.source);
    o
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// CSS font stack with CJK fallbacks (Debian: fonts-noto-cjk).
pub const FONT_STACK: &str = "\"Noto Sans CJK SC\", \"Noto Sans SC\", \"Source Han Sans SC\", \
\"WenQuanYi Micro Hei\", \"Microsoft YaHei\", \"PingFang SC\", \"Hiragino Sans GB\", \
system-ui, sans-serif";

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

fn bars_svg(title: &str, rows: &[(String, f64)], unit: &str) -> String {
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

fn table(head: &[&str], rows: Vec<Vec<String>>) -> String {
    let mut h = String::from("<table><tr>");
    for c in head {
        let _ = write!(h, "<th>{}</th>", esc(c));
    }
    h.push_str("</tr>");
    for r in rows {
        h.push_str("<tr>");
        for c in r {
            let _ = write!(h, "<td>{}</td>", esc(&c));
        }
        h.push_str("</tr>");
    }
    h.push_str("</table>");
    h
}

/// The study as one self-contained HTML page (map and charts inline SVG).
pub fn to_html(net: &RoadNetwork, s: &Study) -> String {
    let hl = s
        .periods
        .iter()
        .find(|p| p.period.id == s.headline_period)
        .map_or(s.headline_period.as_str(), |p| p.period.label);
    let mut h = format!(
        "<!doctype html><html lang=\"zh-Hans\"><head><meta charset=\"utf-8\"><title>{t}</title>\
         <style>body{{font-family:{FONT_STACK};margin:1.5em;max-width:1200px;color:#222}}\
         table{{border-collapse:collapse;margin:.5em 0 1.5em}}td,th{{border:1px solid #ccc;\
         padding:3px 6px;text-align:left;font-size:13px}}th{{background:#f0f0ec}}\
         .note{{color:#555;font-size:13px}}h1{{font-size:22px}}h2{{font-size:18px;margin-top:1.4em}}\
         </style></head><body><h1>Closure study: {t}</h1>\
         <p><b>Baseline:</b> {b} (works on site that day: {on}; completed: {done}).</p>",
        t = esc(&s.title),
        b = esc(&s.baseline.name),
        on = esc(&s
            .baseline
            .works_on_site
            .iter()
            .map(|w| w.to_string())
            .collect::<Vec<_>>()
            .join(", ")),
        done = esc(&s
            .baseline
            .works_completed
            .iter()
            .map(|w| w.to_string())
            .collect::<Vec<_>>()
            .join(", ")),
    );
    let w = &s.window_totals;
    let _ = write!(
        h,
        "<p><b>Headline:</b> {:+.0} veh-h and {:+.0} veh-km over the window ({} weekdays); \
         {} detour(s), {} cut off; {} secondary conflict(s); {} choke point(s) cross v/c 0.9 or 1.0.</p>",
        w.delta_vht,
        w.delta_vkt,
        w.weekdays,
        s.detours.len(),
        s.detours
            .iter()
            .filter(|d| d.outcome == Outcome::CutOff)
            .count(),
        s.conflicts.len(),
        s.choke_points
            .iter()
            .filter(|c| !c.crosses.is_empty())
            .count()
    );
    let _ = write!(
        h,
        "<h2>Map of the study area ({})</h2>{}",
        esc(hl),
        map_svg(net, s, 960.0, 640.0)
    );
    h.push_str("<h2>Closures</h2>");
    h.push_str(&table(
        &["closure", "what", "streets", "km (directed)"],
        s.closures
            .iter()
            .map(|c| {
                vec![
                    c.label.clone(),
                    c.what.clone(),
                    c.streets.join(", "),
                    format!("{:.2}", c.length_m / 1000.0),
                ]
            })
            .collect(),
    ));
    h.push_str("<h2>Detours (free-flow; cut-off first)</h2>");
    h.push_str(&table(
        &[
            "stretch",
            "closed",
            "outcome",
            "before",
            "around",
            "extra",
            "extra km",
            "via / why",
        ],
        s.detours
            .iter()
            .map(|d| {
                vec![
                    d.id.clone(),
                    d.streets.join(", "),
                    outcome_word(d.outcome).into(),
                    dur(d.base_s),
                    dur(d.detour_s),
                    signed_dur(d.extra_s),
                    km(d.extra_m),
                    if d.via.is_empty() {
                        d.reason.clone().unwrap_or_default()
                    } else {
                        d.via.join(" → ")
                    },
                ]
            })
            .collect(),
    ));
    let _ = write!(h, "<h2>Where the traffic goes ({})</h2>", esc(hl));
    let mut top: Vec<_> = s
        .streets
        .iter()
        .filter(|c| c.delta_vph > 0.0)
        .take(10)
        .collect();
    top.extend(s.streets.iter().rev().filter(|c| c.delta_vph < 0.0).take(5));
    h.push_str(&bars_svg(
        "Δ veh/h by street and direction (length-weighted mean)",
        &top.iter()
            .map(|c| {
                (
                    format!("{} {}", street_label(&c.name_zh, &c.name_en), c.direction),
                    c.delta_vph,
                )
            })
            .collect::<Vec<_>>(),
        "veh/h",
    ));
    h.push_str(&table(
        &[
            "street",
            "direction",
            "before veh/h",
            "after veh/h",
            "Δ veh/h",
            "peak Δ on one edge",
            "v/c before",
            "v/c after",
            "Δ v/c",
            "rank by Δ v/c",
        ],
        s.streets
            .iter()
            .filter(|c| c.delta_vph.abs() >= 10.0 || c.delta_vph_peak.abs() >= 10.0)
            .map(|c| {
                vec![
                    street_label(&c.name_zh, &c.name_en),
                    c.direction.clone(),
                    format!("{:.0}", c.before_vph),
                    format!("{:.0}", c.after_vph),
                    format!("{:+.0}", c.delta_vph),
                    format!("{:+.0}", c.delta_vph_peak),
                    format!("{:.2}", c.vc_before),
                    format!("{:.2}", c.vc_after),
                    format!("{:+.2}", c.delta_vc),
                    c.rank_vc.to_string(),
                ]
            })
            .collect(),
    ));
    let _ = write!(h, "<h2>Choke points ({}), worst first</h2>", esc(hl));
    h.push_str(&table(
        &[
            "#",
            "id",
            "name",
            "v/c before",
            "v/c after",
            "Δ v/c",
            "delay before s/veh",
            "delay after",
            "Δ delay",
            "crosses",
        ],
        s.choke_points
            .iter()
            .map(|c| {
                vec![
                    c.rank.to_string(),
                    c.id.clone(),
                    street_label(&c.name_zh, &c.name_en),
                    opt2(c.vc_before),
                    opt2(c.vc_after),
                    c.delta_vc.map_or("—".into(), |v| format!("{v:+.2}")),
                    c.delay_before_s.map_or("—".into(), |v| format!("{v:.1}")),
                    c.delay_after_s.map_or("—".into(), |v| format!("{v:.1}")),
                    c.delta_delay_s.map_or("—".into(), |v| format!("{v:+.1}")),
                    c.crosses
                        .iter()
                        .map(|x| format!("{x:.1}"))
                        .collect::<Vec<_>>()
                        .join(", "),
                ]
            })
            .collect(),
    ));
    let _ = write!(
        h,
        "<h2>Trips whose time grows most ({})</h2><p class=\"note\">{} OD pairs lose every path.</p>",
        esc(hl),
        s.od_pairs_cut
    );
    h.push_str(&table(
        &["from", "to", "trips/h", "before", "after", "Δ"],
        s.od_pairs
            .iter()
            .map(|p| {
                vec![
                    format!("{} {}", p.origin, p.origin_name),
                    format!("{} {}", p.destination, p.destination_name),
                    format!("{:.0}", p.trips),
                    dur(p.before_s),
                    dur(p.after_s),
                    signed_dur(p.delta_s),
                ]
            })
            .collect(),
    ));
    h.push_str("<h2>Vehicle-hours and vehicle-kilometres</h2>");
    h.push_str(&bars_svg(
        "Δ VHT of one weekday by period (per-hour Δ × hours in force)",
        &s.periods
            .iter()
            .map(|p| (p.period.label.to_string(), p.delta_vht_per_day))
            .collect::<Vec<_>>(),
        "veh-h",
    ));
    h.push_str(&table(
        &[
            "period",
            "demand factor",
            "source",
            "hours in force",
            "VHT base /h",
            "VHT with /h",
            "Δ VHT /h",
            "Δ VKT /h",
            "relative gap (base, with)",
            "iterations (base, with)",
        ],
        s.periods
            .iter()
            .map(|p| {
                vec![
                    p.period.label.to_string(),
                    format!("{:.2}", p.period.demand_factor),
                    p.period.source.to_string(),
                    p.hours_in_force.to_string(),
                    format!("{:.1}", p.baseline.vht),
                    format!("{:.1}", p.with_closure.vht),
                    sgn(p.delta_vht, 1),
                    sgn(p.delta_vkt, 1),
                    format!(
                        "{:.1e}, {:.1e}",
                        p.baseline.relative_gap, p.with_closure.relative_gap
                    ),
                    format!("{}, {}", p.baseline.iterations, p.with_closure.iterations),
                ]
            })
            .collect(),
    ));
    let _ = write!(
        h,
        "<p>Over the window: <b>{:+.0} veh-h</b>, {:+.0} veh-km. {}</p>",
        w.delta_vht,
        w.delta_vkt,
        esc(&w.method)
    );
    let _ = write!(
        h,
        "<h2>Secondary conflicts (threshold +{:.0} veh/h)</h2>",
        s.flow_threshold_vph
    );
    if s.conflicts.is_empty() {
        h.push_str("<p>None.</p>");
    } else {
        h.push_str(&table(
            &[
                "work",
                "does",
                "streets",
                "overlap",
                "extra veh/h on its site",
                "on detour",
                "on the closed stretch",
                "v/c on site before → after",
                "in words",
            ],
            s.conflicts
                .iter()
                .map(|c| {
                    vec![
                        format!("{} {}", c.work, c.name_zh),
                        c.action.clone(),
                        c.streets.join(", "),
                        c.overlap.to_string(),
                        format!("{:+.0} ({})", c.delta_vph, c.delta_street),
                        c.on_detours.join(", "),
                        if c.on_closure {
                            "yes".into()
                        } else {
                            String::new()
                        },
                        format!("{:.2} → {:.2}", c.vc_before, c.vc_after),
                        c.summary.clone(),
                    ]
                })
                .collect(),
        ));
    }
    let m = &s.mitigation;
    h.push_str("<h2>Mitigation hints</h2>");
    h.push_str(&bars_svg(
        "Extra VHT over the window by start date (other works fixed)",
        &m.starts
            .iter()
            .map(|c| (format!("start {}", c.window.start), c.delta_vht))
            .collect::<Vec<_>>(),
        "veh-h",
    ));
    if let Some(b) = m.starts.get(m.best) {
        let _ = write!(
            h,
            "<p>Best start among the next 12 months: <b>{}</b> ({:+.0} veh-h; {:.0} veh-h less than as asked).</p>",
            b.window, b.delta_vht, m.best_saving_vht
        );
    }
    let _ = write!(
        h,
        "<p>Night works (22:00–06:00 only): {:+.0} veh-h over the window, saving {:.0} veh-h{}.</p>\
         <p class=\"note\">{}</p>",
        m.night_delta_vht,
        m.night_saving_vht,
        m.night_saving_share
            .map_or(String::new(), |x| format!(" ({:.0} %)", 100.0 * x)),
        esc(&m.method)
    );
    let _ = write!(
        h,
        "<h2>Method</h2><p class=\"note\">{}</p><p class=\"note\">Source: {}. Study id {}.</p></body></html>",
        esc(&s.method),
        esc(&s.source),
        esc(&s.id)
    );
    h
}

/// The study's map content as GeoJSON features (closures, detours, flow differences,
/// choke points, conflicts), each with a `layer` property.
pub fn to_geojson(net: &RoadNetwork, s: &Study) -> serde_json::Value {
    use serde_json::json;
    let line = |g: Vec<[f64; 2]>| json!({"type": "LineString", "coordinates": g});
    let mut f = Vec::new();
    for c in &s.closures {
        for &e in &c.edges {
            let g: Vec<[f64; 2]> = net.edge(e).geometry.0.iter().map(|c| [c.x, c.y]).collect();
            f.push(
                json!({"type": "Feature", "geometry": line(g), "properties": {
                "layer": "closure", "closure": c.label, "what": c.what, "edge": e,
                "street": net.street_of(e).display_name()}}),
            );
        }
    }
    for d in &s.detours {
        if d.geometry.len() >= 2 {
            f.push(
                json!({"type": "Feature", "geometry": line(d.geometry.clone()), "properties": {
                "layer": "detour", "id": d.id, "extra_s": d.extra_s, "extra_m": d.extra_m,
                "via": d.via.join(" → ")}}),
            );
        }
    }
    for e in &s.edge_changes {
        f.push(
            json!({"type": "Feature", "geometry": line(e.geometry.clone()), "properties": {
            "layer": "flow_difference", "edge": e.edge, "street": e.street,
            "before_vph": e.before_vph.round(), "after_vph": e.after_vph.round(),
            "delta_vph": e.delta_vph.round(), "vc_before": (e.vc_before * 100.0).round() / 100.0,
            "vc_after": (e.vc_after * 100.0).round() / 100.0}}),
        );
    }
    for c in &s.choke_points {
        if let Some(p) = c.at {
            f.push(
                json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": p},
                "properties": {"layer": "choke_point", "id": c.id, "rank": c.rank,
                "name_zh": c.name_zh, "name_en": c.name_en, "vc_before": c.vc_before,
                "vc_after": c.vc_after, "delta_vc": c.delta_vc, "delta_delay_s": c.delta_delay_s,
                "crosses": c.crosses}}),
            );
        }
    }
    for c in &s.conflicts {
        let lines: Vec<Vec<[f64; 2]>> = c
            .site_edges
            .iter()
            .map(|&e: &EdgeId| net.edge(e).geometry.0.iter().map(|c| [c.x, c.y]).collect())
            .collect();
        if !lines.is_empty() {
            f.push(json!({"type": "Feature",
                "geometry": {"type": "MultiLineString", "coordinates": lines},
                "properties": {"layer": "conflict", "work": c.work, "name_zh": c.name_zh,
                "name_en": c.name_en, "delta_vph": c.delta_vph.round(), "summary": c.summary}}));
        }
    }
    json!({"type": "FeatureCollection", "features": f})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_characters_take_two_columns_and_padding_aligns_them() {
        assert_eq!(display_width("锦州街"), 6);
        assert_eq!(display_width("Jinzhou"), 7);
        assert_eq!(display_width(pad("锦州街", 10).as_str()), 10);
        assert_eq!(display_width(pad("Jinzhou Street", 10).as_str()), 10);
        assert!(pad("中央大街与洛阳路交叉口", 9).ends_with('…'));
        assert_eq!(display_width(&pad("中央大街与洛阳路交叉口", 9)), 9);
    }
}
