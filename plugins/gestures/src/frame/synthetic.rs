//! Generated frames for tests and demos: a closure or a built-in pattern,
//! delivered at a fixed rate, so the capture thread and gesture code can be
//! exercised without a camera or a clip.

use super::{Frame, FrameError, FrameSource, Pacer, Pixels, Rate, check_dimensions};

/// Makes the gray pixels of frame `index` for a `width`x`height` image.
type Generator = Box<dyn FnMut(u64, u32, u32) -> Vec<u8> + Send>;

/// Built-in patterns.
#[derive(Clone, Copy, Debug)]
pub enum Pattern {
    /// A fixed textured scene with a little per-frame sensor noise.
    NoisyStill {
        /// Seed for the noise.
        seed: u64,
    },
    /// A bright disc circling over a dark background.
    MovingBlob,
}

/// A frame source backed by a generator of gray images.
pub struct SyntheticSource {
    width: u32,
    height: u32,
    pacer: Pacer,
    index: u64,
    generator: Generator,
    name: String,
}

impl std::fmt::Debug for SyntheticSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyntheticSource")
            .field("name", &self.name)
            .field("index", &self.index)
            .finish()
    }
}

/// A small fast PRNG step (SplitMix64); quality is irrelevant here.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

impl SyntheticSource {
    /// A source whose frame `index` is `generator(index, width, height)`
    /// (gray, `width * height` bytes). Frames come at `rate` if `paced`.
    pub fn from_fn(
        width: u32,
        height: u32,
        rate: Rate,
        paced: bool,
        generator: impl FnMut(u64, u32, u32) -> Vec<u8> + Send + 'static,
    ) -> Result<SyntheticSource, FrameError> {
        check_dimensions(width, height, "synthetic source")?;
        Ok(SyntheticSource {
            width,
            height,
            pacer: Pacer::new(rate, paced),
            index: 0,
            generator: Box::new(generator),
            name: format!("synthetic {width}x{height}"),
        })
    }

    /// A source playing a built-in pattern.
    pub fn pattern(
        width: u32,
        height: u32,
        rate: Rate,
        paced: bool,
        pattern: Pattern,
    ) -> Result<SyntheticSource, FrameError> {
        let mut source = match pattern {
            Pattern::NoisyStill { seed } => SyntheticSource::from_fn(width, height, rate, paced, move |i, w, h| {
                (0..u64::from(w) * u64::from(h))
                    .map(|p| {
                        let (x, y) = (p % u64::from(w), p / u64::from(w));
                        let scene = ((x / 8 + y / 8) % 2) as u8 * 96 + 64;
                        let noise = (mix(seed ^ mix(i) ^ p) % 9) as u8;
                        scene + noise
                    })
                    .collect()
            })?,
            Pattern::MovingBlob => SyntheticSource::from_fn(width, height, rate, paced, |i, w, h| {
                let angle = i as f32 * 0.1;
                let (w, h) = (w as f32, h as f32);
                let (cx, cy) = (w * (0.5 + 0.3 * angle.cos()), h * (0.5 + 0.3 * angle.sin()));
                let r2 = (w.min(h) * 0.1).powi(2);
                (0..(w * h) as u32)
                    .map(|p| {
                        let (x, y) = ((p % w as u32) as f32, (p / w as u32) as f32);
                        if (x - cx).powi(2) + (y - cy).powi(2) <= r2 {
                            240
                        } else {
                            20
                        }
                    })
                    .collect()
            })?,
        };
        source.name = format!("synthetic {pattern:?} {width}x{height}");
        Ok(source)
    }
}

impl FrameSource for SyntheticSource {
    fn next_frame(&mut self) -> Result<Frame, FrameError> {
        let pixels = Pixels::Gray((self.generator)(self.index, self.width, self.height));
        let captured = self.pacer.wait(self.index);
        let frame = Frame::new(self.width, self.height, pixels, captured, self.index)?;
        self.index += 1;
        Ok(frame)
    }

    fn describe(&self) -> String {
        self.name.clone()
    }
}
