//! Integration tests of `ipc-sem`.
