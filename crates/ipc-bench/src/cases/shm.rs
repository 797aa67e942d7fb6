//! POSIX shared memory: a byte ring per direction (see [`super::ring`]) in a `shm_open` object,
//! busy polled. The API side maps its object with `ipc_shm::SharedMemory` and reaches it through
//! `ipc_shm::RegionAccess` (atomic cursors, relaxed-atomic word copies); the raw side maps a
//! second object of the same layout with `shm_open`, `ftruncate` and `mmap` and reaches it with
//! `AtomicU64::from_ptr` and `memcpy`. Two objects, so neither side's rounds disturb the other's
//! cursors; both are created by the parent, which removes them when the case ends, whether or
//! not the peer survived.

use std::ffi::{CString, OsString};
use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use ipc_core::ObjectName;
use ipc_shm::SharedMemory;

use super::ring::LEN;
use super::ring_link::{RingLink, Side};
use super::{AnyLink, Case, Prepared, Reference};
use crate::error::{Context, Error, Result};
use crate::sys::{self, RawMap};

/// The prefix of the bench's object names, so the leftover check recognises them.
const PREFIX: &str = "ipc-rs-test-bench-shm";

/// The `shm` case.
pub(crate) struct Shm;

impl Case for Shm {
    fn id(&self) -> &'static str {
        "shm"
    }

    fn describe(&self) -> &'static str {
        "a 256 KiB byte ring per direction in POSIX shm, busy poll (bounded spin, then yield); \
         API = SharedMemory + RegionAccess, raw = shm_open + mmap + memcpy on a second object"
    }

    fn reference(&self) -> Option<Reference> {
        Some(Reference {
            name: "Shared Memory",
            msgs_per_s: 3_800_000.0,
            latency_us: 0.24,
        })
    }

    fn prepare(&self) -> Result<Prepared> {
        let api_name = ObjectName::unique(PREFIX).context("name the API's shm object")?;
        let raw_name = ObjectName::unique(PREFIX).context("name the raw shm object")?;
        let api = SharedMemory::create_new(&api_name, LEN)
            .with_context(|| format!("create the shm object {api_name}"))?;
        let (raw, raw_guard) = raw_create(raw_name.as_c_str().to_owned(), LEN)
            .with_context(|| format!("create the shm object {raw_name} with shm_open"))?;
        let cancel = Arc::new(AtomicBool::new(false));
        let unstick = Arc::clone(&cancel);
        let args = vec![api_name.as_str().into(), raw_name.as_str().into()];
        // The peer maps both objects in `join`, before it answers the first round, so there is
        // nothing to wait for here. The link owns both objects: dropping it removes them.
        let connect = move || -> Result<Box<dyn AnyLink>> {
            let keep = Box::new(raw_guard);
            Ok(Box::new(RingLink::new(
                api,
                raw,
                keep,
                Side::Parent,
                cancel,
            )?))
        };
        Ok(Prepared {
            give: Vec::new(),
            args,
            connect: Box::new(connect),
            // A hung peer is killed by the watchdog; this releases our side's wait loop.
            unstick: Some(Box::new(move || unstick.store(true, Ordering::Relaxed))),
        })
    }

    fn join(&self, args: &[OsString], _fds: Vec<OwnedFd>) -> Result<Box<dyn AnyLink>> {
        let [api_name, raw_name] = args else {
            return Err(Error::msg("the shm peer expects two object names"));
        };
        let api_name = api_name
            .to_str()
            .ok_or_else(|| Error::msg("the shm object name is not UTF-8"))?;
        let api_name = ObjectName::new(api_name).context("the API's shm object name")?;
        let api = SharedMemory::open(&api_name)
            .with_context(|| format!("open the shm object {api_name}"))?;
        let raw_name = CString::new(raw_name.as_encoded_bytes())
            .map_err(|_| Error::msg("the raw shm object name holds a NUL"))?;
        let raw = raw_open(&raw_name, LEN)
            .with_context(|| format!("open the shm object {raw_name:?} with shm_open"))?;
        let cancel = Arc::new(AtomicBool::new(false));
        Ok(Box::new(RingLink::new(
            api,
            raw,
            Box::new(()),
            Side::Peer,
            cancel,
        )?))
    }
}

/// The raw side's object name, removed (`shm_unlink`) when dropped by its creator.
pub(crate) struct RawName(CString);

impl Drop for RawName {
    fn drop(&mut self) {
        let _ = sys::shm_unlink(&self.0);
    }
}

/// `shm_open(O_CREAT | O_EXCL)`, `ftruncate` to `len`, `mmap`; the descriptor is closed once
/// mapped, as a C program would.
pub(crate) fn raw_create(name: CString, len: usize) -> io::Result<(RawMap, RawName)> {
    let fd = sys::shm_create(&name, len)?;
    let name = RawName(name);
    let map = RawMap::new(fd.as_fd(), len)?;
    Ok((map, name))
}

/// `shm_open(O_RDWR)`, `fstat`, `mmap` of the first `len` bytes.
pub(crate) fn raw_open(name: &CString, len: usize) -> io::Result<RawMap> {
    let fd = sys::shm_open(name)?;
    RawMap::new(fd.as_fd(), len)
}
