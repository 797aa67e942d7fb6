//! What the blocking handoff cases (`mutex-condvar`, `sem-pingpong`) share: two POSIX shared
//! memory objects of one page, the API's (`ipc_shm::SharedMemory`) and the raw side's
//! (`shm_open` + `mmap`), which the parent creates, lays out and removes when the case ends,
//! whether or not the peer survived; and the way a parent blocked in a wait is released once the
//! watchdog has killed a hung peer.
//!
//! A message is at most [`MAX_MESSAGE`] bytes, copied into the region and out of it under the
//! case's synchronisation. Only the latency row is measured: every message waits for the other
//! side's answer, so a throughput row would be the round trip's inverse.

use std::ffi::{CString, OsString};
use std::io;
use std::os::fd::OwnedFd;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use ipc_core::ObjectName;
use ipc_shm::SharedMemory;

use super::shm::{RawName, raw_create, raw_open};
use super::{AnyLink, Link, Prepared};
use crate::error::{Context, Error, Result};
use crate::measure::Measure;
use crate::sys::RawMap;

/// The length of each object: one page.
pub(crate) const LEN: usize = 4096;
/// The largest message: one cache line.
pub(crate) const MAX_MESSAGE: usize = 64;
/// The message sizes measured.
pub(crate) const SIZES: [usize; 1] = [MAX_MESSAGE];
/// What is measured.
pub(crate) const MEASURES: [Measure; 1] = [Measure::Latency];

/// One side's view of both objects.
pub(crate) struct Objects {
    /// The API's object.
    pub(crate) api: Arc<SharedMemory>,
    /// The raw side's object.
    pub(crate) raw: Arc<RawMap>,
    /// Whether this is the leading side (the parent).
    pub(crate) leader: bool,
    /// Set once the peer is gone: a side that wakes up with it set fails its round.
    pub(crate) cancel: Arc<AtomicBool>,
    /// The raw object's name, removed after the mappings (the parent's only).
    _raw_name: Option<RawName>,
}

/// Lays out the objects of a case, in the parent, before the peer starts.
pub(crate) type Place = fn(&Arc<SharedMemory>, &RawMap) -> Result<()>;
/// Wakes the parent's side of both objects from a wait (from the watchdog's thread).
pub(crate) type Wake = fn(&Arc<SharedMemory>, &RawMap);
/// Makes a case's link of the objects, checking once what every round relies on.
pub(crate) type MakeLink<L> = fn(Objects) -> Result<L>;

/// Creates both objects, lays them out with `place`, and hands the peer their names.
///
/// The unstick hook sets the cancel flag and calls `wake` while the objects exist; the watchdog
/// calls it repeatedly once it has killed a hung peer, so a wake that comes just before the
/// parent blocks is repeated after.
///
/// # Errors
/// When an object cannot be created or laid out.
pub(crate) fn prepare<L: Link + 'static>(
    prefix: &str,
    place: Place,
    wake: Wake,
    link: MakeLink<L>,
) -> Result<Prepared> {
    let api_name = ObjectName::unique(prefix).context("name the API's shm object")?;
    let raw_name = ObjectName::unique(prefix).context("name the raw shm object")?;
    let api = SharedMemory::create_new(&api_name, LEN)
        .with_context(|| format!("create the shm object {api_name}"))?;
    let (raw, raw_guard) = raw_create(raw_name.as_c_str().to_owned(), LEN)
        .with_context(|| format!("create the shm object {raw_name} with shm_open"))?;
    let (api, raw) = (Arc::new(api), Arc::new(raw));
    place(&api, &raw)?;
    let cancel = Arc::new(AtomicBool::new(false));
    let unstick = {
        let (api, raw) = (Arc::downgrade(&api), Arc::downgrade(&raw));
        let cancel = Arc::clone(&cancel);
        move || {
            cancel.store(true, Ordering::Relaxed);
            if let (Some(api), Some(raw)) = (api.upgrade(), raw.upgrade()) {
                wake(&api, &raw);
            }
        }
    };
    let args = vec![api_name.as_str().into(), raw_name.as_str().into()];
    // The objects are laid out before the peer starts, so there is nothing to wait for here.
    // The link owns both objects: dropping it removes them.
    let connect = move || -> Result<Box<dyn AnyLink>> {
        Ok(Box::new(link(Objects {
            api,
            raw,
            leader: true,
            cancel,
            _raw_name: Some(raw_guard),
        })?))
    };
    Ok(Prepared {
        give: Vec::new(),
        args,
        connect: Box::new(connect),
        unstick: Some(Box::new(unstick)),
    })
}

/// Opens the objects named by `args`, in the peer.
///
/// # Errors
/// When the arguments are not two object names, or an object cannot be opened.
pub(crate) fn join<L: Link + 'static>(
    args: &[OsString],
    _fds: Vec<OwnedFd>,
    link: MakeLink<L>,
) -> Result<Box<dyn AnyLink>> {
    let [api_name, raw_name] = args else {
        return Err(Error::msg("the peer expects two object names"));
    };
    let api_name = api_name
        .to_str()
        .ok_or_else(|| Error::msg("the shm object name is not UTF-8"))?;
    let api_name = ObjectName::new(api_name).context("the API's shm object name")?;
    let api =
        SharedMemory::open(&api_name).with_context(|| format!("open the shm object {api_name}"))?;
    let raw_name = CString::new(raw_name.as_encoded_bytes())
        .map_err(|_| Error::msg("the raw shm object name holds a NUL"))?;
    let raw = raw_open(&raw_name, LEN)
        .with_context(|| format!("open the shm object {raw_name:?} with shm_open"))?;
    Ok(Box::new(link(Objects {
        api: Arc::new(api),
        raw: Arc::new(raw),
        leader: false,
        cancel: Arc::new(AtomicBool::new(false)),
        _raw_name: None,
    })?))
}

/// Checks that a message fits the region's message area.
///
/// # Errors
/// `InvalidInput` for a message longer than [`MAX_MESSAGE`].
#[inline]
pub(crate) fn check_len(len: usize) -> io::Result<()> {
    if len > MAX_MESSAGE {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "a handoff message is at most 64 bytes",
        ));
    }
    Ok(())
}

/// The error of a side woken because its peer is gone.
pub(crate) fn cancelled() -> io::Error {
    io::Error::new(
        io::ErrorKind::BrokenPipe,
        "the peer is gone (killed by the watchdog)",
    )
}
