//! What both ends of a pipe share: capacity, blocking mode, the non-blocking twin, the methods
//! and trait impls written once for [`Reader`](crate::Reader) and [`Writer`](crate::Writer), and
//! the error vocabulary.

use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::sync::OnceLock;

use ipc_core::{Error, ErrorKind, Limit, LimitScope, Object, Result};
use rustix::fs::{Mode, OFlags};
use rustix::io::Errno;

/// The system-wide ceiling for unprivileged pipe capacity.
pub(crate) const PIPE_MAX_SIZE: &str = "/proc/sys/fs/pipe-max-size";
/// The per-user soft ceiling, in pages, on all of a user's pipes together.
const PIPE_USER_PAGES_SOFT: &str = "/proc/sys/fs/pipe-user-pages-soft";
/// The per-user hard ceiling, in pages, on all of a user's pipes together.
const PIPE_USER_PAGES_HARD: &str = "/proc/sys/fs/pipe-user-pages-hard";

/// The largest size `F_SETPIPE_SZ` can be asked for: its argument is a C `int`.
const LARGEST_ASK: usize = i32::MAX as usize;

/// The object of an error on a pipe end: its descriptor.
#[inline]
pub(crate) fn object(fd: BorrowedFd<'_>) -> Object {
    Object::Fd(fd.as_raw_fd())
}

/// `F_GETPIPE_SZ`: the pipe's capacity in bytes.
pub(crate) fn capacity(fd: BorrowedFd<'_>) -> Result<usize> {
    rustix::pipe::fcntl_getpipe_size(fd).map_err(|errno| {
        let err = Error::from_errno("capacity", object(fd), errno);
        if errno == Errno::BADF || errno == Errno::INVAL {
            err.with_detail("the descriptor is not a pipe")
        } else {
            err
        }
    })
}

/// `F_SETPIPE_SZ`: asks for at least `bytes` of capacity; returns what the kernel granted (a
/// power-of-two number of pages, never less than asked).
pub(crate) fn set_capacity(fd: BorrowedFd<'_>, bytes: usize) -> Result<usize> {
    const OPERATION: &str = "set_capacity";
    if bytes > LARGEST_ASK {
        return Err(Error::new(ErrorKind::InvalidArgument, OPERATION)
            .with_object(object(fd))
            .with_detail(format!(
                "{bytes} bytes asked for; F_SETPIPE_SZ takes at most {LARGEST_ASK}"
            )));
    }
    rustix::pipe::fcntl_setpipe_size(fd, bytes).map_err(|errno| match errno {
        // fcntl(2): "EPERM: An attempt was made to increase the pipe capacity above the limit
        // specified by /proc/sys/fs/pipe-max-size", or past a per-user page limit.
        Errno::PERM => resize_refused(fd, bytes, errno),
        // fcntl(2): "EBUSY: An attempt was made to decrease the pipe capacity below the amount
        // of space currently used to store data in the pipe."
        Errno::BUSY => {
            Error::from_errno_as(ErrorKind::InvalidArgument, OPERATION, object(fd), errno)
                .with_detail(format!(
                    "{bytes} bytes is less than the data the pipe holds now"
                ))
        }
        _ => Error::from_errno(OPERATION, object(fd), errno)
            .with_detail(format!("{bytes} bytes asked for")),
    })
}

