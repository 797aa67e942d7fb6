//! TCP on the loopback interface between real processes: the exchange, the timeouts,
//! `PeerGone` instead of `SIGPIPE`, and `TCP_NODELAY`.

use std::net::SocketAddr;
use std::time::Instant;

use ipc_core::ErrorKind;
use ipc_core::testing::{ChildBuilder, ChildContext, SigpipeDisposition, set_sigpipe};
use ipc_sock::{TcpListener, TcpStream};
use rustix::event::{PollFd, PollFlags, Timespec, poll};
use rustix::net::{AddressFamily, SocketType};

use crate::support::{PATIENCE, SHORT, Spawner, assert_waited};

fn loopback() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

fn port_of(ctx: &ChildContext) -> SocketAddr {
    ctx.arg("address").unwrap().parse().unwrap()
}

/// In a child: connects to the server told in `address`, sends the reference's greeting and
/// reports the answer.
fn client(ctx: &ChildContext) {
    let stream = TcpStream::connect_timeout(&port_of(ctx), PATIENCE).unwrap();
    stream.set_nodelay(true).unwrap();
    stream.send_all(b"Hello from client").unwrap();
    let mut reply = [0; 17];
    stream.receive_exact_timeout(&mut reply, PATIENCE).unwrap();
    ctx.report(&format!(
        "Client received: {}",
        String::from_utf8_lossy(&reply)
    ));
}

#[test]
fn a_client_process_exchanges_messages_with_a_server_on_a_kernel_chosen_port() {
    if let Some(ctx) = ChildContext::current() {
        client(&ctx);
        return;
    }
    let sut = TcpListener::bind(&loopback()).unwrap();
    assert!(sut.reuse_address().unwrap());
    let mut child =
        Spawner::lock().spawn(ChildBuilder::new("client").arg("address", sut.local_address()));
    let stream = sut.accept_timeout(PATIENCE).unwrap();
    let mut greeting = [0; 17];
    stream
        .receive_exact_timeout(&mut greeting, PATIENCE)
        .unwrap();
    assert_eq!(&greeting, b"Hello from client");
    stream.send_all(b"Hello from server").unwrap();
    child.expect_report("Client received: Hello from server", PATIENCE);
    child.expect_success(PATIENCE);
}

/// In a child with `SIGPIPE` at `SIG_DFL`: connects, waits for the server to close, then
/// sends in every form and reports each error's kind.
fn writer(ctx: &ChildContext) {
    set_sigpipe(SigpipeDisposition::Default);
    let stream = TcpStream::connect_timeout(&port_of(ctx), PATIENCE).unwrap();
    let mut buf = [0; 1];
    assert_eq!(stream.receive_timeout(&mut buf, PATIENCE).unwrap(), 0);
    // The first send after the peer's close draws its RST; the kernel reports the reset on
    // a later call. Wait for the reset itself (it closes the socket: POLLHUP, with the
    // error pending: POLLERR, both reported whatever events are asked for), then every form
    // must say PeerGone.
    stream.send(b"x").unwrap();
    let mut fds = [PollFd::new(&stream, PollFlags::empty())];
    let patience = Timespec::try_from(PATIENCE).unwrap();
    assert_eq!(
        poll(&mut fds, Some(&patience)).unwrap(),
        1,
        "no reset after the peer closed"
    );
    assert!(
        fds[0].revents().intersects(PollFlags::ERR | PollFlags::HUP),
        "{:?}",
        fds[0].revents()
    );
    let kinds = [
        stream.send(b"x").map(drop),
        stream.try_send(b"x").map(drop),
        stream.send_timeout(b"x", PATIENCE).map(drop),
        stream.send_all(&[0; 100_000]),
        stream.send_all_deadline(b"x", Instant::now() + PATIENCE),
    ]
    .map(|result| format!("{:?}", result.unwrap_err().kind()));
    // Reaching this line at all is the proof: a SIGPIPE at SIG_DFL would have killed us.
    ctx.report(&kinds.join(" "));
}

