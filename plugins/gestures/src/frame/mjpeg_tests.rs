//! Tests of MJPEG framing and decoding; JPEGs are made with `jpeg-encoder`.

use super::*;
use jpeg_encoder::{ColorType, Encoder};

/// One JPEG of a flat color (RGB) or gray level.
pub(crate) fn jpeg(w: u16, h: u16, value: u8, gray: bool) -> Vec<u8> {
    let mut out = Vec::new();
    let (pixels, kind) = if gray {
        (vec![value; usize::from(w) * usize::from(h)], ColorType::Luma)
    } else {
        (vec![value; usize::from(w) * usize::from(h) * 3], ColorType::Rgb)
    };
    Encoder::new(&mut out, 95).encode(&pixels, w, h, kind).unwrap();
    out
}

/// An MJPEG stream of RGB frames whose level is `10 * (i + 1)`.
pub(crate) fn mjpeg(count: u8) -> Vec<u8> {
    (0..count).flat_map(|i| jpeg(16, 8, 10 * (i + 1), false)).collect()
}

fn level(frame: &Frame) -> u8 {
    frame.luma()[0]
}

#[test]
fn reads_concatenated_jpegs() {
    let bytes = mjpeg(3);
    let mut r = MjpegReader::new(&bytes[..], "clip.mjpeg");
    for i in 0..3u8 {
        let f = r.read_frame().unwrap().unwrap();
        assert_eq!((f.width, f.height, f.index), (16, 8, u64::from(i)));
        assert!(matches!(f.pixels, Pixels::Rgb(_)));
        assert!(level(&f).abs_diff(10 * (i + 1)) <= 2);
    }
    assert!(r.read_frame().unwrap().is_none());
}

#[test]
fn grayscale_jpegs_stay_gray() {
    let bytes = jpeg(8, 8, 123, true);
    let f = MjpegReader::new(&bytes[..], "g.mjpeg").read_frame().unwrap().unwrap();
    assert!(matches!(f.pixels, Pixels::Gray(_)));
    assert!(level(&f).abs_diff(123) <= 1);
}

#[test]
fn an_eoi_inside_a_segment_does_not_split_the_image() {
    let plain = jpeg(8, 8, 50, false);
    // Insert a COM segment containing FF D9 right after the SOI.
    let mut bytes = vec![0xFF, 0xD8, 0xFF, 0xFE, 0x00, 0x06, 0xFF, 0xD9, 0xFF, 0xD9];
    bytes.extend(&plain[2..]);
    let mut r = MjpegReader::new(&bytes[..], "c.mjpeg");
    assert!(r.read_frame().unwrap().is_some());
    assert!(r.read_frame().unwrap().is_none());
}

#[test]
fn a_corrupt_image_is_reported_once_then_skipped() {
    let good = jpeg(16, 8, 100, false);
    let mut bad = jpeg(16, 8, 150, false);
    // Scribble over the headers after the SOI.
    for b in &mut bad[2..40] {
        *b = 0x42;
    }
    let mut bytes = good.clone();
    bytes.extend(&bad);
    bytes.extend(jpeg(16, 8, 200, false));
    let mut r = MjpegReader::new(&bytes[..], "clip.mjpeg");
    assert!(level(&r.read_frame().unwrap().unwrap()).abs_diff(100) <= 2);
    let err = r.read_frame().unwrap_err();
    assert!(matches!(err, FrameError::Corrupt { .. }));
    assert!(
        err.to_string().contains("clip.mjpeg") && err.to_string().contains("JPEG #1"),
        "{err}"
    );
    let next = r.read_frame().unwrap().unwrap();
    assert!(level(&next).abs_diff(200) <= 2);
    assert_eq!(next.index, 2);
    assert!(r.read_frame().unwrap().is_none());
}

#[test]
fn junk_between_images_and_truncation() {
    let mut bytes = jpeg(8, 8, 10, false);
    bytes.extend([0u8, 1, 2, 3]);
    bytes.extend(jpeg(8, 8, 20, false));
    let cut = jpeg(8, 8, 30, false);
    bytes.extend(&cut[..cut.len() / 2]);
    let mut r = MjpegReader::new(&bytes[..], "j.mjpeg");
    assert!(r.read_frame().unwrap().is_some());
    assert!(
        r.read_frame()
            .unwrap_err()
            .to_string()
            .contains("4 bytes of non-JPEG data")
    );
    assert!(r.read_frame().unwrap().is_some());
    assert!(r.read_frame().unwrap_err().to_string().contains("truncated"));
    assert!(r.read_frame().unwrap().is_none());
}

#[test]
fn undecodable_data_is_corrupt_not_a_panic() {
    // Well-framed, but not a decodable image.
    let bytes = [0xFF, 0xD8, 0xFF, 0xD9];
    let err = MjpegReader::new(&bytes[..], "e.mjpeg").read_frame().unwrap_err();
    assert!(matches!(err, FrameError::Corrupt { .. }), "{err}");
    let err = decode_jpeg(&[1, 2, 3], "camera 0", Instant::now(), 0).unwrap_err();
    assert!(err.to_string().contains("camera 0"), "{err}");
}
