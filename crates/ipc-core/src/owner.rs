//! Whose existing object a handle accepts when it opens one by name or path.

/// Whose object an `open` accepts: the owner recorded by the kernel (`st_uid` from `fstat`) is
/// checked against this policy before the object is used.
///
/// An object in a shared namespace (`/dev/shm`, `/tmp`) can be planted by another user, who then
/// controls its contents and can change its mode. By default only objects owned by the caller's
/// effective user or by root are accepted; a service that talks to a known other user names it
/// with [`Uid`](Self::Uid), and [`Any`](Self::Any) turns the check off.
///
/// # Examples
///
/// ```
/// use ipc_core::TrustedOwner;
///
/// let me = rustix::process::geteuid().as_raw();
/// assert!(TrustedOwner::default().accepts(me));
/// assert!(TrustedOwner::default().accepts(0));
/// assert!(!TrustedOwner::Uid(me).accepts(me.wrapping_add(1)) || me.wrapping_add(1) == 0);
/// assert!(TrustedOwner::Any.accepts(12345));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum TrustedOwner {
    /// The caller's effective user, or root.
    #[default]
    CallerOrRoot,
    /// This user id, or root.
    Uid(u32),
    /// Anyone: the owner is not checked.
    Any,
}

impl TrustedOwner {
    /// Whether an object owned by `uid` is acceptable under this policy.
    ///
    /// # Examples
    ///
    /// ```
    /// use ipc_core::TrustedOwner;
    ///
    /// assert!(TrustedOwner::Uid(1000).accepts(1000));
    /// assert!(TrustedOwner::Uid(1000).accepts(0));
    /// assert!(!TrustedOwner::Uid(1000).accepts(1001));
    /// ```
    pub fn accepts(self, uid: u32) -> bool {
        uid == 0
            || match self {
                Self::CallerOrRoot => uid == rustix::process::geteuid().as_raw(),
                Self::Uid(trusted) => uid == trusted,
                Self::Any => true,
            }
    }
}
