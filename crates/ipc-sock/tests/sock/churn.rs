//! 64 client processes connect, exchange and die at random (some killed mid-exchange) against
//! one server process, whose descriptor count returns to where it was.

use std::hash::{BuildHasher, RandomState};

use ipc_core::ErrorKind;
use ipc_core::testing::{Child, ChildBuilder, ChildContext};
use ipc_sock::{UnixAddress, UnixListener, UnixStream};

use crate::support::{PATIENCE, SockPath, Spawner, open_descriptors, park_forever};

/// How many clients connect in all.
const CLIENTS: usize = 64;

/// How many clients live at once.
const BATCH: usize = 16;

/// What a client does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fate {
    /// Sends its greeting, waits for the answer, exits.
    Complete,
    /// Sends half its greeting and is killed.
    KilledMidway,
    /// Connects and exits at once.
    LeavesEarly,
}

impl Fate {
    fn name(self) -> &'static str {
        match self {
            Self::Complete => "complete",
            Self::KilledMidway => "killed",
            Self::LeavesEarly => "early",
        }
    }
}

/// In a child: the server. Binds, notes its descriptor count, serves [`CLIENTS`] connections
/// one after another tolerating every way a client can vanish, and reports whether the count
/// came back.
fn server(ctx: &ChildContext) {
    let address = UnixAddress::path(ctx.arg("path").unwrap()).unwrap();
    let listener = UnixListener::bind(&address).unwrap();
    let baseline = open_descriptors();
    ctx.report("listening");
    for _ in 0..CLIENTS {
        let stream = listener.accept_timeout(PATIENCE).unwrap();
        let mut greeting = [0; 5];
        match stream.receive_exact_timeout(&mut greeting, PATIENCE) {
            Ok(()) => match stream.send_all(b"world") {
                Ok(()) => {}
                Err(err) if err.kind() == ErrorKind::PeerGone => {}
                Err(err) => panic!("answering: {err}"),
            },
            Err(err) if matches!(err.kind(), ErrorKind::UnexpectedEof | ErrorKind::PeerGone) => {}
            Err(err) => panic!("receiving: {err}"),
        }
    }
    let after = open_descriptors();
    if after == baseline {
        ctx.report("descriptors back to baseline");
    } else {
        ctx.report(&format!("descriptors {baseline} before, {after} after"));
    }
}

/// In a child: a client with the fate of the `fate` argument.
fn client(ctx: &ChildContext) {
    let address = UnixAddress::path(ctx.arg("path").unwrap()).unwrap();
    let stream = UnixStream::connect_timeout(&address, PATIENCE).unwrap();
    match ctx.arg("fate").unwrap() {
        "complete" => {
            stream.send_all(b"hello").unwrap();
            let mut answer = [0; 5];
            stream.receive_exact_timeout(&mut answer, PATIENCE).unwrap();
            assert_eq!(&answer, b"world");
            ctx.report("done");
        }
        "killed" => {
            stream.send_all(b"he").unwrap();
            ctx.report("midway");
            park_forever();
        }
        "early" => {}
        other => panic!("unknown fate {other}"),
    }
}

/// A small pseudo-random sequence (xorshift), seeded at random and printed, so a failing mix
/// can be told apart.
fn fates() -> Vec<Fate> {
    let mut state = RandomState::new().hash_one(std::process::id()) | 1;
    println!("fate seed {state:#x}");
    (0..CLIENTS)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            match state % 3 {
                0 => Fate::Complete,
                1 => Fate::KilledMidway,
                _ => Fate::LeavesEarly,
            }
        })
        .collect()
}

#[test]
fn sixty_four_clients_that_die_at_random_leave_the_server_descriptor_count_at_baseline() {
    if let Some(ctx) = ChildContext::current() {
        match ctx.role() {
            "server" => server(&ctx),
            _ => client(&ctx),
        }
        return;
    }
    let path = SockPath::new();
    let shown = path.path().display().to_string();
    let mut server = Spawner::lock().spawn(ChildBuilder::new("server").arg("path", &shown));
    server.expect_report("listening", PATIENCE);
    for batch in fates().chunks(BATCH) {
        let mut clients: Vec<(Fate, Child)> = batch
            .iter()
            .map(|&fate| {
                let builder = ChildBuilder::new("client")
                    .arg("path", &shown)
                    .arg("fate", fate.name());
                (fate, Spawner::lock().spawn(builder))
            })
            .collect();
        // The server serves in accept order and waits on a half-sent greeting until its
        // sender dies, so the killings come first; the others finish after.
        for (_, child) in clients
            .iter_mut()
            .filter(|(fate, _)| *fate == Fate::KilledMidway)
        {
            child.expect_report("midway", PATIENCE);
            child.kill();
        }
        for (fate, child) in &mut clients {
            match fate {
                Fate::Complete => {
                    child.expect_report("done", PATIENCE);
                    child.expect_success(PATIENCE);
                }
                Fate::KilledMidway => {}
                Fate::LeavesEarly => child.expect_success(PATIENCE),
            }
        }
    }
    server.expect_report("descriptors back to baseline", PATIENCE);
    server.expect_success(PATIENCE);
    path.assert_nothing_left();
}
