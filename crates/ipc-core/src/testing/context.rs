//! The child's side: its role, arguments, placed descriptors and the report pipe.

use std::os::fd::{OwnedFd, RawFd};
use std::sync::OnceLock;

use super::protocol::{
    ARGS_ENV, FDS_ENV, MAX_REPORT_LEN, REPORT_FD, REPORT_FD_ENV, ROLE_ENV, decode_args, decode_fds,
};
use super::sys::InheritedFds;

/// What a re-executed child knows, read from its environment once per process.
#[derive(Debug)]
struct ChildState {
    role: String,
    args: Vec<(String, String)>,
    fds: InheritedFds,
    report: OwnedFd,
}

static STATE: OnceLock<Option<ChildState>> = OnceLock::new();

/// The context of a test binary re-executed by [`ChildBuilder`](super::ChildBuilder).
///
/// A test asks [`ChildContext::current`] first: `Some` means this process is the child, and the
/// test runs the branch of [`role`](Self::role). A role's branch must end in `return` (the child
/// then exits 0, a passing test) or never end (a `park` loop, until the parent kills it); it must
/// not fall through into the parent's half of the test.
///
/// The context is a cheap copyable handle on state read once per process; descriptors placed by
/// the parent are marked close-on-exec at that first read, so they do not leak into the child's
/// own children.
///
/// # Examples
///
/// The shape of a cross-process test: the child's branch first, ending in `return`, then the
/// parent's half. (A doctest is never a re-executed child, so only the parent's half runs here,
/// and it spawns nothing: re-execution needs a libtest binary.)
///
/// ```
/// use ipc_core::testing::ChildContext;
///
/// fn echo_test() {
///     if let Some(ctx) = ChildContext::current() {
///         match ctx.role() {
///             "echo" => ctx.report(ctx.arg("word").unwrap_or("none")),
///             other => panic!("unknown role {other}"),
///         }
///         return;
///     }
///     // The parent's half: ChildBuilder::new("echo").arg("word", "hi").spawn() and so on.
/// }
/// echo_test();
/// ```
#[derive(Clone, Copy, Debug)]
pub struct ChildContext {
    state: &'static ChildState,
}

impl ChildContext {
    /// The context of this process if it is a re-executed child, else `None`.
    ///
    /// # Panics
    ///
    /// If [`ROLE_ENV`](super::ROLE_ENV) is set but the rest of the protocol is missing or
    /// malformed (the variable was set by hand, or leaked from elsewhere).
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_core::testing::ChildContext;
    ///
    /// // A doctest is never a re-executed child.
    /// assert!(ChildContext::current().is_none());
    /// ```
    pub fn current() -> Option<Self> {
        STATE.get_or_init(load).as_ref().map(|state| Self { state })
    }

