//! `SEM_VALUE_MAX`: typed errors for an initial value above it and a post past it.

use ipc_core::ErrorKind;
use ipc_sem::{RegionSemaphore, SEM_VALUE_MAX, Semaphore};
use ipc_shm::AnonymousRegion;

use crate::support::TestName;

#[test]
fn a_post_past_the_maximum_is_limit_reached_naming_it_and_changes_nothing() {
    let name = TestName::new("sem-overflow");
    let sut = Semaphore::create_new(&name.name, SEM_VALUE_MAX).unwrap();
    let err = sut.post().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::LimitReached, "{err}");
    assert_eq!(err.limit().unwrap().knob(), "SEM_VALUE_MAX");
    assert_eq!(err.raw_os_error(), Some(libc::EOVERFLOW));
    assert_eq!(sut.value().unwrap(), SEM_VALUE_MAX);
    sut.try_wait().unwrap();
    sut.post().unwrap();

    let region = AnonymousRegion::new(4096).unwrap();
    let sut = RegionSemaphore::init(&region, 0, SEM_VALUE_MAX).unwrap();
    assert_eq!(sut.post().unwrap_err().kind(), ErrorKind::LimitReached);
}

#[test]
fn an_initial_value_above_the_maximum_is_an_invalid_argument_and_makes_nothing() {
    let name = TestName::new("sem-initial");
    for initial in [SEM_VALUE_MAX + 1, u32::MAX] {
        let err = Semaphore::create_new(&name.name, initial).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
        assert!(err.to_string().contains("SEM_VALUE_MAX"), "{err}");
        let err = Semaphore::open_or_create(&name.name, initial).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
        assert!(!name.path().exists());
    }
    let region = AnonymousRegion::new(4096).unwrap();
    let err = RegionSemaphore::init(&region, 0, SEM_VALUE_MAX + 1).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
}
