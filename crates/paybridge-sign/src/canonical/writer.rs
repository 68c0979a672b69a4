//! The output side of RFC 8785 shared by the typed serializer and the raw-text canonicalizer:
//! string escaping, ECMAScript number formatting, and objects whose members are sorted by UTF-16
//! code units on the way out.
//!
//! Members are written straight into the output as they arrive, and while an object's keys arrive
//! in order the writer keeps nothing but the last key: a struct declared in canonical order is
//! written with one key comparison per member, as `serde_json` would write it plus that compare.
//! Only when a key arrives out of order are the object's members listed (read back from the
//! bytes already written) and its bytes moved, once, into sorted order; a struct type seen out of
//! order is remembered, lists its members from the start next time, and replays its cached order.
//! The member list and the key arena are single buffers used as stacks across nesting levels, so
//! a document of any depth costs a handful of allocations, not one per object.

use std::cmp::Ordering;

use super::{CanonicalError, CanonicalErrorKind};

/// The largest integer an IEEE double holds exactly; RFC 8785 numbers are doubles, so typed
/// integers beyond it would be rounded — for money, silently wrong.
pub(crate) const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// The text of `key`, whose arena keys live in `arena`.
#[inline]
fn key_text(arena: &str, key: Key) -> &str {
    match key {
        Key::Static(s) => s,
        Key::Arena { start, end } => arena.get(start as usize..end as usize).unwrap_or(""),
    }
}

/// Where a member's key lives: a `&'static str` (struct fields) or a range of the key arena
/// (map keys and keys read from raw text).
#[derive(Clone, Copy)]
pub(crate) enum Key {
    Static(&'static str),
    Arena { start: u32, end: u32 },
}

#[derive(Clone, Copy)]
struct Member {
    key: Key,
    /// Offsets into the output of the member's first byte (the key's quote) and one past its last.
    start: usize,
    end: usize,
}

/// An object being written; returned by [`Writer::begin_object`], consumed by
/// [`Writer::end_object`].
pub(crate) struct ObjectFrame {
    body_start: usize,
    members_start: usize,
    arena_start: usize,
    /// Whether every key so far arrived after the one before it. While it holds, only the last
    /// key is kept; the member list is built (from the bytes written) only once it fails.
    sorted: bool,
    previous: Option<Key>,
    /// The address of the struct's name, for a struct: once one arrives out of order, later
    /// objects of its type list their members from the start.
    type_name: Option<usize>,
}

impl ObjectFrame {
    /// A frame for a serializer state that never writes an object (serde_json's raw values).
    pub(crate) fn placeholder() -> ObjectFrame {
        ObjectFrame {
            body_start: 0,
            members_start: 0,
            arena_start: 0,
            sorted: true,
            previous: None,
            type_name: None,
        }
    }
}

/// A member whose key is written and whose value is being written.
pub(crate) struct MemberStart {
    key: Key,
    start: usize,
}

#[derive(Default)]
pub(crate) struct Writer {
    pub(crate) out: Vec<u8>,
    members: Vec<Member>,
    arena: String,
    scratch: Vec<u8>,
    orders: OrderCache,
    /// Objects whose members arrived out of canonical order and were moved.
    pub(crate) reordered_objects: usize,
}

/// Sorted member orders of structs seen before. A struct's field names are `&'static str`s that
/// arrive in the same order every time, so the order found by sorting once is replayed after
/// checking, by address and length, that the same names arrived in the same sequence.
///
/// It also remembers which struct types (by the address of their name) arrived out of order, so
/// that their objects list their members as they are written instead of reading them back.
#[derive(Default)]
struct OrderCache {
    slots: Vec<Option<CachedOrder>>,
    unsorted_types: Vec<usize>,
}

struct CachedOrder {
    /// Address and length of each field name, in arrival order.
    keys: Vec<(usize, usize)>,
    /// Arrival index of each member, in sorted order.
    order: Vec<u32>,
}

const ORDER_CACHE_SLOTS: usize = 64;

/// How many unsorted struct types are remembered; beyond that, a type is read back each time.
const UNSORTED_TYPES: usize = 64;

/// The working buffers of a finished [`Writer`], kept per thread so the next document reuses
/// their capacity instead of allocating them again (they are most of the allocations).
#[derive(Default)]
struct Spare {
    members: Vec<Member>,
    arena: String,
    scratch: Vec<u8>,
    orders: OrderCache,
    /// The previous document's length: similar documents follow each other (a batch of
    /// refunds), so the next output starts with room for it instead of growing by doubling.
    last_len: usize,
}

thread_local! {
    static SPARE: std::cell::Cell<Spare> = std::cell::Cell::new(Spare::default());
}

/// Buffers larger than this are not kept, so one huge document does not pin memory.
const MAX_KEPT_CAPACITY: usize = 64 * 1024;

impl Writer {
    pub(crate) fn with_capacity(capacity: usize) -> Writer {
        Writer::appending(Vec::with_capacity(capacity))
    }

