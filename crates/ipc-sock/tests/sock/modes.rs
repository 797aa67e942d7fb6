//! The socket file gets exactly the mode asked for, whatever the umask (changed only in child
//! processes: it is process-wide).

use std::os::unix::fs::PermissionsExt;

use ipc_core::Permissions;
use ipc_core::testing::{ChildBuilder, ChildContext};
use ipc_sock::UnixListener;
use rustix::fs::Mode;

use crate::support::{PATIENCE, SockPath, Spawner};

/// In a child: sets the umask from the `umask` argument, binds at `path` with mode `mode`,
/// reports the socket file's mode and the lock file's, and drops the listener.
fn bind_under_umask(ctx: &ChildContext) {
    let umask = u32::from_str_radix(ctx.arg("umask").unwrap(), 8).unwrap();
    let mode = u32::from_str_radix(ctx.arg("mode").unwrap(), 8).unwrap();
    let path = std::path::PathBuf::from(ctx.arg("path").unwrap());
    rustix::process::umask(Mode::from_raw_mode(umask));
    let address = ipc_sock::UnixAddress::path(&path).unwrap();
    let sut = UnixListener::builder()
        .permissions(Permissions::from_mode(mode).unwrap())
        .bind(&address)
        .unwrap();
    let socket_mode = std::fs::symlink_metadata(&path)
        .unwrap()
        .permissions()
        .mode()
        & 0o7777;
    let lock_mode = std::fs::symlink_metadata(crate::support::lock_path(&path))
        .unwrap()
        .permissions()
        .mode()
        & 0o7777;
    ctx.report(&format!("socket {socket_mode:o} lock {lock_mode:o}"));
    drop(sut);
}

fn assert_mode_under_umask(umask: u32, mode: u32) {
    let path = SockPath::new();
    let mut child = Spawner::lock().spawn(
        ChildBuilder::new("bind-under-umask")
            .arg("umask", format!("{umask:o}"))
            .arg("mode", format!("{mode:o}"))
            .arg("path", path.path().display()),
    );
    child.expect_report(&format!("socket {mode:o} lock 600"), PATIENCE);
    child.expect_success(PATIENCE);
    path.assert_nothing_left();
}

#[test]
fn the_socket_file_is_exactly_0o600_under_umask_0() {
    if let Some(ctx) = ChildContext::current() {
        bind_under_umask(&ctx);
        return;
    }
    assert_mode_under_umask(0, 0o600);
}

#[test]
fn the_socket_file_is_exactly_0o600_under_umask_077() {
    if let Some(ctx) = ChildContext::current() {
        bind_under_umask(&ctx);
        return;
    }
    assert_mode_under_umask(0o077, 0o600);
}

#[test]
fn a_wider_mode_asked_for_is_given_exactly_under_umask_077() {
    if let Some(ctx) = ChildContext::current() {
        bind_under_umask(&ctx);
        return;
    }
    assert_mode_under_umask(0o077, 0o660);
}

/// In a child with umask 0: binds a datagram socket with mode `0o600` at `path` again and
/// again while a second thread `lstat`s the path as fast as it can, and reports every
/// permission bit either saw on the socket file ("seen 600" when no instant was wider).
fn watch_the_bind_window(ctx: &ChildContext) {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

    const BINDS: usize = 200;
    let path = std::path::PathBuf::from(ctx.arg("path").unwrap());
    rustix::process::umask(Mode::empty());
    let seen = Arc::new(AtomicU32::new(0));
    let done = Arc::new(AtomicBool::new(false));
    let watcher = {
        let (path, seen, done) = (path.clone(), Arc::clone(&seen), Arc::clone(&done));
        std::thread::spawn(move || {
            while !done.load(Ordering::Relaxed) {
                if let Ok(stat) = rustix::fs::lstat(&path) {
                    seen.fetch_or(stat.st_mode & 0o777, Ordering::Relaxed);
                }
            }
        })
    };
    let address = ipc_sock::UnixAddress::path(&path).unwrap();
    for _ in 0..BINDS {
        let sut = ipc_sock::UnixDatagram::builder()
            .permissions(Permissions::OWNER_ONLY)
            .bind_datagram(&address)
            .unwrap();
        let stat = rustix::fs::lstat(&path).unwrap();
        seen.fetch_or(stat.st_mode & 0o777, Ordering::Relaxed);
        drop(sut);
    }
    done.store(true, Ordering::Relaxed);
    watcher.join().unwrap();
    ctx.report(&format!("seen {:o}", seen.load(Ordering::Relaxed)));
}

#[test]
fn a_datagram_socket_file_is_never_wider_than_asked_for_even_right_after_bind_under_umask_0() {
    if let Some(ctx) = ChildContext::current() {
        watch_the_bind_window(&ctx);
        return;
    }
    let path = SockPath::new();
    let mut child =
        Spawner::lock().spawn(ChildBuilder::new("bind-window").arg("path", path.path().display()));
    child.expect_report("seen 600", PATIENCE);
    child.expect_success(PATIENCE);
    path.assert_nothing_left();
}
