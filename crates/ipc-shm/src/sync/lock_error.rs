//! The result of taking a robust lock: the guard, the guard with the news that its previous
//! owner died, or an error.

use std::fmt;

use ipc_core::{Error, ErrorKind};

/// The result of [`Mutex::lock`](super::Mutex::lock) and its relatives, and of the
/// [`Condvar`](super::Condvar) waits that lock again: like `std::sync::LockResult`.
pub type LockResult<G> = Result<G, LockError<G>>;

/// Why a robust lock call did not simply return its guard.
///
/// # Examples
///
/// ```
/// use ipc_core::ErrorKind;
/// use ipc_shm::AnonymousRegion;
/// use ipc_shm::sync::{LockError, Mutex};
///
/// let region = std::sync::Arc::new(AnonymousRegion::new(4096)?);
/// let sut = Mutex::init(&region, 0, 0_u32)?;
/// let _held = sut.lock()?;
/// match sut.try_lock() {
///     Err(LockError::Failed(err)) => assert_eq!(err.kind(), ErrorKind::InvalidArgument),
///     _ => panic!("this thread holds it"),
/// }
/// # Ok::<(), ipc_core::Error>(())
/// ```
pub enum LockError<G> {
    /// The lock was taken, but the process or thread that held it before died holding it: the
    /// data may be half-updated. The guard is inside; repair the data, then call
    /// [`MutexGuard::mark_consistent`](super::MutexGuard::mark_consistent).
    OwnerDied(OwnerDied<G>),
    /// The lock was not taken: [`WouldBlock`](ErrorKind::WouldBlock) (`try_*`),
    /// [`TimedOut`](ErrorKind::TimedOut), [`CorruptSharedState`](ErrorKind::CorruptSharedState)
    /// (not recoverable), [`InvalidArgument`](ErrorKind::InvalidArgument) (held by this thread).
    Failed(Error),
}

impl<G> LockError<G> {
    /// The error's kind; [`CorruptSharedState`](ErrorKind::CorruptSharedState) for
    /// [`OwnerDied`](LockError::OwnerDied) (which also hands over the lock).
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_core::{Error, ErrorKind};
    /// let err = ipc_shm::sync::LockError::<()>::Failed(Error::new(ErrorKind::TimedOut, "lock"));
    /// assert_eq!(err.kind(), ErrorKind::TimedOut);
    /// ```
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::OwnerDied(_) => ErrorKind::CorruptSharedState,
            Self::Failed(err) => err.kind(),
        }
    }

    /// Whether the lock was taken from a dead owner.
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_core::{Error, ErrorKind};
    /// let err = ipc_shm::sync::LockError::<()>::Failed(Error::new(ErrorKind::TimedOut, "lock"));
    /// assert!(!err.is_owner_died());
    /// ```
    pub fn is_owner_died(&self) -> bool {
        matches!(self, Self::OwnerDied(_))
    }

    /// An owned error, for `?` in a function that returns `Box<dyn Error>` (a `LockError`
    /// holds a guard that borrows its mutex and may not leave the thread, so it cannot go in
    /// the box itself). The same as `ipc_core::Error::from`: an owner-died guard is dropped
    /// **without** being marked consistent, which makes the mutex not recoverable for every
    /// process, and becomes a [`CorruptSharedState`](ErrorKind::CorruptSharedState) error.
    /// Match on [`LockError::OwnerDied`] first where the data can be repaired.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use ipc_shm::AnonymousRegion;
    /// use ipc_shm::sync::{LockError, Mutex};
    ///
    /// fn read(mutex: &Mutex<AnonymousRegion, u32>) -> Result<u32, Box<dyn std::error::Error>> {
    ///     Ok(mutex.lock().map_err(LockError::into_error)?.get())
    /// }
    ///
    /// let region = Arc::new(AnonymousRegion::new(4096)?);
    /// let sut = Mutex::init(&region, 0, 9_u32)?;
    /// assert_eq!(read(&sut)?, 9);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn into_error(self) -> Error {
        Error::from(self)
    }
}

impl<G> fmt::Debug for LockError<G> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::OwnerDied(died) => f.debug_tuple("OwnerDied").field(died).finish(),
            Self::Failed(err) => f.debug_tuple("Failed").field(err).finish(),
        }
    }
}

impl<G> fmt::Display for LockError<G> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::OwnerDied(died) => fmt::Display::fmt(died, f),
            Self::Failed(err) => fmt::Display::fmt(err, f),
        }
    }
}

impl<G> std::error::Error for LockError<G> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::OwnerDied(_) => None,
            Self::Failed(err) => Some(err),
        }
    }
}

/// `?` on a lock result: an owner-died guard is dropped *without* being marked consistent,
/// which makes the mutex not recoverable for every process (the safe default for data nobody
/// repaired), and becomes its [`CorruptSharedState`](ErrorKind::CorruptSharedState) error,
/// naming the operation, the region and the offset.
impl<G> From<LockError<G>> for Error {
    fn from(err: LockError<G>) -> Self {
        match err {
            LockError::OwnerDied(died) => {
                let OwnerDied { guard, error } = died;
                drop(guard);
                let detail = format!(
                    "{}, and the guard was dropped without repair: the mutex is now not \
                     recoverable",
                    error
                        .detail()
                        .unwrap_or("the previous owner died holding the lock")
                );
                error.with_detail(detail)
            }
            LockError::Failed(err) => err,
        }
    }
}

/// A lock taken from an owner that died holding it, like `std::sync::PoisonError`: the guard
/// is inside.
///
/// # Examples
///
/// See [`MutexGuard::mark_consistent`](super::MutexGuard::mark_consistent).
pub struct OwnerDied<G> {
    guard: G,
    /// What happened, as the error `?` turns this into: operation, object, offset, `EOWNERDEAD`.
    error: Error,
}

impl<G> OwnerDied<G> {
    /// The lock `guard` holds, taken from a dead owner, as `error` describes.
    pub(crate) fn new(guard: G, error: Error) -> Self {
        Self { guard, error }
    }

    /// The guard: the lock is held.
    ///
    /// # Examples
    ///
    /// See [`MutexGuard::mark_consistent`](super::MutexGuard::mark_consistent).
    pub fn into_guard(self) -> G {
        self.guard
    }

    /// The guard, borrowed.
    ///
    /// # Examples
    ///
    /// See [`MutexGuard::mark_consistent`](super::MutexGuard::mark_consistent).
    pub fn guard(&self) -> &G {
        &self.guard
    }

    /// Applies `f` to the guard, keeping the news that the owner died (for a condition
    /// variable's wait, which returns more than the guard).
    pub(crate) fn map<H>(self, f: impl FnOnce(G) -> H) -> OwnerDied<H> {
        OwnerDied::new(f(self.guard), self.error)
    }
}

impl<G> fmt::Debug for OwnerDied<G> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnerDied")
            .field("error", &self.error)
            .finish_non_exhaustive()
    }
}

impl<G> fmt::Display for OwnerDied<G> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}; the data may be inconsistent until it is repaired and marked consistent",
            self.error
        )
    }
}

impl<G> std::error::Error for OwnerDied<G> {}
