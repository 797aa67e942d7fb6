//! The limit behind a limit error: which knob, whose, and its value.

use std::fmt;

use rustix::io::Errno;

/// Whose limit a [`Limit`] is.
///
/// # Examples
///
/// ```
/// assert_eq!(ipc_core::LimitScope::SystemWide.to_string(), "system-wide");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum LimitScope {
    /// A resource limit of this process (`RLIMIT_*`), raised with `setrlimit` or `ulimit`.
    PerProcess,
    /// A limit charged to the user across processes.
    PerUser,
    /// A system-wide tunable, usually under `/proc/sys`.
    SystemWide,
    /// A constant of the implementation (such as `SEM_VALUE_MAX`), which cannot be raised.
    Fixed,
}

impl fmt::Display for LimitScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::PerProcess => "per-process",
            Self::PerUser => "per-user",
            Self::SystemWide => "system-wide",
            Self::Fixed => "fixed",
        })
    }
}

/// The limit behind a [`ErrorKind::LimitReached`](crate::ErrorKind::LimitReached) error: which knob, whose, and its value now.
///
/// `Display` says how to raise it, by the kind of knob: a `/proc/sys` file is raised there
/// (its `sysctl` name is given), an `RLIMIT_*` resource with `setrlimit` or the shell's
/// `ulimit`.
///
/// # Examples
///
/// ```
/// use ipc_core::{Limit, LimitScope};
///
/// let limit = Limit::new("/proc/sys/fs/pipe-max-size", LimitScope::SystemWide).with_current(1 << 20);
/// assert_eq!(limit.current(), Some(1 << 20));
/// assert_eq!(
///     limit.to_string(),
///     "system-wide limit /proc/sys/fs/pipe-max-size is 1048576; raise it there (sysctl fs.pipe-max-size)"
/// );
/// let limit = Limit::new("RLIMIT_NOFILE", LimitScope::PerProcess);
/// assert_eq!(
///     limit.to_string(),
///     "per-process limit RLIMIT_NOFILE; raise it with setrlimit(RLIMIT_NOFILE) or `ulimit -n`"
/// );
/// let limit = Limit::new("SEM_VALUE_MAX", LimitScope::Fixed).with_current(2147483647);
/// assert_eq!(
///     limit.to_string(),
///     "fixed limit SEM_VALUE_MAX is 2147483647; it cannot be raised"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limit {
    knob: &'static str,
    scope: LimitScope,
    current: Option<u64>,
}

impl Limit {
    /// A limit set by `knob` (a `/proc/sys` path or an `RLIMIT_*` name).
    ///
    /// # Examples
    ///
    /// ```
    /// let limit = ipc_core::Limit::new("RLIMIT_NOFILE", ipc_core::LimitScope::PerProcess);
    /// assert_eq!(limit.knob(), "RLIMIT_NOFILE");
    /// ```
    pub fn new(knob: &'static str, scope: LimitScope) -> Self {
        Self {
            knob,
            scope,
            current: None,
        }
    }

    /// The limit behind a failure to get a new descriptor, for `EMFILE` (the per-process
    /// `RLIMIT_NOFILE`, with its soft value) and `ENFILE` (the system-wide
    /// `/proc/sys/fs/file-max`); `None` for any other error.
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_core::Limit;
    /// use rustix::io::Errno;
    ///
    /// let limit = Limit::for_descriptors(Errno::MFILE).unwrap();
    /// assert_eq!(limit.knob(), "RLIMIT_NOFILE");
    /// assert!(limit.current().is_some());
    /// assert!(Limit::for_descriptors(Errno::PIPE).is_none());
    /// ```
    pub fn for_descriptors(errno: Errno) -> Option<Self> {
        match errno {
            Errno::MFILE => {
                let limit = Self::new("RLIMIT_NOFILE", LimitScope::PerProcess);
                let current = rustix::process::getrlimit(rustix::process::Resource::Nofile).current;
                Some(match current {
                    Some(value) => limit.with_current(value),
                    None => limit,
                })
            }
            Errno::NFILE => Some(Self::from_proc(
                "/proc/sys/fs/file-max",
                LimitScope::SystemWide,
            )),
            _ => None,
        }
    }

