//! The three outputs of a run: a Markdown table (stdout), JSON and an SVG chart.

pub(crate) mod chart;
pub(crate) mod json;
pub(crate) mod markdown;
