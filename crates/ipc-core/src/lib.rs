//! The shared vocabulary of the `ipc` workspace.
//!
//! Every mechanism crate (`ipc-pipe`, `ipc-shm`, `ipc-mq`, …) speaks through the items here:
//!
//! - [`Error`], [`ErrorKind`] and [`Result`]: one error type naming the operation, the object and
//!   the OS error, with limit errors that say which knob to raise.
//! - [`ObjectName`], [`check_socket_path`], [`check_abstract_socket_name`] and [`unique_name`]:
//!   validated POSIX object names, socket-address checks and the one generator of unique names.
//! - [`OpenMode`], [`Permissions`] and [`Ownership`]: the `create_new` / `open` /
//!   `open_or_create` vocabulary, exact modes (default `0o600`) and unlink-on-drop ownership;
//!   [`TrustedOwner`], whose existing objects an `open` accepts; [`NodeCheck`], the `fstat`
//!   check of an opened node's type and owner; [`unlink_if_same`], which removes a node only
//!   while it is still the one a handle made; [`StagedFile`], which builds a new file and
//!   gives it its name only once it is complete (`O_TMPFILE` and `linkat`).
//! - [`Deadline`] and [`Wait`]: monotonic deadlines, the retry loop written once (`EINTR`, and
//!   an `ETIMEDOUT` before the deadline), and the conversion to `CLOCK_REALTIME`, a slice of
//!   at most [`REALTIME_SLICE`] at a time, for the calls that need it.
//! - [`wait_ready`]: bounded readiness waits on a descriptor (`poll`); [`Backoff`]: growing,
//!   deadline-bounded pauses between polls where the kernel has no bounded wait.
//! - [`SharedRegion`]: the contract of a mapping shared between processes.
//! - [`ChildFds`]: descriptors handed to a child process at fixed numbers.
//! - [`encode_frame_header`] and [`decode_frame_header`]: the length-prefixed frame format
//!   every byte stream shares ([`FRAME_HEADER_LEN`], [`DEFAULT_MAX_FRAME_LEN`]), with the
//!   length checked against a limit before anyone allocates for it; [`FrameDecoder`], the
//!   resumable receive side every framed reader drives, whose failures inside a frame are
//!   sticky.
//!
//! With the `testing` feature, the `testing` module re-executes a test binary as a child process in a
//! named role, so cross-process tests use real processes without `fork()`ing the test harness.
//!
//! # rustix is a public dependency
//!
//! `ipc-core` is the vocabulary of crates that all make their system calls through rustix, so
//! a few items speak rustix's types rather than wrap them:
//!
//! - [`Error::from_errno`] and its relatives take a `rustix::io::Errno`.
//! - [`wait_ready`] takes `rustix::event::PollFlags`; it and [`Wait::retry`] return a
//!   `rustix::io::Result`, so a caller matches `Errno::TIMEDOUT` or `Errno::AGAIN` and then
//!   builds the [`Error`] that names its own operation and object.
//! - [`NodeCheck`] is built from a `rustix::fs::FileType` and checks a `rustix::fs::Stat`.
//! - [`Wait::timespec`], [`Deadline::to_realtime`] and [`Deadline::to_monotonic`] return a
//!   `rustix::time::Timespec` (the `Timespec` of `rustix::event::poll` too), ready for the
//!   call that takes it.
//!
//! A rustix release that changes these types is therefore a breaking change of `ipc-core`, and
//! the workspace moves to it in one step (it pins one rustix version). Everything else is std
//! types.
#![doc(test(attr(deny(warnings))))]

mod backoff;
mod child_fds;
mod deadline;
mod errno;
mod error;
mod error_kind;
mod frame;
mod limit;
mod name;
mod node;
mod object;
mod open;
mod owner;
mod publish;
mod readiness;
mod region;
mod sys;
#[cfg(feature = "testing")]
pub mod testing;

pub use backoff::Backoff;
pub use child_fds::ChildFds;
pub use deadline::{Deadline, REALTIME_SLICE, Wait};
pub use error::{Error, Result};
pub use error_kind::ErrorKind;
pub use frame::{
    DEFAULT_MAX_FRAME_LEN, FRAME_HEADER_LEN, FRAME_READ_CHUNK, FrameDecoder, decode_frame_header,
    encode_frame_header,
};
pub use limit::{Limit, LimitScope};
pub use name::{
    ObjectName, SOCKET_PATH_MAX, TEST_PREFIX, check_abstract_socket_name, check_socket_path,
    unique_name,
};
pub use node::{NodeCheck, unlink_if_same};
pub use object::Object;
pub use open::{OpenMode, Ownership, Permissions};
pub use owner::TrustedOwner;
pub use publish::StagedFile;
pub use readiness::wait_ready;
pub use region::SharedRegion;
