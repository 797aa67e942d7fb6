//! A queue's name and its removal: only while the name still names the handle's queue.

use ipc_core::{Error, ErrorKind, ObjectName, Ownership, Result};
use rustix::io::Errno;

use crate::sys::mq;

/// A queue's name and whether the handle removes it: a part of its own, which removes the name
/// when it drops, so that taking the descriptor out of a [`Queue`](crate::Queue) (`From<Queue> for OwnedFd`)
/// ends the handle as a drop does, with no `Drop` on `Queue` to get in the way.
#[derive(Debug)]
pub(crate) struct Named {
    pub(crate) name: ObjectName,
    pub(crate) ownership: Ownership,
    /// The queue's inode (`st_dev`, `st_ino`), so a removal takes the name only while it
    /// still names this queue.
    pub(crate) identity: (u64, u64),
}

impl Named {
    /// Removes the name if it still names this queue (the inode `identity`).
    ///
    /// Between the creation and now someone may have removed the name and made another queue
    /// under it; that queue is not ours to remove. The queue file system is mounted nowhere
    /// for certain, so there is no path to `stat`: the name is opened (read-only, else
    /// write-only: a creator holds at least one of the two, as creation refuses a mode that
    /// gives the owner neither) and its descriptor compared. Closing that descriptor ends any
    /// `mq_notify` registration this process holds on the queue (`ipc/mqueue.c`,
    /// `mqueue_flush_file`). A race
    /// remains between the comparison and `mq_unlink`, which takes a name, not a descriptor:
    /// the window of two system calls, where a blind removal would have no check at all.
    pub(crate) fn unlink_if_same(&self) -> Result<()> {
        let name = self.name.as_c_str();
        let object = self.name.as_str();
        let flags = libc::O_CLOEXEC | libc::O_NONBLOCK;
        let probe = mq::open(name, libc::O_RDONLY | flags, 0, None)
            .or_else(|_| mq::open(name, libc::O_WRONLY | flags, 0, None))
            .map_err(|errno| match errno {
                Errno::NOENT => Error::from_errno("mq_unlink", object, errno),
                _ => Error::from_errno("mq_unlink", object, errno).with_detail(
                    "the name could not be opened to check that it still names this queue; \
                     it was left alone",
                ),
            })?;
        let stat =
            rustix::fs::fstat(&probe).map_err(|errno| Error::from_errno("fstat", object, errno))?;
        drop(probe);
        if (stat.st_dev, stat.st_ino) != self.identity {
            return Err(Error::new(ErrorKind::WrongObjectType, "mq_unlink")
                .with_object(object)
                .with_detail("another queue has replaced ours at this name; it was left alone"));
        }
        mq::unlink(name).map_err(|errno| Error::from_errno("mq_unlink", object, errno))
    }
}

impl Drop for Named {
    fn drop(&mut self) {
        if self.ownership.take_removal() {
            // Nothing to report to from a drop: a name already gone is what was wanted, and
            // one that names another queue, or cannot be checked, is left alone.
            let _ = self.unlink_if_same();
        }
    }
}
