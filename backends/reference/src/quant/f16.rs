//! F16 (ggml type 1): IEEE half floats, little-endian. Conversion to f32 goes through a
//! 65536-entry table built once (what ggml does without F16C), rounding to f16 is
//! round-to-nearest-even like `GGML_FP32_TO_FP16`.

use std::sync::OnceLock;

/// f16 bits → f32, via the lookup table.
#[inline]
pub fn to_f32(bits: u16) -> f32 {
    table()[bits as usize]
}

/// f32 → f16 bits (round to nearest even).
#[inline]
pub fn from_f32(x: f32) -> u16 {
    half::f16::from_f32(x).to_bits()
}

/// Round an f32 through f16 and back.
#[inline]
pub fn round(x: f32) -> f32 {
    half::f16::from_f32(x).to_f32()
}

/// The full f16 → f32 table.
pub fn table() -> &'static [f32; 65536] {
    static TABLE: OnceLock<Box<[f32; 65536]>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut t = Box::new([0f32; 65536]);
        for (i, v) in t.iter_mut().enumerate() {
            *v = half::f16::from_bits(i as u16).to_f32();
        }
        t
    })
}

pub fn quantize(x: &[f32]) -> Vec<u8> {
    x.iter().flat_map(|&v| from_f32(v).to_le_bytes()).collect()
}

pub fn dequantize(data: &[u8], out: &mut [f32]) {
    let t = table();
    for (o, c) in out.iter_mut().zip(data.chunks_exact(2)) {
        *o = t[u16::from_le_bytes([c[0], c[1]]) as usize];
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn table_matches_half_and_rounds_to_even() {
        assert_eq!(super::to_f32(0x3c00), 1.0);
        assert_eq!(super::to_f32(0xc000), -2.0);
        assert_eq!(super::from_f32(1.0), 0x3c00);
        // 1 + 2^-11 is halfway between 1 and 1 + 2^-10: ties to even (1.0).
        assert_eq!(super::from_f32(1.0 + 2f32.powi(-11)), 0x3c00);
        assert!(super::to_f32(0x7e00).is_nan());
    }
}
