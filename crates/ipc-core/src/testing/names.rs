//! Names and System V keys for the objects tests create, all findable by the leak sweep.

use std::hash::{BuildHasher, RandomState};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

use crate::{TEST_PREFIX, unique_name};

/// The top byte of every System V key a test uses ([`unique_sysv_key`]); the leak sweep looks
/// for it under [`TEST_SYSV_KEY_MASK`].
///
/// # Examples
///
/// ```
/// use ipc_core::testing::{TEST_SYSV_KEY_MASK, TEST_SYSV_KEY_TAG};
/// assert_eq!(TEST_SYSV_KEY_TAG & !TEST_SYSV_KEY_MASK, 0);
/// ```
pub const TEST_SYSV_KEY_TAG: u32 = 0x1C00_0000;

/// The bits of a System V key that hold [`TEST_SYSV_KEY_TAG`].
///
/// # Examples
///
/// ```
/// use ipc_core::testing::{TEST_SYSV_KEY_MASK, TEST_SYSV_KEY_TAG, unique_sysv_key};
/// let key = unique_sysv_key().cast_unsigned();
/// assert_eq!(key & TEST_SYSV_KEY_MASK, TEST_SYSV_KEY_TAG);
/// ```
pub const TEST_SYSV_KEY_MASK: u32 = 0xFF00_0000;

/// A unique name for a test object of `kind`: `ipc-rs-test-{kind}-{pid}-{counter}-{random}`.
///
/// Use it for every object a test creates (POSIX shm and queue names get a leading `/`), so that
/// [`leaked_objects`](super::leaked_objects) finds whatever a test forgot to remove.
///
/// # Examples
///
/// ```
/// use ipc_core::testing::unique_test_name;
///
/// let name = unique_test_name("shm");
/// assert!(name.starts_with(&format!("{}-shm-", ipc_core::TEST_PREFIX)));
/// assert_ne!(name, unique_test_name("shm"));
/// ```
pub fn unique_test_name(kind: &str) -> String {
    unique_name(&format!("{TEST_PREFIX}-{kind}"))
}

/// A System V IPC key for a test: [`TEST_SYSV_KEY_TAG`] in the top byte, and low bits that are
/// distinct for the first 2²⁴ calls in a process and start at a random point, so concurrent test
/// processes rarely meet. Create with `IPC_CREAT | IPC_EXCL` and take a new key on `EEXIST`.
///
/// The key is positive and never `IPC_PRIVATE` (0).
///
/// # Examples
///
/// ```
/// use ipc_core::testing::unique_sysv_key;
///
/// let (a, b) = (unique_sysv_key(), unique_sysv_key());
/// assert!(a > 0 && b > 0);
/// assert_ne!(a, b);
/// ```
pub fn unique_sysv_key() -> i32 {
    static START: OnceLock<u32> = OnceLock::new();
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let start = *START.get_or_init(|| {
        let random = RandomState::new().hash_one(std::process::id());
        (random as u32) & !TEST_SYSV_KEY_MASK
    });
    // Relaxed: the counter only has to hand out distinct values.
    let low = start.wrapping_add(NEXT.fetch_add(1, Ordering::Relaxed)) & !TEST_SYSV_KEY_MASK;
    (TEST_SYSV_KEY_TAG | low).cast_signed()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_names_carry_the_prefix_and_kind_and_differ() {
        let a = unique_test_name("mq");
        let b = unique_test_name("mq");
        assert!(a.starts_with("ipc-rs-test-mq-"), "{a}");
        assert_ne!(a, b);
    }

    #[test]
    fn sysv_keys_carry_the_tag_and_differ() {
        let keys: Vec<i32> = (0..1000).map(|_| unique_sysv_key()).collect();
        for &key in &keys {
            assert!(key > 0);
            assert_eq!(key.cast_unsigned() & TEST_SYSV_KEY_MASK, TEST_SYSV_KEY_TAG);
        }
        let mut sorted = keys.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), keys.len());
    }
}
