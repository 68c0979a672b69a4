//! Raw JSON text → RFC 8785 canonical form, in one pass: a strict RFC 8259 parser that writes the
//! canonical output as it goes (numbers as IEEE doubles, duplicate keys and lone surrogates
//! refused, nesting bounded so hostile input cannot exhaust the stack).

use super::CanonicalError;
use super::writer::{Writer, write_f64, write_str};

/// Deeper documents are refused; real payloads nest a few levels.
pub const MAX_DEPTH: usize = 128;

/// Canonicalizes `input` onto the end of `writer`'s output.
pub(crate) fn canonicalize_into(writer: &mut Writer, input: &[u8]) -> Result<(), CanonicalError> {
    let text = std::str::from_utf8(input)
        .map_err(|e| CanonicalError::syntax(e.valid_up_to(), "input is not UTF-8"))?;
    let mut parser = Parser {
        text,
        bytes: input,
        pos: 0,
        string: String::new(),
    };
    parser.skip_whitespace();
    parser.value(writer, 0)?;
    parser.skip_whitespace();
    if parser.pos != input.len() {
        return Err(CanonicalError::syntax(
            parser.pos,
            "trailing characters after the JSON value",
        ));
    }
    Ok(())
}

struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    /// Reused buffer for decoding string values.
    string: String,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    fn expect(&mut self, byte: u8, what: &'static str) -> Result<(), CanonicalError> {
        if self.peek() == Some(byte) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.error(what))
        }
    }

    fn error(&self, what: &'static str) -> CanonicalError {
        if self.pos >= self.bytes.len() {
            CanonicalError::syntax(self.pos, "unexpected end of input")
        } else {
            CanonicalError::syntax(self.pos, what)
        }
    }

    fn value(&mut self, w: &mut Writer, depth: usize) -> Result<(), CanonicalError> {
        match self.peek() {
            Some(b'{') => self.object(w, depth + 1),
            Some(b'[') => self.array(w, depth + 1),
            Some(b'"') => {
                self.string()?;
                write_str(&mut w.out, &self.string)?;
                Ok(())
            }
            Some(b't') => self.literal(w, b"true"),
            Some(b'f') => self.literal(w, b"false"),
            Some(b'n') => self.literal(w, b"null"),
            Some(b'-' | b'0'..=b'9') => self.number(w),
            _ => Err(self.error("expected a JSON value")),
        }
    }

    fn literal(&mut self, w: &mut Writer, word: &'static [u8]) -> Result<(), CanonicalError> {
        if self.bytes.get(self.pos..self.pos + word.len()) == Some(word) {
            self.pos += word.len();
            w.out.extend_from_slice(word);
            Ok(())
        } else {
            Err(self.error("invalid literal"))
        }
    }

    fn object(&mut self, w: &mut Writer, depth: usize) -> Result<(), CanonicalError> {
        if depth > MAX_DEPTH {
            return Err(CanonicalError::too_deep(self.pos));
        }
        self.pos += 1;
        let mut frame = w.begin_object();
        self.skip_whitespace();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return w.end_object(frame);
        }
        loop {
            self.skip_whitespace();
            if self.peek() != Some(b'"') {
                return Err(self.error("expected a string key"));
            }
            self.string()?;
            let key = w.arena_key(&self.string)?;
            let member = w.begin_member(&frame, key)?;
            self.skip_whitespace();
            self.expect(b':', "expected ':' after an object key")?;
            self.skip_whitespace();
            self.value(w, depth)?;
            w.end_member(&mut frame, member)?;
            self.skip_whitespace();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return w.end_object(frame);
                }
                _ => return Err(self.error("expected ',' or '}' in an object")),
            }
        }
    }

    fn array(&mut self, w: &mut Writer, depth: usize) -> Result<(), CanonicalError> {
        if depth > MAX_DEPTH {
            return Err(CanonicalError::too_deep(self.pos));
        }
        self.pos += 1;
        w.out.push(b'[');
        self.skip_whitespace();
        if self.peek() == Some(b']') {
            self.pos += 1;
            w.out.push(b']');
            return Ok(());
        }
        loop {
            self.skip_whitespace();
            self.value(w, depth)?;
            self.skip_whitespace();
            match self.peek() {
                Some(b',') => {
                    self.pos += 1;
                    w.out.push(b',');
                }
                Some(b']') => {
                    self.pos += 1;
                    w.out.push(b']');
                    return Ok(());
                }
                _ => return Err(self.error("expected ',' or ']' in an array")),
            }
        }
    }

    /// Checks the RFC 8259 number grammar, then reads the text as the nearest double.
    fn number(&mut self, w: &mut Writer) -> Result<(), CanonicalError> {
        let start = self.pos;
        let digits = |p: &mut Self| {
            let from = p.pos;
            while let Some(b'0'..=b'9') = p.peek() {
                p.pos += 1;
            }
            p.pos - from
        };
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => {
                digits(self);
            }
            _ => return Err(self.error("invalid number")),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if digits(self) == 0 {
                return Err(self.error("invalid number: no digits after '.'"));
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if digits(self) == 0 {
                return Err(self.error("invalid number: no digits in the exponent"));
            }
        }
        let lexeme = self.text.get(start..self.pos).unwrap_or("");
        let value: f64 = lexeme
            .parse()
            .map_err(|_| CanonicalError::syntax(start, "invalid number"))?;
        if !value.is_finite() {
            return Err(CanonicalError::syntax(
                start,
                "number out of the IEEE double range",
            ));
        }
        write_f64(&mut w.out, value)
    }

    /// Decodes the string at the cursor into `self.string`.
    fn string(&mut self) -> Result<(), CanonicalError> {
        self.pos += 1;
        self.string.clear();
        loop {
            let run_start = self.pos;
            while let Some(b) = self.peek() {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.pos += 1;
            }
            // The run ends on an ASCII byte or at the end, so it is a char boundary.
            self.string
                .push_str(self.text.get(run_start..self.pos).unwrap_or(""));
            match self.peek() {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(());
                }
                Some(b'\\') => self.escape()?,
                Some(_) => return Err(self.error("unescaped control character in a string")),
                None => return Err(self.error("unterminated string")),
            }
        }
    }

    fn escape(&mut self) -> Result<(), CanonicalError> {
        let at = self.pos;
        self.pos += 1;
        let c = match self.peek() {
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => {
                self.pos += 1;
                let first = self.hex4()?;
                let c = if (0xD800..0xDC00).contains(&first) {
                    if self.bytes.get(self.pos..self.pos + 2) != Some(b"\\u") {
                        return Err(CanonicalError::lone_surrogate(at));
                    }
                    self.pos += 2;
                    let second = self.hex4()?;
                    if !(0xDC00..0xE000).contains(&second) {
                        return Err(CanonicalError::lone_surrogate(at));
                    }
                    0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
                } else if (0xDC00..0xE000).contains(&first) {
                    return Err(CanonicalError::lone_surrogate(at));
                } else {
                    first
                };
                let c = char::from_u32(c).ok_or_else(|| CanonicalError::lone_surrogate(at))?;
                self.string.push(c);
                return Ok(());
            }
            _ => return Err(self.error("invalid escape")),
        };
        self.pos += 1;
        self.string.push(c);
        Ok(())
    }

    fn hex4(&mut self) -> Result<u32, CanonicalError> {
        let digits = self
            .bytes
            .get(self.pos..self.pos + 4)
            .ok_or_else(|| self.error("truncated \\u escape"))?;
        let mut value = 0u32;
        for &d in digits {
            let nibble = char::from(d)
                .to_digit(16)
                .ok_or_else(|| self.error("invalid \\u escape"))?;
            value = value * 16 + nibble;
        }
        self.pos += 4;
        Ok(value)
    }
}