/// The `EPERM` of a growing `F_SETPIPE_SZ`, naming the limit the kernel applied.
///
/// The kernel's `pipe_set_size()` refuses an unprivileged process in two places:
///
/// ```c
/// size = round_pipe_size(arg);
/// nr_slots = size >> PAGE_SHIFT;
/// if (nr_slots > pipe->max_usage &&
///         size > pipe_max_size && !capable(CAP_SYS_RESOURCE))
///     return -EPERM;
/// user_bufs = account_pipe_buffers(pipe->user, pipe->nr_accounted, nr_slots);
/// if (nr_slots > pipe->max_usage &&
///         (too_many_pipe_buffers_hard(user_bufs) ||
///          too_many_pipe_buffers_soft(user_bufs)) &&
///         pipe_is_unprivileged_user())
///     ret = -EPERM;
/// ```
///
/// So the rounded size is what meets `pipe-max-size`, and past that check the refusal is the
/// per-user page count of all the user's pipes, which this process cannot see.
fn resize_refused(fd: BorrowedFd<'_>, bytes: usize, errno: Errno) -> Error {
    let rounded = round_pipe_size(bytes, rustix::param::page_size());
    let max_limit = Limit::from_proc(PIPE_MAX_SIZE, LimitScope::SystemWide);
    let max = max_limit.current();
    let user_pages = user_pages_limit(
        Limit::from_proc(PIPE_USER_PAGES_SOFT, LimitScope::PerUser).current(),
        Limit::from_proc(PIPE_USER_PAGES_HARD, LimitScope::PerUser).current(),
    );
    let mut detail = match rounded {
        Some(rounded) if rounded != bytes => format!(
            "{bytes} bytes asked for, {rounded} once rounded up to a power-of-two number of pages"
        ),
        _ => format!("{bytes} bytes asked for"),
    };
    let over_max = match (rounded, max) {
        (Some(rounded), Some(max)) => rounded as u64 > max,
        // round_pipe_size() gives 0 (and the call EINVAL) past 2^31 bytes; unreadable /proc
        // leaves only the system-wide limit to name.
        _ => true,
    };
    let limit = match user_pages {
        Some((knob, pages)) if !over_max => {
            detail.push_str("; this user's pipes together would hold more pages than allowed");
            Limit::new(knob, LimitScope::PerUser).with_current(pages)
        }
        _ => max_limit,
    };
    Error::from_errno_as(ErrorKind::LimitReached, "set_capacity", object(fd), errno)
        .with_detail(detail)
        .with_limit(limit)
}

/// The kernel's `round_pipe_size()`: sizes below a page become one page, others the next power
/// of two; `None` past 2^31 bytes, which the kernel refuses.
fn round_pipe_size(bytes: usize, page_size: usize) -> Option<usize> {
    if bytes > 1 << 31 {
        None
    } else if bytes < page_size {
        Some(page_size)
    } else {
        Some(bytes.next_power_of_two())
    }
}

/// The per-user page limit a refused resize met: `too_many_pipe_buffers_soft()` and `_hard()`
/// treat 0 as no limit, and the lower of the two set limits is the one crossed first (the soft
/// one as configured by default: 16384 pages, and no hard limit).
fn user_pages_limit(soft: Option<u64>, hard: Option<u64>) -> Option<(&'static str, u64)> {
    let soft = soft.filter(|&pages| pages != 0);
    let hard = hard.filter(|&pages| pages != 0);
    match (soft, hard) {
        (Some(soft), Some(hard)) if hard < soft => Some((PIPE_USER_PAGES_HARD, hard)),
        (Some(soft), _) => Some((PIPE_USER_PAGES_SOFT, soft)),
        (None, Some(hard)) => Some((PIPE_USER_PAGES_HARD, hard)),
        (None, None) => None,
    }
}

/// Sets or clears `O_NONBLOCK` on the open file description.
pub(crate) fn set_nonblocking(fd: BorrowedFd<'_>, nonblocking: bool) -> Result<()> {
    let fail = |errno| Error::from_errno("set_nonblocking", object(fd), errno);
    let flags = rustix::fs::fcntl_getfl(fd).map_err(fail)?;
    let flags = if nonblocking {
        flags | OFlags::NONBLOCK
    } else {
        flags & !OFlags::NONBLOCK
    };
    rustix::fs::fcntl_setfl(fd, flags).map_err(fail)
}

/// Whether `O_NONBLOCK` is set on the open file description.
pub(crate) fn is_nonblocking(fd: BorrowedFd<'_>) -> Result<bool> {
    rustix::fs::fcntl_getfl(fd)
        .map(|flags| flags.contains(OFlags::NONBLOCK))
        .map_err(|errno| Error::from_errno("is_nonblocking", object(fd), errno))
}

