//! edgebench's reference engine.