    /// A writer that appends to `out` (whose existing bytes are left alone: objects only ever
    /// reorder bytes written after their own opening brace). A nested call (a Serialize impl
    /// that canonicalizes) finds the spare buffers taken and simply starts with fresh ones.
    pub(crate) fn appending(mut out: Vec<u8>) -> Writer {
        let spare = SPARE.with(std::cell::Cell::take);
        out.reserve(spare.last_len.min(MAX_KEPT_CAPACITY));
        Writer {
            out,
            members: spare.members,
            arena: spare.arena,
            scratch: spare.scratch,
            orders: spare.orders,
            reordered_objects: 0,
        }
    }

    /// Returns the output, keeping the working buffers for the thread's next document.
    pub(crate) fn finish(self) -> Vec<u8> {
        let Writer {
            out,
            mut members,
            mut arena,
            mut scratch,
            orders,
            reordered_objects: _,
        } = self;
        members.clear();
        arena.clear();
        scratch.clear();
        if members.capacity() * std::mem::size_of::<Member>() <= MAX_KEPT_CAPACITY
            && arena.capacity() <= MAX_KEPT_CAPACITY
            && scratch.capacity() <= MAX_KEPT_CAPACITY
        {
            let last_len = out.len();
            SPARE.with(|cell| {
                cell.set(Spare {
                    members,
                    arena,
                    scratch,
                    orders,
                    last_len,
                })
            });
        }
        out
    }

    /// Appends `key` to the arena, for keys that are not `'static`.
    pub(crate) fn arena_key(&mut self, key: &str) -> Result<Key, CanonicalError> {
        let start = u32::try_from(self.arena.len()).map_err(|_| CanonicalError::too_large())?;
        self.arena.push_str(key);
        let end = u32::try_from(self.arena.len()).map_err(|_| CanonicalError::too_large())?;
        Ok(Key::Arena { start, end })
    }

    /// Starts a key in the arena that the caller fills with [`Writer::arena_mut`].
    pub(crate) fn arena_mark(&self) -> usize {
        self.arena.len()
    }

    pub(crate) fn arena_mut(&mut self) -> &mut String {
        &mut self.arena
    }

    /// Closes a key the caller appended to the arena since `mark`.
    pub(crate) fn arena_key_since(&self, mark: usize) -> Result<Key, CanonicalError> {
        let start = u32::try_from(mark).map_err(|_| CanonicalError::too_large())?;
        let end = u32::try_from(self.arena.len()).map_err(|_| CanonicalError::too_large())?;
        Ok(Key::Arena { start, end })
    }

    #[inline]
    pub(crate) fn begin_object(&mut self) -> ObjectFrame {
        self.out.push(b'{');
        ObjectFrame {
            body_start: self.out.len(),
            members_start: self.members.len(),
            arena_start: self.arena.len(),
            sorted: true,
            previous: None,
            type_name: None,
        }
    }

    /// Starts the object of a struct named `name`. A struct type that arrived out of order
    /// before lists its members from the start, so that their order can come from the cache.
    #[inline]
    pub(crate) fn begin_struct(&mut self, name: &'static str) -> ObjectFrame {
        let mut frame = self.begin_object();
        let address = name.as_ptr() as usize;
        frame.type_name = Some(address);
        let unsorted = &self.orders.unsorted_types;
        if !unsorted.is_empty() && unsorted.contains(&address) {
            frame.sorted = false;
        }
        frame
    }

    /// Writes the separator and `key` and returns the member to finish once its value is written.
    // Inlined into every caller: as a call it was a fifth of the time of a typed document.
    #[inline(always)]
    pub(crate) fn begin_member(
        &mut self,
        frame: &ObjectFrame,
        key: Key,
    ) -> Result<MemberStart, CanonicalError> {
        let Writer { out, arena, .. } = self;
        let text = match key {
            Key::Static(s) => s,
            Key::Arena { start, end } => arena
                .get(start as usize..end as usize)
                .ok_or_else(|| internal("arena key"))?,
        };
        out.reserve(text.len() + 4);
        if out.len() > frame.body_start {
            out.push(b',');
        }
        let start = out.len();
        if needs_escape(text.as_bytes()) {
            write_escaped_key(out, text)?;
        } else {
            // Keys almost never need escaping: one check, then the bytes as they are.
            out.push(b'"');
            out.extend_from_slice(text.as_bytes());
            out.extend_from_slice(b"\":");
        }
        Ok(MemberStart { key, start })
    }