/// `F_DUPFD_CLOEXEC`: a second descriptor for the same open file description.
pub(crate) fn try_clone(fd: BorrowedFd<'_>) -> Result<OwnedFd> {
    rustix::io::fcntl_dupfd_cloexec(fd, 0)
        .map_err(|errno| Error::from_errno_creating_fd("try_clone", object(fd), errno))
}

/// A second open file description of the same pipe, with `O_NONBLOCK`, private to one handle:
/// the non-blocking and bounded forms use it on descriptors that refuse `RWF_NOWAIT` (a FIFO's
/// ends, opened by path, do), so they never block and never change the blocking mode of the
/// description another process shares.
///
/// It is opened on first need through `/proc/self/fd/N` (which reaches the very pipe behind
/// `N`) and kept until the handle drops. It counts as one more reader or writer of the pipe
/// while it lives, alongside the handle's own descriptor, so end of input and `PeerGone` still
/// arrive exactly when every other process has closed its end.
#[derive(Debug, Default)]
pub(crate) struct NonBlockingTwin(OnceLock<OwnedFd>);

impl NonBlockingTwin {
    /// The twin, if it was opened before.
    #[inline]
    pub(crate) fn get(&self) -> Option<BorrowedFd<'_>> {
        self.0.get().map(OwnedFd::as_fd)
    }

    /// The twin of `fd`, opened now with `access` if it was not before.
    pub(crate) fn open(
        &self,
        fd: BorrowedFd<'_>,
        access: OFlags,
    ) -> rustix::io::Result<BorrowedFd<'_>> {
        if let Some(twin) = self.get() {
            return Ok(twin);
        }
        let link = format!("/proc/self/fd/{}", fd.as_raw_fd());
        let twin = rustix::fs::open(
            link.as_str(),
            access | OFlags::NONBLOCK | OFlags::CLOEXEC,
            Mode::empty(),
        )?;
        // A racing thread may have set it first; then ours is closed here and theirs is used.
        Ok(self.0.get_or_init(|| twin).as_fd())
    }
}

/// The error of a bounded or non-blocking call whose twin could not be opened.
pub(crate) fn twin_error(operation: &'static str, fd: BorrowedFd<'_>, errno: Errno) -> Error {
    const WHY: &str = "this descriptor refuses RWF_NOWAIT (a FIFO end), and the private \
                       non-blocking twin that stands in for it could not be opened through \
                       /proc/self/fd";
    match errno {
        // Without /proc mounted, the link is missing: the call is unsupported here, and the
        // end itself is fine.
        Errno::NOENT => Error::from_errno_as(ErrorKind::Unsupported, operation, object(fd), errno)
            .with_detail(format!("{WHY}; is /proc mounted?")),
        _ => Error::from_errno_creating_fd(operation, object(fd), errno).with_detail(WHY),
    }
}

