//! Cross-process test support: re-execute the test binary as a child in a named role.
//!
//! Peers in this workspace's tests are real processes. A test that needs one spawns its own
//! binary again with [`ChildBuilder`], asking libtest to run only the current test; in the
//! re-executed process [`ChildContext::current`] returns `Some`, and the test takes the branch of
//! its role instead of the parent's. Nothing here calls `fork()` in the multithreaded harness
//! except `std::process::Command` itself, whose `pre_exec` hook (that of
//! [`ChildFds`](crate::ChildFds)) only calls the async-signal-safe `fstat`, `fcntl` and `dup2`.
//!
//! The pieces:
//!
//! - [`ChildBuilder`] spawns a child with a role, string arguments, environment variables and
//!   descriptors placed at fixed numbers; [`Child`] reads its reports, waits for it with a bound,
//!   signals or kills it, always reaps it, and keeps its output for failure messages.
//! - [`ChildContext`] is the child's side: its role and arguments, the descriptors the parent
//!   placed ([`ChildContext::take_fd`]) and [`ChildContext::report`], which tells the parent that
//!   a point was reached so a fault can fire exactly there.
//! - [`set_sigpipe`] and [`sigpipe_count`] give a child the `SIGPIPE` disposition a test needs;
//!   [`install_counting_handler`] and [`signal_count`] count any other signal (say the
//!   `SIGUSR1` that interrupts a blocking call with `EINTR`).
//! - [`unique_test_name`], [`TempPath`] and [`unique_sysv_key`] name test objects so that
//!   [`leaked_objects`] can find any that a test forgot to remove.
//!
//! # The protocol
//!
//! The child is `std::env::current_exe()` run with
//! `<test name> --exact --include-ignored --nocapture --test-threads=1 -q`, and these variables:
//! [`ROLE_ENV`] names the role, `IPC_TEST_ARGS` carries the arguments (escaped `key=value`
//! lines), `IPC_TEST_FDS` lists the descriptor numbers the parent placed and
//! `IPC_TEST_REPORT_FD` the number of the report pipe's write end, always [`REPORT_FD`].
//! Reports are lines of at most 512 bytes, each written with one `write(2)`, so reports from
//! several threads never interleave.
//!
//! # Examples
//!
//! A writer child that is killed at a point it reports. (`no_run`: re-execution needs a libtest
//! binary whose test names are known, which a doctest is not.)
//!
//! ```no_run
//! use std::io::{Read, Write};
//! use std::time::Duration;
//! use ipc_core::testing::{ChildBuilder, ChildContext};
//!
//! if let Some(ctx) = ChildContext::current() {
//!     match ctx.role() {
//!         "writer" => {
//!             let mut pipe = std::fs::File::from(ctx.take_fd(10));
//!             pipe.write_all(b"half").unwrap();
//!             ctx.report("wrote-half");
//!             loop {
//!                 std::thread::park();
//!             }
//!         }
//!         other => panic!("unknown role {other}"),
//!     }
//! }
//! let (mut reader, writer) = std::io::pipe().unwrap();
//! let mut child = ChildBuilder::new("writer").inherit_fd(&writer, 10).spawn().unwrap();
//! drop(writer);
//! child.expect_report("wrote-half", Duration::from_secs(30));
//! child.kill();
//! let mut got = String::new();
//! reader.read_to_string(&mut got).unwrap();
//! assert_eq!(got, "half");
//! ```

mod builder;
mod child;
mod context;
mod leak;
mod names;
mod output;
mod protocol;
mod report;
mod signals;
mod sigpipe;
mod spawn_lock;
mod sys;
mod temp_path;

pub use builder::ChildBuilder;
pub use child::Child;
pub use context::ChildContext;
pub use leak::leaked_objects;
pub use names::{TEST_SYSV_KEY_MASK, TEST_SYSV_KEY_TAG, unique_sysv_key, unique_test_name};
pub use protocol::{REPORT_FD, ROLE_ENV};
pub use signals::{InterruptedCalls, install_counting_handler, signal_count};
pub use sigpipe::{SigpipeDisposition, set_sigpipe, sigpipe_count};
pub use spawn_lock::SpawnLock;
pub use temp_path::TempPath;
