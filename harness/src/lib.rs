//! edgebench: run the same quantized model on several runtimes under one declared scenario and
//! report latency, memory, energy and agreement. The binary's `main` is thin; everything lives here.

pub mod bandwidth;
pub mod cli;
pub mod clock;
pub mod collect;
pub mod commands;
pub mod compare;
pub mod environment;
pub mod events;
pub mod fuzzing;
#[cfg(feature = "history")]
pub mod history;
pub mod integrity;
pub mod models;
mod onnx_synth;
pub mod plan;
pub mod progress;
pub mod recommend;
pub mod registry;
pub mod report;
pub mod results;
pub mod rss;
pub mod runner;
pub mod scenario;
pub mod spawn;
pub mod stats;
pub mod summarize;
#[allow(unsafe_code)]
pub mod sys;
pub mod tui;
pub mod verify;
pub mod worker;
