//! Spawning the test binary again as a child in a named role.

use std::ffi::OsString;
use std::io;
use std::os::fd::{AsFd, RawFd};
use std::process::{Command, Stdio};

use rustix::pipe::{PipeFlags, pipe_with};

use super::child::Child;
use super::context::ChildContext;
use super::protocol::{
    ARGS_ENV, FDS_ENV, REPORT_FD, REPORT_FD_ENV, ROLE_ENV, encode_args, encode_fds,
};
use crate::ChildFds;

/// Configures and spawns a re-executed child: the current test binary, running only the
/// current test, with [`ROLE_ENV`](super::ROLE_ENV) naming its role.
///
/// Errors in the configuration (a bad descriptor target) are kept and returned by
/// [`spawn`](Self::spawn), so the calls chain.
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
///     assert_eq!(ctx.role(), "counter");
///     ctx.report(&format!("count={}", ctx.arg("count").unwrap()));
///     return;
/// }
/// let mut child = ChildBuilder::new("counter")
///     .arg("count", 5)
///     .test_name("my_test")
///     .spawn()
///     .unwrap();
/// child.expect_report("count=5", Duration::from_secs(30));
/// child.expect_success(Duration::from_secs(30));
/// ```
#[derive(Debug)]
pub struct ChildBuilder {
    role: String,
    args: Vec<(String, String)>,
    envs: Vec<(OsString, OsString)>,
    fds: ChildFds,
    stdin: Option<Stdio>,
    test_name: Option<String>,
    error: Option<io::Error>,
}

impl ChildBuilder {
    /// A child in `role`, with no arguments, no placed descriptors and stdin from `/dev/null`.
    ///
    /// # Examples
    ///
    /// ```
    /// let _builder = ipc_core::testing::ChildBuilder::new("writer");
    /// ```
    pub fn new(role: &str) -> Self {
        Self {
            role: role.to_owned(),
            args: Vec::new(),
            envs: Vec::new(),
            fds: ChildFds::new(),
            stdin: None,
            test_name: None,
            error: None,
        }
    }

    /// Sets the argument `key` (replacing an earlier value), read in the child with
    /// [`ChildContext::arg`]. Any text round-trips, separators and newlines included.
    ///
    /// # Examples
    ///
    /// ```
    /// let _builder = ipc_core::testing::ChildBuilder::new("writer")
    ///     .arg("count", 5)
    ///     .arg("name", "/queue");
    /// ```
    pub fn arg(mut self, key: &str, value: impl ToString) -> Self {
        let value = value.to_string();
        match self.args.iter_mut().find(|(k, _)| k == key) {
            Some(slot) => slot.1 = value,
            None => self.args.push((key.to_owned(), value)),
        }
        self
    }

    /// Sets an environment variable of the child. The protocol's own variables
    /// ([`ROLE_ENV`](super::ROLE_ENV) and the `IPC_TEST_*` family) cannot be overridden.
    ///
    /// # Examples
    ///
    /// ```
    /// let _builder = ipc_core::testing::ChildBuilder::new("writer").env("RUST_BACKTRACE", "1");
    /// ```
    pub fn env(mut self, key: impl Into<OsString>, value: impl Into<OsString>) -> Self {
        self.envs.push((key.into(), value.into()));
        self
    }