    /// Notes the member just written. While keys arrive in order, that is one comparison with
    /// the previous key; the first key out of order lists the members written so far, and from
    /// then on each member is listed for [`Writer::end_object`] to sort.
    #[inline(always)]
    pub(crate) fn end_member(
        &mut self,
        frame: &mut ObjectFrame,
        member: MemberStart,
    ) -> Result<(), CanonicalError> {
        if frame.sorted {
            if let Some(previous) = frame.previous {
                let (previous, current) = (
                    key_text(&self.arena, previous),
                    key_text(&self.arena, member.key),
                );
                // Distinct first bytes decide almost every pair of keys at once.
                let order = match (previous.as_bytes().first(), current.as_bytes().first()) {
                    (Some(&a), Some(&b)) if a != b && a < 0xEE && b < 0xEE => a.cmp(&b),
                    _ => cmp_utf16(previous, current),
                };
                match order {
                    Ordering::Less => {}
                    Ordering::Greater => {
                        frame.sorted = false;
                        let unsorted = &mut self.orders.unsorted_types;
                        if let Some(address) = frame.type_name
                            && unsorted.len() < UNSORTED_TYPES
                            && !unsorted.contains(&address)
                        {
                            unsorted.push(address);
                        }
                        self.list_members_written(frame, member.start)?;
                    }
                    Ordering::Equal => {
                        return Err(CanonicalError::duplicate_key(current));
                    }
                }
            }
            if frame.sorted {
                frame.previous = Some(member.key);
                return Ok(());
            }
        }
        self.members.push(Member {
            key: member.key,
            start: member.start,
            end: self.out.len(),
        });
        Ok(())
    }

    /// Lists the members of `frame`'s object written before `until` (the start of the member
    /// found out of order), reading their bounds and keys back from the output. This is the rare
    /// path: an object whose keys arrive in order never lists its members at all.
    #[cold]
    #[inline(never)]
    fn list_members_written(
        &mut self,
        frame: &ObjectFrame,
        until: usize,
    ) -> Result<(), CanonicalError> {
        let Writer {
            out,
            members,
            arena,
            ..
        } = self;
        let body = out
            .get(frame.body_start..until)
            .ok_or_else(|| internal("object body"))?;
        let mut at = 0;
        while at < body.len() {
            let key_end = skip_string(body, at).ok_or_else(|| internal("written key"))?;
            let key_start = u32::try_from(arena.len()).map_err(|_| CanonicalError::too_large())?;
            unescape_into(
                arena,
                body.get(at + 1..key_end - 1)
                    .ok_or_else(|| internal("written key"))?,
            )?;
            let key_stop = u32::try_from(arena.len()).map_err(|_| CanonicalError::too_large())?;
            if body.get(key_end) != Some(&b':') {
                return Err(internal("written member"));
            }
            let value_end =
                skip_value(body, key_end + 1).ok_or_else(|| internal("written value"))?;
            members.push(Member {
                key: Key::Arena {
                    start: key_start,
                    end: key_stop,
                },
                start: frame.body_start + at,
                end: frame.body_start + value_end,
            });
            // Each listed member is followed by the comma before the next one.
            if body.get(value_end) != Some(&b',') {
                return Err(internal("written member"));
            }
            at = value_end + 1;
        }
        Ok(())
    }

    #[inline]
    pub(crate) fn end_object(&mut self, frame: ObjectFrame) -> Result<(), CanonicalError> {
        if !frame.sorted && self.sort_members(&frame)? {
            self.reordered_objects += 1;
        }
        self.members.truncate(frame.members_start);
        self.arena.truncate(frame.arena_start);
        self.out.push(b'}');
        Ok(())
    }

