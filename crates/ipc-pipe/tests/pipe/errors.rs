//! Errors name the public method that returned them, whichever call inside it failed, so a
//! message points at the caller's own line.

use std::io::IoSlice;
use std::time::{Duration, Instant};

use ipc_core::testing::TempPath;
use ipc_core::{Error, ErrorKind};
use ipc_pipe::{Fifo, FrameReader, FrameWriter, PIPE_BUF, pipe};

#[test]
fn every_error_names_the_public_method_that_returned_it() {
    let none = Duration::ZERO;
    let past = Instant::now();
    let (reader, writer) = pipe().unwrap();
    let mut cases: Vec<(&str, Error)> = vec![
        ("try_read", reader.try_read(&mut [0; 8]).unwrap_err()),
        (
            "read_timeout",
            reader.read_timeout(&mut [0; 8], none).unwrap_err(),
        ),
        (
            "read_deadline",
            reader.read_deadline(&mut [0; 8], past).unwrap_err(),
        ),
        (
            "read_exact_timeout",
            reader.read_exact_timeout(&mut [0; 8], none).unwrap_err(),
        ),
        (
            "read_exact_deadline",
            reader.read_exact_deadline(&mut [0; 8], past).unwrap_err(),
        ),
        (
            "write_atomic",
            writer.write_atomic(&[0; PIPE_BUF + 1]).unwrap_err(),
        ),
        (
            "try_write_atomic",
            writer.try_write_atomic(&[0; PIPE_BUF + 1]).unwrap_err(),
        ),
        ("set_capacity", writer.set_capacity(usize::MAX).unwrap_err()),
        (
            "send",
            FrameWriter::new(&writer)
                .max_frame_len(1)
                .send(b"ab")
                .unwrap_err(),
        ),
        (
            "try_receive",
            FrameReader::new(&reader).try_receive().unwrap_err(),
        ),
        (
            "receive_timeout",
            FrameReader::new(&reader).receive_timeout(none).unwrap_err(),
        ),
        (
            "receive",
            FrameReader::new(&[1, 0][..]).receive().unwrap_err(),
        ),
    ];
    drop(reader);
    let data = [1_u8; 16];
    let bufs = [IoSlice::new(&data)];
    cases.extend([
        ("write", writer.write(&data).unwrap_err()),
        ("write_all", writer.write_all(&data).unwrap_err()),
        ("try_write", writer.try_write(&data).unwrap_err()),
        (
            "write_timeout",
            writer.write_timeout(&data, none).unwrap_err(),
        ),
        (
            "write_deadline",
            writer.write_deadline(&data, past).unwrap_err(),
        ),
        ("write_atomic", writer.write_atomic(&data).unwrap_err()),
        (
            "write_atomic_timeout",
            writer.write_atomic_timeout(&data, none).unwrap_err(),
        ),
        (
            "write_atomic_deadline",
            writer.write_atomic_deadline(&data, past).unwrap_err(),
        ),
        ("write_vectored", writer.write_vectored(&bufs).unwrap_err()),
        (
            "try_write_vectored",
            writer.try_write_vectored(&bufs).unwrap_err(),
        ),
        (
            "write_vectored_timeout",
            writer.write_vectored_timeout(&bufs, none).unwrap_err(),
        ),
        (
            "write_vectored_deadline",
            writer.write_vectored_deadline(&bufs, past).unwrap_err(),
        ),
        ("vmsplice", writer.vmsplice(&bufs).unwrap_err()),
    ]);

    let path = TempPath::new("fifo");
    let fifo = Fifo::create_new(path.path()).unwrap();
    cases.extend([
        ("create_new", Fifo::create_new(path.path()).unwrap_err()),
        ("try_open_writer", fifo.try_open_writer().unwrap_err()),
        (
            "open_writer_timeout",
            fifo.open_writer_timeout(none).unwrap_err(),
        ),
        (
            "open_writer_deadline",
            fifo.open_writer_deadline(past).unwrap_err(),
        ),
        (
            "open_reader_timeout",
            fifo.open_reader_timeout(none).unwrap_err(),
        ),
        (
            "open_reader_deadline",
            fifo.open_reader_deadline(past).unwrap_err(),
        ),
    ]);
    let mut fifo = fifo;
    fifo.unlink().unwrap();
    cases.extend([
        ("unlink", fifo.unlink().unwrap_err()),
        ("open", Fifo::open(path.path()).unwrap_err()),
        ("open_reader", fifo.open_reader().unwrap_err()),
        ("try_open_reader", fifo.try_open_reader().unwrap_err()),
        ("open_writer", fifo.open_writer().unwrap_err()),
    ]);
    std::fs::write(path.path(), b"not a fifo").unwrap();
    cases.push((
        "open_or_create",
        Fifo::open_or_create(path.path()).unwrap_err(),
    ));

    for (method, err) in &cases {
        assert_eq!(err.operation(), *method, "{err}");
        assert!(err.to_string().starts_with(method), "{err}");
        assert_ne!(err.kind(), ErrorKind::Other, "{method}: {err}");
    }
}
