//! Row-interleaved copies of Q4_0 and Q8_0 matrices ("x8" layouts), made once at load time so
//! that one 32-byte load feeds eight output rows.
//!
//! Eight consecutive rows form a group. For each block column `b` a group stores the eight
//! rows' f16 scales (16 bytes), then their quants cut into 4-byte chunks, chunk-major:
//! chunk `c` of rows 0..8, then chunk `c + 1` of rows 0..8, and so on. Loaded as a 256-bit
//! vector, chunk `c` puts row `r`'s four bytes in 32-bit lane `r`, so a dot product against a
//! broadcast 4-byte activation chunk accumulates row `r`'s sum in lane `r` (`vpdpbusd`,
//! `maddubs`+`madd`, or NEON `sdot`), and a block's eight row sums end up in one vector: no
//! horizontal sums, one scale multiply per eight rows. This is the idea behind llama.cpp's
//! `block_q4_0x8` repacking (`ggml-cpu/repack.cpp`); the chunk width and order here are our
//! own. A group block holds exactly the bytes of its eight source blocks, so a packed matrix
//! is the size of the original.
//!
//! Q4_0 chunk `c` (of 4) is bytes `4c..4c+4` of the 16 nibble bytes: low nibbles are elements
//! `4c..4c+4`, high nibbles elements `16+4c..16+4c+4`. Q8_0 chunk `c` (of 8) is elements
//! `4c..4c+4`.
//!
//! Q4_K (256-element super-blocks) gets the same treatment with its 6-bit sub-block scales
//! and mins decoded at pack time ([`q4k`] has the offsets): a group super-block holds the 8
//! rows' `d` and `dmin` (f16), the scales as bytes `[sub-block][row]`, the mins as byte pairs
//! `[sub-block pair][row][2]`, then the quants: for each pair `p` of sub-blocks (32 bytes of
//! the source), chunk `c` of rows 0..8. Low nibbles of pair `p` chunk `c` are elements
//! `64p+4c..+4` (sub-block `2p`), high nibbles `64p+32+4c..+4` (sub-block `2p+1`). 1184 bytes
//! per 8 super-blocks instead of 1152 (+2.8%).

use super::kquant::scale_min_k4;
use super::{q4_0, q4_k, q8_0};
use crate::gguf::GgmlType;

/// Rows per interleaved group.
pub const ROWS: usize = 8;
/// Bytes of one chunk of one row.
pub const CHUNK: usize = 4;

/// Bytes of one group block (eight source blocks) for `ty`, or `None` if `ty` has no x8 layout.
pub fn group_block_bytes(ty: GgmlType) -> Option<usize> {
    match ty {
        GgmlType::Q4_0 => Some(ROWS * q4_0::BLOCK_BYTES),
        GgmlType::Q8_0 => Some(ROWS * q8_0::BLOCK_BYTES),
        _ => None,
    }
}

/// Offsets inside a Q4_K group super-block.
pub mod q4k {
    /// 8 × f16 `d`.
    pub const D: usize = 0;
    /// 8 × f16 `dmin`.
    pub const DMIN: usize = 16;
    /// Scales, `[sub-block j][row]` bytes.
    pub const SC: usize = 32;
    /// Mins, `[pair k][row][2]` bytes: `m[row][2k]`, `m[row][2k + 1]`.
    pub const MN: usize = 96;
    /// Quants, `[pair p][chunk c][row][4]` bytes.
    pub const QS: usize = 160;
    /// Bytes of a group super-block.
    pub const BYTES: usize = QS + 8 * super::q4_k::BLOCK_BYTES - 8 * 16;
}

/// Bytes of the x8 copy of `file_len` bytes of `ty` (Q4_K grows by 1184/1152).
pub fn packed_len(ty: GgmlType, file_len: usize) -> usize {
    if ty == GgmlType::Q4K {
        file_len / (ROWS * q4_k::BLOCK_BYTES) * q4k::BYTES
    } else {
        file_len
    }
}

/// Whether a `[rows, cols]` matrix of `ty` can be interleaved.
pub fn supported(ty: GgmlType, rows: usize) -> bool {
    (group_block_bytes(ty).is_some() || ty == GgmlType::Q4K)
        && rows > 0
        && rows.is_multiple_of(ROWS)
}

/// The x8 copy of `data` (`rows` rows of `ty` back to back, file layout), or `None` if
/// [`supported`] is false or the length is not `rows` whole rows.
pub fn pack(ty: GgmlType, data: &[u8], rows: usize) -> Option<Vec<u8>> {
    if ty == GgmlType::Q4K {
        return pack_q4_k(data, rows);
    }
    let mut out = vec![0u8; data.len()];
    pack_into(ty, data, rows, &mut out).then_some(out)
}