    /// Places a duplicate of `fd` at descriptor number `target` in the child, where
    /// [`ChildContext::take_fd`] takes it.
    ///
    /// `fd` is duplicated now (close-on-exec), so the caller may close its own copy right after;
    /// closing it is what lets the child see end of file when the child is the last writer.
    ///
    /// # Errors
    ///
    /// Kept for [`spawn`](Self::spawn): `InvalidInput` if `target` is not in `3..REPORT_FD`
    /// (0–2 are stdio, [`REPORT_FD`](super::REPORT_FD) is the report pipe) or was already used;
    /// the OS error if `fd` cannot be duplicated.
    ///
    /// # Close-on-exec
    ///
    /// In the child, `target` is not close-on-exec until the child takes it or reads its
    /// [`ChildContext`], which marks every placed descriptor close-on-exec. The parent-side
    /// duplicate is always close-on-exec, so children that other tests spawn concurrently never
    /// inherit it.
    ///
    /// # Examples
    ///
    /// ```
    /// let (_reader, writer) = std::io::pipe().unwrap();
    /// let _builder = ipc_core::testing::ChildBuilder::new("writer").inherit_fd(&writer, 10);
    /// ```
    pub fn inherit_fd(mut self, fd: impl AsFd, target: RawFd) -> Self {
        if self.error.is_some() {
            return self;
        }
        let placed = if target == REPORT_FD {
            Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("inherit_fd: target {target} is REPORT_FD, the report pipe's number"),
            ))
        } else {
            fd.as_fd().try_clone_to_owned().and_then(|source| {
                // `ChildFds` checks the range and repeated targets; its InvalidArgument
                // converts to InvalidInput.
                std::mem::take(&mut self.fds)
                    .place(source, target)
                    .map_err(io::Error::from)
            })
        };
        match placed {
            Ok(fds) => self.fds = fds,
            Err(err) => self.error = Some(err),
        }
        self
    }

    /// Sets the child's stdin; the default is `/dev/null`. Stdout and stderr are always captured
    /// (see [`Child::output_so_far`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::process::Stdio;
    /// let _builder = ipc_core::testing::ChildBuilder::new("reader").stdin(Stdio::piped());
    /// ```
    pub fn stdin(mut self, stdin: Stdio) -> Self {
        self.stdin = Some(stdin);
        self
    }

    /// Runs the child as test `name` instead of the test named by the current thread; for a
    /// spawn from a thread the test started, or from a custom harness.
    ///
    /// # Examples
    ///
    /// ```
    /// let _builder = ipc_core::testing::ChildBuilder::new("writer").test_name("pipe::eof");
    /// ```
    pub fn test_name(mut self, name: &str) -> Self {
        self.test_name = Some(name.to_owned());
        self
    }

    /// Spawns the child: `std::env::current_exe()` with
    /// `<test name> --exact --include-ignored --nocapture --test-threads=1 -q`.
    ///
    /// The test name is the current thread's name, which libtest sets to the test's full name
    /// (`module::test`), so call `spawn` from the test's own thread or set
    /// [`test_name`](Self::test_name). `--include-ignored` makes an `#[ignore]`d test run in its
    /// child too when it is run on purpose.
    ///
    /// # Errors
    ///
    /// - `InvalidInput`: a configuration error kept by [`inherit_fd`](Self::inherit_fd), or no
    ///   test name (the thread is unnamed or is `main`).
    /// - `Unsupported`: called inside a re-executed child. Nested children are refused, which
    ///   also stops a role that falls through into the parent's code from spawning itself again.
    /// - The OS error of `current_exe`, `pipe2`, `fork`/`exec`, `pidfd_open` or thread creation;
    ///   a child already started is killed and reaped first.
    ///
    /// # Examples
    ///
    /// (`no_run`: re-execution needs a libtest binary.)
    ///
    /// ```no_run
    /// let child = ipc_core::testing::ChildBuilder::new("writer").spawn();
    /// assert!(child.is_ok());
    /// ```
    pub fn spawn(self) -> io::Result<Child> {
        if let Some(err) = self.error {
            return Err(err);
        }
        if let Some(ctx) = ChildContext::current() {
            return Err(io::Error::new(
                io::ErrorKind::Unsupported,
                format!(
                    "ChildBuilder::spawn(`{}`) inside the child in role `{}`: nested children \
                     are not supported (does the role's branch fall through into the parent's \
                     code? end it with `return`)",
                    self.role,
                    ctx.role()
                ),
            ));
        }
        let test_name = match self.test_name {
            Some(name) => name,
            None => current_test_name()?,
        };
        let exe = std::env::current_exe()?;
        let (report_reader, report_writer) = pipe_with(PipeFlags::CLOEXEC)?;

        let mut cmd = Command::new(exe);
        cmd.args([
            test_name.as_str(),
            "--exact",
            "--include-ignored",
            "--nocapture",
            "--test-threads=1",
            "-q",
        ]);
        cmd.envs(self.envs);
        cmd.env(ROLE_ENV, &self.role)
            .env(ARGS_ENV, encode_args(&self.args))
            .env(FDS_ENV, encode_fds(self.fds.targets()))
            .env(REPORT_FD_ENV, REPORT_FD.to_string());
        cmd.stdin(self.stdin.unwrap_or_else(Stdio::null))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());

        // Our copies close when `spawn_io` returns, the report pipe's write end among them, so
        // the parent sees end of file once the child (the only other holder) exits.
        let inner = self
            .fds
            .place(report_writer, REPORT_FD)
            .map_err(io::Error::from)?
            .spawn_io(cmd)?;
        Child::start(inner, report_reader, self.role, test_name)
    }
}

/// The name libtest gave the current thread, which is the running test's full name.
fn current_test_name() -> io::Result<String> {
    match std::thread::current().name() {
        Some(name) if name != "main" => Ok(name.to_owned()),
        other => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "ChildBuilder::spawn: the current thread ({other:?}) is not a libtest test \
                 thread, so the test to re-execute is unknown; call spawn from the test's own \
                 thread or set ChildBuilder::test_name"
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reserved_target_is_an_error_at_spawn() {
        let (_reader, writer) = std::io::pipe().unwrap();
        for target in [2, REPORT_FD] {
            let err = ChildBuilder::new("x")
                .inherit_fd(&writer, target)
                .spawn()
                .unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{err}");
        }
    }

    #[test]
    fn a_target_used_twice_is_an_error_at_spawn() {
        let (_reader, writer) = std::io::pipe().unwrap();
        let err = ChildBuilder::new("x")
            .inherit_fd(&writer, 10)
            .inherit_fd(&writer, 10)
            .spawn()
            .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{err}");
    }

    #[test]
    fn spawn_from_an_unnamed_thread_is_an_error() {
        let err = std::thread::Builder::new()
            .spawn(|| ChildBuilder::new("x").spawn().unwrap_err())
            .unwrap()
            .join()
            .unwrap();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{err}");
    }

    #[test]
    fn a_later_arg_replaces_an_earlier_one() {
        let sut = ChildBuilder::new("x").arg("k", 1).arg("k", "two");
        assert_eq!(sut.args, vec![("k".to_owned(), "two".to_owned())]);
    }
}
