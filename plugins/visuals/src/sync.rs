//! Which analysis frame the light should show: the one describing the audio heard, not the
//! newest. Live, "heard" is the engine's position minus the output latency, plus the time the
//! video frame takes to reach the screen; offline it is the video frame's own time.
//!
//! A frame is matched by the newest hop of its window, not its centre: onsets, what the eye
//! catches, are found in the newest hop, so matching the centre would flash the light half a
//! window (21 ms at 48 kHz) before the hit is heard.

use engine_rt::analysis::{FFT_SIZE, HOP};

/// The newest output sample a frame stamped `frame_time` (its window centre) analysed.
pub fn newest_sample(frame_time: u64) -> u64 {
    frame_time + FFT_SIZE as u64 / 2
}

/// How far past output sample `sample` the newest sample of a frame heard by it may lie: half
/// a hop. Offline, a video frame can be planned once the audio is rendered this far beyond it.
pub const HEARD_AHEAD: u64 = HOP as u64 / 2;

/// Whether the frame stamped `frame_time` describes audio heard by output sample `sample`:
/// its newest hop is at most half a hop later.
pub fn heard_by(frame_time: u64, sample: u64) -> bool {
    newest_sample(frame_time) <= sample + HEARD_AHEAD
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frame_is_heard_once_its_newest_hop_is() {
        let stamp = 10_000;
        let newest = stamp + FFT_SIZE as u64 / 2;
        assert!(!heard_by(stamp, newest - HOP as u64));
        assert!(heard_by(stamp, newest - HOP as u64 / 2));
        assert!(heard_by(stamp, newest + 5 * HOP as u64));
    }
}
