//! Capacity (`F_GETPIPE_SZ` / `F_SETPIPE_SZ`): what a pipe holds before a writer must wait, as
//! both processes see it, and the limits on changing it.

use ipc_core::testing::{ChildBuilder, ChildContext};
use ipc_core::{ErrorKind, LimitScope};
use ipc_pipe::{PIPE_BUF, pipe};

use crate::support::{
    END_FD, PATIENCE, Spawner, fill, park_forever, pattern, read_all, spawn_with_writer,
    take_reader, take_writer,
};

/// The system-wide ceiling for unprivileged resizing.
const PIPE_MAX_SIZE: &str = "/proc/sys/fs/pipe-max-size";

/// `CAP_SYS_RESOURCE`, which lets a process exceed `pipe-max-size`.
const CAP_SYS_RESOURCE: u32 = 24;

/// A child that holds the read end without reading and reports the capacity it sees; the
/// pipe was made under `spawner`.
fn spawn_holder(spawner: &Spawner, reader: ipc_pipe::Reader) -> ipc_core::testing::Child {
    let child = spawner.spawn(ChildBuilder::new("holder").inherit_fd(&reader, END_FD));
    drop(reader);
    child
}

fn holder_role(ctx: &ChildContext) -> ! {
    let reader = take_reader(ctx, END_FD);
    ctx.report(&format!("capacity={}", reader.capacity().unwrap()));
    park_forever();
}

/// Whether this process has `CAP_SYS_RESOURCE` in its effective set.
fn has_cap_sys_resource() -> bool {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let effective = status
        .lines()
        .find_map(|line| line.strip_prefix("CapEff:"))
        .expect("CapEff in /proc/self/status");
    let bits = u64::from_str_radix(effective.trim(), 16).unwrap();
    bits & (1 << CAP_SYS_RESOURCE) != 0
}

#[test]
fn a_new_pipe_holds_65536_bytes_before_try_write_would_block() {
    if let Some(ctx) = ChildContext::current() {
        holder_role(&ctx);
    }
    let spawner = Spawner::lock();
    let (reader, sut) = pipe().unwrap();
    assert_eq!(sut.capacity().unwrap(), 65536);
    assert_eq!(reader.capacity().unwrap(), 65536);
    let mut child = spawn_holder(&spawner, reader);
    drop(spawner);
    child.expect_report("capacity=65536", PATIENCE);
    assert_eq!(fill(&sut), 65536);
}

#[test]
fn a_grown_pipe_holds_its_new_capacity_as_the_child_sees_it() {
    if let Some(ctx) = ChildContext::current() {
        holder_role(&ctx);
    }
    let spawner = Spawner::lock();
    let (reader, sut) = pipe().unwrap();
    let granted = sut.set_capacity(200_000).unwrap();
    assert!(granted >= 200_000, "granted {granted}");
    assert!(granted.is_power_of_two(), "granted {granted}");
    assert_eq!(sut.capacity().unwrap(), granted);
    let mut child = spawn_holder(&spawner, reader);
    drop(spawner);
    child.expect_report(&format!("capacity={granted}"), PATIENCE);
    assert_eq!(fill(&sut), granted);
}

#[test]
fn a_pipe_shrunk_to_one_page_holds_one_page() {
    if let Some(ctx) = ChildContext::current() {
        holder_role(&ctx);
    }
    let spawner = Spawner::lock();
    let (reader, sut) = pipe().unwrap();
    assert_eq!(sut.set_capacity(PIPE_BUF).unwrap(), PIPE_BUF);
    let mut child = spawn_holder(&spawner, reader);
    drop(spawner);
    child.expect_report(&format!("capacity={PIPE_BUF}"), PATIENCE);
    assert_eq!(fill(&sut), PIPE_BUF);
}

#[test]
fn growing_past_pipe_max_size_is_limit_reached_naming_the_knob() {
    let max: usize = std::fs::read_to_string(PIPE_MAX_SIZE)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let (_reader, sut) = pipe().unwrap();
    let result = sut.set_capacity(max * 2);
    if has_cap_sys_resource() {
        eprintln!(
            "skipped: this process has CAP_SYS_RESOURCE, which lifts {PIPE_MAX_SIZE} \
             (set_capacity gave {result:?})"
        );
        return;
    }
    let err = result.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::LimitReached, "{err}");
    let limit = err.limit().expect("a limit error names its limit");
    assert_eq!(limit.knob(), PIPE_MAX_SIZE);
    assert_eq!(limit.scope(), LimitScope::SystemWide);
    assert_eq!(limit.current(), Some(max as u64));
    assert!(err.to_string().contains(PIPE_MAX_SIZE), "{err}");
    assert_eq!(sut.capacity().unwrap(), 65536, "the capacity is unchanged");
}

#[test]
fn shrinking_below_the_content_a_child_wrote_is_invalid_argument_and_keeps_the_data() {
    if let Some(ctx) = ChildContext::current() {
        let writer = take_writer(&ctx, END_FD);
        writer.write_all(&pattern(3 * PIPE_BUF)).unwrap();
        return;
    }
    let (mut child, sut) = spawn_with_writer(ChildBuilder::new("writer"));
    child.expect_success(PATIENCE);
    let err = sut.set_capacity(PIPE_BUF).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
    assert_eq!(sut.capacity().unwrap(), 65536);
    assert_eq!(read_all(&sut), pattern(3 * PIPE_BUF));
}
