//! MIDI: the wire format ([`wire`]), the logical events controllers send ([`assemble`]: 14-bit
//! pairs, NRPN/RPN), relative encoders ([`relative`]), learn's inference ([`learn`]), the ports
//! ([`ports`]; JACK MIDI input, stamped to the frame, in `jack_in`) with the system that turns
//! their messages into control input ([`source`]), and MIDI clock out ([`clock`]; on JACK
//! written at each tick's frame by `jack_out`).

pub mod assemble;
pub mod clock;
#[cfg(feature = "jack-midi")]
mod jack_in;
#[cfg(feature = "jack-midi")]
mod jack_out;
pub mod learn;
pub mod ports;
pub mod relative;
pub mod source;
pub mod wire;
