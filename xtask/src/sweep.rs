//! The leak sweep after the tests: no object the tests made may be left behind.
//!
//! `ipc_core::testing::leaked_objects` knows every place a test object can live (`/dev/shm`,
//! `/dev/mqueue`, the System V tables, the temporary directory) and the test prefix its names carry.

use crate::step::Result;

/// Fails listing every leftover object that carries the test prefix.
pub(crate) fn run() -> Result {
    let leaked = ipc_core::testing::leaked_objects();
    if leaked.is_empty() {
        println!("no test objects left behind");
        return Ok(());
    }
    for object in &leaked {
        println!("  leaked: {object}");
    }
    Err(format!(
        "{} object(s) the tests made were left behind: {}",
        leaked.len(),
        leaked.join(", ")
    ))
}
