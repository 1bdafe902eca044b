//! A bounds-checked little-endian cursor over the mapped file; every read can fail cleanly.

use super::value::{MetaArray, MetaValue, StringArray, ValueType};

/// Arrays may nest; real files use depth 1. Deeper nesting is treated as corruption.
const MAX_ARRAY_DEPTH: u32 = 4;

/// Inner arrays (elements of arrays of arrays) a file may hold in all. Real files hold none;
/// each costs more memory than its 12 bytes in the file, so their number is capped.
pub(crate) const MAX_NESTED_ARRAYS: u64 = 1 << 16;

pub(crate) struct Cursor<'a> {
    buf: &'a [u8],
    pos: usize,
    /// Inner arrays still allowed ([`MAX_NESTED_ARRAYS`]).
    nested_left: u64,
}

impl<'a> Cursor<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Cursor {
            buf,
            pos: 0,
            nested_left: MAX_NESTED_ARRAYS,
        }
    }

    pub fn pos(&self) -> usize {
        self.pos
    }

    /// Bytes left after the cursor.
    pub fn remaining(&self) -> u64 {
        (self.buf.len() - self.pos) as u64
    }

    pub fn bytes(&mut self, n: u64, what: &str) -> Result<&'a [u8], String> {
        let end = usize::try_from(n)
            .ok()
            .and_then(|n| self.pos.checked_add(n))
            .filter(|&end| end <= self.buf.len())
            .ok_or_else(|| {
                format!(
                    "{what} at offset {} needs {n} bytes but the file has {} left: the file is truncated or corrupt",
                    self.pos,
                    self.remaining()
                )
            })?;
        let s = &self.buf[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    fn array<const N: usize>(&mut self, what: &str) -> Result<[u8; N], String> {
        let b = self.bytes(N as u64, what)?;
        Ok(b.try_into().expect("length checked"))
    }

    pub fn u8(&mut self, what: &str) -> Result<u8, String> {
        Ok(self.array::<1>(what)?[0])
    }
    pub fn u16(&mut self, what: &str) -> Result<u16, String> {
        Ok(u16::from_le_bytes(self.array(what)?))
    }
    pub fn u32(&mut self, what: &str) -> Result<u32, String> {
        Ok(u32::from_le_bytes(self.array(what)?))
    }
    pub fn u64(&mut self, what: &str) -> Result<u64, String> {
        Ok(u64::from_le_bytes(self.array(what)?))
    }

    pub fn string(&mut self, what: &str) -> Result<String, String> {
        Ok(self.str_lossy(what)?.into_owned())
    }

    fn str_lossy(&mut self, what: &str) -> Result<std::borrow::Cow<'a, str>, String> {
        let len = self.u64(what)?;
        let b = self.bytes(len, what)?;
        Ok(String::from_utf8_lossy(b))
    }

    /// `n` fixed-size elements, decoded into one typed vector (the count was checked).
    fn fixed<T, const N: usize>(
        &mut self,
        n: u64,
        what: &str,
        decode: impl Fn([u8; N]) -> T,
    ) -> Result<Vec<T>, String> {
        let b = self.bytes(n * N as u64, what)?;
        Ok(b.chunks_exact(N)
            .map(|c| decode(c.try_into().expect("chunk of N bytes")))
            .collect())
    }

    /// A count of items of at least `min_size` bytes each: rejected before any allocation if
    /// the rest of the file cannot possibly hold them.
    pub fn count(&mut self, min_size: u64, what: &str) -> Result<u64, String> {
        let at = self.pos;
        let n = self.u64(what)?;
        let need = n.checked_mul(min_size);
        if need.is_none_or(|need| need > self.remaining()) {
            return Err(format!(
                "{what} at offset {at} is {n}, but the {} bytes left in the file cannot hold that many: the file is corrupt or truncated",
                self.remaining()
            ));
        }
        Ok(n)
    }

    pub fn value_type(&mut self, what: &str) -> Result<ValueType, String> {
        let at = self.pos;
        let id = self.u32(what)?;
        ValueType::from_id(id).ok_or_else(|| {
            format!("{what} at offset {at}: unknown value type id {id} (known: 0..=12)")
        })
    }

    pub fn value(&mut self, t: ValueType, what: &str) -> Result<MetaValue, String> {
        self.value_at_depth(t, what, 0)
    }

    fn value_at_depth(
        &mut self,
        t: ValueType,
        what: &str,
        depth: u32,
    ) -> Result<MetaValue, String> {
        Ok(match t {
            ValueType::U8 => MetaValue::U8(self.u8(what)?),
            ValueType::I8 => MetaValue::I8(self.u8(what)? as i8),
            ValueType::U16 => MetaValue::U16(self.u16(what)?),
            ValueType::I16 => MetaValue::I16(self.u16(what)? as i16),
            ValueType::U32 => MetaValue::U32(self.u32(what)?),
            ValueType::I32 => MetaValue::I32(self.u32(what)? as i32),
            ValueType::F32 => MetaValue::F32(f32::from_bits(self.u32(what)?)),
            ValueType::U64 => MetaValue::U64(self.u64(what)?),
            ValueType::I64 => MetaValue::I64(self.u64(what)? as i64),
            ValueType::F64 => MetaValue::F64(f64::from_bits(self.u64(what)?)),
            ValueType::Bool => {
                let at = self.pos;
                match self.u8(what)? {
                    0 => MetaValue::Bool(false),
                    1 => MetaValue::Bool(true),
                    b => {
                        return Err(format!(
                            "{what} at offset {at}: bool byte is {b}, not 0 or 1"
                        ))
                    }
                }
            }
            ValueType::String => MetaValue::String(self.string(what)?),
            ValueType::Array => MetaValue::Array(self.array_at_depth(what, depth)?),
        })
    }

    fn array_at_depth(&mut self, what: &str, depth: u32) -> Result<MetaArray, String> {
        if depth >= MAX_ARRAY_DEPTH {
            return Err(format!(
                "{what}: arrays nested deeper than {MAX_ARRAY_DEPTH}"
            ));
        }
        let et = self.value_type(what)?;
        // Checked against the bytes left, so no vector below can outgrow the file.
        let n = self.count(et.min_size(), what)?;
        Ok(match et {
            ValueType::U8 => MetaArray::U8(self.fixed(n, what, |[b]: [u8; 1]| b)?),
            ValueType::I8 => MetaArray::I8(self.fixed(n, what, |[b]: [u8; 1]| b as i8)?),
            ValueType::U16 => MetaArray::U16(self.fixed(n, what, u16::from_le_bytes)?),
            ValueType::I16 => MetaArray::I16(self.fixed(n, what, i16::from_le_bytes)?),
            ValueType::U32 => MetaArray::U32(self.fixed(n, what, u32::from_le_bytes)?),
            ValueType::I32 => MetaArray::I32(self.fixed(n, what, i32::from_le_bytes)?),
            ValueType::F32 => MetaArray::F32(self.fixed(n, what, f32::from_le_bytes)?),
            ValueType::U64 => MetaArray::U64(self.fixed(n, what, u64::from_le_bytes)?),
            ValueType::I64 => MetaArray::I64(self.fixed(n, what, i64::from_le_bytes)?),
            ValueType::F64 => MetaArray::F64(self.fixed(n, what, f64::from_le_bytes)?),
            ValueType::Bool => {
                let at = self.pos;
                let b = self.bytes(n, what)?;
                if let Some(i) = b.iter().position(|&b| b > 1) {
                    return Err(format!(
                        "{what} at offset {}: bool byte is {}, not 0 or 1",
                        at + i,
                        b[i]
                    ));
                }
                MetaArray::Bool(b.iter().map(|&b| b == 1).collect())
            }
            ValueType::String => {
                let mut s = StringArray::with_capacity(n as usize);
                for _ in 0..n {
                    s.push(&self.str_lossy(what)?);
                }
                MetaArray::String(s)
            }
            ValueType::Array => {
                if n > self.nested_left {
                    return Err(format!(
                        "{what}: more than {MAX_NESTED_ARRAYS} arrays inside arrays in this file (real GGUF files hold none): the file is corrupt or hostile"
                    ));
                }
                self.nested_left -= n;
                let mut items = Vec::with_capacity(n as usize);
                for _ in 0..n {
                    items.push(self.array_at_depth(what, depth + 1)?);
                }
                MetaArray::Array(items)
            }
        })
    }
}
