//! Cross-crate, cross-process scenarios: several mechanisms and several real processes at once.
//!
//! Each module is one scenario. Peers are this test binary re-executed in a named role
//! (`ipc_core::testing`), never threads.

mod pipe_pipeline;
