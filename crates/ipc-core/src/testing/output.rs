//! The child's stdout and stderr, drained by background threads into one buffer.

use std::io::{self, Read};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::Duration;

use crate::Deadline;

/// Everything the child wrote to stdout and stderr so far, interleaved in the order the chunks
/// arrived.
///
/// Draining keeps the child from blocking on a full pipe and keeps its libtest lines out of the
/// parent's stdout, which CI parses.
#[derive(Debug)]
pub(super) struct Output {
    text: Arc<Mutex<Vec<u8>>>,
    /// The end-of-stream signals of the drain threads, and how many streams are still open.
    finished: Mutex<(Receiver<()>, usize)>,
}

impl Output {
    /// Starts one drain thread per stream.
    ///
    /// # Errors
    ///
    /// If a thread cannot be spawned; a stream whose thread started keeps draining until the
    /// child closes it.
    pub(super) fn capture(
        streams: impl IntoIterator<Item = Box<dyn Read + Send>>,
        pid: u32,
    ) -> io::Result<Self> {
        let text = Arc::new(Mutex::new(Vec::new()));
        let (done, finished) = mpsc::channel();
        let mut open_streams = 0;
        for mut stream in streams {
            let text = Arc::clone(&text);
            let done = done.clone();
            thread::Builder::new()
                .name(format!("ipc-test-output-{pid}"))
                .spawn(move || {
                    drain(&mut *stream, &text);
                    // The receiver may be gone with its `Child`; nothing is waiting then.
                    let _ = done.send(());
                })?;
            open_streams += 1;
        }
        Ok(Self {
            text,
            finished: Mutex::new((finished, open_streams)),
        })
    }

    /// A copy of what was captured so far, with invalid UTF-8 replaced.
    pub(super) fn snapshot(&self) -> String {
        let text = self.text.lock().unwrap_or_else(PoisonError::into_inner);
        String::from_utf8_lossy(&text).into_owned()
    }

    /// Waits, at most `timeout`, until every stream was read to its end. Called once the child
    /// was reaped, so that its last words are in the buffer; a grandchild that holds a stream
    /// open only costs the bound.
    pub(super) fn settle(&self, timeout: Duration) {
        let deadline = Deadline::after(timeout);
        let mut finished = self.finished.lock().unwrap_or_else(PoisonError::into_inner);
        let (signals, open_streams) = &mut *finished;
        while *open_streams > 0 {
            let left = deadline.remaining().unwrap_or(Duration::MAX);
            match signals.recv_timeout(left) {
                Ok(()) => *open_streams -= 1,
                Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => return,
            }
        }
    }
}

/// Copies `stream` into `text` until end of file or an error other than `EINTR`.
fn drain(stream: &mut dyn Read, text: &Mutex<Vec<u8>>) {
    let mut chunk = [0_u8; 8192];
    loop {
        match stream.read(&mut chunk) {
            Ok(0) => return,
            Ok(n) => text
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .extend_from_slice(&chunk[..n]),
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn both_streams_are_captured_once_settled() {
        let (out_r, mut out_w) = std::io::pipe().unwrap();
        let (err_r, mut err_w) = std::io::pipe().unwrap();
        let streams: Vec<Box<dyn Read + Send>> = vec![Box::new(out_r), Box::new(err_r)];
        let sut = Output::capture(streams, 0).unwrap();
        out_w.write_all(b"to stdout\n").unwrap();
        err_w.write_all(b"to stderr\n").unwrap();
        drop((out_w, err_w));
        sut.settle(Duration::from_secs(30));
        let text = sut.snapshot();
        assert!(text.contains("to stdout\n"), "{text:?}");
        assert!(text.contains("to stderr\n"), "{text:?}");
    }

    #[test]
    fn settle_returns_after_its_bound_when_a_stream_stays_open() {
        let (out_r, _out_w) = std::io::pipe().unwrap();
        let streams: Vec<Box<dyn Read + Send>> = vec![Box::new(out_r)];
        let sut = Output::capture(streams, 0).unwrap();
        let timeout = Duration::from_millis(20);
        let start = std::time::Instant::now();
        sut.settle(timeout);
        assert!(start.elapsed() >= timeout);
        assert_eq!(sut.snapshot(), "");
    }
}
