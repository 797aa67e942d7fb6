//! The errors of the lock calls: one table for `flock` and `fcntl`.

use ipc_core::{Error, ErrorKind, Limit, LimitScope, Object};
use rustix::io::Errno;

/// The limit behind `ENOLCK`. Linux has no tunable for the number of locks (it has ignored
/// `RLIMIT_LOCKS` since 2.4.25): lock records are kernel memory charged to the memory cgroup.
const LOCK_RECORDS: &str = "/sys/fs/cgroup/<this process's cgroup>/memory.max";

/// What kind of lock call failed, for the words of the error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Call {
    /// `flock`.
    Flock,
    /// An `fcntl` record-lock command.
    Record,
}

/// The error of lock call `operation` on `object` that failed with `errno`.
///
/// | errno | kind | detail |
/// |---|---|---|
/// | `EAGAIN`, `EACCES` | `WouldBlock` | someone else holds a conflicting lock |
/// | `ETIMEDOUT` (made by the bounded wait) | `TimedOut` | the same, until the deadline |
/// | `EDEADLK` | `Other` | the kernel detected a deadlock |
/// | `ENOLCK` | `LimitReached` | out of lock records, or a remote lock manager refused |
/// | `EBADF` | `InvalidArgument` | the access mode does not allow the lock (record locks) |
/// | anything else | the default table of [`Error::from_errno`] | |
pub(crate) fn lock_error(
    call: Call,
    operation: &'static str,
    object: Object,
    errno: Errno,
) -> Error {
    let holder = match call {
        Call::Flock => "another open file description holds a conflicting flock lock",
        Call::Record => "another owner holds a conflicting lock on an overlapping range",
    };
    match errno {
        Errno::AGAIN | Errno::ACCESS => {
            Error::from_errno_as(ErrorKind::WouldBlock, operation, object, errno)
                .with_detail(holder)
        }
        Errno::TIMEDOUT => Error::from_errno(operation, object, errno)
            .with_detail(format!("{holder}, and kept it until the deadline")),
        Errno::DEADLK => Error::from_errno_as(ErrorKind::Other, operation, object, errno)
            .with_detail(
                "the kernel detected a deadlock: the holder of the range waits for a lock this \
                 process holds; release a lock and retry",
            ),
        Errno::NOLCK => Error::from_errno_as(ErrorKind::LimitReached, operation, object, errno)
            .with_detail(
                "the kernel could not allocate a lock record (kernel memory ran out), or a \
                 remote lock manager such as NFS lockd refused the lock",
            )
            .with_limit(Limit::new(LOCK_RECORDS, LimitScope::SystemWide)),
        Errno::BADF if call == Call::Record => Error::from_errno(operation, object, errno)
            .with_detail(
                "the descriptor's access mode does not allow this lock: a shared lock needs a \
                 descriptor open for reading, an exclusive lock one open for writing",
            ),
        Errno::BADF => Error::from_errno(operation, object, errno)
            .with_detail("not a descriptor that can be locked (an O_PATH descriptor cannot be)"),
        _ => Error::from_errno(operation, object, errno),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_lock_errno_gets_its_kind() {
        for (errno, kind) in [
            (Errno::AGAIN, ErrorKind::WouldBlock),
            (Errno::ACCESS, ErrorKind::WouldBlock),
            (Errno::TIMEDOUT, ErrorKind::TimedOut),
            (Errno::DEADLK, ErrorKind::Other),
            (Errno::NOLCK, ErrorKind::LimitReached),
            (Errno::BADF, ErrorKind::InvalidArgument),
            (Errno::INVAL, ErrorKind::InvalidArgument),
        ] {
            for call in [Call::Flock, Call::Record] {
                let sut = lock_error(call, "fcntl(F_SETLK)", Object::Fd(3), errno);
                assert_eq!(sut.kind(), kind, "{errno:?}: {sut}");
                assert_eq!(sut.raw_os_error(), Some(errno.raw_os_error()));
            }
        }
    }

    #[test]
    fn a_deadlock_and_a_bad_access_mode_say_what_happened() {
        let sut = lock_error(
            Call::Record,
            "fcntl(F_SETLKW)",
            Object::Fd(3),
            Errno::DEADLK,
        );
        assert!(
            sut.to_string().contains("the kernel detected a deadlock"),
            "{sut}"
        );
        let sut = lock_error(Call::Record, "fcntl(F_SETLK)", Object::Fd(3), Errno::BADF);
        assert!(sut.to_string().contains("open for writing"), "{sut}");
        let sut = lock_error(Call::Flock, "flock", Object::Fd(3), Errno::NOLCK);
        assert!(sut.limit().is_some(), "{sut}");
    }
}
