//! MIDI: the wire format ([`wire`]), the logical events controllers send ([`assemble`]: 14-bit
//! pairs, NRPN/RPN), relative encoders ([`relative`]), learn's inference ([`learn`]), and the
//! ports ([`ports`]; JACK MIDI input, stamped to the frame, in `jack_in`) with the system that turns their messages into control input ([`source`]),
//! and MIDI clock out ([`clock`]).

pub mod assemble;
pub mod clock;
#[cfg(feature = "jack-midi")]
mod jack_in;
pub mod learn;
pub mod ports;
pub mod relative;
pub mod source;
pub mod wire;
