//! The raw `mq_notify` system call and the netlink socket its descriptor form writes to.
//!
//! glibc's `mq_notify` runs a `SIGEV_THREAD` notification by starting a thread of its own that
//! calls a C function pointer; Rust closures must not go there. Under it the kernel offers the
//! form this module uses directly (`<linux/mqueue.h>`): with `sigev_notify = SIGEV_THREAD`,
//! `sigev_signo` is a netlink socket and `sigev_value.sival_ptr` points to a cookie of
//! `NOTIFY_COOKIE_LEN` (32) bytes; "the last byte of the cookie is replaced with the NOTIFY_??
//! codes: NOTIFY_WOKENUP if the notification got triggered, NOTIFY_REMOVED if it was removed"
//! and the 32 bytes are sent to the socket. So the raw system call is made, not glibc's
//! wrapper (which would start its thread).
#![allow(
    unsafe_code,
    reason = "the mq_notify system call takes a raw pointer to a C struct"
)]

use std::ffi::c_void;
use std::mem::offset_of;
use std::os::fd::{AsRawFd, BorrowedFd, OwnedFd};

use rustix::io::Errno;
use rustix::net::{AddressFamily, RecvFlags, SocketFlags, SocketType};

use super::mq::last_errno;

/// The length of the cookie the kernel sends back (`NOTIFY_COOKIE_LEN`).
pub(crate) const COOKIE_LEN: usize = 32;
/// The last cookie byte when a message arrived in the empty queue (`NOTIFY_WOKENUP`).
pub(crate) const WOKENUP: u8 = 1;
/// The last cookie byte when the registration was removed (`NOTIFY_REMOVED`).
pub(crate) const REMOVED: u8 = 2;

/// `union sigval` as the kernel reads it: an `int` or a pointer, at offset 0.
#[repr(C)]
#[derive(Clone, Copy)]
union Sigval {
    int: libc::c_int,
    ptr: *mut c_void,
}

/// The preamble of the kernel's `struct sigevent` (`include/uapi/asm-generic/siginfo.h`): value,
/// signal number, notification kind; the rest pads it to `SIGEV_MAX_SIZE` (64 bytes) and is
/// unused by `mq_notify`.
#[repr(C)]
struct Sigevent {
    value: Sigval,
    signo: libc::c_int,
    notify: libc::c_int,
    pad: [libc::c_int; SIGEV_PAD],
}

/// `SIGEV_PAD_SIZE`: `(SIGEV_MAX_SIZE - __ARCH_SIGEV_PREAMBLE_SIZE) / sizeof(int)`.
const SIGEV_PAD: usize =
    (64 - 2 * size_of::<libc::c_int>() - size_of::<Sigval>()) / size_of::<libc::c_int>();

// The layout the kernel copies in `mq_notify` (`copy_from_user(&n, u_notification,
// sizeof(struct sigevent))`), checked against the C library's.
const _: () = assert!(size_of::<Sigevent>() == 64);
const _: () = assert!(size_of::<Sigevent>() == size_of::<libc::sigevent>());
const _: () = assert!(align_of::<Sigevent>() == align_of::<libc::sigevent>());
const _: () = assert!(offset_of!(Sigevent, value) == offset_of!(libc::sigevent, sigev_value));
const _: () = assert!(offset_of!(Sigevent, signo) == offset_of!(libc::sigevent, sigev_signo));
const _: () = assert!(offset_of!(Sigevent, notify) == offset_of!(libc::sigevent, sigev_notify));
const _: () = assert!(size_of::<Sigval>() == size_of::<libc::sigval>());

impl Sigval {
    /// A `sigval` holding the `int` `value`, the rest of the union zero: on a 64-bit target
    /// the union is pointer-sized, and the kernel copies (and hands the signal handler) all
    /// of it, so no byte of it may be left undefined.
    fn from_int(value: libc::c_int) -> Self {
        let mut sigval = Self {
            ptr: std::ptr::null_mut(),
        };
        sigval.int = value;
        sigval
    }
}

impl Sigevent {
    fn new(notify: libc::c_int, signo: libc::c_int, value: Sigval) -> Self {
        Self {
            value,
            signo,
            notify,
            pad: [0; SIGEV_PAD],
        }
    }
}

/// A new netlink socket for the kernel's notification: `NETLINK_ROUTE`, raw, non-blocking
/// (so it can be polled and read without ever blocking) and close-on-exec. It is never
/// bound, so no other process can address it; only the kernel's `mq_notify` writes to it.
pub(crate) fn socket() -> Result<OwnedFd, Errno> {
    rustix::net::socket_with(
        AddressFamily::NETLINK,
        SocketType::RAW,
        SocketFlags::CLOEXEC | SocketFlags::NONBLOCK,
        None,
    )
}

/// Registers the calling process for the descriptor form: the kernel copies `cookie` now and
/// later sends it, last byte replaced, to `socket`.
pub(crate) fn register_socket(
    mqd: BorrowedFd<'_>,
    socket: BorrowedFd<'_>,
    cookie: &[u8; COOKIE_LEN],
) -> Result<(), Errno> {
    let value = Sigval {
        ptr: cookie.as_ptr().cast_mut().cast::<c_void>(),
    };
    let event = Sigevent::new(libc::SIGEV_THREAD, socket.as_raw_fd(), value);
    raw_notify(mqd, Some(&event))
}

/// Registers the calling process for the signal form: `signal` with `si_value.sival_int =
/// value` and `si_code = SI_MESGQ`.
pub(crate) fn register_signal(
    mqd: BorrowedFd<'_>,
    signal: libc::c_int,
    value: libc::c_int,
) -> Result<(), Errno> {
    let event = Sigevent::new(libc::SIGEV_SIGNAL, signal, Sigval::from_int(value));
    raw_notify(mqd, Some(&event))
}

/// Removes the calling process's registration, if it holds the queue's; the kernel ignores
/// the call otherwise.
pub(crate) fn unregister(mqd: BorrowedFd<'_>) -> Result<(), Errno> {
    raw_notify(mqd, None)
}

/// Reads one notification from `socket` without blocking: the bytes (up to one more than a
/// cookie, so a longer message shows) and the length the kernel had, which may be larger.
pub(crate) fn receive(socket: BorrowedFd<'_>) -> Result<([u8; COOKIE_LEN + 1], usize), Errno> {
    let mut buffer = [0; COOKIE_LEN + 1];
    let (_, len) = rustix::net::recv(socket, &mut buffer, RecvFlags::DONTWAIT | RecvFlags::TRUNC)?;
    Ok((buffer, len))
}

fn raw_notify(mqd: BorrowedFd<'_>, event: Option<&Sigevent>) -> Result<(), Errno> {
    let ptr: *const Sigevent = event.map_or(std::ptr::null(), std::ptr::from_ref);
    // SAFETY: `mqd` is open for the call (a borrowed fd); `ptr` is null or points to a
    // 64-byte `Sigevent` laid out as the kernel's `struct sigevent` (asserted above) that lives
    // on the caller's stack for the call; for `SIGEV_THREAD` its pointer leads to a cookie of
    // `COOKIE_LEN` readable bytes, which the kernel copies before returning.
    let rc = unsafe { libc::syscall(libc::SYS_mq_notify, mqd.as_raw_fd(), ptr) };
    if rc == 0 { Ok(()) } else { Err(last_errno()) }
}
