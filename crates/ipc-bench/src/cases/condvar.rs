//! A mutex and condition variable handoff between two processes: a turn word under a
//! process-shared mutex says which side may act; a side sends by copying its message into the
//! region under the mutex, passing the turn, unlocking and notifying, and receives by waiting on
//! the condition variable until the turn is its own, then copying the message out. A round trip
//! is two handoffs, each a blocking wake-up of the other process.
//!
//! The API side is `ipc_shm::sync::Mutex<u64>` (the turn) and `Condvar` in a `SharedMemory`,
//! with the message copied by `RegionAccess::write_at` / `read_at` under the lock; the raw side
//! is what a C program writes: a robust, error-checking, process-shared `pthread_mutex_t` (the
//! API's attributes), a process-shared `pthread_cond_t`, a turn word and `memcpy`, in a second
//! object. Both notify after unlocking, so the woken side does not block on a mutex still held.
//!
//! # Layout of each object
//!
//! ```text
//! offset 0    API: Mutex<u64> slot (tag, pthread mutex, turn)  raw: pthread_mutex_t, turn at 48
//! offset 64   API: Condvar slot (tag, sequence word)           raw: pthread_cond_t
//! offset 128  the message, up to 64 bytes
//! ```

use std::ffi::OsString;
use std::io;
use std::os::fd::OwnedFd;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use ipc_shm::sync::{Condvar, Mutex, MutexGuard};
use ipc_shm::{RegionAccess, SharedMemory};

use super::handoff::{self, MEASURES, Objects, SIZES, cancelled, check_len};
use super::{AnyLink, Case, Link, Prepared, Reference};
use crate::error::{Context, Result};
use crate::measure::{Duplex, Measure};
use crate::sys::{MutexType, PthreadCond, PthreadMutex, RawMap};

/// The prefix of the bench's object names, so the leftover check recognises them.
const PREFIX: &str = "ipc-rs-test-bench-condvar";

/// Offset of the mutex (the API's slot; the raw `pthread_mutex_t`).
const MUTEX: usize = 0;
/// Offset of the raw side's turn word, after its 40-byte `pthread_mutex_t`.
const RAW_TURN: usize = 48;
/// Offset of the condition variable.
const CONDVAR: usize = 64;
/// Offset of the message.
const MESSAGE: usize = 128;

/// The turn word's value when the leader (the parent) may act.
const LEADER: u64 = 1;
/// The turn word's value when the follower (the peer) may act.
const FOLLOWER: u64 = 2;

const _: () = assert!(
    MUTEX + Mutex::<SharedMemory, u64>::FOOTPRINT <= CONDVAR
        && size_of::<libc::pthread_mutex_t>() <= RAW_TURN
        && CONDVAR + Condvar::FOOTPRINT <= MESSAGE
        && CONDVAR + size_of::<libc::pthread_cond_t>() <= MESSAGE
        && MESSAGE + handoff::MAX_MESSAGE <= handoff::LEN
);

/// The `mutex-condvar` case.
pub(crate) struct MutexCondvar;

impl Case for MutexCondvar {
    fn id(&self) -> &'static str {
        "mutex-condvar"
    }

    fn describe(&self) -> &'static str {
        "ping-pong of a turn word under a process-shared mutex, waiting on a condition variable \
         (blocking), message copied under the lock; API = ipc_shm::sync::Mutex<u64> + Condvar + \
         RegionAccess in SharedMemory, raw = robust ERRORCHECK pthread_mutex_t + pshared \
         pthread_cond_t + memcpy in a second shm object"
    }

    fn reference(&self) -> Option<Reference> {
        None
    }

    fn sizes(&self) -> &'static [usize] {
        &SIZES
    }

    fn measures(&self) -> &'static [Measure] {
        &MEASURES
    }

    fn prepare(&self) -> Result<Prepared> {
        handoff::prepare(PREFIX, place, wake, CondvarLink::new)
    }

    fn join(&self, args: &[OsString], fds: Vec<OwnedFd>) -> Result<Box<dyn AnyLink>> {
        handoff::join(args, fds, CondvarLink::new)
    }
}