#[test]
fn a_tcp_writer_with_default_sigpipe_gets_peer_gone_and_survives() {
    if let Some(ctx) = ChildContext::current() {
        writer(&ctx);
        return;
    }
    let sut = TcpListener::bind(&loopback()).unwrap();
    let mut child =
        Spawner::lock().spawn(ChildBuilder::new("writer").arg("address", sut.local_address()));
    drop(sut.accept_timeout(PATIENCE).unwrap());
    child.expect_report("PeerGone PeerGone PeerGone PeerGone PeerGone", PATIENCE);
    child.expect_success(PATIENCE);
}

#[test]
fn accept_and_receive_without_a_peer_would_block_or_time_out_after_at_least_the_timeout() {
    let sut = TcpListener::bind(&loopback()).unwrap();
    assert_eq!(sut.try_accept().unwrap_err().kind(), ErrorKind::WouldBlock);
    let start = Instant::now();
    let err = sut.accept_timeout(SHORT).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TimedOut, "{err}");
    assert_waited(start, SHORT);

    let client = TcpStream::connect_timeout(&sut.local_address(), PATIENCE).unwrap();
    let server = sut.accept_timeout(PATIENCE).unwrap();
    let mut buf = [0; 4];
    assert_eq!(
        server.try_receive(&mut buf).unwrap_err().kind(),
        ErrorKind::WouldBlock
    );
    let start = Instant::now();
    let err = server.receive_exact_timeout(&mut buf, SHORT).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TimedOut, "{err}");
    assert_waited(start, SHORT);
    drop(client);
}

#[test]
fn connect_where_nothing_listens_is_peer_gone() {
    // A port held by a socket that is bound but does not listen: connecting is refused, and
    // no other test can take the port meanwhile (the socket lacks SO_REUSEADDR, so even a
    // listener that sets it cannot bind there).
    let holder = rustix::net::socket(AddressFamily::INET, SocketType::STREAM, None).unwrap();
    rustix::net::bind(&holder, &loopback()).unwrap();
    let address = SocketAddr::try_from(rustix::net::getsockname(&holder).unwrap()).unwrap();
    let err = TcpStream::connect_timeout(&address, PATIENCE).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PeerGone, "{err}");
    assert!(err.to_string().contains(&address.to_string()), "{err}");
}

#[test]
fn a_second_listener_on_a_live_port_is_refused_despite_reuse_address() {
    let sut = TcpListener::bind(&loopback()).unwrap();
    let err = TcpListener::bind(&sut.local_address()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AlreadyExists, "{err}");
}

#[test]
fn nodelay_is_off_until_set_and_reads_back_as_set() {
    let listener = TcpListener::bind(&loopback()).unwrap();
    let sut = TcpStream::connect(&listener.local_address()).unwrap();
    assert!(!sut.nodelay().unwrap());
    sut.set_nodelay(true).unwrap();
    assert!(sut.nodelay().unwrap());
    sut.set_nodelay(false).unwrap();
    assert!(!sut.nodelay().unwrap());
}

#[test]
fn from_fd_refuses_a_listening_socket_and_a_stream_socket_of_another_protocol() {
    let listener = ipc_sock::TcpListener::bind(&"127.0.0.1:0".parse().unwrap()).unwrap();
    let err = ipc_sock::TcpStream::from_fd(listener.into()).unwrap_err();
    assert_eq!(err.kind(), ipc_core::ErrorKind::InvalidArgument, "{err}");
    assert!(err.detail().unwrap().contains("listening"), "{err}");
    // MPTCP (Linux 5.6) is a SOCK_STREAM internet socket that is not TCP; kernels without it
    // refuse to create one, and then there is nothing to check.
    let mptcp = rustix::net::socket(
        rustix::net::AddressFamily::INET,
        rustix::net::SocketType::STREAM,
        Some(rustix::net::Protocol::from_raw(
            std::num::NonZeroU32::new(262).unwrap(),
        )),
    );
    if let Ok(sut) = mptcp {
        let err = ipc_sock::TcpStream::from_fd(sut).unwrap_err();
        assert_eq!(err.kind(), ipc_core::ErrorKind::InvalidArgument, "{err}");
        assert!(err.detail().unwrap().contains("SO_PROTOCOL"), "{err}");
    }
}
