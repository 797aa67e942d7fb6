//! Validated POSIX object names, socket-path checks, and the unique-name generator.

use std::ffi::{CStr, CString};
use std::fmt;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::{Error, Result};
use crate::error_kind::ErrorKind;

/// The longest name component Linux accepts (`NAME_MAX`), which bounds the part of a POSIX
/// object name after its leading `/`.
const NAME_MAX: usize = 255;

/// The size of `sockaddr_un::sun_path` on Linux, 108 bytes.
///
/// A filesystem socket path must be shorter than this, for its terminating NUL
/// ([`check_socket_path`]). An abstract socket name fills `sun_path` after a leading NUL and
/// has no terminator, so it may be up to `SOCKET_PATH_MAX - 1` bytes
/// ([`check_abstract_socket_name`]).
///
/// # Examples
///
/// ```
/// use std::path::Path;
/// use ipc_core::{SOCKET_PATH_MAX, check_abstract_socket_name, check_socket_path};
///
/// let longest = "p".repeat(SOCKET_PATH_MAX - 1);
/// assert!(check_socket_path(Path::new(&longest)).is_ok());
/// assert!(check_abstract_socket_name(longest.as_bytes()).is_ok());
/// assert!(check_socket_path(Path::new(&"p".repeat(SOCKET_PATH_MAX))).is_err());
/// ```
///
/// # References
///
/// - [unix(7), "Address format"](https://man7.org/linux/man-pages/man7/unix.7.html)
pub const SOCKET_PATH_MAX: usize = 108;

/// The prefix of every object the tests create, so the leak sweep of `cargo xtask test-all`
/// can find what a test left behind.
///
/// # Examples
///
/// ```
/// assert!(ipc_core::unique_name(ipc_core::TEST_PREFIX).starts_with("ipc-rs-test-"));
/// ```
pub const TEST_PREFIX: &str = "ipc-rs-test";

/// A validated name of a POSIX IPC object (`shm_open`, `mq_open`, `sem_open`).
///
/// The rules, checked once here for every crate: a leading `/`, then 1 to `NAME_MAX` (255)
/// bytes with no other `/` and no NUL, and neither `.` nor `..` as the whole name.
///
/// # Examples
///
/// ```
/// use ipc_core::{ErrorKind, ObjectName};
///
/// let name = ObjectName::new("/jobs")?;
/// assert_eq!(name.as_str(), "/jobs");
///
/// let err = ObjectName::new("jobs").unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::InvalidName);
/// assert_eq!(err.to_string(), "object_name jobs: invalid name: must start with '/'");
/// # Ok::<(), ipc_core::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ObjectName {
    c_name: CString,
}

impl ObjectName {
    /// Validates `name`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidName`] when the name breaks a rule; the detail says which.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(ipc_core::ObjectName::new("/a/b").is_err());
    /// assert!(ipc_core::ObjectName::new("/a-b.c_d").is_ok());
    /// ```
    pub fn new(name: &str) -> Result<Self> {
        let invalid = |why: &'static str| {
            Error::new(ErrorKind::InvalidName, "object_name")
                .with_object(name)
                .with_detail(why)
        };
        let Some(rest) = name.strip_prefix('/') else {
            return Err(invalid("must start with '/'"));
        };
        if rest.is_empty() {
            return Err(invalid("is empty after the leading '/'"));
        }
        if rest.len() > NAME_MAX {
            return Err(invalid(
                "is longer than NAME_MAX (255 bytes) after the leading '/'",
            ));
        }
        if rest.contains('/') {
            return Err(invalid("must not contain '/' after the leading one"));
        }
        if rest == "." || rest == ".." {
            return Err(invalid("must not be '.' or '..'"));
        }
        let c_name = CString::new(name).map_err(|_| invalid("must not contain NUL"))?;
        Ok(Self { c_name })
    }

    /// A fresh name `/<prefix>-<pid>-<counter>-<random>` from [`unique_name`].
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidName`] when `prefix` contains `/` or NUL or is too long.
    ///
    /// # Examples
    ///
    /// ```
    /// let a = ipc_core::ObjectName::unique("cache")?;
    /// let b = ipc_core::ObjectName::unique("cache")?;
    /// assert_ne!(a, b);
    /// assert!(a.as_str().starts_with("/cache-"));
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn unique(prefix: &str) -> Result<Self> {
        Self::new(&format!("/{}", unique_name(prefix)))
    }

    /// The name, with its leading `/`.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(ipc_core::ObjectName::new("/q")?.as_str(), "/q");
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn as_str(&self) -> &str {
        // The CString was built from a &str, so it is UTF-8; `as_bytes` knows its length
        // (no `strlen`), which matters on paths that name the object on every call.
        std::str::from_utf8(self.c_name.as_bytes()).unwrap_or_default()
    }

    /// The name as a C string, for the `libc` calls.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(ipc_core::ObjectName::new("/q")?.as_c_str().to_bytes(), b"/q");
    /// # Ok::<(), ipc_core::Error>(())
    /// ```
    pub fn as_c_str(&self) -> &CStr {
        &self.c_name
    }
}

