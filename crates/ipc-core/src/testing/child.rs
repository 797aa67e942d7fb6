//! A running re-executed child, as the parent test sees it.

use std::fmt;
use std::io::{self, Read};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::process::{self, ExitStatus};
use std::time::Duration;

use rustix::process::{Pid, PidfdFlags, Signal, pidfd_open, pidfd_send_signal};

use super::output::Output;
use super::report::{ReportReader, wait_readable};
use crate::Deadline;

/// How long a failure message waits for an exiting child's status and last output.
const EXIT_GRACE: Duration = Duration::from_secs(5);

/// A child spawned by [`ChildBuilder`](super::ChildBuilder).
///
/// The child is always reaped: by [`wait_timeout`](Self::wait_timeout),
/// [`kill`](Self::kill), or on drop, which sends `SIGKILL` to a child still running. Its
/// signals go through a pidfd, so they can never reach a recycled pid.
///
/// Stdout and stderr are drained in the background into one buffer
/// ([`output_so_far`](Self::output_so_far)); the `expect_*` helpers put it in their panic
/// messages, and a `Child` dropped while its test panics prints it to stderr, which libtest
/// shows with the failure.
///
/// # Examples
///
/// (`no_run`: re-execution needs a libtest binary whose test names are known, which a doctest is
/// not.)
///
/// ```no_run
/// use ipc_core::testing::{ChildBuilder, ChildContext};
/// use std::time::Duration;
///
/// if let Some(ctx) = ChildContext::current() {
///     ctx.report("ready");
///     loop {
///         std::thread::park();
///     }
/// }
/// let mut child = ChildBuilder::new("sleeper").spawn().unwrap();
/// child.expect_report("ready", Duration::from_secs(30));
/// let status = child.kill();
/// assert!(!status.success());
/// ```
pub struct Child {
    inner: process::Child,
    pidfd: OwnedFd,
    role: String,
    test_name: String,
    reports: ReportReader,
    output: Output,
    status: Option<ExitStatus>,
    output_shown: bool,
}

impl Child {
    /// Wraps a just-spawned child; on failure the child is killed and reaped.
    pub(super) fn start(
        mut inner: process::Child,
        report_reader: OwnedFd,
        role: String,
        test_name: String,
    ) -> io::Result<Self> {
        let pid = inner.id();
        let pidfd = Pid::from_raw(pid.cast_signed())
            .ok_or_else(|| io::Error::other(format!("the child's pid {pid} is not valid")))
            .and_then(|pid| pidfd_open(pid, PidfdFlags::empty()).map_err(io::Error::from));
        let pidfd = match pidfd {
            Ok(pidfd) => pidfd,
            Err(err) => {
                // No pidfd, so fall back to std's kill: the child is not reaped yet, so its pid
                // cannot have been recycled.
                let _ = inner.kill();
                let _ = inner.wait();
                return Err(err);
            }
        };
        let mut streams: Vec<Box<dyn Read + Send>> = Vec::new();
        if let Some(stdout) = inner.stdout.take() {
            streams.push(Box::new(stdout));
        }
        if let Some(stderr) = inner.stderr.take() {
            streams.push(Box::new(stderr));
        }
        let output = match Output::capture(streams, pid) {
            Ok(output) => output,
            Err(err) => {
                let _ = send_signal(pidfd.as_fd(), libc::SIGKILL);
                let _ = inner.wait();
                return Err(err);
            }
        };
        Ok(Self {
            inner,
            pidfd,
            role,
            test_name,
            reports: ReportReader::new(report_reader),
            output,
            status: None,
            output_shown: false,
        })
    }

    /// The child's process id.
    ///
    /// # Examples
    ///
    /// (`no_run`: re-execution needs a libtest binary.)
    ///
    /// ```no_run
    /// let child = ipc_core::testing::ChildBuilder::new("writer").spawn().unwrap();
    /// assert!(std::path::Path::new(&format!("/proc/{}", child.pid())).exists());
    /// ```
    pub fn pid(&self) -> u32 {
        self.inner.id()
    }

    /// The next line the child sent with [`ChildContext::report`](super::ChildContext::report),
    /// waiting at most `timeout`; `None` once the child closed its report pipe (it exited) and
    /// every line was read.
    ///
    /// # Errors
    ///
    /// `TimedOut` if no report came within `timeout` (the child is left running); the OS error of
    /// `poll` or `read` otherwise.
    ///
    /// # Examples
    ///
    /// (`no_run`: re-execution needs a libtest binary.)
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// let mut child = ipc_core::testing::ChildBuilder::new("writer").spawn().unwrap();
    /// while let Some(event) = child.next_report(Duration::from_secs(30)).unwrap() {
    ///     println!("child reported {event}");
    /// }
    /// ```
    pub fn next_report(&mut self, timeout: Duration) -> io::Result<Option<String>> {
        self.reports.next(Deadline::after(timeout))
    }

