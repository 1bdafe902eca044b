//! Row-interleaved copies of Q4_0, Q5_0, Q8_0, Q4_K and Q6_K matrices ("x8" layouts), made
//! once at load time so that one 32-byte load feeds eight output rows.
//!
//! Eight consecutive rows form a group. For each block column `b` a group stores the eight
//! rows' f16 scales (16 bytes), then their quants cut into 4-byte chunks, chunk-major:
//! chunk `c` of rows 0..8, then chunk `c + 1` of rows 0..8, and so on. Loaded as a 256-bit
//! vector, chunk `c` puts row `r`'s four bytes in 32-bit lane `r`, so a dot product against a
//! broadcast 4-byte activation chunk accumulates row `r`'s sum in lane `r` (`vpdpbusd`,
//! `maddubs`+`madd`, or NEON `sdot`), and a block's eight row sums end up in one vector: no
//! horizontal sums, one scale multiply per eight rows. This is the idea behind llama.cpp's
//! `block_q4_0x8` repacking (`ggml-cpu/repack.cpp`); the chunk width and order here are our
//! own. A Q4_0/Q5_0/Q8_0/Q6_K group block holds exactly the bytes of its eight source blocks, so
//! a packed matrix is the size of the original.
//!
//! Q4_0 chunk `c` (of 4) is bytes `4c..4c+4` of the 16 nibble bytes: low nibbles are elements
//! `4c..4c+4`, high nibbles elements `16+4c..16+4c+4`. Q8_0 chunk `c` (of 8) is elements
//! `4c..4c+4`.
//!
//! Q5_0 ([`q50`] has the offsets) stores the 8 scales, then the rows' fifth bits (32 bytes),
//! then the nibbles chunked exactly like Q4_0. The fifth bits are regrouped at pack time so
//! that they line up with the chunks: row `r`'s 4 bytes sit at `4r` (lane `r` of a 256-bit
//! load, like a chunk), and bit `j` of its byte `k` is the fifth bit of nibble byte `k` of
//! chunk `j % 4`: of its low nibble for `j < 4`, of its high nibble for `j ≥ 4`
//! ([`q50::hb_bit`]). One load then serves the whole block: shifting it by `4 − j` (one shift
//! per chunk half, none for `j = 4`) and masking `0x10` gives exactly the byte to OR onto the
//! nibbles, `q = nibble | fifth bit << 4`, with the same instructions on AVX2, AVX-512 and
//! NEON (a bit-per-byte mask would have needed AVX-512BW masks or a shuffle/compare expansion
//! per chunk). `q` is unsigned (0..=31), so a block's integer sum is `Σ q·a − 16·Σa`, one
//! `vpdpbusd` per chunk half as for Q4_0.
//!
//! Q6_K ([`q6k`] has the offsets) keeps its file bytes as they are, interleaved, with `d` and the
//! scales moved to the front: the 8 rows' `d` (f16), their 16 sub-block scales as byte pairs
//! `[pair][row][2]` (so that sign-extending 16 bytes puts row `r`'s pair in 32-bit lane `r`, ready
//! for `madd` against the activations' sub-block sums), then the 128 `ql` bytes and the 64 `qh`
//! bytes of each row, each cut into chunks like Q4_0's. No regrouping is needed: `qh` byte `l`
//! already holds the two high bits of the four elements whose low bits are the nibbles of `ql`
//! bytes `l` and `l + 32` (bits `2m..2m + 2` for element `l + 32m` of a 128-element half), so a
//! `qh` chunk shifted by `4 − 2m` and masked with `0x30` is exactly what `ql` chunk `c` (m even) or
//! `c + 8` (m odd) of that half needs: unsigned 6-bit quants, a super-block's sum being
//! `Σ_j sc_j·(Σ_{i∈j} q_i·a_i − 32·Σ_{i∈j} a_i)` over its 16 sub-blocks `j`.
//!
//! Q4_K (256-element super-blocks) gets the same treatment with its 6-bit sub-block scales
//! and mins decoded at pack time ([`q4k`] has the offsets): a group super-block holds the 8
//! rows' `d` and `dmin` (f16), the scales as bytes `[sub-block][row]`, the mins as byte pairs
//! `[sub-block pair][row][2]`, then the quants: for each pair `p` of sub-blocks (32 bytes of
//! the source), chunk `c` of rows 0..8. Low nibbles of pair `p` chunk `c` are elements
//! `64p+4c..+4` (sub-block `2p`), high nibbles `64p+32+4c..+4` (sub-block `2p+1`). 1184 bytes
//! per 8 super-blocks instead of 1152 (+2.8%).

use super::kquant::scale_min_k4;
use super::{q4_0, q4_k, q5_0, q6_k, q8_0, QK, QK_K};
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

