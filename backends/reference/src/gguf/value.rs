//! Metadata values: the thirteen GGUF value types and their typed accessors.

use std::fmt;

/// GGUF metadata value type ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ValueType {
    U8,
    I8,
    U16,
    I16,
    U32,
    I32,
    F32,
    Bool,
    String,
    Array,
    U64,
    I64,
    F64,
}

impl ValueType {
    const ALL: [ValueType; 13] = [
        ValueType::U8,
        ValueType::I8,
        ValueType::U16,
        ValueType::I16,
        ValueType::U32,
        ValueType::I32,
        ValueType::F32,
        ValueType::Bool,
        ValueType::String,
        ValueType::Array,
        ValueType::U64,
        ValueType::I64,
        ValueType::F64,
    ];

    pub fn from_id(id: u32) -> Option<Self> {
        Self::ALL.get(id as usize).copied()
    }

    pub fn id(self) -> u32 {
        Self::ALL
            .iter()
            .position(|&t| t == self)
            .expect("listed in ALL") as u32
    }

    /// Smallest number of bytes one value of this type takes in a file (for sizing checks).
    pub fn min_size(self) -> u64 {
        match self {
            ValueType::U8 | ValueType::I8 | ValueType::Bool => 1,
            ValueType::U16 | ValueType::I16 => 2,
            ValueType::U32 | ValueType::I32 | ValueType::F32 => 4,
            ValueType::U64 | ValueType::I64 | ValueType::F64 | ValueType::String => 8,
            ValueType::Array => 12,
        }
    }
}

/// One metadata value.
#[derive(Debug, Clone, PartialEq)]
pub enum MetaValue {
    U8(u8),
    I8(i8),
    U16(u16),
    I16(i16),
    U32(u32),
    I32(i32),
    F32(f32),
    Bool(bool),
    String(String),
    /// A typed, compact array: one machine value per element, never one `MetaValue` each, so
    /// an array takes about as many bytes in memory as in the file.
    Array(MetaArray),
    U64(u64),
    I64(i64),
    F64(f64),
}

/// A metadata array, stored as a typed vector (strings share one buffer).
#[derive(Debug, Clone, PartialEq)]
pub enum MetaArray {
    U8(Vec<u8>),
    I8(Vec<i8>),
    U16(Vec<u16>),
    I16(Vec<i16>),
    U32(Vec<u32>),
    I32(Vec<i32>),
    F32(Vec<f32>),
    Bool(Vec<bool>),
    String(StringArray),
    /// Arrays of arrays; each inner array has its own element type.
    Array(Vec<MetaArray>),
    U64(Vec<u64>),
    I64(Vec<i64>),
    F64(Vec<f64>),
}

/// Strings of an array, concatenated in one buffer with their end offsets.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StringArray {
    text: String,
    ends: Vec<usize>,
}

impl StringArray {
    pub fn with_capacity(n: usize) -> Self {
        StringArray {
            text: String::new(),
            ends: Vec::with_capacity(n),
        }
    }
    pub fn push(&mut self, s: &str) {
        self.text.push_str(s);
        self.ends.push(self.text.len());
    }
    pub fn len(&self) -> usize {
        self.ends.len()
    }
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }
    pub fn get(&self, i: usize) -> Option<&str> {
        let end = *self.ends.get(i)?;
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        Some(&self.text[start..end])
    }
    pub fn iter(&self) -> impl Iterator<Item = &str> + '_ {
        (0..self.len()).map(|i| self.get(i).expect("index in range"))
    }
}

impl<S: AsRef<str>> FromIterator<S> for StringArray {
    fn from_iter<I: IntoIterator<Item = S>>(iter: I) -> Self {
        let mut a = StringArray::default();
        for s in iter {
            a.push(s.as_ref());
        }
        a
    }
}

/// Apply `$body` to the typed vector of every numeric/bool variant (`$v` binds it).
macro_rules! each_vec {
    ($self:expr, $v:ident => $body:expr, $s:ident => $sbody:expr, $a:ident => $abody:expr) => {
        match $self {
            MetaArray::U8($v) => $body,
            MetaArray::I8($v) => $body,
            MetaArray::U16($v) => $body,
            MetaArray::I16($v) => $body,
            MetaArray::U32($v) => $body,
            MetaArray::I32($v) => $body,
            MetaArray::F32($v) => $body,
            MetaArray::Bool($v) => $body,
            MetaArray::U64($v) => $body,
            MetaArray::I64($v) => $body,
            MetaArray::F64($v) => $body,
            MetaArray::String($s) => $sbody,
            MetaArray::Array($a) => $abody,
        }
    };
}

