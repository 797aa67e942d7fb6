//! A writer whose `SIGPIPE` is at `SIG_DFL` gets `PeerGone` from every send form when the peer
//! is gone, and survives.

use std::time::Duration;

use ipc_core::testing::{ChildBuilder, ChildContext, SigpipeDisposition, set_sigpipe};
use ipc_sock::{UnixAddress, UnixListener, UnixStream};

use crate::support::{PATIENCE, SockPath, Spawner};

/// In a child with `SIGPIPE` at `SIG_DFL`: connects, waits for the server to close, then sends
/// in every form and reports each error's kind.
fn writer(ctx: &ChildContext) {
    set_sigpipe(SigpipeDisposition::Default);
    let address = UnixAddress::path(ctx.arg("path").unwrap()).unwrap();
    let stream = UnixStream::connect_timeout(&address, PATIENCE).unwrap();
    let mut buf = [0; 1];
    assert_eq!(
        stream.receive_timeout(&mut buf, PATIENCE).unwrap(),
        0,
        "the server closed"
    );
    let kinds = [
        stream.send(b"x").map(drop),
        stream.try_send(b"x").map(drop),
        stream.send_timeout(b"x", Duration::from_secs(1)).map(drop),
        stream.send_all(&[0; 100_000]),
        stream.send_all_deadline(b"x", std::time::Instant::now() + PATIENCE),
    ]
    .map(|result| format!("{:?}", result.unwrap_err().kind()));
    // Reaching this line at all is the proof: a SIGPIPE at SIG_DFL would have killed us.
    ctx.report(&kinds.join(" "));
}

#[test]
fn a_writer_with_default_sigpipe_gets_peer_gone_from_every_send_and_survives() {
    if let Some(ctx) = ChildContext::current() {
        writer(&ctx);
        return;
    }
    let path = SockPath::new();
    let sut = UnixListener::bind(&path.address()).unwrap();
    let mut child =
        Spawner::lock().spawn(ChildBuilder::new("writer").arg("path", path.path().display()));
    drop(sut.accept_timeout(PATIENCE).unwrap());
    child.expect_report("PeerGone PeerGone PeerGone PeerGone PeerGone", PATIENCE);
    child.expect_success(PATIENCE);
    drop(sut);
    path.assert_nothing_left();
}
