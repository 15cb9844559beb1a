//! Tests of the y4m reader and writer.

use super::*;
use crate::frame::tests::{gray, rgb, y4m_bytes};

fn reader(bytes: &[u8]) -> Result<Y4mReader<&[u8]>, FrameError> {
    Y4mReader::new(bytes, "clip.y4m")
}

#[test]
fn round_trip_within_rounding() {
    let frames: Vec<Frame> = (0..3).map(|i| rgb(7, 5, i)).collect();
    let bytes = y4m_bytes(&frames, Rate::new(30000, 1001).unwrap());
    let mut r = reader(&bytes).unwrap();
    assert_eq!(
        r.header(),
        Y4mHeader {
            width: 7,
            height: 5,
            rate: Rate { num: 30000, den: 1001 },
            colorspace: Y4mColorspace::Yuv420
        }
    );
    for original in &frames {
        let back = r.read_frame().unwrap().unwrap();
        assert!(matches!(back.pixels, Pixels::Yuv420 { .. }));
        // Luma is kept exactly (up to rounding); chroma is averaged over
        // 2x2 blocks, and this gradient changes slowly, so RGB stays close.
        for (a, b) in original.luma().iter().zip(back.luma().iter()) {
            assert!(a.abs_diff(*b) <= 1, "luma {a} vs {b}");
        }
        for (a, b) in original.rgb().iter().zip(back.rgb().iter()) {
            assert!(a.abs_diff(*b) <= 40, "rgb {a} vs {b}");
        }
    }
    assert!(r.read_frame().unwrap().is_none());
}

#[test]
fn gray_frames_keep_exact_luma() {
    let bytes = y4m_bytes(&[gray(4, 2, 99, 0)], Rate::fps(30));
    let frame = reader(&bytes).unwrap().read_frame().unwrap().unwrap();
    assert_eq!(frame.luma().as_ref(), &[99; 8]);
}

#[test]
fn header_variants() {
    let cases: [(&str, Y4mColorspace); 6] = [
        ("YUV4MPEG2 W4 H2 F25:1 C420paldv", Y4mColorspace::Yuv420),
        ("YUV4MPEG2 W4 H2 F25:1 C420mpeg2 XYSCSS=420MPEG2", Y4mColorspace::Yuv420),
        ("YUV4MPEG2 W4 H2 F25:1 Ip A0:0 C420", Y4mColorspace::Yuv420),
        ("YUV4MPEG2 W4 H2 F25:1", Y4mColorspace::Yuv420),
        ("YUV4MPEG2 W4 H2 F25:1 Cmono", Y4mColorspace::Mono),
        ("YUV4MPEG2 W4 H2 F25:1 It C444", Y4mColorspace::Yuv444),
    ];
    for (line, colorspace) in cases {
        let h = parse_header(line.as_bytes(), "x").unwrap();
        assert_eq!(
            (h.width, h.height, h.rate, h.colorspace),
            (4, 2, Rate::fps(25), colorspace),
            "{line}"
        );
    }
}

#[test]
fn mono_and_444_frames() {
    let mut mono = b"YUV4MPEG2 W2 H2 F30:1 Cmono\nFRAME\n".to_vec();
    mono.extend([1, 2, 3, 4]);
    let f = reader(&mono).unwrap().read_frame().unwrap().unwrap();
    assert_eq!(f.pixels, Pixels::Gray(vec![1, 2, 3, 4]));

    // 444 with frame parameters on the FRAME line; neutral chroma -> gray RGB.
    let mut full = b"YUV4MPEG2 W2 H1 F30:1 C444\nFRAME Ixyz\n".to_vec();
    full.extend([10, 20, 128, 128, 128, 128]);
    let f = reader(&full).unwrap().read_frame().unwrap().unwrap();
    assert_eq!(f.pixels, Pixels::Rgb(vec![10, 10, 10, 20, 20, 20]));
}

#[test]
fn truncated_file_reports_then_ends() {
    let bytes = y4m_bytes(&[gray(8, 8, 1, 0), gray(8, 8, 2, 1)], Rate::fps(30));
    let cut = &bytes[..bytes.len() - 10];
    let mut r = reader(cut).unwrap();
    assert!(r.read_frame().unwrap().is_some());
    let err = r.read_frame().unwrap_err();
    assert!(matches!(err, FrameError::Corrupt { .. }));
    assert!(
        err.to_string().contains("clip.y4m") && err.to_string().contains("frame 1 is truncated"),
        "{err}"
    );
    assert!(r.read_frame().unwrap().is_none());
}

#[test]
fn bad_frame_marker() {
    let mut bytes = y4m_bytes(&[gray(2, 2, 1, 0)], Rate::fps(30));
    bytes.extend(b"GARBAGE\n");
    let mut r = reader(&bytes).unwrap();
    r.read_frame().unwrap().unwrap();
    assert!(
        r.read_frame()
            .unwrap_err()
            .to_string()
            .contains("expected a FRAME marker")
    );
}

#[test]
fn corrupt_and_unsupported_headers() {
    let cases = [
        ("YUV4MPEG2 W4 Hx F25:1\n", "bad header parameter"),
        ("YUV4MPEG2 W4 F25:1\n", "no H"),
        ("YUV4MPEG2 W4 H2\n", "no F"),
        ("YUV4MPEG2 W4 H2 F25:0\n", "bad header parameter"),
        ("YUV4MPEG2 W4 H2 F25:1 C422\n", "C422"),
        ("YUV4MPEG2 W4 H2 F25:1 C420p10\n", "C420p10"),
        ("YUV4MPEG3 W4 H2 F25:1\n", "magic"),
        ("YUV4MPEG2 W4 H2 F25:1", "truncated or too long"),
        ("", "empty"),
        ("YUV4MPEG2 W0 H2 F25:1\n", "0x2"),
        ("YUV4MPEG2 W100000 H100000 F25:1\n", "100000x100000"),
    ];
    for (text, expected) in cases {
        let err = reader(text.as_bytes()).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("clip.y4m") && msg.contains(expected), "{text:?}: {msg}");
    }
    let long = format!("YUV4MPEG2 {}\n", "X".repeat(10_000));
    assert!(reader(long.as_bytes()).is_err());
}

#[test]
fn huge_claimed_frames_in_a_tiny_file_fail_cleanly() {
    let bytes = b"YUV4MPEG2 W8192 H8192 F25:1 C444\nFRAME\nabc";
    let err = reader(bytes).unwrap().read_frame().unwrap_err();
    assert!(err.to_string().contains("truncated"), "{err}");
}

#[test]
fn writer_refuses_other_sizes_and_bad_frames() {
    let mut w = Y4mWriter::new(Vec::new(), 4, 4, Rate::fps(30), "out.y4m").unwrap();
    let err = w.write_frame(&gray(2, 2, 0, 3)).unwrap_err();
    assert!(
        err.to_string().contains("out.y4m") && err.to_string().contains("frame 3 is 2x2"),
        "{err}"
    );
    let bad = Frame {
        width: 4,
        height: 4,
        pixels: Pixels::Rgb(vec![0; 5]),
        captured: std::time::Instant::now(),
        index: 0,
    };
    assert!(w.write_frame(&bad).is_err());
    assert!(Y4mWriter::new(Vec::new(), 0, 4, Rate::fps(30), "out.y4m").is_err());
}
