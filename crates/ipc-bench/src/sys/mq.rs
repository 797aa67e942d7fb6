//! The raw baseline's POSIX message queues: `mq_open`, `mq_send` and `mq_receive` called as a C
//! program would.
#![allow(
    unsafe_code,
    reason = "the raw baseline calls libc's mq_open, mq_send and mq_receive directly"
)]

use std::ffi::CStr;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

use super::fd::retry_on_eintr;

// On Linux an `mqd_t` is an `int` file descriptor ("On Linux, a message queue descriptor is
// actually a file descriptor", mq_overview(7)), so it is held as an `OwnedFd` and closed with
// `close` (glibc's `mq_close` is `close`).
const _: () = assert!(size_of::<libc::mqd_t>() == size_of::<libc::c_int>());

/// A queue descriptor from `mq_open`, closed on drop.
pub(crate) struct RawQueue {
    fd: OwnedFd,
}

impl RawQueue {
    /// `mq_open(name, O_RDWR | O_CLOEXEC)`: opens an existing queue for sending and receiving.
    ///
    /// # Errors
    /// The `mq_open` error (`ENOENT` when `name` does not exist).
    pub(crate) fn open(name: &CStr) -> io::Result<Self> {
        // SAFETY: `name` is a NUL-terminated string that outlives the call; without `O_CREAT`,
        // mq_open reads no variadic argument.
        let mqd = unsafe { libc::mq_open(name.as_ptr(), libc::O_RDWR | libc::O_CLOEXEC) };
        if mqd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `mq_open` just returned `mqd`, an open descriptor nothing else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(mqd) };
        Ok(Self { fd })
    }

    /// `mq_send(mqd, buf, len, 0)`, blocking while the queue is full and retrying `EINTR`.
    ///
    /// # Errors
    /// The `mq_send` error (`EMSGSIZE` for a message over the queue's size).
    #[inline]
    pub(crate) fn send(&self, buf: &[u8]) -> io::Result<()> {
        loop {
            // SAFETY: `buf` is a live, readable slice of `buf.len()` bytes for the call, and the
            // descriptor is open while `self` lives.
            let rc =
                unsafe { libc::mq_send(self.fd.as_raw_fd(), buf.as_ptr().cast(), buf.len(), 0) };
            if rc == 0 {
                return Ok(());
            }
            retry_on_eintr()?;
        }
    }

    /// `mq_receive(mqd, buf, len, NULL)`, blocking while the queue is empty and retrying
    /// `EINTR`; returns the message's length. `buf` must hold the queue's message size.
    ///
    /// # Errors
    /// The `mq_receive` error (`EMSGSIZE` for a buffer under the queue's message size).
    #[inline]
    pub(crate) fn receive(&self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            // SAFETY: `buf` is a live, writable slice of `buf.len()` bytes for the call, the
            // descriptor is open while `self` lives, and a null priority pointer is allowed
            // ("If msg_prio is not NULL, then …", mq_receive(3)).
            let n = unsafe {
                libc::mq_receive(
                    self.fd.as_raw_fd(),
                    buf.as_mut_ptr().cast(),
                    buf.len(),
                    std::ptr::null_mut(),
                )
            };
            if let Ok(n) = usize::try_from(n) {
                return Ok(n);
            }
            retry_on_eintr()?;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opening_a_missing_queue_fails_with_not_found() {
        let name = ipc_core::ObjectName::unique("ipc-rs-test-bench-mq-missing").unwrap();
        let sut = RawQueue::open(name.as_c_str());
        assert_eq!(sut.err().map(|e| e.kind()), Some(io::ErrorKind::NotFound));
    }

    #[test]
    fn a_message_sent_raw_is_received_raw_whole() {
        let name = ipc_core::ObjectName::unique("ipc-rs-test-bench-mq-raw").unwrap();
        let _queue = ipc_mq::Queue::builder()
            .max_messages(2)
            .max_message_size(64)
            .create_new(&name)
            .unwrap();
        let sut = RawQueue::open(name.as_c_str()).unwrap();
        sut.send(b"ping").unwrap();
        let mut buf = [0u8; 64];
        assert_eq!(sut.receive(&mut buf).unwrap(), 4);
        assert_eq!(&buf[..4], b"ping");
    }
}
