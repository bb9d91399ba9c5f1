//! The study as text for a terminal.

use super::format::*;
use crate::analysis::study::Study;
use std::fmt::Write as _;

/// The study as text for a terminal.
pub fn to_text(s: &Study) -> String {
    let mut o = String::new();
    let hl = s
        .periods
        .iter()
        .find(|p| p.period.id == s.headline_period)
        .map_or(s.headline_period.as_str(), |p| p.period.label.as_str());
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
        "\nAssignments (user equilibrium), one hour of each calibrated period; in force: hours \
         on a weekday / on a weekend day"
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
            pad(&p.period.label, 22),
            rpad(
                &format!("{}/{} h", p.hours_in_force, p.weekend_hours_in_force),
                8
            ),
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
        "  over the window: {} veh-h, {} veh-km ({} veh-h per weekday × {} weekdays, {} per \
         weekend day × {} weekend days)",
        sgn(w.delta_vht, 0),
        sgn(w.delta_vkt, 0),
        sgn(w.delta_vht_per_day, 1),
        w.weekdays,
        sgn(w.delta_vht_per_weekend_day, 1),
        w.weekend_days
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
    let row = |c: &crate::analysis::study::StreetChange| {
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
    if let (Some(b), Some(asked)) = (m.starts.get(m.best), m.starts.first()) {
        // The scan's own figure for the window as asked: it takes each month's network (other
        // works as on the 15th), so it differs from the headline, taken on the baseline's.
        let _ = writeln!(
            o,
            "  best start among the next 12 months: {} … {} ({:+.0} veh-h over the window; \
             {:.0} veh-h less than as asked, {:+.0} veh-h by the same month-by-month method)",
            b.window.start, b.window.end, b.delta_vht, m.best_saving_vht, asked.delta_vht
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