/// Q4_K rows into the x8 layout (see the module docs and [`q4k`]).
fn pack_q4_k(data: &[u8], rows: usize) -> Option<Vec<u8>> {
    const BB: usize = q4_k::BLOCK_BYTES;
    if !supported(GgmlType::Q4K, rows) || !data.len().is_multiple_of(rows * BB) {
        return None;
    }
    let nb = data.len() / rows / BB;
    let mut out = vec![0u8; rows / ROWS * nb * q4k::BYTES];
    for (gi, dst) in out.chunks_exact_mut(q4k::BYTES).enumerate() {
        let (g, b) = (gi / nb.max(1), gi % nb.max(1));
        for r in 0..ROWS {
            let src = &data[((g * ROWS + r) * nb + b) * BB..][..BB];
            dst[q4k::D + 2 * r..][..2].copy_from_slice(&src[0..2]);
            dst[q4k::DMIN + 2 * r..][..2].copy_from_slice(&src[2..4]);
            for j in 0..8 {
                let (sc, m) = scale_min_k4(j, &src[4..16]);
                dst[q4k::SC + j * ROWS + r] = sc;
                dst[q4k::MN + ((j / 2) * ROWS + r) * 2 + j % 2] = m;
            }
            for p in 0..4 {
                for c in 0..8 {
                    let at = q4k::QS + ((p * 8 + c) * ROWS + r) * CHUNK;
                    dst[at..at + CHUNK].copy_from_slice(&src[16 + 32 * p + 4 * c..][..CHUNK]);
                }
            }
        }
    }
    Some(out)
}

/// [`pack`] into `out` (same length as `data`); returns false where `pack` returns `None`.
pub fn pack_into(ty: GgmlType, data: &[u8], rows: usize, out: &mut [u8]) -> bool {
    let Some(gb) = group_block_bytes(ty) else {
        return false;
    };
    let bb = gb / ROWS;
    if !supported(ty, rows) || !data.len().is_multiple_of(rows * bb) || out.len() != data.len() {
        return false;
    }
    let rb = data.len() / rows;
    let nb = rb / bb;
    let qbytes = bb - 2;
    if nb == 0 {
        return true;
    }
    for (g, dst) in out.chunks_exact_mut(nb * gb).enumerate() {
        let src = &data[g * ROWS * rb..(g + 1) * ROWS * rb];
        for (b, blk) in dst.chunks_exact_mut(gb).enumerate() {
            let (scales, qs) = blk.split_at_mut(2 * ROWS);
            for r in 0..ROWS {
                let s = &src[r * rb + b * bb..r * rb + (b + 1) * bb];
                scales[2 * r..2 * r + 2].copy_from_slice(&s[..2]);
                for c in 0..qbytes / CHUNK {
                    let at = (c * ROWS + r) * CHUNK;
                    qs[at..at + CHUNK].copy_from_slice(&s[2 + c * CHUNK..2 + (c + 1) * CHUNK]);
                }
            }
        }
    }
    true
}

/// Inverse of [`pack`] (tests and inspection).
pub fn unpack(ty: GgmlType, packed: &[u8], rows: usize) -> Option<Vec<u8>> {
    let gb = group_block_bytes(ty)?;
    let bb = gb / ROWS;
    if !supported(ty, rows) || !packed.len().is_multiple_of(rows * bb) {
        return None;
    }
    let rb = packed.len() / rows;
    let nb = rb / bb;
    let qbytes = bb - 2;
    let mut out = vec![0u8; packed.len()];
    if nb == 0 {
        return Some(out);
    }
    for (g, src) in packed.chunks_exact(nb * gb).enumerate() {
        for (b, blk) in src.chunks_exact(gb).enumerate() {
            let (scales, qs) = blk.split_at(2 * ROWS);
            for r in 0..ROWS {
                let at = (g * ROWS + r) * rb + b * bb;
                let d = &mut out[at..at + bb];
                d[..2].copy_from_slice(&scales[2 * r..2 * r + 2]);
                for c in 0..qbytes / CHUNK {
                    let from = (c * ROWS + r) * CHUNK;
                    d[2 + c * CHUNK..2 + (c + 1) * CHUNK].copy_from_slice(&qs[from..from + CHUNK]);
                }
            }
        }
    }
    Some(out)
}

/// Row `r`'s four quant bytes of chunk `c` in a group block (`qs` = the block after its scales).
#[inline]
pub fn chunk(qs: &[u8], c: usize, r: usize) -> &[u8] {
    &qs[(c * ROWS + r) * CHUNK..(c * ROWS + r + 1) * CHUNK]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pack_unpack_round_trip_and_layout() {
        for (ty, bb) in [
            (GgmlType::Q4_0, q4_0::BLOCK_BYTES),
            (GgmlType::Q8_0, q8_0::BLOCK_BYTES),
        ] {
            let (rows, nb) = (16, 3);
            let data: Vec<u8> = (0..rows * nb * bb)
                .map(|i| (i * 7 + i / 13) as u8)
                .collect();
            let p = pack(ty, &data, rows).unwrap();
            assert_eq!(p.len(), data.len());
            assert_eq!(unpack(ty, &p, rows).unwrap(), data);
            // Group 1, block 2, row 5: scale and chunk 1 come from the source block.
            let gb = 8 * bb;
            let blk = &p[(nb + 2) * gb..(nb + 3) * gb];
            let src = &data[(8 + 5) * nb * bb + 2 * bb..][..bb];
            assert_eq!(&blk[10..12], &src[..2]);
            assert_eq!(chunk(&blk[16..], 1, 5), &src[6..10]);
        }
        assert!(pack(GgmlType::Q4_0, &[0; 18 * 4], 4).is_none(), "rows % 8");
        assert!(pack(GgmlType::Q6K, &[0; 210 * 8], 8).is_none(), "type");
        assert!(
            pack(GgmlType::Q4_0, &[0; 18 * 8 + 1], 8).is_none(),
            "length"
        );
    }
}
