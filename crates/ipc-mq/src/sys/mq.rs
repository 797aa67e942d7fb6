//! The C library's `mq_*` functions. On Linux an `mqd_t` is a file descriptor, so a queue
//! descriptor is held as an [`OwnedFd`] and closed with `close` (glibc's `mq_close` is
//! `close`).
#![allow(
    unsafe_code,
    reason = "the mq_* functions take raw pointers to names, buffers and attribute structs"
)]

use std::ffi::CStr;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::sync::OnceLock;

use rustix::io::Errno;
use rustix::time::Timespec;

// On Linux `mqd_t` is an `int` descriptor; the handle relies on it.
const _: () = assert!(size_of::<libc::mqd_t>() == size_of::<libc::c_int>());

/// The attributes of a queue as `mq_getattr` reports them.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RawAttr {
    pub(crate) flags: libc::c_long,
    pub(crate) max_messages: libc::c_long,
    pub(crate) max_message_size: libc::c_long,
    pub(crate) current_messages: libc::c_long,
}

/// When a send or receive gives up.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Until {
    /// Block as long as it takes (`mq_send`, `mq_receive`).
    Forever,
    /// Give up at this `CLOCK_REALTIME` time (`mq_timedsend`, `mq_timedreceive`); a time
    /// already past makes the call return `ETIMEDOUT` at once instead of blocking.
    Realtime(Timespec),
}

/// `mq_open`: opens (and with `O_CREAT` creates, with `mode` and the given sizes) the queue
/// `name`. `oflag` must hold `O_CLOEXEC`.
pub(crate) fn open(
    name: &CStr,
    oflag: libc::c_int,
    mode: libc::mode_t,
    sizes: Option<(libc::c_long, libc::c_long)>,
) -> Result<OwnedFd, Errno> {
    let mut attr = zeroed_attr();
    let attr_ptr: *mut libc::mq_attr = match sizes {
        Some((max_messages, max_message_size)) => {
            attr.mq_maxmsg = max_messages;
            attr.mq_msgsize = max_message_size;
            &mut attr
        }
        None => std::ptr::null_mut(),
    };
    // SAFETY: `name` is a NUL-terminated string; `attr_ptr` is null or points to `attr`, a
    // valid `mq_attr` on the stack for the call; the variadic mode and attr arguments are
    // passed with the types `mq_open(3)` reads them as (`mode_t`, `struct mq_attr *`).
    let mqd = unsafe { libc::mq_open(name.as_ptr(), oflag, mode, attr_ptr) };
    if mqd < 0 {
        return Err(last_errno());
    }
    // SAFETY: `mq_open` returned a new descriptor that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(mqd) })
}

/// `mq_unlink`: removes the name `name`; queues open elsewhere live on until closed.
pub(crate) fn unlink(name: &CStr) -> Result<(), Errno> {
    // SAFETY: `name` is a NUL-terminated string.
    check(unsafe { libc::mq_unlink(name.as_ptr()) })
}

/// `mq_getattr`.
pub(crate) fn getattr(mqd: BorrowedFd<'_>) -> Result<RawAttr, Errno> {
    let mut attr = zeroed_attr();
    // SAFETY: `mqd` is an open queue descriptor (a borrowed fd stays open for the call);
    // `attr` is a valid `mq_attr` on the stack.
    check(unsafe { libc::mq_getattr(mqd.as_raw_fd(), &mut attr) })?;
    Ok(RawAttr {
        flags: attr.mq_flags,
        max_messages: attr.mq_maxmsg,
        max_message_size: attr.mq_msgsize,
        current_messages: attr.mq_curmsgs,
    })
}

/// `mq_setattr`: sets or clears `O_NONBLOCK` on the open queue description, the one flag
/// `mq_setattr(3)` changes ("The only attribute that can be modified is the setting of the
/// O_NONBLOCK flag in mq_flags").
pub(crate) fn set_nonblocking(mqd: BorrowedFd<'_>, nonblocking: bool) -> Result<(), Errno> {
    let mut attr = zeroed_attr();
    attr.mq_flags = if nonblocking {
        libc::c_long::from(libc::O_NONBLOCK)
    } else {
        0
    };
    // SAFETY: `mqd` is open for the call; `attr` is a valid `mq_attr` on the stack, and the
    // old-attributes pointer may be null.
    check(unsafe { libc::mq_setattr(mqd.as_raw_fd(), &attr, std::ptr::null_mut()) })
}