/// Offsets inside a Q6_K group super-block.
pub mod q6k {
    use super::{CHUNK, QK_K, ROWS};
    /// 8 × f16 `d`.
    pub const D: usize = 0;
    /// Sub-block scales (i8), `[pair k][row][2]` bytes: `sc[row][2k]`, `sc[row][2k + 1]`.
    pub const SC: usize = 16;
    /// Low 4 bits, `[chunk (32)][row][4]` bytes: chunk `c` is the file's `ql[4c..4c + 4]`.
    pub const QL: usize = SC + ROWS * QK_K / 16;
    /// High 2 bits, `[chunk (16)][row][4]` bytes: chunk `c` is the file's `qh[4c..4c + 4]`.
    pub const QH: usize = QL + ROWS * QK_K / 2;
    /// Bytes of a group super-block (8 source super-blocks of 210 bytes).
    pub const BYTES: usize = QH + ROWS * QK_K / 4;

    /// Row `r`'s scale of sub-block `j` (16 elements).
    #[inline]
    pub fn scale(blk: &[u8], r: usize, j: usize) -> i32 {
        i32::from(blk[SC + ((j / 2) * ROWS + r) * 2 + j % 2] as i8)
    }

    /// Row `r`'s unsigned 6-bit quant of element `i` (0..256) of a group super-block.
    #[inline]
    pub fn quant(blk: &[u8], r: usize, i: usize) -> u8 {
        // Element i = 128h + 32m + l (l < 32): ql byte 64h + l (m even) or 64h + 32 + l
        // (m odd), low nibble for m < 2; qh byte 32h + l, bits 2m..2m + 2.
        let (h, m, l) = (i / 128, i % 128 / 32, i % 32);
        let at =
            |base: usize, byte: usize| base + ((byte / CHUNK) * ROWS + r) * CHUNK + byte % CHUNK;
        let ql = blk[at(QL, 64 * h + 32 * (m % 2) + l)];
        let ql = if m < 2 { ql & 0x0f } else { ql >> 4 };
        let qh = (blk[at(QH, 32 * h + l)] >> (2 * m)) & 3;
        ql | qh << 4
    }
}

/// Offsets inside a Q5_0 group block.
pub mod q50 {
    use super::{CHUNK, ROWS};
    /// 8 × f16 `d`.
    pub const D: usize = 0;
    /// Fifth bits, `[row][4]` bytes (see [`hb_bit`]).
    pub const QH: usize = 16;
    /// Nibbles, `[chunk c][row][4]` bytes, as Q4_0.
    pub const QS: usize = QH + ROWS * CHUNK;
    /// Bytes of a group block (8 source blocks of 22 bytes).
    pub const BYTES: usize = QS + ROWS * 16;

    /// The bit of a row's fifth-bit byte `k` that holds the fifth bit of chunk `c`'s byte `k`,
    /// low nibble (`high` false) or high nibble.
    #[inline(always)]
    pub const fn hb_bit(c: usize, high: bool) -> u32 {
        (c + if high { 4 } else { 0 }) as u32
    }

    /// Row `r`'s fifth bit (0 or 1) of nibble byte `k` of chunk `c` in a group block.
    #[inline]
    pub fn fifth_bit(blk: &[u8], c: usize, r: usize, k: usize, high: bool) -> u8 {
        (blk[QH + r * CHUNK + k] >> hb_bit(c, high)) & 1
    }
}

/// The types that have an x8 layout ([`block_bytes`]), as reports name them.
pub const TYPES: &str = "Q4_0/Q5_0/Q8_0/Q4_K/Q6_K";

