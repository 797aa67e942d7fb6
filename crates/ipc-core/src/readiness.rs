//! Bounded readiness waits on a descriptor.

use std::os::fd::BorrowedFd;

use rustix::event::{PollFd, PollFlags, poll};
use rustix::io::Errno;

use crate::deadline::Wait;

/// Waits until `fd` reports one of `events` (or an error or hang-up condition), for as long as
/// `wait` allows, retrying `EINTR` with the time that is left.
///
/// Returns the events `poll(2)` reported, which may include `POLLERR`, `POLLHUP` or `POLLNVAL`
/// even when not asked for: the caller's next read or write tells what they mean.
///
/// # Errors
///
/// `EAGAIN` for [`Wait::NonBlocking`] when nothing is ready, `ETIMEDOUT` when a bounded wait ran
/// out, or the error of `poll(2)` itself. Callers turn these into an [`Error`](crate::Error)
/// that names their operation and object.
///
/// # Examples
///
/// ```
/// use std::os::fd::AsFd;
/// use std::time::Duration;
/// use rustix::event::PollFlags;
/// use rustix::io::Errno;
///
/// let (reader, writer) = rustix::pipe::pipe()?;
/// // Nothing written yet: not readable within 10 ms.
/// let waited = ipc_core::wait_ready(reader.as_fd(), PollFlags::IN, ipc_core::Wait::timeout(Duration::from_millis(10)));
/// assert_eq!(waited, Err(Errno::TIMEDOUT));
/// rustix::io::write(&writer, b"x")?;
/// let ready = ipc_core::wait_ready(reader.as_fd(), PollFlags::IN, ipc_core::Wait::NonBlocking)?;
/// assert!(ready.contains(PollFlags::IN));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[doc(alias = "poll")]
pub fn wait_ready(
    fd: BorrowedFd<'_>,
    events: PollFlags,
    wait: Wait,
) -> rustix::io::Result<PollFlags> {
    wait.retry(|wait| {
        let mut fds = [PollFd::from_borrowed_fd(fd, events)];
        let timeout = wait.timespec();
        match poll(&mut fds, timeout.as_ref())? {
            0 if wait == Wait::NonBlocking => Err(Errno::AGAIN),
            0 => match wait.remaining() {
                // poll rounds its timeout; only give up once the deadline has really passed.
                Some(left) if !left.is_zero() => Err(Errno::INTR),
                _ => Err(Errno::TIMEDOUT),
            },
            _ => Ok(fds[0].revents()),
        }
    })
}
