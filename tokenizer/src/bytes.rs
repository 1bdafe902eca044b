//! GPT-2's byte-to-unicode map: every byte gets a printable character, so a byte-level token is
//! a plain string (`Ġ` is the space byte). Vocabularies store tokens in this form.

/// Every byte character is below U+0144.
const CHAR_LIMIT: usize = 0x144;

/// Both directions of GPT-2's `bytes_to_unicode`.
#[derive(Debug, Clone)]
pub struct ByteMap {
    to_char: [char; 256],
    from_char: [Option<u8>; CHAR_LIMIT],
}

impl ByteMap {
    pub fn new() -> Self {
        let mut to_char = ['\0'; 256];
        let mut from_char = [None; CHAR_LIMIT];
        let mut extra = 0u32;
        for b in 0..=255u8 {
            let v = u32::from(b);
            let printable = (0x21..=0x7e).contains(&v) || (0xa1..=0xac).contains(&v) || v >= 0xae;
            let c = if printable {
                v
            } else {
                extra += 1;
                255 + extra
            };
            to_char[b as usize] = char::from_u32(c).expect("below U+0144: a scalar value");
            from_char[c as usize] = Some(b);
        }
        ByteMap { to_char, from_char }
    }

    /// The character byte `b` is written as.
    pub fn char_of(&self, b: u8) -> char {
        self.to_char[b as usize]
    }

    /// The byte character `c` stands for; `None` for any other character.
    pub fn byte_of(&self, c: char) -> Option<u8> {
        self.from_char.get(c as usize).copied().flatten()
    }
}

impl Default for ByteMap {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_map_is_a_bijection_with_gpt2_landmarks() {
        let m = ByteMap::new();
        assert_eq!(m.char_of(b' '), 'Ġ');
        assert_eq!(m.char_of(b'\n'), 'Ċ');
        assert_eq!(m.char_of(b'a'), 'a');
        for b in 0..=255u8 {
            assert_eq!(m.byte_of(m.char_of(b)), Some(b));
        }
        assert_eq!(m.byte_of('€'), None);
        assert_eq!(m.byte_of('\0'), None);
    }
}
