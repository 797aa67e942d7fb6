//! `results.json`: the whole [`Report`], pretty-printed.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use crate::error::{Context, Result};
use crate::results::Report;

/// Writes `report` to `path` as JSON.
///
/// # Errors
/// When the file cannot be created or written.
pub(crate) fn write(report: &Report, path: &Path) -> Result<()> {
    let what = || format!("write {}", path.display());
    let mut out = BufWriter::new(File::create(path).with_context(what)?);
    serde_json::to_writer_pretty(&mut out, report).with_context(what)?;
    out.write_all(b"\n").with_context(what)?;
    out.flush().with_context(what)
}
