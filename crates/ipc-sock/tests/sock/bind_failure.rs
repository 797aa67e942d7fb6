//! A bind that fails after `bind(2)` made the socket file removes it, so the path is not left
//! holding a socket without a lock (which the next bind would refuse).

use ipc_core::testing::{ChildBuilder, ChildContext};
use ipc_sock::{UnixAddress, UnixListener};
use rustix::fs::{Mode, OFlags};
use rustix::io::Errno;
use rustix::process::{Resource, Rlimit};

use crate::support::{PATIENCE, SockPath, Spawner, lock_path};

/// In a child: leaves exactly two descriptor numbers free, so that the bind's socket and
/// lock file take them and opening the socket file it just bound fails with `EMFILE`;
/// reports the error's kind, what is left at the path, and whether a bind with descriptors
/// to spare then succeeds.
fn bind_with_two_descriptors_left(ctx: &ChildContext) {
    let path = std::path::PathBuf::from(ctx.arg("path").unwrap());
    let address = UnixAddress::path(&path).unwrap();
    let limit = rustix::process::getrlimit(Resource::Nofile);
    let low = limit.current.map_or(64, |current| current.min(64));
    rustix::process::setrlimit(
        Resource::Nofile,
        Rlimit {
            current: Some(low),
            maximum: limit.maximum,
        },
    )
    .unwrap();
    let mut filler = Vec::new();
    loop {
        match rustix::fs::open("/dev/null", OFlags::RDONLY | OFlags::CLOEXEC, Mode::empty()) {
            Ok(fd) => filler.push(fd),
            Err(Errno::MFILE) => break,
            Err(errno) => panic!("open /dev/null: {errno}"),
        }
    }
    filler.truncate(filler.len() - 2);
    let err = UnixListener::bind(&address).unwrap_err();
    let left = format!(
        "{:?} socket:{} lock:{}",
        err.kind(),
        std::fs::symlink_metadata(&path).is_ok(),
        std::fs::symlink_metadata(lock_path(&path)).is_ok()
    );
    drop(filler);
    let again = match UnixListener::bind(&address) {
        Ok(_) => "rebound".to_owned(),
        Err(err) => err.to_string(),
    };
    ctx.report(&format!("{left} {again}"));
}

#[test]
fn a_bind_out_of_descriptors_after_binding_leaves_nothing_and_the_path_usable() {
    if let Some(ctx) = ChildContext::current() {
        bind_with_two_descriptors_left(&ctx);
        return;
    }
    let path = SockPath::new();
    let mut child = Spawner::lock()
        .spawn(ChildBuilder::new("out-of-descriptors").arg("path", path.path().display()));
    child.expect_report("LimitReached socket:false lock:false rebound", PATIENCE);
    child.expect_success(PATIENCE);
    path.assert_nothing_left();
}
