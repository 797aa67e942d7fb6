//! A connected pair of ring sides (see [`super::ring`]) over two mappings of the same layout:
//! one reached through `ipc_shm::RegionAccess` (the API side), one through raw pointers (the raw
//! side). Shared by the cases that only differ in what is mapped (`shm`, `mmap`).

use std::any::Any;
use std::io;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use ipc_shm::RegionAccess;

use super::Link;
use super::ring::{Bytes, Cursors, DIRECTION, HEAD, LEN, RingDuplex, TAIL};
use crate::error::{Context, Error, Result};
use crate::sys::RawMap;

/// Which end of the rings a process is.
#[derive(Clone, Copy)]
pub(crate) enum Side {
    /// Produces into the first direction (`down`), consumes from the second (`up`).
    Parent,
    /// The reverse.
    Peer,
}

impl Side {
    /// The offsets of the direction this side produces into and the one it consumes from.
    fn bases(self) -> (usize, usize) {
        match self {
            Self::Parent => (0, DIRECTION),
            Self::Peer => (DIRECTION, 0),
        }
    }
}

/// Both implementations' mappings, with the rings laid out in each.
pub(crate) struct RingLink<R> {
    api: R,
    raw: RawMap,
    side: Side,
    cancel: Arc<AtomicBool>,
    /// What must outlive the mappings and be dropped after them (a name to remove, a
    /// temporary directory).
    _keep: Box<dyn Any>,
}

impl<R: RegionAccess> RingLink<R> {
    /// A link over `api` and `raw`, after checking that both hold the layout (so [`Link::api`]
    /// cannot fail later); `keep` is dropped after both mappings. `cancel` releases a waiting
    /// side once set.
    pub(crate) fn new(
        api: R,
        raw: RawMap,
        keep: Box<dyn Any>,
        side: Side,
        cancel: Arc<AtomicBool>,
    ) -> Result<Self> {
        for base in [0, DIRECTION] {
            for word in [HEAD, TAIL] {
                api.atomic_u64(base + word)
                    .context("reach a ring cursor through the API")?;
            }
        }
        if raw.len() < LEN {
            return Err(Error::msg("the raw mapping is shorter than the rings"));
        }
        Ok(Self {
            api,
            raw,
            side,
            cancel,
            _keep: keep,
        })
    }
}

/// The API side's copies: `RegionAccess::write_at` and `read_at`, bounds-checked, made of
/// relaxed atomic word accesses.
pub(crate) struct Checked<'a, R>(&'a R);

#[allow(
    unsafe_code,
    reason = "implements the ring's unsafe trait; these copies are checked and need no promise"
)]
impl<R: RegionAccess> Bytes for Checked<'_, R> {
    #[inline]
    unsafe fn write(&self, offset: usize, src: &[u8]) -> io::Result<()> {
        self.0.write_at(offset, src).map_err(io::Error::from)
    }

    #[inline]
    unsafe fn read(&self, offset: usize, dst: &mut [u8]) -> io::Result<()> {
        self.0.read_at(offset, dst).map_err(io::Error::from)
    }
}

#[allow(
    unsafe_code,
    reason = "implements the ring's unsafe trait with unchecked memcpy, as C would"
)]
impl Bytes for &RawMap {
    #[inline]
    unsafe fn write(&self, offset: usize, src: &[u8]) -> io::Result<()> {
        // SAFETY: the caller's promises (see `Bytes`) are `RawMap::write`'s: the range is
        // inside the mapping and nobody else touches it during the copy.
        unsafe { RawMap::write(self, offset, src) };
        Ok(())
    }

    #[inline]
    unsafe fn read(&self, offset: usize, dst: &mut [u8]) -> io::Result<()> {
        // SAFETY: as in `write`: the range is inside the mapping and nobody writes it meanwhile.
        unsafe { RawMap::read(self, offset, dst) };
        Ok(())
    }
}

impl<R: RegionAccess> Link for RingLink<R> {
    type Api<'a>
        = RingDuplex<'a, Checked<'a, R>>
    where
        R: 'a;
    type Raw<'a>
        = RingDuplex<'a, &'a RawMap>
    where
        R: 'a;

    /// The API side, with its cursors reached through `RegionAccess::atomic_u64` once per round
    /// (before the clock starts), never per message: the references borrow the region, which
    /// the link owns, so they cannot be kept in it.
    fn api(&mut self) -> Self::Api<'_> {
        let region = &self.api;
        let cursors = |base: usize| Cursors {
            head: region
                .atomic_u64(base + HEAD)
                .expect("checked in RingLink::new"),
            tail: region
                .atomic_u64(base + TAIL)
                .expect("checked in RingLink::new"),
            base,
        };
        let (tx, rx) = self.side.bases();
        RingDuplex::new(Checked(region), cursors(tx), cursors(rx), &self.cancel)
    }

    /// The raw side, with its cursors cast from the mapping's address once per round.
    fn raw(&mut self) -> Self::Raw<'_> {
        let map = &self.raw;
        let cursors = |base: usize| Cursors {
            head: map.atomic_u64(base + HEAD),
            tail: map.atomic_u64(base + TAIL),
            base,
        };
        let (tx, rx) = self.side.bases();
        RingDuplex::new(map, cursors(tx), cursors(rx), &self.cancel)
    }
}
