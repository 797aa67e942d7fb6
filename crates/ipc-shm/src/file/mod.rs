//! Regular files mapped shared: flushed to disk with `msync`, advised with `madvise`.

mod advice;
mod mapped;
mod node;

pub use advice::Advice;
pub use mapped::{MappedFile, MappedFileBuilder};