impl fmt::Display for ObjectName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for ObjectName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ObjectName").field(&self.as_str()).finish()
    }
}

impl From<&ObjectName> for crate::Object {
    fn from(name: &ObjectName) -> Self {
        crate::Object::Name(name.as_str().into())
    }
}

/// Checks that the filesystem path `path` fits a Unix socket address without truncation.
///
/// A filesystem path must be non-empty, contain no NUL, and be at most
/// [`SOCKET_PATH_MAX`]` - 1` bytes (room for the terminating NUL). The kernel would otherwise
/// silently use a truncated path, or refuse it with a bare `EINVAL`. An abstract name (which
/// starts with NUL in `sun_path`) is not a path: check it with [`check_abstract_socket_name`].
///
/// # Errors
///
/// [`ErrorKind::InvalidName`], with the length and the limit in the detail.
///
/// # Examples
///
/// ```
/// use std::path::Path;
///
/// assert!(ipc_core::check_socket_path(Path::new("/run/app.sock")).is_ok());
/// let long = "/tmp/".to_owned() + &"x".repeat(200);
/// assert_eq!(
///     ipc_core::check_socket_path(Path::new(&long)).unwrap_err().kind(),
///     ipc_core::ErrorKind::InvalidName
/// );
/// ```
pub fn check_socket_path(path: &Path) -> Result<()> {
    use std::os::unix::ffi::OsStrExt;
    let bytes = path.as_os_str().as_bytes();
    let invalid = |why: String| {
        Error::new(ErrorKind::InvalidName, "socket_path")
            .with_object(path)
            .with_detail(why)
    };
    if bytes.is_empty() {
        return Err(invalid("is empty".to_owned()));
    }
    if bytes.contains(&0) {
        return Err(invalid("must not contain NUL".to_owned()));
    }
    if bytes.len() >= SOCKET_PATH_MAX {
        return Err(invalid(format!(
            "is {} bytes; sun_path holds at most {} plus the terminating NUL",
            bytes.len(),
            SOCKET_PATH_MAX - 1
        )));
    }
    Ok(())
}

/// Checks that `name` fits the abstract socket namespace: 1 to [`SOCKET_PATH_MAX`]` - 1` (107)
/// bytes, not counting the leading NUL that marks an abstract address, which `name` leaves out.
///
/// Any bytes are allowed, NUL included: the kernel takes the name's length from the address
/// length, not from a terminator (`std`'s `SocketAddr::from_abstract_name` and rustix's
/// `SocketAddrUnix::new_abstract_name` take the name the same way, without the leading NUL).
///
/// # Errors
///
/// [`ErrorKind::InvalidName`] for an empty name or one longer than 107 bytes, with the length
/// and the limit in the detail.
///
/// # Examples
///
/// ```
/// use ipc_core::{ErrorKind, check_abstract_socket_name};
///
/// assert!(check_abstract_socket_name(b"ipc-rs/jobs").is_ok());
/// assert_eq!(check_abstract_socket_name(b"").unwrap_err().kind(), ErrorKind::InvalidName);
/// let err = check_abstract_socket_name(&[b'x'; 108]).unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::InvalidName);
/// ```
///
/// # References
///
/// - [unix(7), "abstract"](https://man7.org/linux/man-pages/man7/unix.7.html)
pub fn check_abstract_socket_name(name: &[u8]) -> Result<()> {
    let invalid = |why: String| {
        // `@` stands for the leading NUL, as `ss` and `netstat` show abstract names.
        Error::new(ErrorKind::InvalidName, "abstract_socket_name")
            .with_object(format!("@{}", name.escape_ascii()))
            .with_detail(why)
    };
    if name.is_empty() {
        return Err(invalid("is empty".to_owned()));
    }
    if name.len() > SOCKET_PATH_MAX - 1 {
        return Err(invalid(format!(
            "is {} bytes; sun_path holds at most {} after the leading NUL",
            name.len(),
            SOCKET_PATH_MAX - 1
        )));
    }
    Ok(())
}

