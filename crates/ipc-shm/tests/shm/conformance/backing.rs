//! The backings the suite runs on, and what it needs to know about each: how to make a region,
//! what its errors call it, how another process reaches it, what a drop leaves behind.

use std::os::fd::RawFd;

use ipc_core::testing::{ChildBuilder, ChildContext, TempPath, unique_test_name};
use ipc_core::{ObjectName, SharedRegion};
use ipc_shm::{AnonymousRegion, MappedFile, Memfd, MemfdRegion, ReadOnlyRegion, SharedMemory};

/// What a backing's object is after the handle that created it is dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum AfterCreatorDrop {
    /// The creator removes the name: reopening it is `NotFound`.
    Removed,
    /// The object outlives the mapping (a memfd lives while a descriptor does).
    Kept,
    /// Nothing can reach it again: an anonymous mapping has no name or descriptor.
    Unreachable,
}

/// A kind of region the suite runs on.
pub(super) trait Backing {
    /// The region type.
    type Region: SharedRegion + Send + Sync + 'static;
    /// What keeps the object reachable and removes its name when dropped, even if a test fails.
    type Fixture;
    /// The backing's documented ownership rule.
    const AFTER_CREATOR_DROP: AfterCreatorDrop;

    /// A new zeroed region of `len` bytes, and its fixture.
    fn create(len: usize) -> (Self::Region, Self::Fixture);
    /// A second handle on the same object (`None`: it has no name or descriptor), or the error
    /// of trying to reach it.
    fn reopen(fixture: &Self::Fixture) -> Option<ipc_core::Result<Self::Region>>;
    /// The text that names the object in errors (and in `/proc/self/maps` while it is mapped,
    /// when [`NAMED_IN_MAPS`](Self::NAMED_IN_MAPS)).
    fn object_text(fixture: &Self::Fixture) -> String;
    /// Whether `/proc/self/maps` shows the mapping under [`object_text`](Self::object_text).
    const NAMED_IN_MAPS: bool;
}

/// A backing whose object can be reached other than through the mapping: by a process the
/// test binary starts (fork, then exec), and as a read-only mapping.
pub(super) trait Reachable: Backing {
    /// `builder` with what the child needs to reach the object.
    fn hand_to_child(fixture: &Self::Fixture, builder: ChildBuilder) -> ChildBuilder;
    /// In the child: the region the parent handed over.
    fn reach_from_child(ctx: &ChildContext) -> Self::Region;
    /// Maps the object read-only and hands the mapping to `check`.
    fn with_read_only(fixture: &Self::Fixture, check: &mut dyn FnMut(&ReadOnlyRegion));
}

/// A POSIX shared memory object, created here; the name is removed by the creator's drop, and
/// by the fixture's if a test fails first.
pub(super) struct Shm;

pub(super) struct ShmName(ObjectName);

impl Drop for ShmName {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(format!("/dev/shm{}", self.0));
    }
}

impl Backing for Shm {
    type Region = SharedMemory;
    type Fixture = ShmName;
    const AFTER_CREATOR_DROP: AfterCreatorDrop = AfterCreatorDrop::Removed;
    const NAMED_IN_MAPS: bool = true;

    fn create(len: usize) -> (SharedMemory, ShmName) {
        let name = ObjectName::new(&format!("/{}", unique_test_name("shm"))).unwrap();
        (SharedMemory::create_new(&name, len).unwrap(), ShmName(name))
    }

    fn reopen(fixture: &ShmName) -> Option<ipc_core::Result<SharedMemory>> {
        Some(SharedMemory::open(&fixture.0))
    }

    fn object_text(fixture: &ShmName) -> String {
        fixture.0.to_string()
    }
}

impl Reachable for Shm {
    fn hand_to_child(fixture: &ShmName, builder: ChildBuilder) -> ChildBuilder {
        builder.arg("name", &fixture.0)
    }

    fn reach_from_child(ctx: &ChildContext) -> SharedMemory {
        SharedMemory::open(&ObjectName::new(ctx.arg("name").unwrap()).unwrap()).unwrap()
    }

