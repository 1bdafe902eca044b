//! edgebench: run the same quantized model on several runtimes under one declared scenario and
//! report latency, memory, energy and agreement. The binary's `main` is thin; everything lives here.

pub mod events;
pub mod results;
pub mod tui;
