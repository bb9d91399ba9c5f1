//! Formatting shared by the study's text and HTML: display widths of CJK text, padding,
//! durations, distances, signed numbers, HTML escaping.

use crate::analysis::detour::Outcome;
use crate::analysis::study::StudyDetour;

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
pub(super) fn rpad(s: &str, w: usize) -> String {
    let n = display_width(s);
    if n >= w {
        s.to_string()
    } else {
        format!("{}{s}", " ".repeat(w - n))
    }
}

pub(super) fn dur(s: Option<f64>) -> String {
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

pub(super) fn signed_dur(s: Option<f64>) -> String {
    match s {
        Some(v) if v >= 0.0 => format!("+{}", dur(Some(v))),
        other => dur(other),
    }
}

pub(super) fn km(m: Option<f64>) -> String {
    match m {
        Some(v) => format!("{:.2} km", v / 1000.0),
        None => "—".into(),
    }
}

/// A signed figure with `digits` decimals; what rounds to zero prints as `±0` (never `-0.0`).
pub(super) fn sgn(x: f64, digits: usize) -> String {
    let unit = 0.5 * 10f64.powi(-(digits as i32));
    if x.abs() < unit {
        format!("±{:.digits$}", 0.0)
    } else {
        format!("{x:+.digits$}")
    }
}

pub(super) fn opt2(x: Option<f64>) -> String {
    x.map_or("—".into(), |v| format!("{v:.2}"))
}

pub(super) fn street_label(zh: &str, en: &str) -> String {
    if en.is_empty() || en == zh {
        zh.to_string()
    } else {
        format!("{zh} {en}")
    }
}

pub(super) fn outcome_word(o: Outcome) -> &'static str {
    match o {
        Outcome::Detour => "detour",
        Outcome::CutOff => "CUT OFF",
        Outcome::DeadEnd => "dead end",
    }
}

pub(super) fn detour_line(d: &StudyDetour) -> String {
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

pub(super) fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// CSS font stack with CJK fallbacks (Debian: fonts-noto-cjk).
pub const FONT_STACK: &str = "\"Noto Sans CJK SC\", \"Noto Sans SC\", \"Source Han Sans SC\", \
\"WenQuanYi Micro Hei\", \"Microsoft YaHei\", \"PingFang SC\", \"Hiragino Sans GB\", \
system-ui, sans-serif";

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