    /// Moves the listed members of `frame`'s object into canonical order; whether any moved.
    fn sort_members(&mut self, frame: &ObjectFrame) -> Result<bool, CanonicalError> {
        let Writer {
            out,
            members,
            arena,
            scratch,
            orders,
            ..
        } = self;
        let object_members = members
            .get_mut(frame.members_start..)
            .ok_or_else(|| internal("object members"))?;
        if u32::try_from(object_members.len()).is_err() {
            return Err(CanonicalError::too_large());
        }
        let static_key = |m: &Member| match m.key {
            Key::Static(s) => Some((s.as_ptr() as usize, s.len())),
            Key::Arena { .. } => None,
        };
        // Only structs listed from their start (all keys `'static`) are cached; the slot comes
        // from the first name's address and the whole name list is checked on a hit.
        let slot = object_members
            .first()
            .and_then(static_key)
            .map(|(addr, len)| (addr.wrapping_mul(0x9E37_79B9) ^ len) % ORDER_CACHE_SLOTS);
        if orders.slots.is_empty() {
            orders.slots.resize_with(ORDER_CACHE_SLOTS, || None);
        }
        let cached = slot
            .and_then(|i| orders.slots.get(i))
            .and_then(Option::as_ref)
            .filter(|c| {
                c.keys.len() == object_members.len()
                    && c.keys
                        .iter()
                        .zip(object_members.iter())
                        .all(|(k, m)| static_key(m) == Some(*k))
            });
        let computed: Vec<u32>;
        let order: &[u32] = match cached {
            Some(c) => &c.order,
            None => {
                let key_at = |i: u32| {
                    object_members
                        .get(usize::try_from(i).unwrap_or(usize::MAX))
                        .map_or("", |m| key_text(arena, m.key))
                };
                let mut order: Vec<u32> = (0..object_members.len())
                    .map(|i| u32::try_from(i).unwrap_or(u32::MAX))
                    .collect();
                order.sort_unstable_by(|&a, &b| cmp_utf16(key_at(a), key_at(b)));
                for pair in order.windows(2) {
                    if let [a, b] = pair
                        && key_at(*a) == key_at(*b)
                    {
                        return Err(CanonicalError::duplicate_key(key_at(*a)));
                    }
                }
                let keys: Option<Vec<(usize, usize)>> =
                    object_members.iter().map(static_key).collect();
                if let Some(i) = slot
                    && let Some(keys) = keys
                    && let Some(entry) = orders.slots.get_mut(i)
                {
                    *entry = Some(CachedOrder { keys, order });
                    // Just stored; read it back from the cache below.
                    computed = Vec::new();
                    match entry {
                        Some(c) => &c.order,
                        None => &computed,
                    }
                } else {
                    computed = order;
                    &computed
                }
            }
        };
        // Members already in place at the front stay where they are.
        let in_place = order
            .iter()
            .enumerate()
            .take_while(|&(n, &i)| usize::try_from(i) == Ok(n))
            .count();
        let Some(first_moved) = object_members.get(in_place) else {
            return Ok(false);
        };
        let base = first_moved.start;
        let mut moved = 0;
        let runs = SortedRuns {
            members: object_members,
            rest: order
                .get(in_place..)
                .ok_or_else(|| internal("member order"))?,
        };
        if base <= (out.len() - base) / 4 {
            // Little precedes the moved members (the root object, typically): write the prefix
            // and the sorted members into the spare buffer and swap, so the moved bytes are
            // copied once instead of out and back.
            scratch.clear();
            scratch.reserve(out.len() + SMALL_COPY);
            scratch.extend_from_slice(out.get(..base).ok_or_else(|| internal("object start"))?);
            out.extend_from_slice(&[0; SMALL_COPY]);
            for (n, (start, end, count)) in runs.enumerate() {
                if n > 0 {
                    scratch.push(b',');
                }
                append(scratch, out, start, end)?;
                moved += count;
            }
            std::mem::swap(out, scratch);
        } else {
            scratch.clear();
            scratch.extend_from_slice(out.get(base..).ok_or_else(|| internal("object body"))?);
            // Padding so that short runs can be copied as one fixed-size block (see below).
            scratch.extend_from_slice(&[0; SMALL_COPY]);
            out.reserve(SMALL_COPY);
            out.truncate(base);
            for (n, (start, end, count)) in runs.enumerate() {
                if n > 0 {
                    out.push(b',');
                }
                append(out, scratch, start - base, end - base)?;
                moved += count;
            }
        }
        // Every member that had to move was written: a run cut short would sign a document
        // missing members, so it fails instead.
        if moved != object_members.len() - in_place {
            return Err(internal("members lost while sorting"));
        }
        Ok(true)
    }
}

/// The byte ranges of an object's members in sorted order, merging members that follow each
/// other in both orders into one run (commas included).
struct SortedRuns<'a> {
    members: &'a [Member],
    /// Arrival indices, in sorted order, still to be yielded.
    rest: &'a [u32],
}

