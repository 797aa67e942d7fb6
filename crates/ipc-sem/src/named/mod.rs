//! Named semaphores: found by a POSIX name, shared with `sem_open` in C programs.

mod builder;
mod file;
mod semaphore;

pub use builder::SemaphoreBuilder;
pub use semaphore::Semaphore;