    /// The role the parent gave to [`ChildBuilder::new`](super::ChildBuilder::new).
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_core::testing::ChildContext;
    ///
    /// if let Some(ctx) = ChildContext::current() {
    ///     match ctx.role() {
    ///         "writer" => { /* the writer's half */ }
    ///         other => panic!("unknown role {other}"),
    ///     }
    /// }
    /// ```
    pub fn role(&self) -> &'static str {
        &self.state.role
    }

    /// The argument the parent set with [`ChildBuilder::arg`](super::ChildBuilder::arg), if any.
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_core::testing::ChildContext;
    ///
    /// if let Some(ctx) = ChildContext::current() {
    ///     let count: usize = ctx.arg("count").expect("count is set").parse().unwrap();
    ///     assert!(count > 0);
    /// }
    /// ```
    pub fn arg(&self, key: &str) -> Option<&'static str> {
        self.state
            .args
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Takes ownership of the descriptor the parent placed at `target` with
    /// [`ChildBuilder::inherit_fd`](super::ChildBuilder::inherit_fd).
    ///
    /// # Panics
    ///
    /// If the parent placed nothing at `target`, if it was already taken in this process, or if
    /// it is no longer open.
    ///
    /// # Close-on-exec
    ///
    /// The descriptor is close-on-exec, like every other this workspace hands out.
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_core::testing::ChildContext;
    /// use std::io::Write;
    ///
    /// if let Some(ctx) = ChildContext::current() {
    ///     let mut pipe = std::fs::File::from(ctx.take_fd(10));
    ///     pipe.write_all(b"hello").unwrap();
    /// }
    /// ```
    #[track_caller]
    pub fn take_fd(&self, target: RawFd) -> OwnedFd {
        match self.state.fds.take(target) {
            Ok(fd) => fd,
            Err(why) => panic!("take_fd({target}) in child role `{}`: {why}", self.role()),
        }
    }

    /// Tells the parent that this child reached `event`; the parent waits for it with
    /// [`Child::next_report`](super::Child::next_report) or
    /// [`Child::expect_report`](super::Child::expect_report).
    ///
    /// The line `event\n` is written with one `write(2)` of at most 513 bytes, under `PIPE_BUF`,
    /// so it arrives whole even when several threads report at once.
    ///
    /// # Panics
    ///
    /// If `event` contains a newline or is longer than 512 bytes, or if the write fails (the
    /// parent closed its end, which it does only when it no longer waits for this child).
    ///
    /// # SIGPIPE
    ///
    /// If the parent is gone and this child set `SIGPIPE` to
    /// [`Default`](super::SigpipeDisposition::Default), the write kills the child; under Rust's
    /// default (ignored) it panics.
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_core::testing::ChildContext;
    ///
    /// if let Some(ctx) = ChildContext::current() {
    ///     ctx.report("ready");
    /// }
    /// ```
    #[track_caller]
    pub fn report(&self, event: &str) {
        assert!(
            !event.contains('\n'),
            "report {event:?}: an event must not contain a newline"
        );
        assert!(
            event.len() <= MAX_REPORT_LEN,
            "report: an event is at most {MAX_REPORT_LEN} bytes, this one has {}",
            event.len()
        );
        let mut line = Vec::with_capacity(event.len() + 1);
        line.extend_from_slice(event.as_bytes());
        line.push(b'\n');
        let written = loop {
            match rustix::io::write(&self.state.report, &line) {
                Err(rustix::io::Errno::INTR) => continue,
                other => break other,
            }
        };
        match written {
            // "If n <= PIPE_BUF, all n bytes are written atomically" (pipe(7)): all or nothing.
            Ok(n) => debug_assert_eq!(n, line.len(), "a short write to the report pipe"),
            Err(err) => panic!(
                "report {event:?}: writing to the report pipe failed: {}",
                std::io::Error::from(err)
            ),
        }
    }
}

/// Reads the protocol from the environment, or `None` when [`ROLE_ENV`] is unset.
fn load() -> Option<ChildState> {
    let role = std::env::var_os(ROLE_ENV)?;
    let role = role.to_string_lossy().into_owned();
    match load_rest(role.clone()) {
        Ok(state) => Some(state),
        Err(why) => panic!(
            "{ROLE_ENV} is set (to {role:?}), but {why}; this process was not spawned by \
             ChildBuilder: unset {ROLE_ENV}"
        ),
    }
}

fn load_rest(role: String) -> Result<ChildState, String> {
    let var =
        |name: &str| std::env::var(name).map_err(|err| format!("{name} cannot be read ({err})"));
    let args = decode_args(&var(ARGS_ENV)?).map_err(|err| format!("{ARGS_ENV}: {err}"))?;
    let mut fds = decode_fds(&var(FDS_ENV)?).map_err(|err| format!("{FDS_ENV}: {err}"))?;
    let report_fd = report_fd(&var(REPORT_FD_ENV)?)?;
    fds.push(report_fd);
    let fds = InheritedFds::adopt(fds)?;
    let report = fds
        .take(report_fd)
        .map_err(|err| format!("the report pipe: {err}"))?;
    Ok(ChildState {
        role,
        args,
        fds,
        report,
    })
}

/// Parses [`REPORT_FD_ENV`], which must name [`REPORT_FD`].
///
/// The report descriptor is always `REPORT_FD`, which no placed descriptor may use
/// (`decode_fds` refuses it): any other value was not written by `ChildBuilder`, and adopting
/// it could hand out a second owner of, say, stdout.
fn report_fd(text: &str) -> Result<RawFd, String> {
    let fd: RawFd = text
        .parse()
        .map_err(|err| format!("{REPORT_FD_ENV}={text:?}: {err}"))?;
    if fd != REPORT_FD {
        return Err(format!(
            "{REPORT_FD_ENV}={fd}, but the report pipe is always at {REPORT_FD}"
        ));
    }
    Ok(fd)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_report_fd_is_accepted_as_the_report_descriptor() {
        assert_eq!(report_fd(&REPORT_FD.to_string()), Ok(REPORT_FD));
        for bad in ["1", "10", "256", "-1", "x", ""] {
            assert!(report_fd(bad).is_err(), "{bad:?}");
        }
    }
}
