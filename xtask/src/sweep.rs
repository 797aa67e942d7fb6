//! The leak sweep after the tests: no object the tests made may be left behind.
//!
//! `ipc_core::testing::leaked_objects` knows every place a test object can live (`/dev/shm`,
//! `/dev/mqueue`, the System V tables, the temporary directory) and the test prefix its names carry.
//!
//! POSIX message queues are only visible through a mounted mqueue filesystem, and many machines
//! (these among them) do not mount one at `/dev/mqueue`. Then the sweep mounts one privately: in a
//! mount namespace of its own (`unshare --mount`), so the host's mounts are left as they were, and
//! the queues listed are still this IPC namespace's. Without the privilege to do that the sweep
//! says the queues went unchecked rather than calling them clean.

use std::path::Path;
use std::process::Command;

use crate::step::Result;

/// Fails listing every leftover object that carries the test prefix.
pub(crate) fn run() -> Result {
    let mut leaked = ipc_core::testing::leaked_objects();
    if !Path::new("/dev/mqueue").is_dir() {
        match private_mqueue_listing() {
            Ok(names) => leaked.extend(
                names
                    .into_iter()
                    .filter(|name| name.starts_with(ipc_core::TEST_PREFIX))
                    .map(|name| format!("POSIX message queue /{name}")),
            ),
            Err(why) => println!("POSIX message queues not checked: {why}"),
        }
    }
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

/// The names in this IPC namespace's mqueue filesystem, read through a mount made in a private
/// mount namespace on a scratch directory under the target directory.
fn private_mqueue_listing() -> std::result::Result<Vec<String>, String> {
    let mount_point = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("target")
        .join("mqueue-sweep");
    std::fs::create_dir_all(&mount_point)
        .map_err(|err| format!("cannot create {}: {err}", mount_point.display()))?;
    let output = Command::new("unshare")
        .args(["--mount", "--propagation", "private", "sh", "-c"])
        .arg(r#"mount -t mqueue none "$1" && ls -A "$1""#)
        .arg("sh")
        .arg(&mount_point)
        .output()
        .map_err(|err| format!("cannot run unshare: {err}"))?;
    if !output.status.success() {
        return Err(format!(
            "a private mqueue mount failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::to_owned)
        .collect())
}
