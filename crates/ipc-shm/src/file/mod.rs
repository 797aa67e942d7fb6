//! Regular files mapped shared: flushed to disk with `msync`, advised with `madvise`.

mod advice;
mod builder;
mod mapped;
mod node;

pub use advice::Advice;
pub use builder::MappedFileBuilder;
pub use mapped::MappedFile;