impl Iterator for SortedRuns<'_> {
    /// A run's byte range and how many members it holds.
    type Item = (usize, usize, usize);
    fn next(&mut self) -> Option<(usize, usize, usize)> {
        let (&head, tail) = self.rest.split_first()?;
        let run = 1 + tail
            .iter()
            .zip(head..)
            .take_while(|&(&next, prev)| next == prev + 1)
            .count();
        let last = head + u32::try_from(run - 1).unwrap_or(0);
        self.rest = tail.get(run - 1..).unwrap_or_default();
        let from = self.members.get(usize::try_from(head).ok()?)?;
        let to = self.members.get(usize::try_from(last).ok()?)?;
        Some((from.start, to.end, run))
    }
}

/// Runs shorter than this are copied as one fixed-size block and the excess cut off: the copy
/// compiles to a few vector moves instead of a `memmove` call, which dominates for the short
/// members most objects are made of.
const SMALL_COPY: usize = 32;

/// Appends `scratch[start..end]` to `out`; `scratch` has `SMALL_COPY` bytes of padding past any
/// run, so the fixed-size read stays in bounds.
#[inline]
fn append(
    out: &mut Vec<u8>,
    scratch: &[u8],
    start: usize,
    end: usize,
) -> Result<(), CanonicalError> {
    let len = end.saturating_sub(start);
    if len <= SMALL_COPY
        && let Some(block) = scratch.get(start..start + SMALL_COPY)
        && let Ok(block) = <&[u8; SMALL_COPY]>::try_from(block)
    {
        let keep = out.len() + len;
        out.extend_from_slice(block);
        out.truncate(keep);
    } else {
        out.extend_from_slice(
            scratch
                .get(start..end)
                .ok_or_else(|| internal("member run"))?,
        );
    }
    Ok(())
}

/// One past the end of the JSON string starting at `bytes[at]` (its opening quote), in text
/// this writer produced.
fn skip_string(bytes: &[u8], at: usize) -> Option<usize> {
    if bytes.get(at) != Some(&b'"') {
        return None;
    }
    let mut i = at + 1;
    loop {
        match *bytes.get(i)? {
            b'\\' => i += 2,
            b'"' => return Some(i + 1),
            _ => i += 1,
        }
    }
}

