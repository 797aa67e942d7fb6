//! Named pipes (FIFOs): a node in the filesystem through which unrelated processes reach one
//! pipe.

mod ends;
mod node;

pub use node::{Fifo, FifoBuilder};
