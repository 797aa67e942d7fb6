//! Integration tests of `ipc-mq`: message queues shared by real processes.
//!
//! Every peer is this binary re-executed by `ipc_core::testing` in a named role: a test begins
//! with `if let Some(ctx) = ChildContext::current() { … return; }` for its children, and the
//! parent's half follows. Every blocking call of the parent is bounded; timeouts are asserted
//! as "at least". Every queue is named by `unique_test_name` and removed.

mod bounds;
mod descriptor;
mod faults;
mod limits;
mod model;
mod nonblocking;
mod notify;
mod order;
mod ownership;
mod permissions;
mod producers;
mod support;
