//! Handing descriptors to a child process at fixed numbers.

use std::fmt;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::process::{Child, Command};

use crate::error::{Error, Result};
use crate::error_kind::ErrorKind;
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
/// # Exec errors
///
/// `Command::spawn` learns that `exec` failed through a close-on-exec channel of its own, made
/// just before it forks. [`spawn`](Self::spawn) keeps that channel off the target numbers (it
/// holds every free target number while std makes it, and the child checks, before it changes
/// anything, that each target still holds what the parent saw there), so a program that cannot
/// be run is an error here, never an `Ok` child whose failure went into one of your
/// descriptors. The one case left: when other threads of this process keep closing and opening
/// descriptors at the target numbers, every attempt may find one changed, and after 8 attempts
/// `spawn` fails with [`ErrorKind::Other`] (`EBUSY`) without starting anything.
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
/// let child = ipc_core::ChildFds::new().place(reader, 3)?.spawn(command)?;
/// rustix::io::write(&writer, b"Hello from parent!")?;
/// drop(writer);
/// assert_eq!(child.wait_with_output()?.stdout, b"Hello from parent!");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Default)]
pub struct ChildFds {
    fds: Vec<(OwnedFd, RawFd)>,
}

/// Checks that `target` is a number [`ChildFds`] can place at: 3 to 255.
///
/// # Errors
///
/// [`ErrorKind::InvalidArgument`], naming the range.
pub(crate) fn check_target(target: RawFd) -> Result<()> {
    if (TARGET_MIN..TARGET_END).contains(&target) {
        return Ok(());
    }
    Err(invalid_target(
        target,
        format!(
            "target {target} is outside {TARGET_MIN}..={}; 0 to 2 are Command's stdio",
            TARGET_END - 1
        ),
    ))
}

fn invalid_target(target: RawFd, why: String) -> Error {
    Error::new(ErrorKind::InvalidArgument, "child_fds_place")
        .with_object(Object::Fd(target))
        .with_detail(why)
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
        check_target(target)?;
        if self.fds.iter().any(|&(_, used)| used == target) {
            return Err(invalid_target(
                target,
                format!("target {target} is already used"),
            ));
        }
        self.fds.push((fd.into(), target));
        Ok(self)
    }

    /// Spawns `command` with the descriptors in place, then closes this process's copies.
    ///
    /// `command` is taken by value: the hook that places the descriptors lives in it, and once
    /// `spawn` returns, neither the hook nor this process's copies of the descriptors exist, so
    /// no later spawn of the same `Command` can place whatever has since taken their numbers.
    /// (Borrowing it would leave that choice: keep the copies open as long as the `Command`
    /// lives, which holds back end of input and [`ErrorKind::PeerGone`], or let the hook
    /// outlive them.)
    ///
    /// # Errors
    ///
    /// The error of `Command::spawn`, with the kind of [`Error::from_io`]: for example
    /// [`ErrorKind::NotFound`] for a missing program or [`ErrorKind::PermissionDenied`] for one
    /// that is not executable. Also [`ErrorKind::LimitReached`] when this process runs out of
    /// descriptors while holding the target numbers, [`ErrorKind::InvalidArgument`] (`EINVAL`)
    /// when a target or the parking number 256 is not below `RLIMIT_NOFILE`, and
    /// [`ErrorKind::Other`] (`EBUSY`) as described under "Exec errors" above.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::process::Command;
    ///
    /// let mut child = ipc_core::ChildFds::new().spawn(Command::new("true"))?;
    /// assert!(child.wait()?.success());
    ///
    /// let missing = Command::new("/nonexistent/ipc-core-doc");
    /// let (reader, _writer) = std::io::pipe()?;
    /// let err = ipc_core::ChildFds::new().place(reader, 3)?.spawn(missing).unwrap_err();
    /// assert_eq!(err.kind(), ipc_core::ErrorKind::NotFound);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn spawn(self, command: Command) -> Result<Child> {
        let program = command.get_program().to_string_lossy().into_owned();
        self.spawn_io(command).map_err(|e| {
            let busy = e.raw_os_error() == Some(libc::EBUSY);
            let err = Error::from_io("spawn", Object::from(program), e);
            if busy {
                err.with_detail(format!(
                    "other threads kept changing the descriptors at the target numbers; \
                     nothing was started after {} attempts",
                    crate::sys::child_fds::MAX_ATTEMPTS
                ))
            } else {
                err
            }
        })
    }

    /// The target numbers placed so far, in the order they were placed.
    #[cfg(feature = "testing")]
    pub(crate) fn targets(&self) -> impl Iterator<Item = RawFd> + '_ {
        self.fds.iter().map(|&(_, target)| target)
    }

    /// [`spawn`](Self::spawn) with the error of `Command::spawn` as it is, for the test support.
    pub(crate) fn spawn_io(self, command: Command) -> std::io::Result<Child> {
        crate::sys::child_fds::spawn_with_fds(command, self.fds)
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsFd;
    use std::time::Duration;

    use rustix::event::PollFlags;

    use crate::{Wait, wait_ready};

    /// Enough target numbers that std's exec-error channel, which takes the lowest free numbers,
    /// would land on one of them unless `spawn` keeps it off.
    fn many_targets() -> ChildFds {
        let (_reader, writer) = std::io::pipe().unwrap();
        let writer = OwnedFd::from(writer);
        (TARGET_MIN..128).fold(ChildFds::new(), |fds, target| {
            fds.place(writer.try_clone().unwrap(), target).unwrap()
        })
    }

    #[test]
    fn an_exec_failure_is_an_error_even_when_targets_cover_the_lowest_free_numbers() {
        let sut = many_targets();
        let err = sut
            .spawn(Command::new("/nonexistent/ipc-core-child-fds-test"))
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    }

    #[test]
    fn a_program_that_runs_gets_every_target_and_succeeds() {
        let sut = many_targets();
        let mut command = Command::new("sh");
        // Each number must be open in the shell (`$$`); POSIX redirections stop at 9.
        let script =
            format!("for n in $(seq {TARGET_MIN} 127); do [ -e /proc/$$/fd/$n ] || exit 1; done");
        command.args(["-c", &script]);
        let status = sut.spawn(command).unwrap().wait().unwrap();
        assert!(status.success(), "{status}");
    }

    #[test]
    fn the_parents_copies_are_closed_when_spawn_returns() {
        let (reader, writer) = std::io::pipe().unwrap();
        let sut = ChildFds::new().place(writer, 3).unwrap();
        let mut child = sut.spawn(Command::new("true")).unwrap();
        assert!(child.wait().unwrap().success());
        // The child held the only write end and exited, so the pipe hangs up. (A spawn by
        // another test may copy the end for the moment before its exec; the bound covers that.)
        let ready = wait_ready(
            reader.as_fd(),
            PollFlags::IN,
            Wait::timeout(Duration::from_secs(60)),
        )
        .unwrap();
        assert!(ready.contains(PollFlags::HUP), "{ready:?}");
    }
}
