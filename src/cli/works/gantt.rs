//! The works timeline as a text Gantt chart (`jzplan works timeline`, text output).

use super::*;

/// The Gantt chart: one row per work, `█` for the window (actual dates), `▒` where the dates
/// are estimates, `|` for today.
pub fn gantt(
    rows: &[TimelineRow],
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    width: usize,
) -> crate::Result<String> {
    use std::fmt::Write as _;
    let mut s = String::new();
    if rows.is_empty() {
        s.push_str("(no works)\n");
        return Ok(s);
    }
    let start = from.unwrap_or_else(|| {
        rows.iter()
            .map(|r| r.window.start)
            .min()
            .unwrap_or_default()
    });
    let end = to.unwrap_or_else(|| rows.iter().map(|r| r.window.end).max().unwrap_or_default());
    if end <= start {
        return Err(crate::Error::invalid(format!(
            "timeline end {end} is not after its start {start}"
        )));
    }
    let days = (end - start).num_days() as f64 + 1.0;
    let col = |d: NaiveDate| -> i64 {
        (((d - start).num_days() as f64) / days * width as f64).floor() as i64
    };
    // Axis: a tick and the year-month at each January and July.
    let mut axis = vec![' '; width];
    let mut labels = vec![' '; width + 8];
    let mut m = NaiveDate::from_ymd_opt(
        chrono::Datelike::year(&start),
        if chrono::Datelike::month(&start) <= 1 {
            1
        } else {
            7
        },
        1,
    )
    .unwrap_or(start);
    while m <= end {
        let c = col(m);
        if (0..width as i64).contains(&c) {
            axis[c as usize] = '┬';
            for (k, ch) in m.format("%Y-%m").to_string().chars().enumerate() {
                if let Some(slot) = labels.get_mut(c as usize + k) {
                    *slot = ch;
                }
            }
        }
        m = if chrono::Datelike::month(&m) == 1 {
            m.with_month_safe(7)
        } else {
            NaiveDate::from_ymd_opt(chrono::Datelike::year(&m) + 1, 1, 1).unwrap_or(end)
        };
        if m == end {
            break;
        }
    }
    let today = chrono::Utc::now().date_naive();
    let label_w = 34;
    let _ = writeln!(
        s,
        "{:label_w$} {}",
        "",
        labels.iter().collect::<String>().trim_end()
    );
    let _ = writeln!(s, "{:label_w$} {}", "", axis.iter().collect::<String>());
    for r in rows {
        let a = col(r.window.start.max(start));
        let b = col(r.window.end.min(end));
        let mut line = vec![' '; width];
        if r.window.end >= start && r.window.start <= end {
            for c in a.max(0)..=b.min(width as i64 - 1) {
                line[c as usize] = if r.estimated { '▒' } else { '█' };
            }
        }
        let t = col(today);
        if (0..width as i64).contains(&t) && line[t as usize] == ' ' {
            line[t as usize] = '|';
        }
        let name: String = r.name_en.chars().take(18).collect();
        let label = format!("{:<6} {:<3} {}", r.id, status_abbrev(r.status), name);
        let _ = writeln!(s, "{:<label_w$} {}", label, line.iter().collect::<String>());
    }
    let _ = writeln!(
        s,
        "█ dates recorded  ▒ estimated dates  | today   ({start} … {end})"
    );
    Ok(s)
}

trait WithMonth {
    fn with_month_safe(self, m: u32) -> NaiveDate;
}
impl WithMonth for NaiveDate {
    fn with_month_safe(self, m: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(chrono::Datelike::year(&self), m, 1).unwrap_or(self)
    }
}

fn status_abbrev(s: Status) -> &'static str {
    match s {
        Status::Proposed => "PRO",
        Status::PreliminaryWork => "PRE",
        Status::Design => "DES",
        Status::UnderConstruction => "CON",
        Status::Completed => "DON",
        Status::Suspended => "SUS",
        Status::Cancelled => "CAN",
    }
}
