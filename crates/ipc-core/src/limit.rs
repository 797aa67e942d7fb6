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
}

impl fmt::Display for LimitScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::PerProcess => "per-process",
            Self::PerUser => "per-user",
            Self::SystemWide => "system-wide",
        })
    }
}

/// The limit behind a [`ErrorKind::LimitReached`](crate::ErrorKind::LimitReached) error: which knob, whose, and its value now.
///
/// # Examples
///
/// ```
/// use ipc_core::{Limit, LimitScope};
///
/// let limit = Limit::new("/proc/sys/fs/pipe-max-size", LimitScope::SystemWide).with_current(1 << 20);
/// assert_eq!(limit.current(), Some(1 << 20));
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
            Errno::NFILE => {
                let limit = Self::new("/proc/sys/fs/file-max", LimitScope::SystemWide);
                let current = std::fs::read_to_string("/proc/sys/fs/file-max")
                    .ok()
                    .and_then(|text| text.trim().parse().ok());
                Some(match current {
                    Some(value) => limit.with_current(value),
                    None => limit,
                })
            }
            _ => None,
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
