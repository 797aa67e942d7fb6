//! The operations both semaphore types share, over one `sem_t`: waiting in its three forms,
//! posting and reading the value, with the errors mapped once.

use ipc_core::{Error, ErrorKind, Limit, LimitScope, Object, Result, Wait};
use rustix::io::Errno;

use crate::sys::sem::SemPtr;

/// The largest value a semaphore can hold (`SEM_VALUE_MAX`, 2 147 483 647 with glibc): a
/// larger initial value is refused with [`InvalidArgument`](ErrorKind::InvalidArgument), and a
/// post that would pass it fails with [`LimitReached`](ErrorKind::LimitReached).
///
/// # Examples
///
/// ```
/// assert_eq!(ipc_sem::SEM_VALUE_MAX, i32::MAX as u32);
/// ```
///
/// # References
///
/// - [`sem_post(3)`](https://man7.org/linux/man-pages/man3/sem_post.3.html), `EOVERFLOW`
pub const SEM_VALUE_MAX: u32 = crate::sys::sem::SEM_VALUE_MAX;

/// Takes one from `sem`, waiting as `wait` says. `EINTR` is retried, a bounded wait with only
/// the time left (`Wait::retry`).
///
/// signal(7) lists "POSIX semaphore interfaces: sem_wait(3) and sem_timedwait(3)" among the
/// interfaces where "the call is automatically restarted after the signal handler returns if
/// the SA_RESTART flag was used; otherwise the call fails with the error EINTR"
/// (`sem_wait(3)`: "The call was interrupted by a signal handler"). A handler installed
/// without `SA_RESTART` is enough to see it, so the caller of this crate never does: the retry
/// is here.
pub(crate) fn acquire(sem: SemPtr, wait: Wait, object: impl Fn() -> Object) -> Result<()> {
    let operation = match wait {
        Wait::NonBlocking => "sem_trywait",
        Wait::Forever => "sem_wait",
        Wait::Until(_) if cfg!(target_env = "gnu") => "sem_clockwait",
        Wait::Until(_) => "sem_timedwait",
    };
    wait.retry(|wait| match wait {
        Wait::NonBlocking => sem.try_wait(),
        Wait::Forever => sem.wait(),
        Wait::Until(deadline) => sem.wait_deadline(deadline),
    })
    .map_err(|errno| match errno {
        Errno::AGAIN => {
            Error::from_errno(operation, object(), errno).with_detail("the semaphore's value is 0")
        }
        Errno::TIMEDOUT => Error::from_errno(operation, object(), errno)
            .with_detail("the value stayed 0 until the deadline"),
        _ => Error::from_errno(operation, object(), errno),
    })
}

/// Gives one back to `sem`.
pub(crate) fn release(sem: SemPtr, object: impl Fn() -> Object) -> Result<()> {
    sem.post().map_err(|errno| match errno {
        Errno::OVERFLOW => overflow(object()),
        _ => Error::from_errno("sem_post", object(), errno),
    })
}

/// The value of `sem` now.
pub(crate) fn value(sem: SemPtr, object: impl Fn() -> Object) -> Result<u32> {
    sem.value()
        .map_err(|errno| Error::from_errno("sem_getvalue", object(), errno))
}

/// Refuses an initial value above [`SEM_VALUE_MAX`], as `sem_init` and `sem_open` do with
/// `EINVAL`.
pub(crate) fn check_initial(
    operation: &'static str,
    initial: u32,
    object: impl Fn() -> Object,
) -> Result<()> {
    if initial > SEM_VALUE_MAX {
        return Err(Error::new(ErrorKind::InvalidArgument, operation)
            .with_object(object())
            .with_detail(format!(
                "the initial value {initial} is more than SEM_VALUE_MAX ({SEM_VALUE_MAX})"
            )));
    }
    Ok(())
}

/// The error of a post at [`SEM_VALUE_MAX`].
fn overflow(object: Object) -> Error {
    Error::from_errno_as(ErrorKind::LimitReached, "sem_post", object, Errno::OVERFLOW)
        .with_detail(
            "the value is SEM_VALUE_MAX already; this limit is fixed by the C library and \
         cannot be raised, so take one before posting again",
        )
        .with_limit(
            Limit::new("SEM_VALUE_MAX", LimitScope::Fixed).with_current(SEM_VALUE_MAX.into()),
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_initial_value_above_the_maximum_is_an_invalid_argument_naming_it() {
        let sut = check_initial("sem_init", SEM_VALUE_MAX + 1, || "x".into()).unwrap_err();
        assert_eq!(sut.kind(), ErrorKind::InvalidArgument);
        assert!(sut.to_string().contains("SEM_VALUE_MAX"), "{sut}");
        assert!(check_initial("sem_init", SEM_VALUE_MAX, || "x".into()).is_ok());
    }

    #[test]
    fn an_overflow_names_its_limit() {
        let sut = overflow("x".into());
        assert_eq!(sut.kind(), ErrorKind::LimitReached);
        assert_eq!(sut.limit().unwrap().knob(), "SEM_VALUE_MAX");
        assert_eq!(sut.raw_os_error(), Some(libc::EOVERFLOW));
    }
}