/// One past the end of the JSON value starting at `bytes[at]`, in text this writer produced.
fn skip_value(bytes: &[u8], at: usize) -> Option<usize> {
    match *bytes.get(at)? {
        b'"' => skip_string(bytes, at),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut i = at;
            loop {
                match *bytes.get(i)? {
                    b'"' => {
                        i = skip_string(bytes, i)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(i + 1);
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
        }
        _ => {
            // A number or a literal: it runs to the next separator.
            let len = bytes
                .get(at..)?
                .iter()
                .position(|&b| matches!(b, b',' | b'}' | b']'))
                .unwrap_or(bytes.len() - at);
            Some(at + len)
        }
    }
}

/// Appends the text of a key this writer escaped (`\"`, `\\`, the short forms and `\u00xx`).
fn unescape_into(arena: &mut String, escaped: &[u8]) -> Result<(), CanonicalError> {
    let text = std::str::from_utf8(escaped).map_err(|_| internal("written key"))?;
    let mut rest = text;
    while let Some(i) = rest.find('\\') {
        arena.push_str(rest.get(..i).unwrap_or_default());
        let after = rest.get(i + 1..).unwrap_or_default();
        let (c, used) = match after.as_bytes().first() {
            Some(b'"') => ('"', 1),
            Some(b'\\') => ('\\', 1),
            Some(b'b') => ('\u{8}', 1),
            Some(b't') => ('\t', 1),
            Some(b'n') => ('\n', 1),
            Some(b'f') => ('\u{c}', 1),
            Some(b'r') => ('\r', 1),
            Some(b'u') => {
                let code = after
                    .get(1..5)
                    .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                    .and_then(char::from_u32)
                    .ok_or_else(|| internal("written key"))?;
                (code, 5)
            }
            _ => return Err(internal("written key")),
        };
        arena.push(c);
        rest = after.get(used..).unwrap_or_default();
    }
    arena.push_str(rest);
    Ok(())
}

/// A broken invariant of the writer: the document is refused rather than signed short.
#[cold]
fn internal(what: &'static str) -> CanonicalError {
    CanonicalError::new(CanonicalErrorKind::Internal(what))
}

/// Orders two strings by their UTF-16 code units, as RFC 8785 §3.2.3 requires.
///
/// UTF-8 byte order is code point order, which agrees with UTF-16 order except between a BMP
/// character at U+E000 or above (UTF-8 lead byte 0xEE/0xEF) and a supplementary character (lead
/// 0xF0–0xF4, a surrogate pair D800–DBFF in UTF-16). The strings' first difference decides, and
/// only that one case is flipped — no transcoding.
#[inline]
pub(crate) fn cmp_utf16(a: &str, b: &str) -> Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let Some(i) = a.iter().zip(b).position(|(x, y)| x != y) else {
        return a.len().cmp(&b.len());
    };
    let (x, y) = (
        a.get(i).copied().unwrap_or(0),
        b.get(i).copied().unwrap_or(0),
    );
    let high_bmp = |c: u8| c == 0xEE || c == 0xEF;
    let supplementary = |c: u8| c >= 0xF0;
    if (high_bmp(x) && supplementary(y)) || (supplementary(x) && high_bmp(y)) {
        y.cmp(&x)
    } else {
        x.cmp(&y)
    }
}

/// What each byte turns into inside a JSON string: 0 for itself, else the letter of a
/// two-character escape, or `u` for `\u00XX`. 256 entries so the lookup needs no bounds branch.
// Evaluated at compile time: an out-of-range index or a truncating cast would not compile.
#[allow(clippy::indexing_slicing, clippy::cast_possible_truncation)]
static ESCAPE: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        table[i] = match i as u8 {
            0x08 => b'b',
            0x09 => b't',
            0x0a => b'n',
            0x0c => b'f',
            0x0d => b'r',
            0x00..0x20 => b'u',
            b'"' => b'"',
            b'\\' => b'\\',
            _ => 0,
        };
        i += 1;
    }
    table
};

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Whether any of the eight bytes in `word` is below 0x20, `"` or `\\` — the bytes JSON makes
/// us escape. Exact (no false positives) for the "any" question, by the classic has-zero-byte
/// trick: `(x - 0x01…) & !x & 0x80…` is non-zero exactly when some byte of `x` is zero.
#[inline]
fn word_needs_escape(word: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let control = word.wrapping_sub(ONES * 0x20) & !word & HIGHS;
    let quote = word ^ (ONES * u64::from(b'"'));
    let backslash = word ^ (ONES * u64::from(b'\\'));
    let quote = quote.wrapping_sub(ONES) & !quote & HIGHS;
    let backslash = backslash.wrapping_sub(ONES) & !backslash & HIGHS;
    (control | quote | backslash) != 0
}

/// Whether the last `remainder.len()` (< 8) bytes of `bytes` may need an escape, checked a word
/// at a time: the final eight bytes of a longer string, or two overlapping halves of a shorter
/// one. Keys and short values are mostly tail, and a byte-by-byte table walk over them was most
/// of the time spent writing a key.
#[inline]
fn tail_needs_escape(bytes: &[u8], remainder: &[u8]) -> bool {
    let len = bytes.len();
    let word = if remainder.is_empty() {
        return false;
    } else if len >= 8 {
        bytes
            .get(len - 8..)
            .and_then(|last| <[u8; 8]>::try_from(last).ok())
            .map(u64::from_le_bytes)
    } else if len >= 4 {
        let half = |range: std::ops::Range<usize>| {
            bytes
                .get(range)
                .and_then(|b| <[u8; 4]>::try_from(b).ok())
                .map(u32::from_le_bytes)
        };
        half(0..4)
            .zip(half(len - 4..len))
            .map(|(low, high)| u64::from(low) | (u64::from(high) << 32))
    } else {
        // One to three bytes, spread over a word padded with 'A', which needs no escape.
        Some(
            remainder
                .iter()
                .enumerate()
                .fold(u64::from_le_bytes([b'A'; 8]), |word, (i, &b)| {
                    (word & !(0xFF << (8 * i))) | (u64::from(b) << (8 * i))
                }),
        )
    };
    word.is_none_or(word_needs_escape)
}

/// The rare key that needs escaping, out of line so that the common path inlines.
#[cold]
#[inline(never)]
fn write_escaped_key(out: &mut Vec<u8>, text: &str) -> Result<(), CanonicalError> {
    write_str(out, text)?;
    out.push(b':');
    Ok(())
}

