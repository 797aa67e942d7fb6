//! The parent's end of the report pipe, and the bounded readiness wait it and the pidfd share.

use std::fs::File;
use std::io::{self, Read};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use rustix::event::PollFlags;
use rustix::io::Errno;

use crate::{Deadline, Wait, wait_ready};

/// Waits until `fd` is readable (or hung up) or `deadline` passes; `Ok(false)` on the deadline.
///
/// [`wait_ready`] retries `EINTR` with the time that is left and returns `ETIMEDOUT` only once
/// the deadline has passed, so the wait lasts at least until the deadline.
pub(super) fn wait_readable(fd: BorrowedFd<'_>, deadline: Deadline) -> io::Result<bool> {
    match wait_ready(fd, PollFlags::IN, Wait::Until(deadline)) {
        // IN, HUP or ERR: a read or wait will not block.
        Ok(_) => Ok(true),
        Err(Errno::TIMEDOUT) => Ok(false),
        Err(err) => Err(err.into()),
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
    pub(super) fn next(&mut self, deadline: Deadline) -> io::Result<Option<String>> {
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
    use std::time::{Duration, Instant};

    fn pipe() -> (ReportReader, std::io::PipeWriter) {
        let (reader, writer) = std::io::pipe().unwrap();
        (ReportReader::new(OwnedFd::from(reader)), writer)
    }

    #[test]
    fn lines_split_across_writes_come_out_whole_and_in_order() {
        let (mut sut, mut writer) = pipe();
        writer.write_all(b"one\ntw").unwrap();
        let deadline = Deadline::after(Duration::from_secs(10));
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
        let err = sut.next(Deadline::after(timeout)).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        assert!(start.elapsed() >= timeout);
    }

    #[test]
    fn an_unterminated_tail_is_handed_out_at_close() {
        let (mut sut, mut writer) = pipe();
        writer.write_all(b"partial").unwrap();
        drop(writer);
        let deadline = Deadline::after(Duration::from_secs(10));
        assert_eq!(sut.next(deadline).unwrap().as_deref(), Some("partial"));
        assert_eq!(sut.next(deadline).unwrap(), None);
    }

    #[test]
    fn an_unbounded_deadline_waits_for_data() {
        let (mut sut, mut writer) = pipe();
        writer.write_all(b"late\n").unwrap();
        let line = sut.next(Deadline::after(Duration::MAX)).unwrap();
        assert_eq!(line.as_deref(), Some("late"));
    }
}
