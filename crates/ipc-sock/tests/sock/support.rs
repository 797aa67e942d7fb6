//! What the tests share: bounds, socket paths that clean up after themselves, and the
//! descriptor count.

use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

use ipc_core::testing::TempPath;
use ipc_sock::UnixAddress;

/// A bound for things that do happen; generous, because the machine may be busy building.
pub(crate) const PATIENCE: Duration = Duration::from_secs(30);

/// The timeout given to bounded calls that are expected to time out; they must take at least
/// this long.
pub(crate) const SHORT: Duration = Duration::from_millis(100);

/// The spawn lock, shared by every test of this binary.
pub(crate) use ipc_core::testing::SpawnLock as Spawner;

/// A socket path in the temporary directory, with its lock file's path; whatever a test or a
/// killed child leaves at either is removed on drop.
#[derive(Debug)]
pub(crate) struct SockPath {
    socket: TempPath,
    lock: PathBuf,
}

impl SockPath {
    pub(crate) fn new() -> Self {
        let socket = TempPath::new("sock");
        let lock = lock_path(socket.path());
        Self { socket, lock }
    }

    pub(crate) fn path(&self) -> &Path {
        self.socket.path()
    }

    pub(crate) fn lock(&self) -> &Path {
        &self.lock
    }

    pub(crate) fn address(&self) -> UnixAddress {
        UnixAddress::path(self.path()).unwrap()
    }

    /// Asserts that neither the socket file nor the lock file exists.
    #[track_caller]
    pub(crate) fn assert_nothing_left(&self) {
        assert!(
            std::fs::symlink_metadata(self.path()).is_err(),
            "the socket file {} was left behind",
            self.path().display()
        );
        assert!(
            std::fs::symlink_metadata(self.lock()).is_err(),
            "the lock file {} was left behind",
            self.lock().display()
        );
    }
}

impl Drop for SockPath {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.lock);
    }
}

/// The lock file's path beside `socket`.
pub(crate) fn lock_path(socket: &Path) -> PathBuf {
    let mut name = socket.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

/// Whether a socket file is at `path`.
pub(crate) fn is_socket(path: &Path) -> bool {
    use std::os::unix::fs::FileTypeExt;
    std::fs::symlink_metadata(path).is_ok_and(|meta| meta.file_type().is_socket())
}

/// Parks a child role until the parent kills it.
pub(crate) fn park_forever() -> ! {
    loop {
        thread::park();
    }
}

/// The number of descriptors this process has open (`/proc/self/fd`, not counting the one
/// the listing itself uses).
pub(crate) fn open_descriptors() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count() - 1
}

/// Asserts that a bounded call begun at `start` gave up no sooner than `timeout`.
#[track_caller]
pub(crate) fn assert_waited(start: Instant, timeout: Duration) {
    let waited = start.elapsed();
    assert!(
        waited >= timeout,
        "gave up after {waited:?}, before {timeout:?}"
    );
}
