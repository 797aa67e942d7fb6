//! File locks, in one process: take an exclusive lock on a temporary file and release it, through
//! `ipc_shm::lock` guards (acquire, drop) and through the raw calls on the same descriptor.

use std::fs::File;
use std::io;
use std::marker::PhantomData;
use std::os::fd::AsFd;

use ipc_shm::lock::{ByteRange, Flock, LockMode, OfdLock};

use super::{AnySoloLink, Reference, Solo, SoloLink};
use crate::error::{Context, Result};
use crate::measure::Op;
use crate::sys;

/// The prefix of the bench's temporary files, so the leftover check recognises them.
const PREFIX: &str = "ipc-rs-test-bench-lock-";

/// The bytes an OFD lock covers: the first 64.
const RANGE_LEN: u64 = 64;

/// The `flock` case.
pub(crate) struct FlockCase;

impl Solo for FlockCase {
    fn id(&self) -> &'static str {
        "flock"
    }

    fn describe(&self) -> &'static str {
        "exclusive flock then unlock, uncontended, on a temporary file; API = Flock::lock + drop, \
         raw = flock(LOCK_EX) + flock(LOCK_UN) on the same descriptor"
    }

    fn reference(&self) -> Option<Reference> {
        None
    }

    fn sizes(&self) -> &'static [usize] {
        &[0]
    }

    fn open(&self) -> Result<Box<dyn AnySoloLink>> {
        Ok(Box::new(LockLink::<Whole>::new()?))
    }
}

/// The `ofd-lock` case.
pub(crate) struct OfdLockCase;

impl Solo for OfdLockCase {
    fn id(&self) -> &'static str {
        "ofd-lock"
    }

    fn describe(&self) -> &'static str {
        "exclusive open-file-description record lock on bytes 0..64 then unlock, uncontended; \
         API = OfdLock::try_lock + drop, raw = fcntl(F_OFD_SETLK) F_WRLCK + F_UNLCK"
    }

    fn reference(&self) -> Option<Reference> {
        None
    }

    fn sizes(&self) -> &'static [usize] {
        &[0]
    }

    fn open(&self) -> Result<Box<dyn AnySoloLink>> {
        Ok(Box::new(LockLink::<Record>::new()?))
    }
}

/// A form of lock: how its API and raw sides take and release it on a file.
trait Form: 'static {
    /// The API side's lock and unlock.
    type Api<'a>: Op;
    /// The raw side's lock and unlock.
    type Raw<'a>: Op;
    /// The API side on `file`.
    fn api(file: &File) -> Self::Api<'_>;
    /// The raw side on `file`.
    fn raw(file: &File) -> Self::Raw<'_>;
}

/// The whole-file `flock` form.
struct Whole;

impl Form for Whole {
    type Api<'a> = FlockApi<'a>;
    type Raw<'a> = FlockRaw<'a>;

    fn api(file: &File) -> FlockApi<'_> {
        FlockApi(file)
    }

    fn raw(file: &File) -> FlockRaw<'_> {
        FlockRaw(file)
    }
}

/// The open-file-description record-lock form.
struct Record;

impl Form for Record {
    type Api<'a> = OfdApi<'a>;
    type Raw<'a> = OfdRaw<'a>;

    fn api(file: &File) -> OfdApi<'_> {
        OfdApi(file)
    }

    fn raw(file: &File) -> OfdRaw<'_> {
        OfdRaw(file)
    }
}

/// A temporary file, open read-write, removed on drop; `K` says which lock is taken on it.
struct LockLink<K> {
    file: tempfile::NamedTempFile,
    form: PhantomData<K>,
}

impl<K> LockLink<K> {
    fn new() -> Result<Self> {
        let file = tempfile::Builder::new()
            .prefix(PREFIX)
            .tempfile()
            .context("create the lock file")?;
        Ok(Self {
            file,
            form: PhantomData,
        })
    }
}

impl<K: Form> SoloLink for LockLink<K> {
    type Api<'a> = K::Api<'a>;
    type Raw<'a> = K::Raw<'a>;

    fn api(&mut self) -> K::Api<'_> {
        K::api(self.file.as_file())
    }

    fn raw(&mut self) -> K::Raw<'_> {
        K::raw(self.file.as_file())
    }
}

/// `Flock::lock` (exclusive) and the guard's drop.
struct FlockApi<'a>(&'a File);

impl Op for FlockApi<'_> {
    #[inline]
    fn run(&mut self, _data: &[u8]) -> io::Result<()> {
        let guard = Flock::lock(self.0, LockMode::Exclusive)?;
        drop(guard);
        Ok(())
    }
}

/// `flock(LOCK_EX)` and `flock(LOCK_UN)`.
struct FlockRaw<'a>(&'a File);

impl Op for FlockRaw<'_> {
    #[inline]
    fn run(&mut self, _data: &[u8]) -> io::Result<()> {
        sys::flock(self.0.as_fd(), libc::LOCK_EX)?;
        sys::flock(self.0.as_fd(), libc::LOCK_UN)
    }
}

/// `OfdLock::try_lock` (exclusive, bytes 0..64) and the guard's drop.
struct OfdApi<'a>(&'a File);

impl Op for OfdApi<'_> {
    #[inline]
    fn run(&mut self, _data: &[u8]) -> io::Result<()> {
        let range = ByteRange::new(0, RANGE_LEN);
        let guard = OfdLock::try_lock(self.0, range, LockMode::Exclusive)?;
        drop(guard);
        Ok(())
    }
}

/// `fcntl(F_OFD_SETLK)` with `F_WRLCK`, then with `F_UNLCK`, on bytes 0..64.
struct OfdRaw<'a>(&'a File);

impl Op for OfdRaw<'_> {
    #[inline]
    fn run(&mut self, _data: &[u8]) -> io::Result<()> {
        let fd = self.0.as_fd();
        let len = RANGE_LEN as libc::off_t;
        sys::ofd_lock(fd, libc::F_OFD_SETLK, libc::F_WRLCK, 0, len)?;
        sys::ofd_lock(fd, libc::F_OFD_SETLK, libc::F_UNLCK, 0, len)
    }
}
