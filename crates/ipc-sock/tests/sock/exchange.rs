//! A client process connects and exchanges messages with a server (the reference's Unix
//! domain socket program), on a path and on an abstract name.

use ipc_core::testing::{ChildBuilder, ChildContext, unique_test_name};
use ipc_sock::{UnixAddress, UnixListener, UnixStream};

use crate::support::{PATIENCE, SockPath, Spawner};

/// In a child: connects to the address in the `path` or `abstract` argument, sends the
/// client's greeting, and reports what the server answered.
fn client(ctx: &ChildContext) {
    let address = match (ctx.arg("path"), ctx.arg("abstract")) {
        (Some(path), _) => UnixAddress::path(path).unwrap(),
        (None, Some(name)) => UnixAddress::abstract_name(name).unwrap(),
        (None, None) => panic!("no address given"),
    };
    let stream = UnixStream::connect_timeout(&address, PATIENCE).unwrap();
    stream.send_all(b"Hello from client!").unwrap();
    let mut reply = [0; 18];
    stream.receive_exact_timeout(&mut reply, PATIENCE).unwrap();
    ctx.report(&format!(
        "Client received: {}",
        String::from_utf8_lossy(&reply)
    ));
}

/// The server's half: accepts the client, checks its greeting, answers.
fn serve_one(sut: &UnixListener) {
    let stream = sut.accept_timeout(PATIENCE).unwrap();
    let mut greeting = [0; 18];
    stream
        .receive_exact_timeout(&mut greeting, PATIENCE)
        .unwrap();
    assert_eq!(&greeting, b"Hello from client!");
    stream.send_all(b"Hello from server!").unwrap();
}

#[test]
fn a_client_process_connects_and_exchanges_with_the_server_on_a_path() {
    if let Some(ctx) = ChildContext::current() {
        client(&ctx);
        return;
    }
    let path = SockPath::new();
    let sut = UnixListener::bind(&path.address()).unwrap();
    let mut child =
        Spawner::lock().spawn(ChildBuilder::new("client").arg("path", path.path().display()));
    serve_one(&sut);
    child.expect_report("Client received: Hello from server!", PATIENCE);
    child.expect_success(PATIENCE);
    drop(sut);
    path.assert_nothing_left();
}

#[test]
fn a_client_process_connects_on_an_abstract_name_which_leaves_nothing_to_remove() {
    if let Some(ctx) = ChildContext::current() {
        client(&ctx);
        return;
    }
    let name = unique_test_name("abstract");
    let address = UnixAddress::abstract_name(&name).unwrap();
    let sut = UnixListener::bind(&address).unwrap();
    let err = UnixListener::bind(&address).unwrap_err();
    assert_eq!(err.kind(), ipc_core::ErrorKind::AlreadyExists, "{err}");
    let mut child = Spawner::lock().spawn(ChildBuilder::new("client").arg("abstract", &name));
    serve_one(&sut);
    child.expect_report("Client received: Hello from server!", PATIENCE);
    child.expect_success(PATIENCE);
    // The kernel frees the name with the listener: it can be bound again at once. (Under the
    // spawn lock: a fork by another test copies every descriptor until its exec.)
    let spawner = Spawner::lock();
    drop(sut);
    drop(UnixListener::bind(&address).unwrap());
    drop(spawner);
}

#[test]
fn a_client_sees_the_listener_path_as_its_peer_address() {
    let path = SockPath::new();
    let sut = UnixListener::bind(&path.address()).unwrap();
    let client = UnixStream::connect(&path.address()).unwrap();
    let accepted = sut.accept_timeout(PATIENCE).unwrap();
    assert_eq!(client.peer_address().unwrap(), Some(path.address()));
    assert_eq!(accepted.local_address().unwrap(), Some(path.address()));
    assert_eq!(accepted.peer_address().unwrap(), None);
}
