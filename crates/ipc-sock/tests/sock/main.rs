//! Integration tests of `ipc-sock`: Unix stream, datagram and seqpacket sockets between real
//! processes.
//!
//! Every peer is this binary re-executed by `ipc_core::testing` in a named role: a test begins
//! with `if let Some(ctx) = ChildContext::current() { … return; }` for its children, and the
//! parent's half follows. Faults fire at a point the child reports, then `SIGKILL`. Socket
//! paths come from [`support::SockPath`], named by the test-name generator, and every test
//! checks that neither the socket file nor its lock file is left behind.

mod bind_failure;
mod churn;
mod credentials;
mod datagram;
mod exchange;
mod fd_messages;
mod fd_passing;
mod framing;
mod modes;
mod names;
mod persist;
mod reclaim;
mod seqpacket;
mod sigpipe;
mod support;
mod symlink;
mod tcp;
mod timeouts;
