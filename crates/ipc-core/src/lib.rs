//! The shared vocabulary of the `ipc` workspace.
//!
//! Every mechanism crate (`ipc-pipe`, `ipc-shm`, `ipc-mq`, …) speaks through the items here:
//!
//! - [`Error`], [`ErrorKind`] and [`Result`]: one error type naming the operation, the object and
//!   the OS error, with limit errors that say which knob to raise.
//! - [`ObjectName`], [`check_socket_path`] and [`unique_name`]: validated POSIX object names,
//!   socket-path checks and the one generator of unique names.
//! - [`OpenMode`], [`Permissions`] and [`Ownership`]: the `create_new` / `open` /
//!   `open_or_create` vocabulary, exact modes (default `0o600`) and unlink-on-drop ownership.
//! - [`Deadline`] and [`Wait`]: monotonic deadlines, the `EINTR` retry loop written once, and the
//!   conversion to `CLOCK_REALTIME` for the calls that need it.
//! - [`wait_ready`]: bounded readiness waits on a descriptor (`poll`).
//! - [`SharedRegion`]: the contract of a mapping shared between processes.
//! - [`ChildFds`]: descriptors handed to a child process at fixed numbers.
//!
//! With the `testing` feature, [`testing`] re-executes a test binary as a child process in a
//! named role, so cross-process tests use real processes without `fork()`ing the test harness.
#![doc(test(attr(deny(warnings))))]

mod child_fds;
mod deadline;
mod errno;
mod error;
mod limit;
mod name;
mod object;
mod open;
mod readiness;
mod region;
mod sys;
#[cfg(feature = "testing")]
pub mod testing;

pub use child_fds::ChildFds;
pub use deadline::{Deadline, Wait};
pub use error::{Error, ErrorKind, Result};
pub use limit::{Limit, LimitScope};
pub use name::{ObjectName, SOCKET_PATH_MAX, TEST_PREFIX, check_socket_path, unique_name};
pub use object::Object;
pub use open::{OpenMode, Ownership, Permissions};
pub use readiness::wait_ready;
pub use region::SharedRegion;
