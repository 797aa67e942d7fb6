//! Integration tests of `ipc-sem`: semaphores shared by real processes.
//!
//! Every peer is this binary re-executed by `ipc_core::testing` in a named role: a test begins
//! with `if let Some(ctx) = ChildContext::current() { … return; }` for its children, and the
//! parent's half follows. Faults fire at a point the child reports, then `SIGKILL`. Every
//! blocking call of the parent is bounded; timeouts are asserted as "at least".

mod crash;
mod interop;
mod limits;
mod named;
mod pool;
mod region;
mod support;
mod timeouts;
