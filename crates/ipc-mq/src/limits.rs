//! The errors of `mq_open` that mean a limit was reached, mapped to the knob that raises it.

use ipc_core::{Error, ErrorKind, Limit, LimitScope};
use rustix::io::Errno;

/// The system-wide cap on a new queue's message count for a process without
/// `CAP_SYS_RESOURCE`.
pub(crate) const MSG_MAX: &str = "/proc/sys/fs/mqueue/msg_max";
/// The system-wide cap on a new queue's message size for a process without
/// `CAP_SYS_RESOURCE`.
pub(crate) const MSGSIZE_MAX: &str = "/proc/sys/fs/mqueue/msgsize_max";
/// The system-wide cap on the number of queues.
pub(crate) const QUEUES_MAX: &str = "/proc/sys/fs/mqueue/queues_max";

/// The error for `errno` from `mq_open` of `name`, which asked (when it may create) for
/// `sizes` (messages, message size).
///
/// `mq_open(3)`: "EINVAL … O_CREAT was specified in oflag, and attr was not NULL, but
/// attr->mq_maxmsg or attr->mq_msqsize was invalid"; the kernel refuses sizes above
/// `msg_max`/`msgsize_max` that way to a process without `CAP_SYS_RESOURCE`, so the sizes
/// asked for are compared with both files to name the one that was passed. `ENOSPC` is
/// `queues_max`. `EMFILE` is either `RLIMIT_NOFILE` or, when the kernel charges the new
/// queue's bytes to the user (`ipc/mqueue.c`: `if (u->mq_bytes + mq_bytes > rlimit(RLIMIT_MSGQUEUE))
/// … ret = -EMFILE`), `RLIMIT_MSGQUEUE`: a descriptor is tried to tell them apart.
///
/// `ENOMEM` stays [`Other`](ErrorKind::Other): the kernel returns it when an allocation fails
/// (the inode, or the queue's message array in `mqueue_get_inode`), not at a limit a caller
/// could raise; the byte limit it charges, `RLIMIT_MSGQUEUE`, is `EMFILE` above.
pub(crate) fn open_error(name: &str, errno: Errno, sizes: Option<(usize, usize)>) -> Error {
    let limit = match (errno, sizes) {
        (Errno::INVAL, Some((messages, size))) => {
            let msg_max = Limit::from_proc(MSG_MAX, LimitScope::SystemWide);
            let msgsize_max = Limit::from_proc(MSGSIZE_MAX, LimitScope::SystemWide);
            if exceeds(messages, &msg_max) {
                Some(msg_max)
            } else if exceeds(size, &msgsize_max) {
                Some(msgsize_max)
            } else {
                None
            }
        }
        (Errno::NOSPC, _) => Some(Limit::from_proc(QUEUES_MAX, LimitScope::SystemWide)),
        (Errno::MFILE, Some(_)) if descriptor_available() => Some(msgqueue_limit()),
        _ => None,
    };
    match limit {
        Some(limit) => {
            Error::from_errno_as(ErrorKind::LimitReached, "mq_open", name, errno).with_limit(limit)
        }
        None => Error::from_errno("mq_open", name, errno),
    }
}

fn exceeds(value: usize, limit: &Limit) -> bool {
    limit
        .current()
        .is_some_and(|max| u64::try_from(value).map_or(true, |value| value > max))
}

/// `RLIMIT_MSGQUEUE` with its soft value: per user, because the kernel charges a new queue's
/// bytes to the real user's total across all their processes (`u->mq_bytes`) and compares that
/// with the creating process's limit (getrlimit(2): "a limit on the number of bytes that can
/// be allocated for POSIX message queues for the real user ID of the calling process").
fn msgqueue_limit() -> Limit {
    let limit = Limit::new("RLIMIT_MSGQUEUE", LimitScope::PerUser);
    match rustix::process::getrlimit(rustix::process::Resource::Msgqueue).current {
        Some(value) => limit.with_current(value),
        None => limit,
    }
}

/// Whether this process can open one more descriptor now (so an `EMFILE` was not about
/// `RLIMIT_NOFILE`).
fn descriptor_available() -> bool {
    rustix::fs::open(
        "/dev/null",
        rustix::fs::OFlags::RDONLY | rustix::fs::OFlags::CLOEXEC,
        rustix::fs::Mode::empty(),
    )
    .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn too_many_messages_names_msg_max_with_its_value() {
        let sut = open_error("/q", Errno::INVAL, Some((usize::MAX, 1)));
        assert_eq!(sut.kind(), ErrorKind::LimitReached);
        let limit = sut.limit().unwrap();
        assert_eq!(limit.knob(), MSG_MAX);
        assert!(limit.current().is_some());
    }

    #[test]
    fn too_large_messages_name_msgsize_max() {
        let sut = open_error("/q", Errno::INVAL, Some((1, usize::MAX)));
        assert_eq!(sut.limit().unwrap().knob(), MSGSIZE_MAX);
    }

    #[test]
    fn no_space_names_queues_max() {
        let sut = open_error("/q", Errno::NOSPC, None);
        assert_eq!(sut.kind(), ErrorKind::LimitReached);
        assert_eq!(sut.limit().unwrap().knob(), QUEUES_MAX);
    }

    #[test]
    fn emfile_with_descriptors_to_spare_names_rlimit_msgqueue() {
        let sut = open_error("/q", Errno::MFILE, Some((1, 1)));
        assert_eq!(sut.limit().unwrap().knob(), "RLIMIT_MSGQUEUE");
        assert_eq!(sut.limit().unwrap().scope(), LimitScope::PerUser);
        let plain = open_error("/q", Errno::MFILE, None);
        assert_eq!(plain.limit().unwrap().knob(), "RLIMIT_NOFILE");
    }

    #[test]
    fn out_of_memory_is_other_not_a_limit() {
        let sut = open_error("/q", Errno::NOMEM, Some((1, 1)));
        assert_eq!(sut.kind(), ErrorKind::Other);
        assert!(sut.limit().is_none());
    }

    #[test]
    fn einval_within_the_limits_stays_invalid_argument() {
        let sut = open_error("/q", Errno::INVAL, Some((1, 1)));
        assert_eq!(sut.kind(), ErrorKind::InvalidArgument);
        assert!(sut.limit().is_none());
    }
}