/// Places both sides' mutex and condition variable, the turn the leader's.
fn place(api: &Arc<SharedMemory>, raw: &RawMap) -> Result<()> {
    Mutex::init(api, MUTEX, LEADER).context("place the API's mutex")?;
    Condvar::init(&**api, CONDVAR).context("place the API's condition variable")?;
    // SAFETY: the object was just created by this process and the peer has not started.
    #[allow(unsafe_code, reason = "initialising the raw baseline's pthread mutex")]
    let mutex = unsafe { PthreadMutex::init(raw, MUTEX, MutexType::RobustErrorCheck) };
    mutex.context("initialise the raw pthread mutex")?;
    // SAFETY: as above.
    #[allow(unsafe_code, reason = "initialising a raw object")]
    let cond = unsafe { PthreadCond::init(raw, CONDVAR) };
    cond.context("initialise the raw pthread condition variable")?;
    raw.atomic_u64(RAW_TURN).store(LEADER, Ordering::Relaxed);
    Ok(())
}

/// Wakes every waiter of both condition variables (the parent's, once its peer is dead).
fn wake(api: &Arc<SharedMemory>, raw: &RawMap) {
    if let Ok(condvar) = Condvar::open(&**api, CONDVAR) {
        condvar.notify_all();
    }
    // SAFETY: `place` initialised the condition variable there, and the object outlives the
    // borrow.
    #[allow(unsafe_code, reason = "naming a raw object placed earlier")]
    let cond = unsafe { PthreadCond::open(raw, CONDVAR) };
    if let Ok(cond) = cond {
        cond.broadcast();
    }
}

/// One side of the handoff over both objects, with the API's mutex opened once.
struct CondvarLink {
    objects: Objects,
    mutex: Mutex<SharedMemory, u64>,
}

impl CondvarLink {
    /// The link, after checking that the API's objects open (so [`Link::api`] cannot fail).
    fn new(objects: Objects) -> Result<Self> {
        let mutex = Mutex::open(&objects.api, MUTEX).context("open the API's mutex")?;
        Condvar::open(&*objects.api, CONDVAR).context("open the API's condition variable")?;
        objects
            .raw
            .object_at::<libc::pthread_cond_t>(CONDVAR)
            .context("reach the raw condition variable")?;
        Ok(Self { objects, mutex })
    }

    /// This side's turn value and the other side's.
    fn turns(&self) -> (u64, u64) {
        if self.objects.leader {
            (LEADER, FOLLOWER)
        } else {
            (FOLLOWER, LEADER)
        }
    }
}

impl Link for CondvarLink {
    type Api<'a> = ApiHandoff<'a>;
    type Raw<'a> = RawHandoff<'a>;

    /// The API's condition variable, opened (validated) once per round: it borrows the region.
    fn api(&mut self) -> ApiHandoff<'_> {
        let (me, other) = self.turns();
        let region = &*self.objects.api;
        ApiHandoff {
            mutex: &self.mutex,
            condvar: Condvar::open(region, CONDVAR).expect("checked in CondvarLink::new"),
            region,
            me,
            other,
            cancel: &self.objects.cancel,
        }
    }

    fn raw(&mut self) -> RawHandoff<'_> {
        let (me, other) = self.turns();
        let map = &*self.objects.raw;
        // SAFETY: `place` initialised the mutex there before the peer started, and the mapping
        // outlives the borrow.
        #[allow(unsafe_code, reason = "naming a raw object placed earlier")]
        let mutex = unsafe { PthreadMutex::open(map, MUTEX) };
        // SAFETY: as for the mutex, with the condition variable.
        #[allow(unsafe_code, reason = "naming a raw object placed earlier")]
        let cond = unsafe { PthreadCond::open(map, CONDVAR) };
        RawHandoff {
            mutex: mutex.expect("checked in CondvarLink::new"),
            cond: cond.expect("checked in CondvarLink::new"),
            turn: map.atomic_u64(RAW_TURN),
            map,
            me,
            other,
            cancel: &self.objects.cancel,
        }
    }
}

/// The API side: `Mutex<u64>` holding the turn, `Condvar`, `RegionAccess` copies.
struct ApiHandoff<'a> {
    mutex: &'a Mutex<SharedMemory, u64>,
    condvar: Condvar<'a>,
    region: &'a SharedMemory,
    me: u64,
    other: u64,
    cancel: &'a AtomicBool,
}