/// The methods and trait impls [`Reader`](crate::Reader) and [`Writer`](crate::Writer) share,
/// written once. The type needs the fields `fd: OwnedFd` and `twin: NonBlockingTwin`.
///
/// - `$end`: the type;
/// - `$pair`: the pattern the examples bind `ipc_pipe::pipe()` to, naming this end `sut`;
/// - `$which`: "read" or "write", for the docs;
/// - `$stdio`: the standard streams the end can stand for in a child.
macro_rules! pipe_end {
    ($end:ident, $pair:literal, $which:literal, $stdio:literal) => {
        impl $end {
            /// The pipe's capacity in bytes (`F_GETPIPE_SZ`); 65536 by default on Linux.
            ///
            /// # Errors
            ///
            /// [`ErrorKind::InvalidArgument`](ipc_core::ErrorKind::InvalidArgument) when the
            /// descriptor is not a pipe.
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("let ", $pair, " = ipc_pipe::pipe()?;")]
            /// assert!(sut.capacity()? >= ipc_pipe::PIPE_BUF);
            /// # Ok::<(), ipc_core::Error>(())
            /// ```
            #[doc(alias = "F_GETPIPE_SZ")]
            pub fn capacity(&self) -> ipc_core::Result<usize> {
                $crate::end::capacity(std::os::fd::AsFd::as_fd(&self.fd))
            }

            /// Asks for a capacity of at least `bytes` (`F_SETPIPE_SZ`) and returns what was
            /// granted: the kernel rounds up to a power-of-two number of pages, one page at
            /// least. Both ends see the new capacity.
            ///
            /// # Errors
            ///
            /// - [`ErrorKind::LimitReached`](ipc_core::ErrorKind::LimitReached), naming the
            ///   limit and its value: when the rounded size is above
            ///   `/proc/sys/fs/pipe-max-size` (system-wide) for a process without
            ///   `CAP_SYS_RESOURCE`; or when growing would take all of this user's pipes past
            ///   `/proc/sys/fs/pipe-user-pages-soft` or `-hard` (per user, in pages) for a
            ///   process with neither `CAP_SYS_RESOURCE` nor `CAP_SYS_ADMIN`.
            /// - [`ErrorKind::InvalidArgument`](ipc_core::ErrorKind::InvalidArgument) below the
            ///   data the pipe holds now, or above `i32::MAX` bytes.
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("let ", $pair, " = ipc_pipe::pipe()?;")]
            /// let granted = sut.set_capacity(5000)?;
            /// assert!(granted >= 5000 && granted.is_power_of_two());
            /// assert_eq!(sut.capacity()?, granted);
            /// # Ok::<(), ipc_core::Error>(())
            /// ```
            ///
            /// # References
            ///
            /// - [`fcntl(2)`](https://man7.org/linux/man-pages/man2/fcntl.2.html), "Changing
            ///   the capacity of a pipe"
            #[doc(alias = "F_SETPIPE_SZ")]
            pub fn set_capacity(&self, bytes: usize) -> ipc_core::Result<usize> {
                $crate::end::set_capacity(std::os::fd::AsFd::as_fd(&self.fd), bytes)
            }

            /// Sets or clears `O_NONBLOCK`. The flag belongs to the open file description, so
            /// it also changes the behaviour of every process that shares this end; prefer the
            /// `try_` and bounded forms, which never need it.
            ///
            /// # Errors
            ///
            /// The OS error of `fcntl(2)`.
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("let ", $pair, " = ipc_pipe::pipe()?;")]
            /// sut.set_nonblocking(true)?;
            /// assert!(sut.is_nonblocking()?);
            /// # Ok::<(), ipc_core::Error>(())
            /// ```
            pub fn set_nonblocking(&self, nonblocking: bool) -> ipc_core::Result<()> {
                $crate::end::set_nonblocking(std::os::fd::AsFd::as_fd(&self.fd), nonblocking)
            }

            /// Whether `O_NONBLOCK` is set on the open file description.
            ///
            /// # Errors
            ///
            /// The OS error of `fcntl(2)`.
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("let ", $pair, " = ipc_pipe::pipe()?;")]
            /// assert!(!sut.is_nonblocking()?, "ends are made blocking");
            /// # Ok::<(), ipc_core::Error>(())
            /// ```
            pub fn is_nonblocking(&self) -> ipc_core::Result<bool> {
                $crate::end::is_nonblocking(std::os::fd::AsFd::as_fd(&self.fd))
            }

            /// A second handle to the same end (`F_DUPFD_CLOEXEC`), sharing its open file
            /// description and so its `O_NONBLOCK` flag. The other side sees this end closed
            /// only once every handle is.
            ///
            /// # Errors
            ///
            /// [`ErrorKind::LimitReached`](ipc_core::ErrorKind::LimitReached) when the process
            /// or the system is out of descriptors, naming `RLIMIT_NOFILE` or
            /// `/proc/sys/fs/file-max`.
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("let ", $pair, " = ipc_pipe::pipe()?;")]
            /// let second = sut.try_clone()?;
            /// assert_ne!(
            ///     std::os::fd::AsRawFd::as_raw_fd(&second),
            ///     std::os::fd::AsRawFd::as_raw_fd(&sut),
            /// );
            /// # Ok::<(), ipc_core::Error>(())
            /// ```
            #[doc(alias = "dup")]
            pub fn try_clone(&self) -> ipc_core::Result<Self> {
                $crate::end::try_clone(std::os::fd::AsFd::as_fd(&self.fd)).map(Self::from)
            }
        }

        impl std::os::fd::AsFd for $end {
            fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
                std::os::fd::AsFd::as_fd(&self.fd)
            }
        }

        impl std::os::fd::AsRawFd for $end {
            fn as_raw_fd(&self) -> std::os::fd::RawFd {
                std::os::fd::AsRawFd::as_raw_fd(&self.fd)
            }
        }

        #[doc = concat!("Wraps a descriptor that is the ", $which, " end of a pipe or FIFO. ")]
        /// Nothing is checked: calls on another kind of descriptor fail with that descriptor's
        /// errors.
        impl From<std::os::fd::OwnedFd> for $end {
            fn from(fd: std::os::fd::OwnedFd) -> Self {
                Self {
                    fd,
                    twin: $crate::end::NonBlockingTwin::default(),
                }
            }
        }

        impl From<$end> for std::os::fd::OwnedFd {
            fn from(end: $end) -> Self {
                end.fd
            }
        }

        #[doc = concat!("Hands the end to a child process as its ", $stdio, ".")]
        impl From<$end> for std::process::Stdio {
            fn from(end: $end) -> Self {
                std::process::Stdio::from(end.fd)
            }
        }

        impl std::fmt::Debug for $end {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($end))
                    .field("fd", &std::os::fd::AsRawFd::as_raw_fd(&self.fd))
                    .finish()
            }
        }
    };
}

