//! A named semaphore of this crate is the one C programs reach with `sem_open`.
#![allow(
    unsafe_code,
    reason = "the test calls the C library's sem_open family directly, as a C program would"
)]

use std::ffi::CString;

use ipc_sem::Semaphore;

use crate::support::TestName;

/// `sem_open(name, oflag, 0600, value)`, asserted to succeed.
fn c_sem_open(name: &CString, oflag: libc::c_int, value: libc::c_uint) -> *mut libc::sem_t {
    // SAFETY: `name` is a NUL-terminated string; the variadic mode and value are passed as
    // sem_open(3) expects when O_CREAT is set, and ignored otherwise.
    let sem = unsafe { libc::sem_open(name.as_ptr(), oflag, 0o600 as libc::c_uint, value) };
    assert_ne!(
        sem,
        libc::SEM_FAILED,
        "sem_open: {}",
        std::io::Error::last_os_error()
    );
    sem
}

fn c_value(sem: *mut libc::sem_t) -> libc::c_int {
    let mut value = -1;
    // SAFETY: `sem` came from a successful sem_open and is not closed yet.
    assert_eq!(unsafe { libc::sem_getvalue(sem, &mut value) }, 0);
    value
}

#[test]
fn a_c_program_opening_our_semaphore_shares_its_count() {
    let name = TestName::new("sem-interop");
    let sut = Semaphore::create_new(&name.name, 2).unwrap();
    let c_name = CString::new(name.name.as_str()).unwrap();
    let c_sem = c_sem_open(&c_name, 0, 0);
    assert_eq!(c_value(c_sem), 2);
    // SAFETY: `c_sem` is open.
    assert_eq!(unsafe { libc::sem_post(c_sem) }, 0);
    assert_eq!(sut.value().unwrap(), 3);
    sut.try_wait().unwrap();
    sut.try_wait().unwrap();
    assert_eq!(c_value(c_sem), 1);
    // SAFETY: `c_sem` is open and not used after this.
    assert_eq!(unsafe { libc::sem_close(c_sem) }, 0);
}

#[test]
fn a_semaphore_a_c_program_made_is_opened_and_checked_by_us() {
    let name = TestName::new("sem-interop-c");
    let c_name = CString::new(name.name.as_str()).unwrap();
    let c_sem = c_sem_open(&c_name, libc::O_CREAT | libc::O_EXCL, 4);
    let sut = Semaphore::open(&name.name).unwrap();
    assert_eq!(sut.value().unwrap(), 4);
    sut.try_wait().unwrap();
    assert_eq!(c_value(c_sem), 3);
    // SAFETY: `c_sem` is open and not used after this.
    assert_eq!(unsafe { libc::sem_close(c_sem) }, 0);
    // SAFETY: `c_name` is a NUL-terminated string.
    assert_eq!(unsafe { libc::sem_unlink(c_name.as_ptr()) }, 0);
    sut.post().unwrap(); // still mapped after the unlink
}
