//! Tests of the file source (unpaced; pacing arithmetic is tested on
//! [`Rate`] directly).

use std::path::Path;

use super::*;
use crate::frame::mjpeg::tests::{jpeg, mjpeg};
use crate::frame::tests::{gray, y4m_bytes};

fn unpaced() -> FileOptions {
    FileOptions {
        paced: false,
        ..FileOptions::default()
    }
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn three_frame_y4m() -> Vec<u8> {
    y4m_bytes(
        &[gray(4, 4, 10, 0), gray(4, 4, 20, 1), gray(4, 4, 30, 2)],
        Rate::fps(30),
    )
}

#[test]
fn y4m_loops_with_increasing_index() {
    let dir = tempfile::tempdir().unwrap();
    // The extension is irrelevant: content decides.
    let path = write(dir.path(), "clip.bin", &three_frame_y4m());
    let mut src = FileSource::open(&path, unpaced()).unwrap();
    assert!(src.describe().contains("clip.bin"));
    for i in 0..8u64 {
        let f = src.next_frame().unwrap();
        assert_eq!(f.index, i);
        assert_eq!(f.luma()[0], [10, 20, 30][(i % 3) as usize]);
    }
}

#[test]
fn mjpeg_loops_and_skips_a_corrupt_image() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = mjpeg(2);
    let mut bad = jpeg(16, 8, 90, false);
    bad.truncate(bad.len() - 20);
    bad.extend([0xAB; 20]);
    bytes.extend(&bad);
    bytes.extend(jpeg(16, 8, 200, false));
    let path = write(dir.path(), "clip.mjpeg", &bytes);
    let mut src = FileSource::open(&path, unpaced()).unwrap();
    let mut levels = Vec::new();
    let mut errors = 0;
    let mut last_index = None;
    for _ in 0..8 {
        match src.next_frame() {
            Ok(f) => {
                assert!(last_index.is_none_or(|l| f.index > l));
                last_index = Some(f.index);
                levels.push(f.luma()[0] / 10);
            }
            Err(e) => {
                assert!(e.to_string().contains("clip.mjpeg"), "{e}");
                errors += 1;
            }
        }
    }
    // Each pass: 10, 20, error, 200.
    assert_eq!(levels, [1, 2, 20, 1, 2, 20]);
    assert_eq!(errors, 2);
}

#[test]
fn truncated_y4m_reports_and_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = three_frame_y4m();
    let path = write(dir.path(), "cut.y4m", &bytes[..bytes.len() - 3]);
    let mut src = FileSource::open(&path, unpaced()).unwrap();
    assert_eq!(src.next_frame().unwrap().luma()[0], 10);
    assert_eq!(src.next_frame().unwrap().luma()[0], 20);
    assert!(src.next_frame().unwrap_err().to_string().contains("truncated"));
    let f = src.next_frame().unwrap();
    assert_eq!((f.luma()[0], f.index), (10, 2));
}

#[test]
fn a_file_with_no_good_frame_keeps_erroring() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = three_frame_y4m();
    let header_len = bytes.iter().position(|&b| b == b'\n').unwrap() + 1;
    let path = write(dir.path(), "bad.y4m", &bytes[..header_len + 10]);
    let mut src = FileSource::open(&path, unpaced()).unwrap();
    for _ in 0..5 {
        let err = src.next_frame().unwrap_err();
        assert!(matches!(err, FrameError::Corrupt { .. }));
        assert!(err.to_string().contains("bad.y4m"), "{err}");
    }
    assert!(src.next_frame().unwrap_err().to_string().contains("no playable frame"));
}

#[test]
fn open_errors_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.y4m");
    let err = FileSource::open(&missing, unpaced()).unwrap_err();
    assert!(
        matches!(err, FrameError::Gone { .. }) && err.to_string().contains("missing.y4m"),
        "{err}"
    );
    let text = write(dir.path(), "notes.txt", b"hello");
    let err = FileSource::open(&text, unpaced()).unwrap_err();
    assert!(matches!(err, FrameError::Format { .. }), "{err}");
    assert!(
        err.to_string().contains("notes.txt") && err.to_string().contains("y4m"),
        "{err}"
    );
    let empty = write(dir.path(), "empty.mjpeg", b"");
    assert!(
        FileSource::open(&empty, unpaced())
            .unwrap_err()
            .to_string()
            .contains("empty")
    );
}

#[test]
fn deleted_file_is_gone_at_the_loop() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "clip.y4m", &three_frame_y4m());
    let mut src = FileSource::open(&path, unpaced()).unwrap();
    std::fs::remove_file(&path).unwrap();
    for _ in 0..3 {
        src.next_frame().unwrap();
    }
    assert!(matches!(src.next_frame(), Err(FrameError::Gone { .. })));
}

#[test]
fn non_looping_ends() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "clip.y4m", &three_frame_y4m());
    let mut src = FileSource::open(
        &path,
        FileOptions {
            looping: false,
            ..unpaced()
        },
    )
    .unwrap();
    for _ in 0..3 {
        src.next_frame().unwrap();
    }
    assert!(matches!(src.next_frame(), Err(FrameError::EndOfStream { .. })));
}

#[test]
fn ffmpeg_mjpeg_if_available() {
    // Cross-check against a real encoder when ffmpeg is installed.
    let dir = tempfile::tempdir().unwrap();
    let input = write(
        dir.path(),
        "in.y4m",
        &y4m_bytes(&[gray(32, 16, 60, 0), gray(32, 16, 180, 1)], Rate::fps(30)),
    );
    let output = dir.path().join("out.mjpeg");
    let Ok(status) = std::process::Command::new("ffmpeg")
        .args(["-loglevel", "error", "-y", "-i"])
        .arg(&input)
        .args(["-f", "mjpeg", "-q:v", "2"])
        .arg(&output)
        .status()
    else {
        return;
    };
    assert!(status.success());
    let mut src = FileSource::open(&output, unpaced()).unwrap();
    let a = src.next_frame().unwrap();
    let b = src.next_frame().unwrap();
    assert_eq!((a.width, a.height), (32, 16));
    // ffmpeg uses limited-range YUV, so allow for the range difference.
    assert!(
        a.luma()[0].abs_diff(60) <= 12 && b.luma()[0].abs_diff(180) <= 12,
        "{} {}",
        a.luma()[0],
        b.luma()[0]
    );
}
