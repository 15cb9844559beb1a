//! Sample-by-sample DSP building blocks. Everything here works one frame at a time so that
//! the engine can split blocks anywhere and still produce identical output.

pub mod eq;
pub mod filter;
pub mod fx;
pub mod limiter;
pub mod smooth;
pub mod svf;

/// Converts decibels to a linear gain.
#[inline]
pub fn db_to_gain(db: f32) -> f32 {
    10f32.powf(db / 20.0)
}

/// Converts a linear gain to decibels (-inf for 0).
#[inline]
pub fn gain_to_db(gain: f32) -> f32 {
    20.0 * gain.log10()
}
