//! Peer identity between real processes: `SO_PEERCRED`, `SO_PEERPIDFD` and `SCM_CREDENTIALS`.

use std::os::fd::{AsRawFd, OwnedFd};

use ipc_core::ErrorKind;
use ipc_core::testing::{ChildBuilder, ChildContext};
use ipc_sock::{Credentials, UnixAddress, UnixListener, UnixStream};

use crate::support::{PATIENCE, SockPath, Spawner};

/// The user and group a child drops to when the tests run as root: `nobody`/`nogroup`.
const NOBODY: u32 = 65534;

/// In a child: connects to the `path` argument; when `send` is given, waits for a go-ahead
/// byte and then sends its own credentials explicitly and a plain message; otherwise reports
/// and waits for the server to close.
fn client(ctx: &ChildContext) {
    let address = UnixAddress::path(ctx.arg("path").unwrap()).unwrap();
    let stream = UnixStream::connect_timeout(&address, PATIENCE).unwrap();
    if ctx.arg("send").is_some() {
        stream.receive_exact_timeout(&mut [0; 1], PATIENCE).unwrap();
        stream
            .send_with_credentials(b"explicit", Credentials::current())
            .unwrap();
        stream.send_all(b"implicit").unwrap();
    }
    ctx.report("connected");
    let mut buf = [0; 1];
    assert_eq!(stream.receive_timeout(&mut buf, PATIENCE).unwrap(), 0);
}

/// The `Pid:` line of `/proc/self/fdinfo/<fd>` for a pidfd.
fn pidfd_pid(pidfd: &OwnedFd) -> Option<u32> {
    let info = std::fs::read_to_string(format!("/proc/self/fdinfo/{}", pidfd.as_raw_fd())).ok()?;
    info.lines()
        .find_map(|line| line.strip_prefix("Pid:"))
        .and_then(|pid| pid.trim().parse().ok())
}

#[test]
fn peer_credentials_and_pidfd_name_the_connected_child_process() {
    if let Some(ctx) = ChildContext::current() {
        client(&ctx);
        return;
    }
    let path = SockPath::new();
    let listener = UnixListener::bind(&path.address()).unwrap();
    let mut child =
        Spawner::lock().spawn(ChildBuilder::new("client").arg("path", path.path().display()));
    let sut = listener.accept_timeout(PATIENCE).unwrap();
    child.expect_report("connected", PATIENCE);
    let me = Credentials::current();
    assert_eq!(
        sut.peer_credentials().unwrap(),
        Credentials {
            pid: child.pid(),
            uid: me.uid,
            gid: me.gid
        }
    );
    match sut.peer_pidfd() {
        Ok(pidfd) => {
            assert_eq!(pidfd_pid(&pidfd), Some(child.pid()));
            let flags = rustix::io::fcntl_getfd(&pidfd).unwrap();
            assert!(flags.contains(rustix::io::FdFlags::CLOEXEC));
        }
        Err(err) => assert_eq!(err.kind(), ErrorKind::Unsupported, "{err}"),
    }
    drop(sut);
    child.expect_success(PATIENCE);
    drop(listener);
    path.assert_nothing_left();
}

#[test]
fn a_server_passing_credentials_receives_the_senders_with_each_message() {
    if let Some(ctx) = ChildContext::current() {
        client(&ctx);
        return;
    }
    let path = SockPath::new();
    let listener = UnixListener::bind(&path.address()).unwrap();
    let mut child = Spawner::lock().spawn(
        ChildBuilder::new("client")
            .arg("path", path.path().display())
            .arg("send", "yes"),
    );
    let sut = listener.accept_timeout(PATIENCE).unwrap();
    sut.set_pass_credentials(true).unwrap();
    assert!(sut.pass_credentials().unwrap());
    sut.send_all(b"g").unwrap();
    let me = Credentials::current();
    let expected = Credentials {
        pid: child.pid(),
        uid: me.uid,
        gid: me.gid,
    };
    for text in [&b"explicit"[..], b"implicit"] {
        let mut buf = [0; 8];
        let got = sut.receive_message_timeout(&mut buf, 0, PATIENCE).unwrap();
        assert_eq!(&buf[..got.len], text);
        assert_eq!(got.credentials, Some(expected));
        assert!(got.fds.is_empty());
    }
    child.expect_report("connected", PATIENCE);
    drop(sut);
    child.expect_success(PATIENCE);
    drop(listener);
    path.assert_nothing_left();
}

/// In a child: drops to `nobody` (when root), then claims to be root in `SCM_CREDENTIALS` and
/// reports the error's kind.
fn impostor(ctx: &ChildContext) {
    let (sut, _peer) = UnixStream::pair().unwrap();
    if rustix::process::geteuid().is_root() {
        drop_privileges();
    }
    let mut claimed = Credentials::current();
    claimed.uid = 0;
    let outcome = sut.send_with_credentials(b"x", claimed);
    ctx.report(&format!("{:?}", outcome.map_err(|err| err.kind())));
}

/// Becomes `nobody`/`nogroup` for good: group first, while still allowed to change it.
fn drop_privileges() {
    #[allow(
        unsafe_code,
        reason = "setgid and setuid have no safe wrapper for the whole process"
    )]
    // SAFETY: setgid takes a plain id and changes only this process's credentials.
    let group = unsafe { libc::setgid(NOBODY) };
    assert_eq!(group, 0, "setgid: {}", std::io::Error::last_os_error());
    #[allow(
        unsafe_code,
        reason = "setgid and setuid have no safe wrapper for the whole process"
    )]
    // SAFETY: setuid takes a plain id and changes only this process's credentials.
    let user = unsafe { libc::setuid(NOBODY) };
    assert_eq!(user, 0, "setuid: {}", std::io::Error::last_os_error());
}

#[test]
fn an_unprivileged_process_claiming_root_credentials_is_refused() {
    if let Some(ctx) = ChildContext::current() {
        impostor(&ctx);
        return;
    }
    let mut child = Spawner::lock().spawn(ChildBuilder::new("impostor"));
    child.expect_report("Err(PermissionDenied)", PATIENCE);
    child.expect_success(PATIENCE);
}
