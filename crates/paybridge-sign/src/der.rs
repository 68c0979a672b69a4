//! Just enough DER to tell key formats apart and to find an RSA modulus: keys are classified here
//! before a backend sees them, so a wrong or weak key gets a precise error.

/// DER tags used by the key formats we read.
pub(crate) const INTEGER: u8 = 0x02;
pub(crate) const BIT_STRING: u8 = 0x03;
pub(crate) const OCTET_STRING: u8 = 0x04;
pub(crate) const NULL: u8 = 0x05;
pub(crate) const OID: u8 = 0x06;
pub(crate) const SEQUENCE: u8 = 0x30;

/// 1.2.840.113549.1.1.1, rsaEncryption.
pub(crate) const RSA_ENCRYPTION: &[u8] = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01];

/// One TLV element.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Element<'a> {
    pub(crate) tag: u8,
    pub(crate) content: &'a [u8],
    /// The whole element: tag, length and content.
    pub(crate) raw: &'a [u8],
}

/// Reads consecutive elements from a byte slice.
pub(crate) struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Reader<'a> {
        Reader { rest: bytes }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    /// The next element, or `None` if the bytes are not well-formed DER.
    pub(crate) fn next(&mut self) -> Option<Element<'a>> {
        let start = self.rest;
        let (&tag, rest) = self.rest.split_first()?;
        let (&first_len, mut rest) = rest.split_first()?;
        let len = if first_len < 0x80 {
            usize::from(first_len)
        } else {
            let count = usize::from(first_len & 0x7F);
            // Definite lengths of up to 4 bytes; keys are far smaller.
            if count == 0 || count > 4 {
                return None;
            }
            let (len_bytes, after) = rest.split_at_checked(count)?;
            rest = after;
            len_bytes
                .iter()
                .fold(0usize, |acc, &b| (acc << 8) | usize::from(b))
        };
        let (content, after) = rest.split_at_checked(len)?;
        self.rest = after;
        let raw = start.get(..start.len() - after.len())?;
        Some(Element { tag, content, raw })
    }

    /// The next element if it has `tag`.
    pub(crate) fn expect(&mut self, tag: u8) -> Option<Element<'a>> {
        self.next().filter(|e| e.tag == tag)
    }
}

/// Parses `bytes` as exactly one element with `tag`.
pub(crate) fn single(bytes: &[u8], tag: u8) -> Option<&[u8]> {
    let mut reader = Reader::new(bytes);
    let element = reader.expect(tag)?;
    reader.is_empty().then_some(element.content)
}

/// The size in bits of a positive DER INTEGER's value.
pub(crate) fn integer_bits(content: &[u8]) -> usize {
    let trimmed = match content.iter().position(|&b| b != 0) {
        Some(first) => content.get(first..).unwrap_or_default(),
        None => return 0,
    };
    let leading = trimmed.first().map_or(0, |b| b.leading_zeros() as usize);
    trimmed.len() * 8 - leading
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_short_and_long_lengths() {
        let mut r = Reader::new(&[0x02, 0x01, 0x05, 0x04, 0x81, 0x02, 0xAA, 0xBB]);
        let a = r.next().unwrap();
        assert_eq!((a.tag, a.content), (INTEGER, &[5u8][..]));
        let b = r.next().unwrap();
        assert_eq!((b.tag, b.content), (OCTET_STRING, &[0xAA, 0xBB][..]));
        assert!(r.is_empty());
    }

    #[test]
    fn refuses_truncated_input() {
        assert!(Reader::new(&[0x30]).next().is_none());
        assert!(Reader::new(&[0x30, 0x05, 0x00]).next().is_none());
        assert!(Reader::new(&[0x30, 0x85, 0, 0, 0, 0, 1]).next().is_none());
        assert!(Reader::new(&[0x30, 0x80]).next().is_none());
    }

    #[test]
    fn counts_integer_bits() {
        assert_eq!(integer_bits(&[0x00, 0x80]), 8);
        assert_eq!(integer_bits(&[0x01, 0x00]), 9);
        assert_eq!(integer_bits(&[0x00]), 0);
    }
}