/// Bytes of one source block of a type that has an x8 layout.
fn block_bytes(ty: GgmlType) -> Option<usize> {
    match ty {
        GgmlType::Q4_0 => Some(q4_0::BLOCK_BYTES),
        GgmlType::Q5_0 => Some(q5_0::BLOCK_BYTES),
        GgmlType::Q8_0 => Some(q8_0::BLOCK_BYTES),
        GgmlType::Q4K => Some(q4_k::BLOCK_BYTES),
        GgmlType::Q6K => Some(q6_k::BLOCK_BYTES),
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
    if ty == GgmlType::Q6K {
        for (gi, dst) in out.chunks_exact_mut(q6k::BYTES).enumerate() {
            for r in 0..ROWS {
                let src = src(gi, r);
                dst[q6k::D + 2 * r..][..2].copy_from_slice(&src[208..210]);
                for j in 0..QK_K / 16 {
                    dst[q6k::SC + ((j / 2) * ROWS + r) * 2 + j % 2] = src[192 + j];
                }
                put_chunks(&mut dst[q6k::QL..], r, &src[..128]);
                put_chunks(&mut dst[q6k::QH..], r, &src[128..192]);
            }
        }
        return Some(());
    }
    if ty == GgmlType::Q5_0 {
        for (gi, dst) in out.chunks_exact_mut(q50::BYTES).enumerate() {
            for r in 0..ROWS {
                let src = src(gi, r);
                dst[q50::D + 2 * r..][..2].copy_from_slice(&src[0..2]);
                let qh = u32::from_le_bytes([src[2], src[3], src[4], src[5]]);
                for k in 0..CHUNK {
                    let mut byte = 0u8;
                    for c in 0..QK / 2 / CHUNK {
                        // Element 4c + k (low nibble) and 16 + 4c + k (high nibble).
                        let e = CHUNK * c + k;
                        byte |= (((qh >> e) & 1) as u8) << q50::hb_bit(c, false);
                        byte |= (((qh >> (e + QK / 2)) & 1) as u8) << q50::hb_bit(c, true);
                    }
                    dst[q50::QH + r * CHUNK + k] = byte;
                }
                put_chunks(&mut dst[q50::QS..], r, &src[6..]);
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
    fn the_type_list_names_exactly_the_types_with_a_layout() {
        let with_layout: Vec<String> = (0..64)
            .filter_map(GgmlType::from_id)
            .filter(|&t| block_bytes(t).is_some())
            .map(|t| t.to_string())
            .collect();
        let mut named: Vec<&str> = TYPES.split('/').collect();
        let mut have: Vec<&str> = with_layout.iter().map(String::as_str).collect();
        named.sort_unstable();
        have.sort_unstable();
        assert_eq!(named, have);
    }

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
        assert!(pack(GgmlType::Q5_0, &[0; 22 * 4], 4).is_none(), "rows % 8");
        assert!(pack(GgmlType::F16, &[0; 2 * 64], 8).is_none(), "type");
        assert!(
            pack(GgmlType::Q4_0, &[0; 18 * 8 + 1], 8).is_none(),
            "length"
        );
    }

    #[test]
    fn q5_0_pack_reproduces_every_element() {
        let (rows, nb) = (16, 3);
        let bb = q5_0::BLOCK_BYTES;
        let data: Vec<u8> = (0..rows * nb * bb)
            .map(|i| (i * 131 + i / 7 + (i * i) % 251) as u8)
            .collect();
        let p = pack(GgmlType::Q5_0, &data, rows).unwrap();
        assert_eq!(p.len(), data.len());
        for (g, b, r) in
            (0..2).flat_map(|g| (0..nb).flat_map(move |b| (0..8).map(move |r| (g, b, r))))
        {
            let blk = &p[(g * nb + b) * q50::BYTES..][..q50::BYTES];
            let src = &data[((8 * g + r) * nb + b) * bb..][..bb];
            assert_eq!(&blk[q50::D + 2 * r..][..2], &src[..2]);
            let want = q5_0::unpack(src);
            for c in 0..QK / 2 / CHUNK {
                for (k, &byte) in chunk(&blk[q50::QS..], c, r).iter().enumerate() {
                    let lo = (byte & 0x0f) | q50::fifth_bit(blk, c, r, k, false) << 4;
                    let hi = (byte >> 4) | q50::fifth_bit(blk, c, r, k, true) << 4;
                    let e = CHUNK * c + k;
                    assert_eq!(lo as i8 - 16, want[e], "g {g} b {b} r {r} element {e}");
                    assert_eq!(
                        hi as i8 - 16,
                        want[e + 16],
                        "g {g} b {b} r {r} element {e}+16"
                    );
                }
            }
        }
    }

    #[test]
    fn q6_k_pack_reproduces_every_element() {
        let (rows, nb) = (16, 2);
        let bb = q6_k::BLOCK_BYTES;
        let data: Vec<u8> = (0..rows * nb * bb)
            .map(|i| (i * 157 + i / 5 + (i * i) % 241) as u8)
            .collect();
        let p = pack(GgmlType::Q6K, &data, rows).unwrap();
        assert_eq!(p.len(), data.len());
        for (g, b, r) in
            (0..2).flat_map(|g| (0..nb).flat_map(move |b| (0..8).map(move |r| (g, b, r))))
        {
            let blk = &p[(g * nb + b) * q6k::BYTES..][..q6k::BYTES];
            let src = &data[((8 * g + r) * nb + b) * bb..][..bb];
            assert_eq!(&blk[q6k::D + 2 * r..][..2], &src[208..210]);
            let want = q6_k::unpack(src);
            for (i, &w) in want.iter().enumerate() {
                let q = q6k::quant(blk, r, i);
                assert_eq!(q as i8 - 32, w, "g {g} b {b} r {r} element {i}");
            }
            for j in 0..QK_K / 16 {
                assert_eq!(q6k::scale(blk, r, j), i32::from(src[192 + j] as i8));
            }
        }
    }
}
