//! Integration tests of `ipc-pipe`: pipes and FIFOs between real processes.
//!
//! Every peer is this binary re-executed by `ipc_core::testing` in a named role: a test begins
//! with `if let Some(ctx) = ChildContext::current() { … return; }` for its children, and the
//! parent's half follows. Faults fire at a point the child reports, then `SIGKILL`; every
//! blocking step of the parent runs under the harness's timeouts or a [`support::Watchdog`].
//! Every spawn goes through [`support::Spawner`], so that no fork copies a pipe end another test
//! is about to close.
//!
//! The modules follow section 1 (pipes) of the reference: the read/write rules, the four
//! special scenarios, `SIGPIPE`, atomicity, timeouts and interrupted calls, capacity, FIFOs,
//! zero-copy transfers, framing, and handing ends to children.

mod atomicity;
mod capacity;
mod children;
mod errors;
mod fifo;
mod frames;
mod interrupts;
mod rules;
mod sigpipe;
mod special_scenarios;
mod splice;
mod support;
mod timeouts;
