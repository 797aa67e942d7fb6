//! The bench binary run as `cargo xtask bench` runs it: a smoke run, and a run whose peer is
//! killed.

mod run;
