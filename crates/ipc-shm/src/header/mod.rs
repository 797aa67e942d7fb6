//! A validated layout header at the start of a structured region: magic, version, layout
//! sizes, an initialised flag published last, and the creator's identity.
//!
//! A region that holds structure (locks, counters, a ring) starts with this header, and the
//! structure, its *payload*, follows it at [`HEADER_LEN`]. The creator calls [`Header::init`]
//! once; every other process calls [`Header::open`] (or its waiting forms), or
//! [`Header::open_read_only`] when it maps the region read-only, which validates every field
//! against the [`Layout`] it expects before handing out the payload's place.
//! [`validate`] is the same check as a pure function over a copy of the bytes.
//!
//! # The bytes
//!
//! Native byte order (the processes sharing a region share a machine); 128 bytes, so the
//! payload starts two cache lines in:
//!
//! | offset | field | size | value |
//! |---:|---|---:|---|
//! | 0 | `magic` | 8 | [`HEADER_MAGIC`], the bytes `IPCSHMHD` |
//! | 8 | `header_version` | 4 | [`HEADER_VERSION`] |
//! | 12 | `header_len` | 4 | [`HEADER_LEN`], where the payload starts |
//! | 16 | `state` | 8 | `pid << 32 \| phase`, atomic: 0 fresh, 1 initialising, 2 ready |
//! | 24 | `layout_tag` | 8 | [`Layout::tag`] |
//! | 32 | `layout_len` | 8 | the payload's length |
//! | 40 | `layout_version` | 4 | [`Layout::version`] |
//! | 44 | `reserved` | 4 | 0 |
//! | 48 | `creator_start_time` | 8 | field 22 of `/proc/<pid>/stat`, or 0 |
//! | 56 | `creator_boot_id` | 8 | the first 8 bytes of the boot id, or 0 |
//! | 64 | `creator_pid_ns` | 8 | the inode of the creator's pid namespace, or 0 |
//! | 72 | `reserved_tail` | 56 | 0 |
//!
//! # The protocol
//!
//! 1. The creator claims the header by turning `state` from 0 into `pid << 32 | 1` with one
//!    compare-and-swap: of several would-be creators exactly one succeeds, and the others get
//!    [`AlreadyExists`](ipc_core::ErrorKind::AlreadyExists). The claim carries the pid, so an
//!    opener learns who is initialising from the same atomic load.
//! 2. It writes every other field, then runs the caller's initialiser on the payload.
//! 3. It stores `pid << 32 | 2` with `Release`. An opener loads `state` with `Acquire` before
//!    copying the header, so once it sees "ready" it sees everything written in steps 2 and 3.
//!
//! An initialiser that fails (or panics) resets the header to 0, so the region can be
//! initialised again. A creator killed during steps 1–2 leaves the claim behind: openers that
//! can prove the claimant dead (no process has its pid in the recorded pid namespace) get
//! [`PeerGone`](ipc_core::ErrorKind::PeerGone) instead of waiting in vain. The recovery is to
//! remove the object and create it again. Nothing takes over a dead claim in place: "dead" is
//! judged from outside the claimant (a zombie thread-group leader whose other threads still
//! run reads as dead), and a takeover that raced a still-running initialiser would publish a
//! payload two processes wrote.
//!
//! While the header is not published, openers wait only if its `magic` is 0 or
//! [`HEADER_MAGIC`] (byte by byte: a copy may catch the claimant writing it); other bytes are
//! [`CorruptSharedState`](ipc_core::ErrorKind::CorruptSharedState), whatever the state word
//! seems to say.
//!
//! # Liveness
//!
//! [`Creator::liveness`] tells a live creator from a dead one without trusting the pid alone:
//! pids are reused, but a pid together with its start time, in clock ticks since boot, names
//! one process of one boot. Different boot ids mean dead; a different pid namespace means
//! unknown (the pid names another process here).
//!
//! # Examples
//!
//! ```
//! use std::sync::atomic::Ordering;
//! use ipc_shm::{AnonymousRegion, RegionAccess};
//! use ipc_shm::header::{Header, Layout, Liveness};
//!
//! const STATS: Layout = Layout::new(u64::from_ne_bytes(*b"stats--1"), 1, 16);
//!
//! let region = AnonymousRegion::new(4096)?;
//! Header::init(&region, STATS, |region, payload| {
//!     region.atomic_u64(payload)?.store(0, Ordering::Relaxed);
//!     region.atomic_u64(payload + 8)?.store(0, Ordering::Relaxed);
//!     Ok(())
//! })?;
//!
//! let sut = Header::open(&region, STATS)?;
//! region.atomic_u64(sut.payload_offset())?.fetch_add(1, Ordering::Relaxed);
//! assert_eq!(sut.creator().liveness(), Liveness::Alive);
//! # Ok::<(), ipc_core::Error>(())
//! ```
//!
//! # References
//!
//! - [proc_pid_stat(5)](https://man7.org/linux/man-pages/man5/proc_pid_stat.5.html), field 22
//!   `starttime`
//! - [pid_namespaces(7)](https://man7.org/linux/man-pages/man7/pid_namespaces.7.html)

mod creator;
mod layout;
mod open;
mod source;
mod validate;
mod view;

pub use creator::{Creator, Liveness};
pub(crate) use creator::{claimant_is_dead, current_pid_ns};
pub use layout::{HEADER_LEN, HEADER_MAGIC, HEADER_VERSION, Layout};
pub use validate::{Validated, validate};
pub use view::Header;
