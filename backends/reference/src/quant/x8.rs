//! Row-interleaved copies of Q4_0, Q8_0 and Q4_K matrices ("x8" layouts), made once at load
//! time so that one 32-byte load feeds eight output rows.
//!
//! Eight consecutive rows form a group. For each block column `b` a group stores the eight
//! rows' f16 scales (16 bytes), then their quants cut into 4-byte chunks, chunk-major:
//! chunk `c` of rows 0..8, then chunk `c + 1` of rows 0..8, and so on. Loaded as a 256-bit
//! vector, chunk `c` puts row `r`'s four bytes in 32-bit lane `r`, so a dot product against a
//! broadcast 4-byte activation chunk accumulates row `r`'s sum in lane `r` (`vpdpbusd`,
//! `maddubs`+`madd`, or NEON `sdot`), and a block's eight row sums end up in one vector: no
//! horizontal sums, one scale multiply per eight rows. This is the idea behind llama.cpp's
//! `block_q4_0x8` repacking (`ggml-cpu/repack.cpp`); the chunk width and order here are our
//! own. A Q4_0/Q8_0 group block holds exactly the bytes of its eight source blocks, so a packed
//! matrix is the size of the original.
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
use super::{q4_0, q4_k, q8_0, QK_K};
use crate::gguf::GgmlType;

/// Rows per interleaved group.
pub const ROWS: usize = 8;
/// Bytes of one chunk of one row.
pub const CHUNK: usize = 4;

/// Offsets inside a Q4_K group super-block.
pub mod q4k {
    use super::{QK_K, ROWS};
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
    /// Bytes of a group super-block: the header above, then 8 rows of 256 nibbles.
    pub const BYTES: usize = QS + ROWS * QK_K / 2;
}

/// Bytes of one source block of a type that has an x8 layout.
fn block_bytes(ty: GgmlType) -> Option<usize> {
    match ty {
        GgmlType::Q4_0 => Some(q4_0::BLOCK_BYTES),
        GgmlType::Q8_0 => Some(q8_0::BLOCK_BYTES),
        GgmlType::Q4K => Some(q4_k::BLOCK_BYTES),
        _ => None,
    }
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
    block_bytes(ty).is_some() && rows > 0 && rows.is_multiple_of(ROWS)
}

/// The x8 copy of `data` (`rows` rows of `ty` back to back, file layout), or `None` if
/// [`supported`] is false or the length is not `rows` whole rows.
pub fn pack(ty: GgmlType, data: &[u8], rows: usize) -> Option<Vec<u8>> {
    let mut out = vec![0u8; packed_len(ty, data.len())];
    pack_into(ty, data, rows, &mut out)?;
    Some(out)
}

/// [`pack`] into `out` (which must hold [`packed_len`] bytes; the loader passes memory advised
/// for huge pages); `None`, with `out` untouched, where [`pack`] would give `None` or `out` has
/// the wrong length.
pub fn pack_into(ty: GgmlType, data: &[u8], rows: usize, out: &mut [u8]) -> Option<()> {
    let bb = block_bytes(ty)?;
    if !supported(ty, rows)
        || !data.len().is_multiple_of(rows * bb)
        || out.len() != packed_len(ty, data.len())
    {
        return None;
    }
    let nb = data.len() / rows / bb;
    // Group block `gi` = group `gi / nb`, block column `gi % nb`; `src(r)` is row r's block.
    let src = |gi: usize, r: usize| &data[((gi / nb * ROWS + r) * nb + gi % nb) * bb..][..bb];
    if ty == GgmlType::Q4K {
        for (gi, dst) in out.chunks_exact_mut(q4k::BYTES).enumerate() {
            for r in 0..ROWS {
                let src = src(gi, r);
                dst[q4k::D + 2 * r..][..2].copy_from_slice(&src[0..2]);
                dst[q4k::DMIN + 2 * r..][..2].copy_from_slice(&src[2..4]);
                for j in 0..8 {
                    let (sc, m) = scale_min_k4(j, &src[4..16]);
                    dst[q4k::SC + j * ROWS + r] = sc;
                    dst[q4k::MN + ((j / 2) * ROWS + r) * 2 + j % 2] = m;
                }
                // Pair p's 32 quant bytes are chunks 8p..8p + 8, like a Q4_0 block's 16 bytes.
                put_chunks(&mut dst[q4k::QS..], r, &src[16..]);
            }
        }
        return Some(());
    }
    for (gi, dst) in out.chunks_exact_mut(ROWS * bb).enumerate() {
        for r in 0..ROWS {
            let src = src(gi, r);
            dst[2 * r..2 * r + 2].copy_from_slice(&src[..2]);
            put_chunks(&mut dst[2 * ROWS..], r, &src[2..]);
        }
    }
    Some(())
}

/// Row `r`'s quant bytes `q` into the chunk-major area `qs` of a group block.
fn put_chunks(qs: &mut [u8], r: usize, q: &[u8]) {
    for (c, bytes) in q.chunks_exact(CHUNK).enumerate() {
        qs[(c * ROWS + r) * CHUNK..][..CHUNK].copy_from_slice(bytes);
    }
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
    fn pack_puts_every_byte_where_the_layout_says() {
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
            // Every row's scale and every chunk of every block is where the layout says.
            let gb = 8 * bb;
            for (g, b, r) in
                (0..2).flat_map(|g| (0..nb).flat_map(move |b| (0..8).map(move |r| (g, b, r))))
            {
                let blk = &p[(g * nb + b) * gb..][..gb];
                let src = &data[((8 * g + r) * nb + b) * bb..][..bb];
                assert_eq!(&blk[2 * r..2 * r + 2], &src[..2]);
                for c in 0..(bb - 2) / CHUNK {
                    assert_eq!(chunk(&blk[16..], c, r), &src[2 + 4 * c..6 + 4 * c]);
                }
            }
        }
        assert!(pack(GgmlType::Q4_0, &[0; 18 * 4], 4).is_none(), "rows % 8");
        assert!(pack(GgmlType::Q6K, &[0; 210 * 8], 8).is_none(), "type");
        assert!(
            pack(GgmlType::Q4_0, &[0; 18 * 8 + 1], 8).is_none(),
            "length"
        );
    }
}
