//! Tests of the frame type and rate arithmetic, plus helpers shared by the
//! other modules' tests.

use super::*;
use crate::frame::y4m::Y4mWriter;

/// A gray frame filled with `v`.
pub(crate) fn gray(w: u32, h: u32, v: u8, index: u64) -> Frame {
    Frame::new(w, h, Pixels::Gray(vec![v; (w * h) as usize]), Instant::now(), index).unwrap()
}

/// An RGB frame with a gradient that differs per `index`.
pub(crate) fn rgb(w: u32, h: u32, index: u64) -> Frame {
    let mut p = Vec::new();
    for y in 0..h {
        for x in 0..w {
            p.extend([(x * 255 / w) as u8, (y * 255 / h) as u8, (index * 40 % 256) as u8]);
        }
    }
    Frame::new(w, h, Pixels::Rgb(p), Instant::now(), index).unwrap()
}

/// y4m bytes holding `frames`.
pub(crate) fn y4m_bytes(frames: &[Frame], rate: Rate) -> Vec<u8> {
    let mut w = Y4mWriter::new(Vec::new(), frames[0].width, frames[0].height, rate, "test").unwrap();
    for f in frames {
        w.write_frame(f).unwrap();
    }
    w.finish().unwrap()
}

#[test]
fn validate_refuses_wrong_sizes() {
    let now = Instant::now();
    let cases = [
        Pixels::Gray(vec![0; 11]),
        Pixels::Rgb(vec![0; 12]),
        Pixels::Yuv420 {
            y: vec![0; 12],
            u: vec![0; 5],
            v: vec![0; 6],
        },
        Pixels::Yuyv(vec![0; 23]),
    ];
    for pixels in cases {
        let err = Frame::new(4, 3, pixels, now, 7).unwrap_err();
        assert!(matches!(err, FrameError::Format { .. }));
        assert!(
            err.to_string().contains("frame 7") && err.to_string().contains("4x3"),
            "{err}"
        );
    }
    // YUYV needs an even width.
    assert!(Frame::new(3, 2, Pixels::Yuyv(vec![0; 12]), now, 0).is_err());
    assert!(Frame::new(0, 2, Pixels::Gray(vec![]), now, 0).is_err());
    assert!(Frame::new(MAX_DIMENSION + 1, 1, Pixels::Gray(vec![]), now, 0).is_err());
    // A struct built by hand is caught by validate().
    let f = Frame {
        width: 2,
        height: 2,
        pixels: Pixels::Gray(vec![0; 3]),
        captured: now,
        index: 0,
    };
    assert!(f.validate().is_err());
}

#[test]
fn luma_and_rgb_views() {
    let now = Instant::now();
    let g = gray(2, 2, 77, 0);
    assert!(matches!(g.luma(), Cow::Borrowed(_)));
    assert_eq!(g.rgb().as_ref(), &[77; 12]);

    let yuv = Frame::new(
        3,
        3,
        Pixels::Yuv420 {
            y: vec![50; 9],
            u: vec![128; 4],
            v: vec![128; 4],
        },
        now,
        0,
    )
    .unwrap();
    assert!(matches!(yuv.luma(), Cow::Borrowed(_)));
    assert_eq!(yuv.rgb().as_ref(), &[50; 27]);

    let yuyv = Frame::new(2, 1, Pixels::Yuyv(vec![10, 128, 200, 128]), now, 0).unwrap();
    assert_eq!(yuyv.luma().as_ref(), &[10, 200]);
    assert_eq!(yuyv.rgb().as_ref(), &[10, 10, 10, 200, 200, 200]);

    let white = Frame::new(1, 1, Pixels::Rgb(vec![255, 255, 255]), now, 0).unwrap();
    assert_eq!(white.luma().as_ref(), &[255]);
    assert!(matches!(white.rgb(), Cow::Borrowed(_)));
}

#[test]
fn due_times_are_exact_ratios() {
    let ntsc = Rate::new(30000, 1001).unwrap();
    assert_eq!(ntsc.offset(0), Duration::ZERO);
    assert_eq!(ntsc.offset(30000), Duration::from_secs(1001));
    assert_eq!(Rate::fps(25).offset(3), Duration::from_millis(120));
    assert_eq!(Rate::fps(25).period(), Duration::from_millis(40));
    assert_eq!(Rate::new(0, 1), None);
    // Large indices neither overflow nor drift.
    assert_eq!(Rate::fps(30).offset(30 * 3600 * 24), Duration::from_secs(3600 * 24));
}

#[test]
fn unpaced_pacer_stamps_now_and_never_sleeps() {
    let mut pacer = Pacer::new(Rate::fps(1), false);
    let before = Instant::now();
    // With pacing on, this would take a million seconds.
    let stamp = pacer.wait(1_000_000);
    assert!(stamp >= before);
}
