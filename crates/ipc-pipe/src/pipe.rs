//! Creating an anonymous pipe.

use ipc_core::{Error, Result};
use rustix::pipe::PipeFlags;

use crate::{Reader, Writer};

/// Creates an anonymous pipe and returns its read and write ends, both close-on-exec
/// (`pipe2(O_CLOEXEC)`).
///
/// A pipe is a one-way byte stream between related processes: the kernel buffers what the
/// [`Writer`] writes (64 KiB by default, see [`Writer::capacity`]) until the [`Reader`] reads
/// it. Two pipes make a two-way channel. To give an end to a child process, pass it as the
/// child's stdin or stdout (`Stdio::from(reader)`), and drop the ends the parent does not use,
/// so that end of input and [`ErrorKind::PeerGone`](ipc_core::ErrorKind::PeerGone) arrive.
///
/// # Errors
///
/// [`ErrorKind::LimitReached`](ipc_core::ErrorKind::LimitReached) when the process or the
/// system is out of descriptors (`EMFILE`, `ENFILE`), naming `RLIMIT_NOFILE` or
/// `/proc/sys/fs/file-max`.
///
/// # Examples
///
/// The parent-to-child program of the reference, with the child a real process:
///
/// ```
/// use std::process::{Command, Stdio};
///
/// let (reader, writer) = ipc_pipe::pipe()?;
/// let child = Command::new("cat").stdin(Stdio::from(reader)).stdout(Stdio::piped()).spawn()?;
/// writer.write_all(b"Hello from parent!")?;
/// drop(writer); // the child sees end of input
/// let output = child.wait_with_output()?;
/// assert_eq!(output.stdout, b"Hello from parent!");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # References
///
/// - [`pipe(2)`](https://man7.org/linux/man-pages/man2/pipe.2.html)
/// - [`pipe(7)`](https://man7.org/linux/man-pages/man7/pipe.7.html)
#[doc(alias = "pipe2")]
pub fn pipe() -> Result<(Reader, Writer)> {
    let (read, write) = rustix::pipe::pipe_with(PipeFlags::CLOEXEC)
        .map_err(|errno| Error::from_errno_creating_fd("pipe", "pipe", errno))?;
    Ok((Reader::from(read), Writer::from(write)))
}
