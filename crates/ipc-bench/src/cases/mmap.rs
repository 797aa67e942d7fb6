//! A mapped file: the same byte rings as `shm` (see [`super::ring`]), busy polled, in a regular
//! file in `$TMPDIR` mapped shared by both processes. The API side maps its file with
//! `ipc_shm::MappedFile`; the raw side creates a second file with `open`, `ftruncate` and `mmap`.
//! The parent creates both files in a temporary directory it removes when the case ends, whether
//! or not the peer survived.

use std::ffi::OsString;
use std::fs::OpenOptions;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use ipc_shm::MappedFile;

use super::ring::LEN;
use super::ring_link::{RingLink, Side};
use super::{AnyLink, Case, Prepared, Reference};
use crate::error::{Context, Error, Result};
use crate::sys::RawMap;

/// The prefix of the bench's temporary directories, so the leftover check recognises them.
const PREFIX: &str = "ipc-rs-test-bench-mmap-";

/// The `mmap` case.
pub(crate) struct Mmap;

impl Case for Mmap {
    fn id(&self) -> &'static str {
        "mmap"
    }

    fn describe(&self) -> &'static str {
        "the shm case's rings in a regular file in $TMPDIR mapped shared; API = MappedFile + \
         RegionAccess, raw = open + ftruncate + mmap + memcpy on a second file"
    }

    fn reference(&self) -> Option<Reference> {
        Some(Reference {
            name: "mmap",
            msgs_per_s: 3_500_000.0,
            latency_us: 0.3,
        })
    }

    fn prepare(&self) -> Result<Prepared> {
        let dir = tempfile::Builder::new()
            .prefix(PREFIX)
            .tempdir()
            .context("create the directory of the mapped files")?;
        let api_path = dir.path().join("api");
        let raw_path = dir.path().join("raw");
        let api = MappedFile::create_new(&api_path, LEN)
            .with_context(|| format!("create the mapped file {}", api_path.display()))?;
        let raw_file = OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&raw_path)
            .with_context(|| format!("create {}", raw_path.display()))?;
        raw_file
            .set_len(LEN as u64)
            .with_context(|| format!("size {} (ftruncate)", raw_path.display()))?;
        let raw = RawMap::new(raw_file.as_fd(), LEN)
            .with_context(|| format!("map {}", raw_path.display()))?;
        let cancel = Arc::new(AtomicBool::new(false));
        let unstick = Arc::clone(&cancel);
        let args = vec![api_path.into(), raw_path.into()];
        // As for `shm`: the peer maps both files before it answers the first round.
        let connect = move || -> Result<Box<dyn AnyLink>> {
            Ok(Box::new(RingLink::new(
                api,
                raw,
                Box::new(dir),
                Side::Parent,
                cancel,
            )?))
        };
        Ok(Prepared {
            give: Vec::new(),
            args,
            connect: Box::new(connect),
            unstick: Some(Box::new(move || unstick.store(true, Ordering::Relaxed))),
        })
    }

    fn join(&self, args: &[OsString], _fds: Vec<OwnedFd>) -> Result<Box<dyn AnyLink>> {
        let [api_path, raw_path] = args else {
            return Err(Error::msg("the mmap peer expects two file paths"));
        };
        let api = MappedFile::open(Path::new(api_path))
            .with_context(|| format!("open the mapped file {}", api_path.display()))?;
        let raw_file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(raw_path)
            .with_context(|| format!("open {}", raw_path.display()))?;
        let raw = RawMap::new(raw_file.as_fd(), LEN)
            .with_context(|| format!("map {}", raw_path.display()))?;
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
