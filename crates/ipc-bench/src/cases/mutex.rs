//! An uncontended process-shared mutex, in one process: lock it and unlock it, through
//! `ipc_shm::sync::Mutex<u64>` in an `AnonymousRegion` (`lock` and the guard's drop) and through
//! `pthread_mutex_lock` / `pthread_mutex_unlock` on a `pthread_mutex_t` the bench initialises
//! itself in a shared anonymous `mmap`.
//!
//! The API's mutex is robust, process-shared and error-checking; the `mutex-uncontended` raw
//! baseline has the same attributes, so the ratio is the wrapper's cost alone. The
//! `mutex-uncontended-normal` case keeps the API side and gives the raw side the default
//! (`PTHREAD_MUTEX_NORMAL`) type, still robust and process-shared: what the error check costs.

use std::io;
use std::sync::Arc;

use ipc_shm::AnonymousRegion;
use ipc_shm::sync::Mutex;

use super::{AnySoloLink, Reference, Solo, SoloLink};
use crate::error::{Context, Result};
use crate::measure::Op;
use crate::sys::{MutexType, PthreadMutex, RawMap};

/// The length of each mapping: one page.
const LEN: usize = 4096;

/// An uncontended-mutex case; the raw side's mutex type is what tells the two apart.
pub(crate) struct MutexUncontended {
    id: &'static str,
    describe: &'static str,
    raw_type: MutexType,
}

impl MutexUncontended {
    /// The like-for-like case: robust, error-checking mutexes on both sides.
    pub(crate) const ERRORCHECK: Self = Self {
        id: "mutex-uncontended",
        describe: "lock then unlock a robust process-shared mutex, uncontended, in one process; \
                   API = ipc_shm::sync::Mutex<u64>::lock + guard drop in an AnonymousRegion, \
                   raw = pthread_mutex_lock + pthread_mutex_unlock (robust, pshared, \
                   ERRORCHECK, as the API's) in an mmap",
        raw_type: MutexType::RobustErrorCheck,
    };

    /// The raw side with the default mutex type.
    pub(crate) const NORMAL: Self = Self {
        id: "mutex-uncontended-normal",
        describe: "as mutex-uncontended, but the raw mutex has the default NORMAL type (robust, \
                   pshared): the cost of the API's error check",
        raw_type: MutexType::RobustNormal,
    };
}

impl Solo for MutexUncontended {
    fn id(&self) -> &'static str {
        self.id
    }

    fn describe(&self) -> &'static str {
        self.describe
    }

    fn reference(&self) -> Option<Reference> {
        None
    }

    fn sizes(&self) -> &'static [usize] {
        &[0]
    }

    fn open(&self) -> Result<Box<dyn AnySoloLink>> {
        let region = Arc::new(AnonymousRegion::new(LEN).context("map the API's region")?);
        let api = Mutex::init(&region, 0, 0_u64).context("place the API's mutex")?;
        let raw = RawMap::anonymous(LEN).context("map the raw mutex's page")?;
        // SAFETY: the page was just mapped by this process, which has not shared it.
        #[allow(unsafe_code, reason = "initialising the raw baseline's pthread mutex")]
        let init = unsafe { PthreadMutex::init(&raw, 0, self.raw_type) };
        init.context("initialise the raw pthread mutex")?;
        Ok(Box::new(MutexLink { api, raw }))
    }
}

/// Both mutexes, each in its own page (the API's mutex holds its region).
struct MutexLink {
    api: Mutex<AnonymousRegion, u64>,
    raw: RawMap,
}

impl SoloLink for MutexLink {
    type Api<'a> = ApiLock<'a>;
    type Raw<'a> = RawLock<'a>;

    fn api(&mut self) -> ApiLock<'_> {
        ApiLock(&self.api)
    }

    fn raw(&mut self) -> RawLock<'_> {
        // SAFETY: `MutexUncontended::open` initialised this mutex, which lives as long as the
        // mapping borrowed here.
        #[allow(unsafe_code, reason = "naming a raw object placed earlier")]
        let mutex = unsafe { PthreadMutex::open(&self.raw, 0) };
        RawLock(mutex.expect("placed in MutexUncontended::open"))
    }
}

/// `Mutex::lock` and the guard's drop.
struct ApiLock<'a>(&'a Mutex<AnonymousRegion, u64>);

impl Op for ApiLock<'_> {
    #[inline]
    fn run(&mut self, _data: &[u8]) -> io::Result<()> {
        let guard = self
            .0
            .lock()
            .map_err(|err| io::Error::from(ipc_core::Error::from(err)))?;
        drop(guard);
        Ok(())
    }
}

/// `pthread_mutex_lock` and `pthread_mutex_unlock`.
struct RawLock<'a>(PthreadMutex<'a>);

impl Op for RawLock<'_> {
    #[inline]
    fn run(&mut self, _data: &[u8]) -> io::Result<()> {
        self.0.lock()?;
        self.0.unlock()
    }
}
