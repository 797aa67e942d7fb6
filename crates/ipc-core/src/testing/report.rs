//! The parent's end of the report pipe, and the bounded readiness wait it and the pidfd share.

use std::fs::File;
use std::io::{self, Read};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::time::{Duration, Instant};

use rustix::event::{PollFd, PollFlags, Timespec, poll};

/// The instant `timeout` from now, or `None` (no bound) when that is past what `Instant` holds.
pub(super) fn deadline_after(timeout: Duration) -> Option<Instant> {
    Instant::now().checked_add(timeout)
}

/// Waits until `fd` is readable (or hung up) or `deadline` passes; `Ok(false)` on the deadline.
///
/// `EINTR` is retried with the time that is left. The wait lasts at least until the deadline:
/// an early return of `poll` is waited again.
pub(super) fn wait_readable(fd: BorrowedFd<'_>, deadline: Option<Instant>) -> io::Result<bool> {
    loop {
        let timeout = match deadline {
            None => None,
            Some(deadline) => {
                let left = deadline.saturating_duration_since(Instant::now());
                // A duration too large for a timespec is as good as no bound.
                Timespec::try_from(left).ok()
            }
        };
        let mut fds = [PollFd::from_borrowed_fd(fd, PollFlags::IN)];
        match poll(&mut fds, timeout.as_ref()) {
            Ok(0) => {
                if deadline.is_some_and(|deadline| Instant::now() >= deadline) {
                    return Ok(false);
                }
            }
            // IN, HUP or ERR: a read or wait will not block.
            Ok(_) => return Ok(true),
            Err(rustix::io::Errno::INTR) => {}
            Err(err) => return Err(err.into()),
        }
    }
}

/// Splits the bytes of the report pipe into lines.
#[derive(Debug)]
pub(super) struct ReportReader {
    pipe: File,
    pending: Vec<u8>,
    closed: bool,
}

impl ReportReader {
    pub(super) fn new(pipe: OwnedFd) -> Self {
        Self {
            pipe: File::from(pipe),
            pending: Vec::new(),
            closed: false,
        }
    }

    /// The next report line, `None` once the child closed the pipe and every line was read.
    ///
    /// # Errors
    ///
    /// `TimedOut` if no whole line came by `deadline`; what `poll` or `read` returned otherwise.
    pub(super) fn next(&mut self, deadline: Option<Instant>) -> io::Result<Option<String>> {
        loop {
            if let Some(end) = self.pending.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = self.pending.drain(..=end).collect();
                let line = &line[..end];
                return Ok(Some(String::from_utf8_lossy(line).into_owned()));
            }
            if self.closed {
                // Reports are written whole, so leftovers mean a child that wrote to the pipe by
                // other means; hand them out rather than hide them.
                if self.pending.is_empty() {
                    return Ok(None);
                }
                let rest = std::mem::take(&mut self.pending);
                return Ok(Some(String::from_utf8_lossy(&rest).into_owned()));
            }
            if !wait_readable(self.pipe.as_fd(), deadline)? {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "no report from the child before the deadline",
                ));
            }
            let mut chunk = [0_u8; 1024];
            match self.pipe.read(&mut chunk) {
                Ok(0) => self.closed = true,
                Ok(n) => self.pending.extend_from_slice(&chunk[..n]),
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(err) => return Err(err),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn pipe() -> (ReportReader, std::io::PipeWriter) {
        let (reader, writer) = std::io::pipe().unwrap();
        (ReportReader::new(OwnedFd::from(reader)), writer)
    }

    #[test]
    fn lines_split_across_writes_come_out_whole_and_in_order() {
        let (mut sut, mut writer) = pipe();
        writer.write_all(b"one\ntw").unwrap();
        let deadline = deadline_after(Duration::from_secs(10));
        assert_eq!(sut.next(deadline).unwrap().as_deref(), Some("one"));
        writer.write_all(b"o\nthree\n").unwrap();
        assert_eq!(sut.next(deadline).unwrap().as_deref(), Some("two"));
        assert_eq!(sut.next(deadline).unwrap().as_deref(), Some("three"));
        drop(writer);
        assert_eq!(sut.next(deadline).unwrap(), None);
        assert_eq!(sut.next(deadline).unwrap(), None);
    }

    #[test]
    fn a_silent_writer_times_out_after_at_least_the_timeout() {
        let (mut sut, _writer) = pipe();
        let timeout = Duration::from_millis(50);
        let start = Instant::now();
        let err = sut.next(deadline_after(timeout)).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        assert!(start.elapsed() >= timeout);
    }

    #[test]
    fn an_unterminated_tail_is_handed_out_at_close() {
        let (mut sut, mut writer) = pipe();
        writer.write_all(b"partial").unwrap();
        drop(writer);
        let deadline = deadline_after(Duration::from_secs(10));
        assert_eq!(sut.next(deadline).unwrap().as_deref(), Some("partial"));
        assert_eq!(sut.next(deadline).unwrap(), None);
    }

    #[test]
    fn an_unbounded_deadline_is_none() {
        assert_eq!(deadline_after(Duration::MAX), None);
    }
}