    /// The limit set by the `/proc` file at `path`, with its value read from the file now.
    ///
    /// The value is recorded when the file holds exactly one unsigned number (surrounding
    /// whitespace aside), as the single-valued `/proc/sys` tunables do; a file that cannot be
    /// read, or that holds several numbers (`/proc/sys/kernel/sem`) or anything else, leaves
    /// [`current`](Self::current) unset, since a limit error must never fail in turn.
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_core::{Limit, LimitScope};
    ///
    /// let limit = Limit::from_proc("/proc/sys/fs/pipe-max-size", LimitScope::SystemWide);
    /// assert_eq!(limit.knob(), "/proc/sys/fs/pipe-max-size");
    /// assert!(limit.current().is_some_and(|bytes| bytes >= 4096));
    ///
    /// let missing = Limit::from_proc("/proc/sys/ipc-core/no-such-knob", LimitScope::SystemWide);
    /// assert_eq!(missing.current(), None);
    /// ```
    pub fn from_proc(path: &'static str, scope: LimitScope) -> Self {
        let limit = Self::new(path, scope);
        match std::fs::read_to_string(path)
            .ok()
            .and_then(|text| text.trim().parse().ok())
        {
            Some(value) => limit.with_current(value),
            None => limit,
        }
    }

    /// Records the limit's value at the time of the error.
    ///
    /// # Examples
    ///
    /// ```
    /// let limit = ipc_core::Limit::new("RLIMIT_NOFILE", ipc_core::LimitScope::PerProcess).with_current(1024);
    /// assert_eq!(limit.current(), Some(1024));
    /// ```
    #[must_use]
    pub fn with_current(mut self, value: u64) -> Self {
        self.current = Some(value);
        self
    }

    /// The knob that raises the limit.
    ///
    /// # Examples
    ///
    /// ```
    /// let limit = ipc_core::Limit::new("/proc/sys/fs/mqueue/msg_max", ipc_core::LimitScope::SystemWide);
    /// assert!(limit.knob().ends_with("msg_max"));
    /// ```
    pub fn knob(&self) -> &'static str {
        self.knob
    }

    /// Whose limit it is.
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_core::{Limit, LimitScope};
    /// assert_eq!(Limit::new("RLIMIT_NOFILE", LimitScope::PerProcess).scope(), LimitScope::PerProcess);
    /// ```
    pub fn scope(&self) -> LimitScope {
        self.scope
    }

    /// The limit's value when the error happened, if it could be read.
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_core::{Limit, LimitScope};
    /// assert_eq!(Limit::new("RLIMIT_NOFILE", LimitScope::PerProcess).current(), None);
    /// ```
    pub fn current(&self) -> Option<u64> {
        self.current
    }
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} limit {}", self.scope, self.knob)?;
        if let Some(current) = self.current {
            write!(f, " is {current}")?;
        }
        if self.scope == LimitScope::Fixed {
            f.write_str("; it cannot be raised")
        } else if let Some(key) = self.knob.strip_prefix("/proc/sys/") {
            write!(f, "; raise it there (sysctl {})", key.replace('/', "."))
        } else if self.knob.starts_with("RLIMIT_") {
            write!(f, "; raise it with setrlimit({}) or `ulimit", self.knob)?;
            if let Some(flag) = ulimit_flag(self.knob) {
                write!(f, " {flag}")?;
            }
            f.write_str("`")
        } else {
            f.write_str("; raise it there")
        }
    }
}

/// The option of the shell's `ulimit` builtin (bash, dash) that sets the resource `knob`.
fn ulimit_flag(knob: &str) -> Option<&'static str> {
    Some(match knob {
        "RLIMIT_AS" => "-v",
        "RLIMIT_CORE" => "-c",
        "RLIMIT_DATA" => "-d",
        "RLIMIT_FSIZE" => "-f",
        "RLIMIT_LOCKS" => "-x",
        "RLIMIT_MEMLOCK" => "-l",
        "RLIMIT_MSGQUEUE" => "-q",
        "RLIMIT_NOFILE" => "-n",
        "RLIMIT_NPROC" => "-u",
        "RLIMIT_SIGPENDING" => "-i",
        "RLIMIT_STACK" => "-s",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_of_knob_gets_its_remedy() {
        for (knob, scope, remedy) in [
            (
                "/proc/sys/fs/mqueue/msg_max",
                LimitScope::SystemWide,
                "raise it there (sysctl fs.mqueue.msg_max)",
            ),
            (
                "RLIMIT_MEMLOCK",
                LimitScope::PerProcess,
                "raise it with setrlimit(RLIMIT_MEMLOCK) or `ulimit -l`",
            ),
            (
                "RLIMIT_RTTIME",
                LimitScope::PerProcess,
                "raise it with setrlimit(RLIMIT_RTTIME) or `ulimit`",
            ),
            (
                "/sys/kernel/some_knob",
                LimitScope::SystemWide,
                "raise it there",
            ),
        ] {
            let shown = Limit::new(knob, scope).to_string();
            assert!(shown.ends_with(&format!("; {remedy}")), "{shown}");
        }
    }

    #[test]
    fn a_proc_file_with_several_numbers_records_no_value() {
        let sut = Limit::from_proc("/proc/sys/kernel/sem", LimitScope::SystemWide);
        assert_eq!(sut.current(), None);
    }
}