    /// Asserts that the child's next report is exactly `event`, within `timeout`.
    ///
    /// Reports are a protocol, so a different event is a failure, not something to skip; a test
    /// that wants to skip reads with [`next_report`](Self::next_report).
    ///
    /// # Panics
    ///
    /// With the child's output, if the next report is another event, if the child closed its
    /// report pipe (exited) first, or if `timeout` passed. The child is then killed and reaped
    /// when the `Child` drops.
    ///
    /// # Examples
    ///
    /// (`no_run`: re-execution needs a libtest binary.)
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// let mut child = ipc_core::testing::ChildBuilder::new("writer").spawn().unwrap();
    /// child.expect_report("wrote-half", Duration::from_secs(30));
    /// ```
    #[track_caller]
    pub fn expect_report(&mut self, event: &str, timeout: Duration) {
        match self.next_report(timeout) {
            Ok(Some(got)) if got == event => {}
            Ok(Some(got)) => self.fail(&format!("expected report {event:?}, got {got:?}")),
            Ok(None) => {
                let status = self.wait_timeout(EXIT_GRACE);
                self.fail(&format!(
                    "expected report {event:?}, but the child closed its report pipe ({})",
                    describe(&status)
                ));
            }
            Err(err) if err.kind() == io::ErrorKind::TimedOut => {
                self.fail(&format!(
                    "expected report {event:?} within {timeout:?}: none came"
                ));
            }
            Err(err) => self.fail(&format!("expected report {event:?}: {err}")),
        }
    }

    /// Sends `SIGKILL` unless the child was already reaped, then reaps it and returns its status;
    /// calling it again returns the same status.
    ///
    /// # Panics
    ///
    /// If reaping fails, which happens only when something else in this process reaped the child
    /// (`waitpid(-1)`, or `SIGCHLD` set to `SIG_IGN`).
    ///
    /// # Examples
    ///
    /// (`no_run`: re-execution needs a libtest binary.)
    ///
    /// ```no_run
    /// use std::os::unix::process::ExitStatusExt;
    /// let mut child = ipc_core::testing::ChildBuilder::new("sleeper").spawn().unwrap();
    /// assert_eq!(child.kill().signal(), Some(libc::SIGKILL));
    /// ```
    #[track_caller]
    pub fn kill(&mut self) -> ExitStatus {
        if let Some(status) = self.status {
            return status;
        }
        // ESRCH means it already exited; the wait below reaps it either way.
        let _ = send_signal(self.pidfd.as_fd(), libc::SIGKILL);
        match self.reap() {
            Ok(status) => status,
            Err(err) => panic!("reaping child `{}` (pid {}): {err}", self.role, self.pid()),
        }
    }

    /// Waits at most `timeout` for the child to exit and reaps it, with `pidfd_open` and `poll`
    /// rather than sleeps. A child already reaped returns its status at once.
    ///
    /// # Errors
    ///
    /// `TimedOut` if the child was still running after `timeout`: it is then killed and reaped,
    /// so it never outlives the wait. The OS error of `poll` or `waitpid` otherwise.
    ///
    /// # Examples
    ///
    /// (`no_run`: re-execution needs a libtest binary.)
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// let mut child = ipc_core::testing::ChildBuilder::new("worker").spawn().unwrap();
    /// let status = child.wait_timeout(Duration::from_secs(30)).unwrap();
    /// assert!(status.success());
    /// ```
    ///
    /// # References
    ///
    /// - [pidfd_open(2)](https://man7.org/linux/man-pages/man2/pidfd_open.2.html)
    pub fn wait_timeout(&mut self, timeout: Duration) -> io::Result<ExitStatus> {
        if let Some(status) = self.status {
            return Ok(status);
        }
        // "A PID file descriptor ... becomes readable when the process terminates" (poll on a
        // pidfd, pidfd_open(2)).
        if wait_readable(self.pidfd.as_fd(), Deadline::after(timeout))? {
            return self.reap();
        }
        let status = self.kill();
        Err(io::Error::new(
            io::ErrorKind::TimedOut,
            format!(
                "child `{}` (pid {}) did not exit within {timeout:?}; killed and reaped ({status})",
                self.role,
                self.pid()
            ),
        ))
    }

    /// The child's status if it has exited (reaping it), `None` while it runs.
    ///
    /// # Errors
    ///
    /// The OS error of `waitpid`.
    ///
    /// # Examples
    ///
    /// (`no_run`: re-execution needs a libtest binary.)
    ///
    /// ```no_run
    /// let mut child = ipc_core::testing::ChildBuilder::new("sleeper").spawn().unwrap();
    /// assert_eq!(child.try_wait().unwrap(), None);
    /// ```
    pub fn try_wait(&mut self) -> io::Result<Option<ExitStatus>> {
        if self.status.is_none()
            && let Some(status) = self.inner.try_wait()?
        {
            self.status = Some(status);
        }
        Ok(self.status)
    }

