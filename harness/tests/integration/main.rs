//! Every integration test of the harness, as modules of one test binary: each separate test
//! file would link the whole harness with ort, tract and candle again, and on the 2-core CI
//! machine linking dominated the test build.

mod cli_backends;
mod cli_mock;
mod compare_cli;
mod cross_arch;
mod exporters;
mod hardening;
#[cfg(feature = "history")]
mod history_cli;
#[cfg(feature = "history")]
mod history_html;
mod html_report;
#[cfg(feature = "history")]
mod lab_flow;
mod power_energy;
mod power_i2c;
mod power_sampler;
mod power_sources;
mod recommend;
mod report_fixture;
mod scenario_parsing;
mod soak;
mod text_quality;
#[cfg(feature = "train")]
mod trained_model;
mod tui_tmux;
