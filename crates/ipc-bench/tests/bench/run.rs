use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const BENCH: &str = env!("CARGO_BIN_EXE_ipc-bench");

/// The bench with a private temporary directory, so leftovers can be checked.
fn bench(tmp: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(BENCH);
    command.args(args).env("TMPDIR", tmp);
    command
}

/// Waits for `child` to exit within `limit`, killing and reaping it otherwise.
fn wait_bounded(mut child: Child, limit: Duration) -> Output {
    let deadline = Instant::now() + limit;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("the bench did not exit within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

fn assert_no_leftovers(tmp: &Path) {
    let left: Vec<_> = std::fs::read_dir(tmp).unwrap().collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

#[test]
fn a_quick_run_prints_the_table_and_writes_json_and_a_chart() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let scratch = tempfile::tempdir().unwrap();
    let args = [
        "--quick",
        "--filter",
        "/64B",
        "--out",
        out.to_str().unwrap(),
    ];
    let sut = bench(scratch.path(), &args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();

    let output = wait_bounded(sut, Duration::from_secs(120));

    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for row in [
        "| pipe | round trip µs | 64B |",
        "| pipe | msg/s (MB/s) | 64B |",
        "| fifo | round trip µs | 64B |",
        "| fifo | msg/s (MB/s) | 64B |",
    ] {
        assert!(stdout.contains(row), "no {row:?} in\n{stdout}");
    }
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("results.json")).unwrap()).unwrap();
    let table_rows = stdout.lines().filter(|l| l.contains(" | 64B | ")).count();
    assert!(table_rows >= 4);
    // A table row per JSON row, and one more per alternative crate measured in it.
    let rows = json["rows"].as_array().unwrap();
    let alternatives: usize = rows
        .iter()
        .map(|row| row["alternatives"].as_array().map_or(0, Vec::len))
        .sum();
    assert_eq!(rows.len() + alternatives, table_rows);
    assert_eq!(json["quick"], true);
    for field in ["cpu_model", "kernel", "rustc", "commit"] {
        assert!(json["machine"][field].is_string(), "machine.{field}");
    }
    let row = &json["rows"][0];
    assert!(row["ratio"].as_f64().unwrap() > 0.0);
    assert!(row["api"]["p999_us"].as_f64().unwrap() >= row["api"]["median_us"].as_f64().unwrap());
    let chart = std::fs::read_to_string(out.join("chart.svg")).unwrap();
    assert!(chart.starts_with("<svg"));
    assert_no_leftovers(scratch.path());
}

/// Runs the bench quick on the rows matching `filter` with `scratch` as its temporary directory,
/// and returns its Markdown table and its pid, after checking it succeeded.
fn quick_run(scratch: &Path, filter: &str) -> (String, u32) {
    let out = tempfile::tempdir().unwrap();
    let args = [
        "--quick",
        "--filter",
        filter,
        "--out",
        out.path().to_str().unwrap(),
    ];
    let sut = bench(scratch, &args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = sut.id();
    let output = wait_bounded(sut, Duration::from_secs(120));
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    (stdout, pid)
}

/// The shared memory objects whose names hold `pid` (the bench names its objects
/// `ipc-rs-test-bench-<case>-<pid>-…`).
fn shm_objects_of(pid: u32) -> Vec<String> {
    let infix = format!("-{pid}-");
    std::fs::read_dir("/dev/shm")
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with("ipc-rs-test-bench-") && name.contains(&infix))
        .collect()
}

#[test]
fn the_shared_memory_and_mapped_file_cases_run_and_remove_their_objects() {
    let scratch = tempfile::tempdir().unwrap();

    let (stdout, pid) = quick_run(scratch.path(), "/64B");

    for row in [
        "| shm | round trip µs | 64B |",
        "| shm | msg/s (MB/s) | 64B |",
        "| mmap | round trip µs | 64B |",
        "| mmap | msg/s (MB/s) | 64B |",
    ] {
        assert!(stdout.contains(row), "no {row:?} in\n{stdout}");
    }
    assert_eq!(shm_objects_of(pid), Vec::<String>::new());
    assert_no_leftovers(scratch.path());
}

#[test]
fn the_mq_case_measures_the_api_raw_calls_and_posix_mq_at_every_size() {
    let scratch = tempfile::tempdir().unwrap();

    let (stdout, _) = quick_run(scratch.path(), "mq/");

    for size in ["64B", "1KiB", "8KiB"] {
        for measurement in ["round trip µs", "msg/s (MB/s)"] {
            for mechanism in ["mq", "mq · posix_mq"] {
                let row = format!("| {mechanism} | {measurement} | {size} |");
                assert!(stdout.contains(&row), "no {row:?} in\n{stdout}");
            }
        }
    }
    assert_no_leftovers(scratch.path());
}

#[test]
fn the_socket_cases_measure_every_transport_and_descriptor_passing_and_remove_their_files() {
    let scratch = tempfile::tempdir().unwrap();

    let (stdout, _) = quick_run(scratch.path(), "sock-");

    for case in ["sock-stream", "sock-dgram", "sock-seqpacket", "sock-tcp"] {
        for size in ["64B", "4KiB", "64KiB"] {
            for measurement in ["round trip µs", "msg/s (MB/s)"] {
                let row = format!("| {case} | {measurement} | {size} |");
                assert!(stdout.contains(&row), "no {row:?} in\n{stdout}");
            }
        }
    }
    for row in [
        "| sock-fd | round trip µs | 1B |",
        "| sock-fd | msg/s (MB/s) | 1B |",
    ] {
        assert!(stdout.contains(row), "no {row:?} in\n{stdout}");
    }
    assert_no_leftovers(scratch.path());
}

#[test]
fn the_single_process_cases_time_one_operation_and_remove_their_files() {
    let scratch = tempfile::tempdir().unwrap();

    let (locks, _) = quick_run(scratch.path(), "lock/");
    let (msync, _) = quick_run(scratch.path(), "msync/");

    for row in [
        "| flock | one op µs | - |",
        "| flock | ops/s (MB/s) | - |",
        "| ofd-lock | one op µs | - |",
        "| ofd-lock | ops/s (MB/s) | - |",
    ] {
        assert!(locks.contains(row), "no {row:?} in\n{locks}");
    }
    for row in [
        "| mmap-msync | one op µs | 4KiB |",
        "| mmap-msync | ops/s (MB/s) | 64KiB |",
    ] {
        assert!(msync.contains(row), "no {row:?} in\n{msync}");
    }
    assert_no_leftovers(scratch.path());
}

#[test]
fn killing_the_peer_fails_the_run_with_an_error_naming_the_case() {
    kill_the_peer_during("fifo/latency/64B", "case fifo");
}

#[test]
fn killing_a_socket_peer_fails_the_run_with_an_error_naming_the_case() {
    kill_the_peer_during("sock-seqpacket/latency/64B", "case sock-seqpacket");
}

/// Starts the bench on the one row `row`, kills its peer once the row has started, and checks
/// that the run fails with an error containing `case` and leaves nothing behind.
fn kill_the_peer_during(row: &str, case: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let scratch = tempfile::tempdir().unwrap();
    let args = ["--filter", row, "--out", tmp.path().to_str().unwrap()];
    let mut sut = bench(scratch.path(), &args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = BufReader::new(sut.stderr.take().unwrap());
    let (lines_tx, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in stderr.lines() {
            if lines_tx.send(line.unwrap()).is_err() {
                break;
            }
        }
    });
    // The bench reports each row as it starts it (stderr is not a terminal): the peer is
    // connected by then.
    let started = lines
        .recv_timeout(Duration::from_secs(60))
        .expect("the bench reports the row it starts");
    assert_eq!(started, format!("ipc-bench: {row}"));
    let peers = children_of(sut.id());
    assert_eq!(peers.len(), 1, "one peer: {peers:?}");
    let killed = Command::new("kill").args(["-KILL", &peers[0]]).status();
    assert!(killed.unwrap().success());

    let output = wait_bounded(sut, Duration::from_secs(30));

    assert!(!output.status.success());
    let said: Vec<String> = lines.try_iter().collect();
    assert!(
        said.iter()
            .any(|l| l.contains(case) && l.contains("SIGKILL")),
        "{said:#?}"
    );
    assert_no_leftovers(scratch.path());
}

#[test]
fn the_peer_mode_refuses_to_run_outside_the_bench() {
    let scratch = tempfile::tempdir().unwrap();
    let sut = bench(scratch.path(), &["--peer", "pipe", "-", "2"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();

    let output = wait_bounded(sut, Duration::from_secs(10));

    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("internal"));
}

/// The pids of `pid`'s children, from `/proc/<pid>/task/*/children`.
fn children_of(pid: u32) -> Vec<String> {
    std::fs::read_dir(format!("/proc/{pid}/task"))
        .unwrap()
        .flat_map(|task| {
            let children = task.unwrap().path().join("children");
            let children = std::fs::read_to_string(children).unwrap_or_default();
            children
                .split_whitespace()
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .collect()
}
