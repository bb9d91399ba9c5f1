//! A closure study as text (terminal, Chinese and English names aligned), as an HTML page
//! with a map of the study area drawn as SVG from the network itself, and as GeoJSON features
//! for map clients.
//!
//! Files: `format` (widths, padding, numbers, escaping), `text`, `svg` (the map and the bar
//! charts), `html` (the page), `geojson`.

mod format;
mod geojson;
mod html;
mod svg;
mod text;

pub use format::{FONT_STACK, display_width, pad};
pub use geojson::to_geojson;
pub use html::to_html;
pub use svg::map_svg;
pub use text::to_text;