pub(crate) use pipe_end;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_pipe_size_rounds_up_to_a_power_of_two_number_of_pages() {
        for (bytes, page, rounded) in [
            (0, 4096, Some(4096)),
            (1, 4096, Some(4096)),
            (4096, 4096, Some(4096)),
            (4097, 4096, Some(8192)),
            (65_536, 4096, Some(65_536)),
            (65_537, 4096, Some(131_072)),
            (1_000_000, 4096, Some(1 << 20)),
            (1 << 20, 4096, Some(1 << 20)),
            ((1 << 20) + 1, 4096, Some(1 << 21)),
            (4097, 65_536, Some(65_536)),
            (65_537, 65_536, Some(131_072)),
            (1 << 31, 4096, Some(1 << 31)),
            ((1 << 31) + 1, 4096, None),
        ] {
            assert_eq!(
                round_pipe_size(bytes, page),
                rounded,
                "{bytes} bytes with {page}-byte pages"
            );
        }
    }

    #[test]
    fn the_lower_nonzero_per_user_page_limit_is_the_one_named() {
        let soft = |pages| Some((PIPE_USER_PAGES_SOFT, pages));
        let hard = |pages| Some((PIPE_USER_PAGES_HARD, pages));
        for (limits, named) in [
            ((Some(16384), Some(0)), soft(16384)),
            ((Some(16384), Some(32768)), soft(16384)),
            ((Some(16384), Some(16384)), soft(16384)),
            ((Some(16384), Some(100)), hard(100)),
            ((Some(0), Some(100)), hard(100)),
            ((None, Some(100)), hard(100)),
            ((Some(0), Some(0)), None),
            ((None, None), None),
        ] {
            assert_eq!(user_pages_limit(limits.0, limits.1), named, "{limits:?}");
        }
    }

    #[test]
    fn a_set_capacity_past_what_f_setpipe_sz_takes_is_invalid_argument() {
        let (_reader, sut) = rustix::pipe::pipe().unwrap();
        let err = set_capacity(sut.as_fd(), LARGEST_ASK + 1).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
    }
}