/// A name no other call, thread or process will produce: `<prefix>-<pid>-<counter>-<random>`.
///
/// The counter is process-wide, the random part comes from `getrandom`, so names differ across
/// processes, across calls, and across a reused pid. The result has no `/`; prepend one for an
/// [`ObjectName`] (or use [`ObjectName::unique`]).
///
/// # Examples
///
/// ```
/// let name = ipc_core::unique_name("job");
/// let pid = std::process::id().to_string();
/// assert!(name.starts_with(&format!("job-{pid}-")));
/// assert_ne!(name, ipc_core::unique_name("job"));
/// ```
pub fn unique_name(prefix: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    // Relaxed: the counter only has to hand out distinct values; it orders nothing else.
    let counter = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!(
        "{prefix}-{}-{counter}-{:08x}",
        std::process::id(),
        random_u32()
    )
}

/// 32 random bits from the kernel, or a clock-derived value when `getrandom` is unavailable
/// (uniqueness then rests on the pid and the counter).
fn random_u32() -> u32 {
    let mut bytes = [0u8; 4];
    match rustix::rand::getrandom(&mut bytes, rustix::rand::GetRandomFlags::NONBLOCK) {
        Ok(4) => u32::from_ne_bytes(bytes),
        _ => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_a_full_length_name() {
        let name = format!("/{}", "n".repeat(NAME_MAX));
        assert!(ObjectName::new(&name).is_ok());
        let too_long = format!("/{}", "n".repeat(NAME_MAX + 1));
        assert_eq!(
            ObjectName::new(&too_long).unwrap_err().kind(),
            ErrorKind::InvalidName
        );
    }

    #[test]
    fn rejects_each_malformed_name_with_its_reason() {
        for (name, why) in [
            ("", "must start with '/'"),
            ("/", "is empty after the leading '/'"),
            ("/a/b", "must not contain '/' after the leading one"),
            ("/..", "must not be '.' or '..'"),
            ("/a\0b", "must not contain NUL"),
        ] {
            let err = ObjectName::new(name).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidName, "{name:?}");
            assert_eq!(err.detail(), Some(why), "{name:?}");
        }
    }

    #[test]
    fn socket_path_at_the_limit_is_refused() {
        let fits = "p".repeat(SOCKET_PATH_MAX - 1);
        assert!(check_socket_path(Path::new(&fits)).is_ok());
        let too_long = "p".repeat(SOCKET_PATH_MAX);
        assert!(check_socket_path(Path::new(&too_long)).is_err());
    }

    #[test]
    fn abstract_names_of_one_to_107_bytes_are_accepted() {
        assert!(check_abstract_socket_name(b"a").is_ok());
        assert!(check_abstract_socket_name(b"with\0nul").is_ok());
        assert!(check_abstract_socket_name(&[b'n'; SOCKET_PATH_MAX - 1]).is_ok());
        let sut = check_abstract_socket_name(&[b'n'; SOCKET_PATH_MAX]).unwrap_err();
        assert_eq!(sut.kind(), ErrorKind::InvalidName);
        assert_eq!(
            sut.detail(),
            Some("is 108 bytes; sun_path holds at most 107 after the leading NUL")
        );
        let sut = check_abstract_socket_name(b"").unwrap_err();
        assert_eq!(
            sut.to_string(),
            "abstract_socket_name @: invalid name: is empty"
        );
    }

    #[test]
    fn unique_names_are_distinct() {
        let names: std::collections::HashSet<_> = (0..1000).map(|_| unique_name("t")).collect();
        assert_eq!(names.len(), 1000);
    }

    proptest! {
        #[test]
        fn validation_never_panics_and_accepts_only_valid_names(name in ".{0,300}") {
            let valid = name.starts_with('/')
                && name.len() > 1
                && name.len() <= NAME_MAX + 1
                && !name[1..].contains('/')
                && !name.contains('\0')
                && name != "/."
                && name != "/..";
            prop_assert_eq!(ObjectName::new(&name).is_ok(), valid);
        }
    }
}