impl ApiHandoff<'_> {
    /// Locks, and waits on the condition variable until the turn is this side's.
    #[inline]
    fn my_turn(&self) -> io::Result<MutexGuard<'_, SharedMemory, u64>> {
        let guard = self.mutex.lock().map_err(lock_error)?;
        let guard = self
            .condvar
            .wait_while(guard, |turn| {
                *turn != self.me && !self.cancel.load(Ordering::Relaxed)
            })
            .map_err(lock_error)?;
        if guard.get() != self.me {
            return Err(cancelled());
        }
        Ok(guard)
    }
}

/// An API lock error as an `io::Error` (the guard of an owner-died result is dropped: unlocked).
fn lock_error<G>(err: ipc_shm::sync::LockError<G>) -> io::Error {
    io::Error::from(ipc_core::Error::from(err))
}

impl Duplex for ApiHandoff<'_> {
    #[inline]
    fn send(&mut self, buf: &[u8]) -> io::Result<()> {
        check_len(buf.len())?;
        let guard = self.my_turn()?;
        self.region.write_at(MESSAGE, buf)?;
        guard.set(&self.other);
        drop(guard);
        self.condvar.notify_one();
        Ok(())
    }

    #[inline]
    fn recv(&mut self, buf: &mut [u8]) -> io::Result<()> {
        check_len(buf.len())?;
        let guard = self.my_turn()?;
        self.region.read_at(MESSAGE, buf)?;
        drop(guard);
        Ok(())
    }
}

/// The raw side: `pthread_mutex_lock`, `pthread_cond_wait`, a turn word, `memcpy`.
struct RawHandoff<'a> {
    mutex: PthreadMutex<'a>,
    cond: PthreadCond<'a>,
    turn: &'a AtomicU64,
    map: &'a RawMap,
    me: u64,
    other: u64,
    cancel: &'a AtomicBool,
}

/// A locked raw mutex, unlocked on drop, also on the error paths (a robust mutex left locked
/// would stay on this thread's robust list after its mapping is gone).
struct Held<'m>(PthreadMutex<'m>);

impl Drop for Held<'_> {
    #[inline]
    fn drop(&mut self) {
        let _ = self.0.unlock();
    }
}

impl RawHandoff<'_> {
    /// `pthread_mutex_lock`, then `pthread_cond_wait` while the turn is the other side's.
    #[inline]
    fn my_turn(&self) -> io::Result<Held<'_>> {
        let locked = self.mutex.lock();
        if let Err(err) = locked {
            // EOWNERDEAD leaves the mutex locked by this thread: unlock it (the bench does not
            // repair); the other errors leave it unlocked, and unlocking again is a harmless
            // EPERM.
            drop(Held(self.mutex));
            return Err(err);
        }
        let held = Held(self.mutex);
        // Relaxed: the turn is read and written only under the mutex, which orders it.
        while self.turn.load(Ordering::Relaxed) != self.me {
            if self.cancel.load(Ordering::Relaxed) {
                return Err(cancelled());
            }
            // An error here (EOWNERDEAD) also returns with the mutex held, unlocked by `held`.
            self.cond.wait(self.mutex)?;
        }
        Ok(held)
    }
}

impl Duplex for RawHandoff<'_> {
    #[inline]
    fn send(&mut self, buf: &[u8]) -> io::Result<()> {
        check_len(buf.len())?;
        let held = self.my_turn()?;
        // SAFETY: `MESSAGE + 64` bytes fit the mapping (asserted at compile time) and only the
        // holder of the mutex touches the message.
        #[allow(unsafe_code, reason = "the raw memcpy into the message area")]
        unsafe {
            self.map.write(MESSAGE, buf);
        }
        self.turn.store(self.other, Ordering::Relaxed);
        drop(held);
        self.cond.signal();
        Ok(())
    }

    #[inline]
    fn recv(&mut self, buf: &mut [u8]) -> io::Result<()> {
        check_len(buf.len())?;
        let held = self.my_turn()?;
        // SAFETY: as in `send`.
        #[allow(unsafe_code, reason = "the raw memcpy out of the message area")]
        unsafe {
            self.map.read(MESSAGE, buf);
        }
        drop(held);
        Ok(())
    }
}