/// Whether any byte of `bytes` needs an escape, a word at a time.
#[inline]
fn needs_escape(bytes: &[u8]) -> bool {
    let chunks = bytes.chunks_exact(8);
    let remainder = chunks.remainder();
    chunks
        .map(|chunk| {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            u64::from_le_bytes(word)
        })
        .any(word_needs_escape)
        || tail_needs_escape(bytes, remainder)
}

/// Writes `s` as a JSON string the RFC 8785 way: only `"`, `\\` and control characters escaped,
/// short forms where JSON has them, lower-case `\\u00xx` otherwise; everything else as UTF-8.
///
/// Runs that need no escape are found eight bytes at a time and copied whole.
#[inline]
///
/// # Errors
/// Only on a broken invariant ([`CanonicalErrorKind::Internal`]): never a short string.
pub(crate) fn write_str(out: &mut Vec<u8>, s: &str) -> Result<(), CanonicalError> {
    let bytes = s.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    let mut clean_from = 0;
    let chunks = bytes.chunks_exact(8);
    let remainder = chunks.remainder();
    let tail_start = bytes.len() - remainder.len();
    for (n, chunk) in chunks.enumerate() {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        if word_needs_escape(u64::from_le_bytes(word)) {
            for (offset, &byte) in chunk.iter().enumerate() {
                escape_byte(out, bytes, &mut clean_from, n * 8 + offset, byte)?;
            }
        }
    }
    if tail_needs_escape(bytes, remainder) {
        for (offset, &byte) in remainder.iter().enumerate() {
            escape_byte(out, bytes, &mut clean_from, tail_start + offset, byte)?;
        }
    }
    out.extend_from_slice(
        bytes
            .get(clean_from..)
            .ok_or_else(|| internal("string tail"))?,
    );
    out.push(b'"');
    Ok(())
}

/// If `byte` (at index `i` of `bytes`) needs an escape, flushes the clean run before it and
/// writes the escape.
#[inline]
#[allow(
    clippy::indexing_slicing,
    reason = "a u8 index into a 256-entry table cannot be out of range"
)]
fn escape_byte(
    out: &mut Vec<u8>,
    bytes: &[u8],
    clean_from: &mut usize,
    i: usize,
    byte: u8,
) -> Result<(), CanonicalError> {
    let escape = ESCAPE[usize::from(byte)];
    if escape != 0 {
        write_escape(out, bytes, clean_from, i, byte, escape)?;
    }
    Ok(())
}

/// The rare part of [`escape_byte`], kept out of line so the scanning loop stays small.
#[cold]
#[inline(never)]
fn write_escape(
    out: &mut Vec<u8>,
    bytes: &[u8],
    clean_from: &mut usize,
    i: usize,
    byte: u8,
    escape: u8,
) -> Result<(), CanonicalError> {
    out.extend_from_slice(
        bytes
            .get(*clean_from..i)
            .ok_or_else(|| internal("string run"))?,
    );
    if escape == b'u' {
        let hi = HEX.get(usize::from(byte >> 4)).copied().unwrap_or(b'0');
        let lo = HEX.get(usize::from(byte & 0xF)).copied().unwrap_or(b'0');
        out.extend_from_slice(&[b'\\', b'u', b'0', b'0', hi, lo]);
    } else {
        out.extend_from_slice(&[b'\\', escape]);
    }
    *clean_from = i + 1;
    Ok(())
}

/// Writes a double the way ECMAScript's `Number.prototype.toString` does (RFC 8785 §3.2.2.3).
#[inline]
pub(crate) fn write_f64(out: &mut Vec<u8>, value: f64) -> Result<(), CanonicalError> {
    if !value.is_finite() {
        return Err(CanonicalError::non_finite());
    }
    if value == 0.0 {
        // Both zeros are written "0".
        out.push(b'0');
        return Ok(());
    }
    let mut buffer = ryu_js::Buffer::new();
    out.extend_from_slice(buffer.format_finite(value).as_bytes());
    Ok(())
}

#[cold]
#[inline(never)]
fn out_of_range(value: i128) -> CanonicalError {
    CanonicalError::integer_out_of_range(value.to_string())
}

/// Writes an integer that must be exactly representable as a double.
#[inline]
pub(crate) fn write_u64(out: &mut Vec<u8>, value: u64) -> Result<(), CanonicalError> {
    if value > MAX_SAFE_INTEGER {
        return Err(out_of_range(i128::from(value)));
    }
    let mut buffer = itoa::Buffer::new();
    out.extend_from_slice(buffer.format(value).as_bytes());
    Ok(())
}

