//! A symbolic link planted at the socket path never redirects the bind.

use ipc_core::ErrorKind;
use ipc_core::testing::TempPath;
use ipc_sock::{UnixListener, UnixStream};

use crate::support::{PATIENCE, SockPath, is_socket};

#[test]
fn a_symlink_planted_at_the_path_without_a_lock_is_refused_and_its_target_untouched() {
    let path = SockPath::new();
    let target = TempPath::new("target");
    std::os::unix::fs::symlink(target.path(), path.path()).unwrap();
    let err = UnixListener::bind(&path.address()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AlreadyExists, "{err}");
    assert!(
        std::fs::symlink_metadata(target.path()).is_err(),
        "nothing was made at the target"
    );
    assert!(
        std::fs::symlink_metadata(path.path())
            .unwrap()
            .file_type()
            .is_symlink()
    );
}

#[test]
fn a_symlink_planted_at_a_stale_path_is_removed_not_followed() {
    let path = SockPath::new();
    // The lock file of a dead listener (with the marker its holder wrote), and a link to a
    // file of ours in its place.
    std::fs::write(path.lock(), b"1 ipc-sock listener\n").unwrap();
    let target = TempPath::new("target");
    std::fs::write(target.path(), b"precious").unwrap();
    std::os::unix::fs::symlink(target.path(), path.path()).unwrap();

    let sut = UnixListener::bind(&path.address()).unwrap();
    assert!(
        is_socket(path.path()),
        "the link was replaced by our socket"
    );
    assert_eq!(std::fs::read(target.path()).unwrap(), b"precious");
    let _client = UnixStream::connect(&path.address()).unwrap();
    sut.accept_timeout(PATIENCE).unwrap();
    drop(sut);
    path.assert_nothing_left();
    assert_eq!(std::fs::read(target.path()).unwrap(), b"precious");
}

#[test]
fn a_symlink_planted_at_the_lock_path_is_refused() {
    let path = SockPath::new();
    let target = TempPath::new("target");
    std::os::unix::fs::symlink(target.path(), path.lock()).unwrap();
    let err = UnixListener::bind(&path.address()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PermissionDenied, "{err}");
    assert!(std::fs::symlink_metadata(target.path()).is_err());
    assert!(std::fs::symlink_metadata(path.path()).is_err());
}