impl MetaArray {
    /// An empty array of element type `t`.
    pub fn empty(t: ValueType) -> Self {
        match t {
            ValueType::U8 => MetaArray::U8(Vec::new()),
            ValueType::I8 => MetaArray::I8(Vec::new()),
            ValueType::U16 => MetaArray::U16(Vec::new()),
            ValueType::I16 => MetaArray::I16(Vec::new()),
            ValueType::U32 => MetaArray::U32(Vec::new()),
            ValueType::I32 => MetaArray::I32(Vec::new()),
            ValueType::F32 => MetaArray::F32(Vec::new()),
            ValueType::Bool => MetaArray::Bool(Vec::new()),
            ValueType::String => MetaArray::String(StringArray::default()),
            ValueType::Array => MetaArray::Array(Vec::new()),
            ValueType::U64 => MetaArray::U64(Vec::new()),
            ValueType::I64 => MetaArray::I64(Vec::new()),
            ValueType::F64 => MetaArray::F64(Vec::new()),
        }
    }

    /// Build an array from loose values; `None` if an item is not of type `t`.
    pub fn from_values(t: ValueType, items: Vec<MetaValue>) -> Option<Self> {
        let mut a = MetaArray::empty(t);
        for item in items {
            match (&mut a, item) {
                (MetaArray::U8(v), MetaValue::U8(x)) => v.push(x),
                (MetaArray::I8(v), MetaValue::I8(x)) => v.push(x),
                (MetaArray::U16(v), MetaValue::U16(x)) => v.push(x),
                (MetaArray::I16(v), MetaValue::I16(x)) => v.push(x),
                (MetaArray::U32(v), MetaValue::U32(x)) => v.push(x),
                (MetaArray::I32(v), MetaValue::I32(x)) => v.push(x),
                (MetaArray::F32(v), MetaValue::F32(x)) => v.push(x),
                (MetaArray::Bool(v), MetaValue::Bool(x)) => v.push(x),
                (MetaArray::U64(v), MetaValue::U64(x)) => v.push(x),
                (MetaArray::I64(v), MetaValue::I64(x)) => v.push(x),
                (MetaArray::F64(v), MetaValue::F64(x)) => v.push(x),
                (MetaArray::String(v), MetaValue::String(x)) => v.push(&x),
                (MetaArray::Array(v), MetaValue::Array(x)) => v.push(x),
                _ => return None,
            }
        }
        Some(a)
    }

    pub fn element_type(&self) -> ValueType {
        match self {
            MetaArray::U8(_) => ValueType::U8,
            MetaArray::I8(_) => ValueType::I8,
            MetaArray::U16(_) => ValueType::U16,
            MetaArray::I16(_) => ValueType::I16,
            MetaArray::U32(_) => ValueType::U32,
            MetaArray::I32(_) => ValueType::I32,
            MetaArray::F32(_) => ValueType::F32,
            MetaArray::Bool(_) => ValueType::Bool,
            MetaArray::String(_) => ValueType::String,
            MetaArray::Array(_) => ValueType::Array,
            MetaArray::U64(_) => ValueType::U64,
            MetaArray::I64(_) => ValueType::I64,
            MetaArray::F64(_) => ValueType::F64,
        }
    }

