//! POSIX shared memory objects: named memory that unrelated processes open by name.

mod builder;
mod memory;
mod object;
mod read_only;

pub use builder::SharedMemoryBuilder;
pub use memory::SharedMemory;
pub use read_only::ReadOnlySharedMemory;
