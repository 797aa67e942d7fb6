//! The raw calls, one file per concept: every `unsafe` block of the bench lives under here.

mod fd;
mod lock;
mod map;
mod mq;
mod pthread;
mod sem;
mod shm;
mod sock;

pub(crate) use fd::{claim_inherited, die_with_parent, read_exact, write_all, write_all_nosignal};
pub(crate) use lock::{flock, ofd_lock};
pub(crate) use map::RawMap;
pub(crate) use mq::RawQueue;
pub(crate) use pthread::{MutexType, PthreadCond, PthreadMutex};
pub(crate) use sem::{NamedSem, RawSem, sem_at, sem_init};
pub(crate) use shm::{shm_create, shm_open, shm_unlink};
pub(crate) use sock::{
    recv_exact, recv_message, recv_with_fd, send_all, send_message, send_with_fd, shutdown,
};
