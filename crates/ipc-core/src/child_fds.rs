//! Handing descriptors to a child process at fixed numbers.

use std::fmt;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::process::{Child, Command};

use crate::error::{Error, ErrorKind, Result};
use crate::object::Object;

/// The lowest descriptor number [`ChildFds`] places at: 0, 1 and 2 belong to `Command`'s
/// stdin, stdout and stderr.
const TARGET_MIN: RawFd = 3;
/// One above the highest number [`ChildFds`] places at; sources are parked above it while the
/// child rearranges its descriptors.
const TARGET_END: RawFd = 256;

/// Descriptors to give a child process at fixed numbers, beyond its stdin, stdout and stderr.
///
/// Every descriptor this workspace makes is close-on-exec, so a child started by another
/// thread at the same moment never inherits it by accident. `ChildFds` gives the chosen ones to
/// one child on purpose: between `fork` and `exec`, the child duplicates each at its target
/// number (3 to 255), where it is not close-on-exec, with async-signal-safe calls only. In this
/// process the descriptors stay close-on-exec and are closed once the child has started, so
/// the child holds the only copies (which is what makes end of input and
/// [`ErrorKind::PeerGone`] arrive when it exits).
///
/// The child learns the numbers however the parent tells it (an argument, an environment
/// variable) and takes ownership with `OwnedFd::from_raw_fd`.
///
/// # Examples
///
/// The parent-to-child program of the reference, with the pipe's read end at descriptor 3 of
/// the child (a shell here, reading it with `cat <&3`):
///
/// ```
/// use std::process::{Command, Stdio};
///
/// let (reader, writer) = rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC)?;
/// let mut command = Command::new("sh");
/// command.args(["-c", "cat <&3"]).stdout(Stdio::piped());
/// let child = ipc_core::ChildFds::new().place(reader, 3)?.spawn(&mut command)?;
/// rustix::io::write(&writer, b"Hello from parent!")?;
/// drop(writer);
/// assert_eq!(child.wait_with_output()?.stdout, b"Hello from parent!");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Default)]
pub struct ChildFds {
    fds: Vec<(OwnedFd, RawFd)>,
}

impl ChildFds {
    /// No descriptors yet.
    ///
    /// # Examples
    ///
    /// ```
    /// let fds = ipc_core::ChildFds::new();
    /// # let _ = fds;
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Gives `fd` to the child at number `target`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidArgument`] for a target outside 3..=255 or one already used.
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_core::{ChildFds, ErrorKind};
    ///
    /// let (reader, _writer) = std::io::pipe()?;
    /// let err = ChildFds::new().place(reader, 1).unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn place(mut self, fd: impl Into<OwnedFd>, target: RawFd) -> Result<Self> {
        let invalid = |why: String| {
            Error::new(ErrorKind::InvalidArgument, "child_fds_place")
                .with_object(Object::Fd(target))
                .with_detail(why)
        };
        if !(TARGET_MIN..TARGET_END).contains(&target) {
            return Err(invalid(format!(
                "target {target} is outside {TARGET_MIN}..={}; 0 to 2 are Command's stdio",
                TARGET_END - 1
            )));
        }
        if self.fds.iter().any(|&(_, used)| used == target) {
            return Err(invalid(format!("target {target} is already used")));
        }
        self.fds.push((fd.into(), target));
        Ok(self)
    }

    /// Spawns `command` with the descriptors in place, then closes this process's copies.
    ///
    /// # Errors
    ///
    /// The error of `Command::spawn` (for example [`ErrorKind::NotFound`] for a missing
    /// program), or of the child's `dup2`, which `spawn` reports.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::process::Command;
    ///
    /// let mut command = Command::new("true");
    /// let mut child = ipc_core::ChildFds::new().spawn(&mut command)?;
    /// assert!(child.wait()?.success());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn spawn(self, command: &mut Command) -> Result<Child> {
        crate::sys::child_fds::spawn_with_fds(command, &self.fds).map_err(|e| {
            Error::from_io(
                "spawn",
                Object::from(command.get_program().to_string_lossy().into_owned()),
                e,
            )
        })
    }
}

impl fmt::Debug for ChildFds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(
                self.fds
                    .iter()
                    .map(|(fd, target)| (fd.as_raw_fd(), *target)),
            )
            .finish()
    }
}