    /// Asserts that the child exits with status 0 within `timeout`.
    ///
    /// # Panics
    ///
    /// With the child's output, if it exits otherwise or is still running after `timeout` (it is
    /// then killed and reaped).
    ///
    /// # Examples
    ///
    /// (`no_run`: re-execution needs a libtest binary.)
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// let mut child = ipc_core::testing::ChildBuilder::new("worker").spawn().unwrap();
    /// child.expect_success(Duration::from_secs(30));
    /// ```
    #[track_caller]
    pub fn expect_success(&mut self, timeout: Duration) {
        match self.wait_timeout(timeout) {
            Ok(status) if status.success() => {}
            Ok(status) => self.fail(&format!("expected success, but it exited with {status}")),
            Err(err) => self.fail(&format!("expected success: {err}")),
        }
    }

    /// Sends signal number `signal` (say `libc::SIGTERM`) through the child's pidfd
    /// (`pidfd_send_signal(2)`).
    ///
    /// # Errors
    ///
    /// The OS error: `ESRCH` once the child was reaped; `EINVAL` for a number that is not a
    /// named signal (the real-time signals are refused, since the C library reserves some of
    /// them and rustix names none).
    ///
    /// # Examples
    ///
    /// (`no_run`: re-execution needs a libtest binary.)
    ///
    /// ```no_run
    /// use std::os::unix::process::ExitStatusExt;
    /// use std::time::Duration;
    /// let mut child = ipc_core::testing::ChildBuilder::new("sleeper").spawn().unwrap();
    /// child.signal(libc::SIGTERM).unwrap();
    /// let status = child.wait_timeout(Duration::from_secs(30)).unwrap();
    /// assert_eq!(status.signal(), Some(libc::SIGTERM));
    /// ```
    #[doc(alias = "pidfd_send_signal")]
    pub fn signal(&self, signal: libc::c_int) -> io::Result<()> {
        send_signal(self.pidfd.as_fd(), signal)
    }

    /// Everything the child wrote to stdout and stderr so far, interleaved in arrival order,
    /// with invalid UTF-8 replaced. Complete once the child was reaped.
    ///
    /// # Examples
    ///
    /// (`no_run`: re-execution needs a libtest binary.)
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// let mut child = ipc_core::testing::ChildBuilder::new("worker").spawn().unwrap();
    /// child.wait_timeout(Duration::from_secs(30)).unwrap();
    /// assert!(child.output_so_far().contains("test result"));
    /// ```
    pub fn output_so_far(&self) -> String {
        self.output_text()
    }

    /// Reaps the child (it has exited, or is about to after `SIGKILL`).
    fn reap(&mut self) -> io::Result<ExitStatus> {
        let status = self.inner.wait()?;
        self.status = Some(status);
        Ok(status)
    }

    /// The captured output; once the child was reaped, after letting the drain threads read its
    /// last words (bounded, in case a grandchild holds a stream open).
    fn output_text(&self) -> String {
        if self.status.is_some() {
            self.output.settle(EXIT_GRACE);
        }
        self.output.snapshot()
    }

    #[track_caller]
    fn fail(&mut self, what: &str) -> ! {
        self.output_shown = true;
        panic!(
            "child `{}` (pid {}, test `{}`): {what}\n{}",
            self.role,
            self.pid(),
            self.test_name,
            framed_output(&self.output_text())
        );
    }
}

impl fmt::Debug for Child {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Child")
            .field("role", &self.role)
            .field("pid", &self.pid())
            .field("test_name", &self.test_name)
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        if self.status.is_none() {
            let _ = send_signal(self.pidfd.as_fd(), libc::SIGKILL);
            if let Ok(status) = self.inner.wait() {
                self.status = Some(status);
            }
        }
        if std::thread::panicking() && !self.output_shown {
            eprintln!(
                "child `{}` (pid {}, test `{}`) was dropped during a panic ({})\n{}",
                self.role,
                self.pid(),
                self.test_name,
                match self.status {
                    Some(status) => status.to_string(),
                    None => "not reaped".to_owned(),
                },
                framed_output(&self.output_text())
            );
        }
    }
}

/// Sends `signal` to the process behind `pidfd` (`pidfd_send_signal(2)`).
fn send_signal(pidfd: BorrowedFd<'_>, signal: libc::c_int) -> io::Result<()> {
    let signal =
        Signal::from_named_raw(signal).ok_or_else(|| io::Error::from_raw_os_error(libc::EINVAL))?;
    pidfd_send_signal(pidfd, signal).map_err(io::Error::from)
}

fn describe(status: &io::Result<ExitStatus>) -> String {
    match status {
        Ok(status) => status.to_string(),
        Err(err) => err.to_string(),
    }
}

fn framed_output(text: &str) -> String {
    let newline = if text.is_empty() || text.ends_with('\n') {
        ""
    } else {
        "\n"
    };
    format!("--- child output ---\n{text}{newline}--- end of child output ---")
}
