//! Memfds: anonymous files in memory, handed to other processes as descriptors and protected
//! from them by seals.

mod foreign;
mod handle;
mod region;
mod seals;

pub use foreign::ForeignMemfd;
pub use handle::{Memfd, MemfdBuilder};
pub use region::MemfdRegion;
pub use seals::Seals;
