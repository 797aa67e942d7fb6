//! Peer identity: the credentials a Unix socket carries (`SO_PEERCRED`, `SCM_CREDENTIALS`) and
//! the peer's pidfd (`SO_PEERPIDFD`).

use std::os::fd::OwnedFd;

use ipc_core::{Error, ErrorKind, Result};
use rustix::io::Errno;

use crate::socket::Socket;
use crate::sys::ancillary as sys;

/// A process's identity as a Unix socket reports it: `struct ucred`.
///
/// From [`UnixStream::peer_credentials`](crate::UnixStream::peer_credentials) (`SO_PEERCRED`:
/// the peer's identity when it connected), or with a message from
/// [`UnixStream::receive_message`](crate::UnixStream::receive_message) once
/// [`set_pass_credentials`](crate::UnixStream::set_pass_credentials) is on (`SCM_CREDENTIALS`:
/// the sender's identity when it sent, checked by the kernel).
///
/// The ids are as seen from the receiver's namespaces: a pid the receiver's pid namespace
/// cannot see is `0`, and an unmapped uid or gid is the overflow id (65534).
///
/// # Examples
///
/// ```
/// let (a, _b) = ipc_sock::UnixStream::pair()?;
/// assert_eq!(a.peer_credentials()?, ipc_sock::Credentials::current());
/// # Ok::<(), ipc_core::Error>(())
/// ```
///
/// # References
///
/// - [`unix(7)`](https://man7.org/linux/man-pages/man7/unix.7.html), `SO_PEERCRED`,
///   `SCM_CREDENTIALS`
#[doc(alias = "ucred")]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Credentials {
    /// The process id (the thread-group id).
    pub pid: u32,
    /// The user id.
    pub uid: u32,
    /// The group id.
    pub gid: u32,
}

/// The size of `struct ucred`: three 32-bit ids.
pub(crate) const UCRED_LEN: usize = 12;

const _: () = assert!(size_of::<libc::ucred>() == UCRED_LEN);
const _: () = assert!(std::mem::offset_of!(libc::ucred, pid) == 0);
const _: () = assert!(std::mem::offset_of!(libc::ucred, uid) == 4);
const _: () = assert!(std::mem::offset_of!(libc::ucred, gid) == 8);

impl Credentials {
    /// This process's pid, real uid and real gid: what it may send as `SCM_CREDENTIALS`
    /// without privilege, and what the kernel reports for it by default.
    ///
    /// # Examples
    ///
    /// ```
    /// let me = ipc_sock::Credentials::current();
    /// assert_eq!(me.pid, std::process::id());
    /// ```
    pub fn current() -> Self {
        Self {
            pid: std::process::id(),
            uid: rustix::process::getuid().as_raw(),
            gid: rustix::process::getgid().as_raw(),
        }
    }

    /// The `struct ucred` bytes of these credentials, for `SCM_CREDENTIALS`.
    pub(crate) fn to_bytes(self) -> [u8; UCRED_LEN] {
        let mut bytes = [0; UCRED_LEN];
        bytes[..4].copy_from_slice(&self.pid.to_ne_bytes());
        bytes[4..8].copy_from_slice(&self.uid.to_ne_bytes());
        bytes[8..].copy_from_slice(&self.gid.to_ne_bytes());
        bytes
    }

    /// Credentials from `struct ucred` bytes; `None` unless there are exactly 12.
    pub(crate) fn from_bytes(bytes: &[u8]) -> Option<Self> {
        let bytes: &[u8; UCRED_LEN] = bytes.try_into().ok()?;
        let id = |at: usize| {
            u32::from_ne_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
        };
        Some(Self {
            pid: id(0),
            uid: id(4),
            gid: id(8),
        })
    }
}

/// `SO_PEERCRED` of `socket`.
pub(crate) fn peer_credentials(socket: &Socket) -> Result<Credentials> {
    const OPERATION: &str = "getsockopt(SO_PEERCRED)";
    let raw = sys::peer_credentials(socket.fd()).map_err(|errno| socket.error(OPERATION, errno))?;
    Ok(Credentials {
        pid: raw.pid.unsigned_abs(),
        uid: raw.uid,
        gid: raw.gid,
    })
}

/// `SO_PEERPIDFD` of `socket`, with the kernel's refusals mapped.
///
/// | errno | kind | why |
/// |---|---|---|
/// | `ENOPROTOOPT` | `Unsupported` | the kernel predates Linux 6.5 |
/// | `ESRCH` | `PeerGone` | the peer process has exited and been reaped (kernels before 6.9 refuse those) |
/// | `ENODATA` | `PeerGone` | the socket has no peer process recorded (not connected) |
pub(crate) fn peer_pidfd(socket: &Socket) -> Result<OwnedFd> {
    const OPERATION: &str = "getsockopt(SO_PEERPIDFD)";
    sys::peer_pidfd(socket.fd()).map_err(|errno| match errno {
        Errno::NOPROTOOPT => Error::from_errno_as(
            ErrorKind::Unsupported,
            OPERATION,
            socket.object().clone(),
            errno,
        )
        .with_detail("the kernel has no SO_PEERPIDFD (it came in Linux 6.5); use peer_credentials"),
        Errno::SRCH | Errno::NODATA => Error::from_errno_as(
            ErrorKind::PeerGone,
            OPERATION,
            socket.object().clone(),
            errno,
        )
        .with_detail("no peer process to refer to"),
        _ => socket.error(OPERATION, errno),
    })
}

/// Sets or clears `SO_PASSCRED` on `socket`.
pub(crate) fn set_pass_credentials(socket: &Socket, on: bool) -> Result<()> {
    sys::set_pass_credentials(socket.fd(), on)
        .map_err(|errno| socket.error("setsockopt(SO_PASSCRED)", errno))
}

/// Whether `SO_PASSCRED` is on.
pub(crate) fn pass_credentials(socket: &Socket) -> Result<bool> {
    sys::pass_credentials(socket.fd())
        .map_err(|errno| socket.error("getsockopt(SO_PASSCRED)", errno))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn credentials_round_trip_through_ucred_bytes(pid: u32, uid: u32, gid: u32) {
            let sut = Credentials { pid, uid, gid };
            prop_assert_eq!(Credentials::from_bytes(&sut.to_bytes()), Some(sut));
        }

        #[test]
        fn any_other_length_is_not_a_ucred(bytes in proptest::collection::vec(any::<u8>(), 0..40)) {
            prop_assume!(bytes.len() != UCRED_LEN);
            prop_assert_eq!(Credentials::from_bytes(&bytes), None);
        }
    }

    #[test]
    fn the_bytes_are_libcs_ucred() {
        let sut = Credentials {
            pid: 1,
            uid: 2,
            gid: 3,
        };
        let bytes = sut.to_bytes();
        assert_eq!(&bytes[..4], &1_i32.to_ne_bytes());
        assert_eq!(&bytes[8..], &3_u32.to_ne_bytes());
    }
}