    pub fn len(&self) -> usize {
        each_vec!(self, v => v.len(), s => s.len(), a => a.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Element `i` as a loose value (strings and inner arrays are cloned).
    pub fn get(&self, i: usize) -> Option<MetaValue> {
        Some(match self {
            MetaArray::U8(v) => MetaValue::U8(*v.get(i)?),
            MetaArray::I8(v) => MetaValue::I8(*v.get(i)?),
            MetaArray::U16(v) => MetaValue::U16(*v.get(i)?),
            MetaArray::I16(v) => MetaValue::I16(*v.get(i)?),
            MetaArray::U32(v) => MetaValue::U32(*v.get(i)?),
            MetaArray::I32(v) => MetaValue::I32(*v.get(i)?),
            MetaArray::F32(v) => MetaValue::F32(*v.get(i)?),
            MetaArray::Bool(v) => MetaValue::Bool(*v.get(i)?),
            MetaArray::U64(v) => MetaValue::U64(*v.get(i)?),
            MetaArray::I64(v) => MetaValue::I64(*v.get(i)?),
            MetaArray::F64(v) => MetaValue::F64(*v.get(i)?),
            MetaArray::String(v) => MetaValue::String(v.get(i)?.to_string()),
            MetaArray::Array(v) => MetaValue::Array(v.get(i)?.clone()),
        })
    }

    /// Every element as a loose value, one at a time.
    pub fn iter(&self) -> impl Iterator<Item = MetaValue> + '_ {
        (0..self.len()).map(|i| self.get(i).expect("index in range"))
    }

    pub fn as_strings(&self) -> Option<&StringArray> {
        match self {
            MetaArray::String(s) => Some(s),
            _ => None,
        }
    }
    pub fn as_f32s(&self) -> Option<&[f32]> {
        match self {
            MetaArray::F32(v) => Some(v),
            _ => None,
        }
    }
    pub fn as_i32s(&self) -> Option<&[i32]> {
        match self {
            MetaArray::I32(v) => Some(v),
            _ => None,
        }
    }
    pub fn as_u8s(&self) -> Option<&[u8]> {
        match self {
            MetaArray::U8(v) => Some(v),
            _ => None,
        }
    }
}

impl fmt::Display for MetaArray {
    /// Type, length and the first four elements: `[U8; 3] [1, 2, 3]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{:?}; {}] [", self.element_type(), self.len())?;
        for (i, item) in self.iter().take(4).enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{item}")?;
        }
        if self.len() > 4 {
            f.write_str(", ...")?;
        }
        f.write_str("]")
    }
}

impl MetaValue {
    pub fn value_type(&self) -> ValueType {
        match self {
            MetaValue::U8(_) => ValueType::U8,
            MetaValue::I8(_) => ValueType::I8,
            MetaValue::U16(_) => ValueType::U16,
            MetaValue::I16(_) => ValueType::I16,
            MetaValue::U32(_) => ValueType::U32,
            MetaValue::I32(_) => ValueType::I32,
            MetaValue::F32(_) => ValueType::F32,
            MetaValue::Bool(_) => ValueType::Bool,
            MetaValue::String(_) => ValueType::String,
            MetaValue::Array(_) => ValueType::Array,
            MetaValue::U64(_) => ValueType::U64,
            MetaValue::I64(_) => ValueType::I64,
            MetaValue::F64(_) => ValueType::F64,
        }
    }

    /// Any integer type that fits a `u64` without loss (negative values do not).
    pub fn as_u64(&self) -> Option<u64> {
        match *self {
            MetaValue::U8(v) => Some(v.into()),
            MetaValue::U16(v) => Some(v.into()),
            MetaValue::U32(v) => Some(v.into()),
            MetaValue::U64(v) => Some(v),
            MetaValue::I8(v) => u64::try_from(v).ok(),
            MetaValue::I16(v) => u64::try_from(v).ok(),
            MetaValue::I32(v) => u64::try_from(v).ok(),
            MetaValue::I64(v) => u64::try_from(v).ok(),
            _ => None,
        }
    }

    /// `F32` or `F64` (narrowed) values.
    pub fn as_f32(&self) -> Option<f32> {
        match *self {
            MetaValue::F32(v) => Some(v),
            MetaValue::F64(v) => Some(v as f32),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            MetaValue::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&MetaArray> {
        match self {
            MetaValue::Array(a) => Some(a),
            _ => None,
        }
    }
}

impl fmt::Display for MetaValue {
    /// Short form for listings: arrays show their type, length and first few elements.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MetaValue::U8(v) => write!(f, "{v}"),
            MetaValue::I8(v) => write!(f, "{v}"),
            MetaValue::U16(v) => write!(f, "{v}"),
            MetaValue::I16(v) => write!(f, "{v}"),
            MetaValue::U32(v) => write!(f, "{v}"),
            MetaValue::I32(v) => write!(f, "{v}"),
            MetaValue::F32(v) => write!(f, "{v}"),
            MetaValue::Bool(v) => write!(f, "{v}"),
            MetaValue::String(s) => write!(f, "{s:?}"),
            MetaValue::U64(v) => write!(f, "{v}"),
            MetaValue::I64(v) => write!(f, "{v}"),
            MetaValue::F64(v) => write!(f, "{v}"),
            MetaValue::Array(a) => write!(f, "{a}"),
        }
    }
}
