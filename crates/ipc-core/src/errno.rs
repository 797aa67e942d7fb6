//! What the workspace makes of OS error numbers: their symbolic names, for `Display`, and the
//! default kind of each.

use rustix::io::Errno;

use crate::error_kind::ErrorKind;

/// The symbolic name of the error numbers this workspace meets, for `Display`.
pub(crate) fn errno_name(code: i32) -> Option<&'static str> {
    Some(match code {
        libc::EPERM => "EPERM",
        libc::ENOENT => "ENOENT",
        libc::EINTR => "EINTR",
        libc::EIO => "EIO",
        libc::ENXIO => "ENXIO",
        libc::E2BIG => "E2BIG",
        libc::EBADF => "EBADF",
        libc::EAGAIN => "EAGAIN",
        libc::ENOMEM => "ENOMEM",
        libc::EACCES => "EACCES",
        libc::EFAULT => "EFAULT",
        libc::EBUSY => "EBUSY",
        libc::EEXIST => "EEXIST",
        libc::ENOTDIR => "ENOTDIR",
        libc::EISDIR => "EISDIR",
        libc::EINVAL => "EINVAL",
        libc::ENFILE => "ENFILE",
        libc::EMFILE => "EMFILE",
        libc::EFBIG => "EFBIG",
        libc::ENOSPC => "ENOSPC",
        libc::ESPIPE => "ESPIPE",
        libc::EROFS => "EROFS",
        libc::EPIPE => "EPIPE",
        libc::ERANGE => "ERANGE",
        libc::EDEADLK => "EDEADLK",
        libc::ENAMETOOLONG => "ENAMETOOLONG",
        libc::ENOSYS => "ENOSYS",
        libc::ELOOP => "ELOOP",
        libc::ENOMSG => "ENOMSG",
        libc::EIDRM => "EIDRM",
        libc::EOWNERDEAD => "EOWNERDEAD",
        libc::ENOTRECOVERABLE => "ENOTRECOVERABLE",
        libc::EMSGSIZE => "EMSGSIZE",
        libc::EOPNOTSUPP => "EOPNOTSUPP",
        libc::EADDRINUSE => "EADDRINUSE",
        libc::ECONNRESET => "ECONNRESET",
        libc::ENOTCONN => "ENOTCONN",
        libc::ECONNREFUSED => "ECONNREFUSED",
        libc::ETIMEDOUT => "ETIMEDOUT",
        libc::EDQUOT => "EDQUOT",
        libc::ESRCH => "ESRCH",
        libc::ECHILD => "ECHILD",
        _ => return None,
    })
}

/// The default errno-to-kind table documented on `Error::from_errno`.
pub(crate) fn default_kind(errno: Errno) -> ErrorKind {
    match errno {
        Errno::NOENT | Errno::NOTDIR => ErrorKind::NotFound,
        Errno::EXIST => ErrorKind::AlreadyExists,
        Errno::ACCESS | Errno::PERM | Errno::ROFS => ErrorKind::PermissionDenied,
        Errno::AGAIN => ErrorKind::WouldBlock,
        Errno::TIMEDOUT => ErrorKind::TimedOut,
        Errno::NAMETOOLONG => ErrorKind::InvalidName,
        Errno::INVAL | Errno::BADF | Errno::RANGE => ErrorKind::InvalidArgument,
        Errno::MSGSIZE => ErrorKind::MessageTooLarge,
        Errno::PIPE | Errno::CONNRESET | Errno::NOTCONN | Errno::NXIO => ErrorKind::PeerGone,
        Errno::MFILE | Errno::NFILE => ErrorKind::LimitReached,
        Errno::ISDIR => ErrorKind::WrongObjectType,
        Errno::NOSYS | Errno::OPNOTSUPP => ErrorKind::Unsupported,
        Errno::OWNERDEAD | Errno::NOTRECOVERABLE => ErrorKind::CorruptSharedState,
        _ => ErrorKind::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_robust_lock_whose_owner_died_is_corrupt_shared_state() {
        for errno in [Errno::OWNERDEAD, Errno::NOTRECOVERABLE] {
            assert_eq!(default_kind(errno), ErrorKind::CorruptSharedState);
        }
    }
}