    fn with_read_only(fixture: &ShmName, check: &mut dyn FnMut(&ReadOnlyRegion)) {
        check(SharedMemory::open_read_only(&fixture.0).unwrap().region());
    }
}

/// A memfd mapped with `Memfd::map`; the fixture holds the descriptor.
pub(super) struct Memfds;

/// Where a child finds the memfd.
const MEMFD_FD: RawFd = 10;

pub(super) struct MemfdFixture {
    memfd: Memfd,
    name: String,
}

impl Backing for Memfds {
    type Region = MemfdRegion;
    type Fixture = MemfdFixture;
    const AFTER_CREATOR_DROP: AfterCreatorDrop = AfterCreatorDrop::Kept;
    const NAMED_IN_MAPS: bool = true;

    fn create(len: usize) -> (MemfdRegion, MemfdFixture) {
        let name = unique_test_name("memfd");
        let memfd = Memfd::create(&name, len).unwrap();
        (memfd.map().unwrap(), MemfdFixture { memfd, name })
    }

    fn reopen(fixture: &MemfdFixture) -> Option<ipc_core::Result<MemfdRegion>> {
        Some(fixture.memfd.map())
    }

    fn object_text(fixture: &MemfdFixture) -> String {
        format!("memfd:{}", fixture.name)
    }
}

impl Reachable for Memfds {
    fn hand_to_child(fixture: &MemfdFixture, builder: ChildBuilder) -> ChildBuilder {
        builder.inherit_fd(&fixture.memfd, MEMFD_FD)
    }

    fn reach_from_child(ctx: &ChildContext) -> MemfdRegion {
        let memfd = Memfd::from_fd(ctx.take_fd(MEMFD_FD)).unwrap();
        memfd.map().unwrap()
    }

    fn with_read_only(fixture: &MemfdFixture, check: &mut dyn FnMut(&ReadOnlyRegion)) {
        check(&fixture.memfd.map_read_only().unwrap());
    }
}

/// A regular file in the temporary directory, created here; removed by the creator's drop, and
/// by the `TempPath` if a test fails first.
pub(super) struct File;

impl Backing for File {
    type Region = MappedFile;
    type Fixture = TempPath;
    const AFTER_CREATOR_DROP: AfterCreatorDrop = AfterCreatorDrop::Removed;
    const NAMED_IN_MAPS: bool = true;

    fn create(len: usize) -> (MappedFile, TempPath) {
        let path = TempPath::new("mapped-file");
        (MappedFile::create_new(path.path(), len).unwrap(), path)
    }

    fn reopen(fixture: &TempPath) -> Option<ipc_core::Result<MappedFile>> {
        Some(MappedFile::open(fixture.path()))
    }

    fn object_text(fixture: &TempPath) -> String {
        fixture.path().display().to_string()
    }
}

impl Reachable for File {
    fn hand_to_child(fixture: &TempPath, builder: ChildBuilder) -> ChildBuilder {
        builder.arg("path", fixture.path().display())
    }

    fn reach_from_child(ctx: &ChildContext) -> MappedFile {
        MappedFile::open(ctx.arg("path").unwrap()).unwrap()
    }

    fn with_read_only(fixture: &TempPath, check: &mut dyn FnMut(&ReadOnlyRegion)) {
        check(&MappedFile::open_read_only(fixture.path()).unwrap());
    }
}

/// An anonymous shared mapping: nothing to name, nothing to reopen; shared only with a child
/// forked from this process, and then only until it execs.
pub(super) struct Anonymous;

impl Backing for Anonymous {
    type Region = AnonymousRegion;
    type Fixture = ();
    const AFTER_CREATOR_DROP: AfterCreatorDrop = AfterCreatorDrop::Unreachable;
    // Anonymous mappings have no name in /proc/self/maps, and another thread of the test binary
    // may map something at the same address once this one is gone.
    const NAMED_IN_MAPS: bool = false;

    fn create(len: usize) -> (AnonymousRegion, ()) {
        (AnonymousRegion::new(len).unwrap(), ())
    }

    fn reopen((): &()) -> Option<ipc_core::Result<AnonymousRegion>> {
        None
    }

    fn object_text((): &()) -> String {
        "anonymous shared mapping".to_owned()
    }
}