/// `mq_send` or `mq_timedsend`: queues `message` at `priority`.
pub(crate) fn send(
    mqd: BorrowedFd<'_>,
    message: &[u8],
    priority: u32,
    until: Until,
) -> Result<(), Errno> {
    let ptr = message.as_ptr().cast::<libc::c_char>();
    match until {
        Until::Forever => {
            // SAFETY: `mqd` is open for the call; `ptr` points to `message.len()` readable
            // bytes.
            check(unsafe { libc::mq_send(mqd.as_raw_fd(), ptr, message.len(), priority) })
        }
        Until::Realtime(at) => {
            let abstime = timespec(at);
            // SAFETY: as above; `abstime` is a valid timespec on the stack for the call.
            check(unsafe {
                libc::mq_timedsend(mqd.as_raw_fd(), ptr, message.len(), priority, &abstime)
            })
        }
    }
}

/// `mq_receive` or `mq_timedreceive`: takes the oldest message of the highest priority into
/// `buffer`, which must hold at least the queue's `mq_msgsize` bytes; returns its length and
/// priority.
pub(crate) fn receive(
    mqd: BorrowedFd<'_>,
    buffer: &mut [u8],
    until: Until,
) -> Result<(usize, u32), Errno> {
    let ptr = buffer.as_mut_ptr().cast::<libc::c_char>();
    let mut priority: libc::c_uint = 0;
    let received = match until {
        Until::Forever => {
            // SAFETY: `mqd` is open for the call; `ptr` points to `buffer.len()` writable
            // bytes; `priority` is a valid unsigned int on the stack.
            unsafe { libc::mq_receive(mqd.as_raw_fd(), ptr, buffer.len(), &mut priority) }
        }
        Until::Realtime(at) => {
            let abstime = timespec(at);
            // SAFETY: as above; `abstime` is a valid timespec on the stack for the call.
            unsafe {
                libc::mq_timedreceive(mqd.as_raw_fd(), ptr, buffer.len(), &mut priority, &abstime)
            }
        }
    };
    match usize::try_from(received) {
        Ok(len) => Ok((len, priority)),
        Err(_) => Err(last_errno()),
    }
}

/// `sysconf(_SC_MQ_PRIO_MAX)`: one more than the highest priority a message may have
/// (32768 on Linux), read once.
pub(crate) fn prio_max() -> u32 {
    static PRIO_MAX: OnceLock<u32> = OnceLock::new();
    *PRIO_MAX.get_or_init(|| {
        // SAFETY: `sysconf` only reads a configuration value.
        let value = unsafe { libc::sysconf(libc::_SC_MQ_PRIO_MAX) };
        // Linux's MQ_PRIO_MAX, should sysconf not know it.
        u32::try_from(value).unwrap_or(32_768)
    })
}

fn timespec(at: Timespec) -> libc::timespec {
    libc::timespec {
        tv_sec: at.tv_sec,
        tv_nsec: at.tv_nsec,
    }
}

fn zeroed_attr() -> libc::mq_attr {
    // SAFETY: `mq_attr` is a plain C struct of integers, for which all zeroes is valid.
    unsafe { std::mem::zeroed() }
}

/// The result of a call that returns 0 or -1 with `errno`.
fn check(rc: libc::c_int) -> Result<(), Errno> {
    if rc == 0 { Ok(()) } else { Err(last_errno()) }
}

/// The `errno` a failed call left, for the calls made through the C library (`mq_*`) or
/// `libc::syscall` (`mq_notify`), which report through `errno` rather than return it.
pub(crate) fn last_errno() -> Errno {
    Errno::from_io_error(&std::io::Error::last_os_error()).unwrap_or(Errno::IO)
}
