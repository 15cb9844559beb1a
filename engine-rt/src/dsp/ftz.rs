//! Flush-to-zero while the engine renders. A filter or reverb whose input falls silent decays
//! into subnormal floats, which x86 CPUs compute up to a hundred times slower: two stopped decks
//! made an offline render 22 times slower, and on the audio thread the same stall is a dropout.
//! Subnormals lie below -700 dBFS, so flushing them to zero changes nothing anyone can hear.
//! Every render (live callback, render-ahead worker, offline) goes through
//! [`crate::EngineProcessor::process`], which holds this guard, so all of them stay bit-equal.

/// While alive, the current thread's SSE unit flushes subnormal results to zero and treats
/// subnormal inputs as zero; dropping it restores what was set before.
pub struct FlushDenormals {
    #[cfg(target_arch = "x86_64")]
    saved: u32,
}

/// MXCSR bits: flush-to-zero (15) and denormals-are-zero (6).
#[cfg(target_arch = "x86_64")]
const FTZ_DAZ: u32 = (1 << 15) | (1 << 6);

impl FlushDenormals {
    /// Turns flushing on for this thread until the guard is dropped.
    #[inline]
    pub fn new() -> Self {
        #[cfg(target_arch = "x86_64")]
        {
            let mut saved: u32 = 0;
            // SAFETY: `stmxcsr` stores the 32-bit control register into `saved`, a valid,
            // writable u32; `ldmxcsr` loads a value that differs from the current one only in
            // the FTZ and DAZ bits, which change how subnormals are rounded and nothing else.
            unsafe {
                std::arch::asm!("stmxcsr [{}]", in(reg) &mut saved, options(nostack, preserves_flags));
                let on = saved | FTZ_DAZ;
                std::arch::asm!("ldmxcsr [{}]", in(reg) &on, options(nostack, readonly, preserves_flags));
            }
            Self { saved }
        }
        #[cfg(not(target_arch = "x86_64"))]
        Self {}
    }
}

impl Default for FlushDenormals {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for FlushDenormals {
    #[inline]
    fn drop(&mut self) {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: restores the control register read in `new`, a valid MXCSR value.
        unsafe {
            std::arch::asm!("ldmxcsr [{}]", in(reg) &self.saved, options(nostack, readonly, preserves_flags));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subnormals_flush_inside_the_guard_only() {
        let tiny = std::hint::black_box(f32::MIN_POSITIVE);
        let half = || std::hint::black_box(tiny) * std::hint::black_box(0.5f32);
        assert!(half() > 0.0, "a subnormal outside the guard");
        {
            let _guard = FlushDenormals::new();
            assert_eq!(half(), 0.0, "flushed inside");
        }
        assert!(half() > 0.0, "restored after");
    }
}