/// Signed counterpart of [`write_u64`].
#[inline]
pub(crate) fn write_i64(out: &mut Vec<u8>, value: i64) -> Result<(), CanonicalError> {
    if value.unsigned_abs() > MAX_SAFE_INTEGER {
        return Err(out_of_range(i128::from(value)));
    }
    let mut buffer = itoa::Buffer::new();
    out.extend_from_slice(buffer.format(value).as_bytes());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn utf16_reference(a: &str, b: &str) -> Ordering {
        a.encode_utf16().cmp(b.encode_utf16())
    }

    #[test]
    fn utf16_order_differs_from_code_point_order_where_it_should() {
        // U+FB33 (UTF-16 FB33) sorts after U+1F602 (UTF-16 D83D DE02).
        assert_eq!(cmp_utf16("\u{fb33}", "\u{1f602}"), Ordering::Greater);
        assert_eq!(cmp_utf16("\u{e000}", "\u{10000}"), Ordering::Greater);
        assert_eq!(cmp_utf16("\u{d7ff}", "\u{10000}"), Ordering::Less);
        assert_eq!(cmp_utf16("a", "ab"), Ordering::Less);
        assert_eq!(cmp_utf16("", ""), Ordering::Equal);
    }

    #[test]
    fn escapes_like_the_rfc() {
        let mut out = Vec::new();
        write_str(&mut out, "\u{20ac}$\u{f}\nA'B\"\\/\u{7f}\u{8}\t\u{c}\r").unwrap();
        assert_eq!(
            out,
            "\"€$\\u000f\\nA'B\\\"\\\\/\u{7f}\\b\\t\\f\\r\"".as_bytes()
        );
    }

    #[test]
    fn numbers_are_ecmascript() {
        let show = |v: f64| {
            let mut out = Vec::new();
            write_f64(&mut out, v).unwrap();
            String::from_utf8(out).unwrap()
        };
        assert_eq!(show(-0.0), "0");
        assert_eq!(show(1e30), "1e+30");
        assert_eq!(show(4.5), "4.5");
        assert_eq!(show(0.002), "0.002");
        assert_eq!(show(1e-27), "1e-27");
        assert_eq!(show(333_333_333.333_333_3), "333333333.3333333");
        assert_eq!(show(1e21), "1e+21");
        assert_eq!(show(1e20), "100000000000000000000");
        assert_eq!(show(1e-7), "1e-7");
        assert_eq!(show(1e-6), "0.000001");
        assert!(write_f64(&mut Vec::new(), f64::NAN).is_err());
        assert!(write_f64(&mut Vec::new(), f64::INFINITY).is_err());
    }

    #[test]
    fn integers_beyond_the_double_range_are_refused() {
        assert!(write_u64(&mut Vec::new(), MAX_SAFE_INTEGER).is_ok());
        assert!(write_u64(&mut Vec::new(), MAX_SAFE_INTEGER + 1).is_err());
        assert!(write_i64(&mut Vec::new(), -MAX_SAFE_INTEGER.cast_signed()).is_ok());
        assert!(write_i64(&mut Vec::new(), i64::MIN).is_err());
    }

    proptest! {
        #[test]
        fn string_escaping_matches_serde_json(s in "[\\u{0}-\\u{24}\"\\\\/a-z\u{7f}\u{80}\u{e9}\u{20ac}\u{1f602}]{0,40}") {
            // serde_json's compact escaping is exactly RFC 8785's for strings.
            let mut out = Vec::new();
            write_str(&mut out, &s).unwrap();
            prop_assert_eq!(String::from_utf8(out).unwrap(), serde_json::to_string(&s).unwrap());
        }

        #[test]
        fn utf16_order_matches_a_transcoding_reference(a in "\\PC{0,6}", b in "\\PC{0,6}") {
            prop_assert_eq!(cmp_utf16(&a, &b), utf16_reference(&a, &b));
        }

        #[test]
        fn utf16_order_matches_on_tricky_planes(
            a in proptest::collection::vec(prop_oneof![Just('a'), Just('\u{e000}'), Just('\u{ffff}'), Just('\u{10000}'), Just('\u{10ffff}'), Just('\u{7ff}')], 0..4),
            b in proptest::collection::vec(prop_oneof![Just('a'), Just('\u{e000}'), Just('\u{ffff}'), Just('\u{10000}'), Just('\u{10ffff}'), Just('\u{7ff}')], 0..4),
        ) {
            let (a, b): (String, String) = (a.into_iter().collect(), b.into_iter().collect());
            prop_assert_eq!(cmp_utf16(&a, &b), utf16_reference(&a, &b));
        }
    }
}
