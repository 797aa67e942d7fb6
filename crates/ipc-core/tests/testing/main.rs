//! Integration tests of `ipc-core`, built with the `testing` feature.
//!
//! Every child here is this binary re-executed by `ipc_core::testing`.

mod harness;
