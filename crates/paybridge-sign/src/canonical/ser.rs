//! RFC 8785 as a serde `Serializer`: any `T: Serialize` written canonically in one pass, with no
//! intermediate `serde_json::Value`.

use serde::ser::{self, Impossible, Serialize};

use super::CanonicalError;
use super::writer::{
    Key, MemberStart, ObjectFrame, Writer, write_f64, write_i64, write_str, write_u64,
};

/// The name serde_json gives the struct through which a `RawValue` serializes itself; such raw
/// JSON is canonicalized rather than embedded as a string.
const RAW_VALUE_TOKEN: &str = "$serde_json::private::RawValue";

/// Writes values as RFC 8785 canonical JSON. Obtain one through [`super::to_vec`] or
/// [`super::to_writer`]; it is a serializer over `&mut CanonicalSerializer`.
pub struct CanonicalSerializer {
    writer: Writer,
}

impl CanonicalSerializer {
    pub(crate) fn with_capacity(capacity: usize) -> CanonicalSerializer {
        CanonicalSerializer {
            writer: Writer::with_capacity(capacity),
        }
    }

    /// A serializer writing after what `out` already holds.
    pub(crate) fn appending(out: Vec<u8>) -> CanonicalSerializer {
        CanonicalSerializer {
            writer: Writer::appending(out),
        }
    }

    /// How many objects had to be reordered so far.
    pub(crate) fn reordered_objects(&self) -> usize {
        self.writer.reordered_objects
    }

    pub(crate) fn into_inner(self) -> Vec<u8> {
        self.writer.finish()
    }
}

impl<'a> ser::Serializer for &'a mut CanonicalSerializer {
    type Ok = ();
    type Error = CanonicalError;
    type SerializeSeq = Seq<'a>;
    type SerializeTuple = Seq<'a>;
    type SerializeTupleStruct = Seq<'a>;
    type SerializeTupleVariant = VariantSeq<'a>;
    type SerializeMap = Object<'a>;
    type SerializeStruct = Object<'a>;
    type SerializeStructVariant = VariantObject<'a>;

    fn serialize_bool(self, v: bool) -> Result<(), CanonicalError> {
        self.writer
            .out
            .extend_from_slice(if v { b"true" } else { b"false" });
        Ok(())
    }
    fn serialize_i8(self, v: i8) -> Result<(), CanonicalError> {
        write_i64(&mut self.writer.out, i64::from(v))
    }
    fn serialize_i16(self, v: i16) -> Result<(), CanonicalError> {
        write_i64(&mut self.writer.out, i64::from(v))
    }
    fn serialize_i32(self, v: i32) -> Result<(), CanonicalError> {
        write_i64(&mut self.writer.out, i64::from(v))
    }
    fn serialize_i64(self, v: i64) -> Result<(), CanonicalError> {
        write_i64(&mut self.writer.out, v)
    }
    fn serialize_i128(self, v: i128) -> Result<(), CanonicalError> {
        let v =
            i64::try_from(v).map_err(|_| CanonicalError::integer_out_of_range(v.to_string()))?;
        write_i64(&mut self.writer.out, v)
    }
    fn serialize_u8(self, v: u8) -> Result<(), CanonicalError> {
        write_u64(&mut self.writer.out, u64::from(v))
    }
    fn serialize_u16(self, v: u16) -> Result<(), CanonicalError> {
        write_u64(&mut self.writer.out, u64::from(v))
    }
    fn serialize_u32(self, v: u32) -> Result<(), CanonicalError> {
        write_u64(&mut self.writer.out, u64::from(v))
    }
    fn serialize_u64(self, v: u64) -> Result<(), CanonicalError> {
        write_u64(&mut self.writer.out, v)
    }
    fn serialize_u128(self, v: u128) -> Result<(), CanonicalError> {
        let v =
            u64::try_from(v).map_err(|_| CanonicalError::integer_out_of_range(v.to_string()))?;
        write_u64(&mut self.writer.out, v)
    }
    fn serialize_f32(self, v: f32) -> Result<(), CanonicalError> {
        write_f64(&mut self.writer.out, f64::from(v))
    }
    fn serialize_f64(self, v: f64) -> Result<(), CanonicalError> {
        write_f64(&mut self.writer.out, v)
    }
    fn serialize_char(self, v: char) -> Result<(), CanonicalError> {
        write_str(&mut self.writer.out, v.encode_utf8(&mut [0; 4]))
    }
    fn serialize_str(self, v: &str) -> Result<(), CanonicalError> {
        write_str(&mut self.writer.out, v)
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<(), CanonicalError> {
        // As serde_json does: an array of numbers.
        let mut seq = ser::Serializer::serialize_seq(self, Some(v.len()))?;
        for byte in v {
            ser::SerializeSeq::serialize_element(&mut seq, byte)?;
        }
        ser::SerializeSeq::end(seq)
    }
    fn serialize_none(self) -> Result<(), CanonicalError> {
        self.serialize_unit()
    }
    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<(), CanonicalError> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), CanonicalError> {
        self.writer.out.extend_from_slice(b"null");
        Ok(())
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), CanonicalError> {
        self.serialize_unit()
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<(), CanonicalError> {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<(), CanonicalError> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), CanonicalError> {
        let mut frame = self.writer.begin_object();
        let member = self.writer.begin_member(&frame, Key::Static(variant))?;
        value.serialize(&mut *self)?;
        self.writer.end_member(&mut frame, member)?;
        self.writer.end_object(frame)
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Seq<'a>, CanonicalError> {
        self.writer.out.push(b'[');
        Ok(Seq {
            ser: self,
            first: true,
        })
    }
    fn serialize_tuple(self, len: usize) -> Result<Seq<'a>, CanonicalError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        len: usize,
    ) -> Result<Seq<'a>, CanonicalError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<VariantSeq<'a>, CanonicalError> {
        let frame = self.writer.begin_object();
        let member = self.writer.begin_member(&frame, Key::Static(variant))?;
        self.writer.out.push(b'[');
        Ok(VariantSeq {
            seq: Seq {
                ser: self,
                first: true,
            },
            frame,
            member,
        })
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Object<'a>, CanonicalError> {
        let frame = self.writer.begin_object();
        Ok(Object {
            ser: self,
            frame,
            pending_key: None,
            raw: false,
        })
    }
    fn serialize_struct(
        self,
        name: &'static str,
        _len: usize,
    ) -> Result<Object<'a>, CanonicalError> {
        if name == RAW_VALUE_TOKEN {
            let frame = ObjectFrame::placeholder();
            return Ok(Object {
                ser: self,
                frame,
                pending_key: None,
                raw: true,
            });
        }
        let frame = self.writer.begin_struct(name);
        Ok(Object {
            ser: self,
            frame,
            pending_key: None,
            raw: false,
        })
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<VariantObject<'a>, CanonicalError> {
        let outer = self.writer.begin_object();
        let member = self.writer.begin_member(&outer, Key::Static(variant))?;
        let inner = ser::Serializer::serialize_map(&mut *self, Some(len))?;
        Ok(VariantObject {
            inner,
            outer,
            member,
        })
    }
}

/// An array being written.
pub struct Seq<'a> {
    ser: &'a mut CanonicalSerializer,
    first: bool,
}

impl Seq<'_> {
    fn element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), CanonicalError> {
        if !self.first {
            self.ser.writer.out.push(b',');
        }
        self.first = false;
        value.serialize(&mut *self.ser)
    }
    fn finish(self) -> Result<(), CanonicalError> {
        self.ser.writer.out.push(b']');
        Ok(())
    }
}

impl ser::SerializeSeq for Seq<'_> {
    type Ok = ();
    type Error = CanonicalError;
    fn serialize_element<T: ?Sized + Serialize>(
        &mut self,
        value: &T,
    ) -> Result<(), CanonicalError> {
        self.element(value)
    }
    fn end(self) -> Result<(), CanonicalError> {
        self.finish()
    }
}

impl ser::SerializeTuple for Seq<'_> {
    type Ok = ();
    type Error = CanonicalError;
    fn serialize_element<T: ?Sized + Serialize>(
        &mut self,
        value: &T,
    ) -> Result<(), CanonicalError> {
        self.element(value)
    }
    fn end(self) -> Result<(), CanonicalError> {
        self.finish()
    }
}

impl ser::SerializeTupleStruct for Seq<'_> {
    type Ok = ();
    type Error = CanonicalError;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), CanonicalError> {
        self.element(value)
    }
    fn end(self) -> Result<(), CanonicalError> {
        self.finish()
    }
}

/// `{"Variant":[…]}` being written.
pub struct VariantSeq<'a> {
    seq: Seq<'a>,
    frame: ObjectFrame,
    member: MemberStart,
}

impl ser::SerializeTupleVariant for VariantSeq<'_> {
    type Ok = ();
    type Error = CanonicalError;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), CanonicalError> {
        self.seq.element(value)
    }
    fn end(self) -> Result<(), CanonicalError> {
        let VariantSeq {
            seq,
            mut frame,
            member,
        } = self;
        let writer = &mut seq.ser.writer;
        writer.out.push(b']');
        writer.end_member(&mut frame, member)?;
        writer.end_object(frame)
    }
}

/// An object (map or struct) being written.
pub struct Object<'a> {
    ser: &'a mut CanonicalSerializer,
    frame: ObjectFrame,
    pending_key: Option<MemberStart>,
    /// Set for serde_json's `RawValue`, whose one field is raw JSON text to canonicalize.
    raw: bool,
}

impl Object<'_> {
    fn field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), CanonicalError> {
        if self.raw {
            // The field is a string holding the raw JSON text; the key serializer captures strings.
            let mut text = String::new();
            value.serialize(MapKeySerializer { arena: &mut text })?;
            return super::parse::canonicalize_into(&mut self.ser.writer, text.as_bytes());
        }
        let member = self
            .ser
            .writer
            .begin_member(&self.frame, Key::Static(key))?;
        value.serialize(&mut *self.ser)?;
        self.ser.writer.end_member(&mut self.frame, member)
    }

    fn finish(self) -> Result<(), CanonicalError> {
        if self.raw {
            return Ok(());
        }
        self.ser.writer.end_object(self.frame)
    }
}

impl ser::SerializeMap for Object<'_> {
    type Ok = ();
    type Error = CanonicalError;
    fn serialize_key<T: ?Sized + Serialize>(&mut self, key: &T) -> Result<(), CanonicalError> {
        let writer = &mut self.ser.writer;
        let mark = writer.arena_mark();
        key.serialize(MapKeySerializer {
            arena: writer.arena_mut(),
        })?;
        let key = writer.arena_key_since(mark)?;
        self.pending_key = Some(writer.begin_member(&self.frame, key)?);
        Ok(())
    }
    fn serialize_value<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), CanonicalError> {
        let member = self.pending_key.take().ok_or_else(|| {
            CanonicalError::custom_message("serialize_value called before serialize_key")
        })?;
        value.serialize(&mut *self.ser)?;
        self.ser.writer.end_member(&mut self.frame, member)
    }
    fn end(self) -> Result<(), CanonicalError> {
        self.finish()
    }
}

impl ser::SerializeStruct for Object<'_> {
    type Ok = ();
    type Error = CanonicalError;
    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), CanonicalError> {
        self.field(key, value)
    }
    fn end(self) -> Result<(), CanonicalError> {
        self.finish()
    }
}

/// `{"Variant":{…}}` being written.
pub struct VariantObject<'a> {
    inner: Object<'a>,
    outer: ObjectFrame,
    member: MemberStart,
}

impl ser::SerializeStructVariant for VariantObject<'_> {
    type Ok = ();
    type Error = CanonicalError;
    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), CanonicalError> {
        self.inner.field(key, value)
    }
    fn end(self) -> Result<(), CanonicalError> {
        let VariantObject {
            inner,
            mut outer,
            member,
        } = self;
        let ser = inner.ser;
        ser.writer.end_object(inner.frame)?;
        ser.writer.end_member(&mut outer, member)?;
        ser.writer.end_object(outer)
    }
}

/// Turns a map key into text in the key arena. JSON keys are strings; like serde_json, integer
/// and bool keys are written as their decimal text, anything else is refused.
struct MapKeySerializer<'a> {
    arena: &'a mut String,
}

macro_rules! key_as_display {
    ($($method:ident: $ty:ty),*) => {
        $(fn $method(self, v: $ty) -> Result<(), CanonicalError> {
            use std::fmt::Write;
            write!(self.arena, "{v}").map_err(|_| CanonicalError::custom_message("formatting a key failed"))
        })*
    };
}

impl ser::Serializer for MapKeySerializer<'_> {
    type Ok = ();
    type Error = CanonicalError;
    type SerializeSeq = Impossible<(), CanonicalError>;
    type SerializeTuple = Impossible<(), CanonicalError>;
    type SerializeTupleStruct = Impossible<(), CanonicalError>;
    type SerializeTupleVariant = Impossible<(), CanonicalError>;
    type SerializeMap = Impossible<(), CanonicalError>;
    type SerializeStruct = Impossible<(), CanonicalError>;
    type SerializeStructVariant = Impossible<(), CanonicalError>;

    fn serialize_str(self, v: &str) -> Result<(), CanonicalError> {
        self.arena.push_str(v);
        Ok(())
    }
    fn serialize_char(self, v: char) -> Result<(), CanonicalError> {
        self.arena.push(v);
        Ok(())
    }
    key_as_display!(serialize_bool: bool, serialize_i8: i8, serialize_i16: i16, serialize_i32: i32,
        serialize_i64: i64, serialize_i128: i128, serialize_u8: u8, serialize_u16: u16,
        serialize_u32: u32, serialize_u64: u64, serialize_u128: u128);
    fn serialize_f32(self, _v: f32) -> Result<(), CanonicalError> {
        Err(CanonicalError::key_must_be_string())
    }
    fn serialize_f64(self, _v: f64) -> Result<(), CanonicalError> {
        Err(CanonicalError::key_must_be_string())
    }
    fn serialize_bytes(self, _v: &[u8]) -> Result<(), CanonicalError> {
        Err(CanonicalError::key_must_be_string())
    }
    fn serialize_none(self) -> Result<(), CanonicalError> {
        Err(CanonicalError::key_must_be_string())
    }
    fn serialize_some<T: ?Sized + Serialize>(self, _v: &T) -> Result<(), CanonicalError> {
        Err(CanonicalError::key_must_be_string())
    }
    fn serialize_unit(self) -> Result<(), CanonicalError> {
        Err(CanonicalError::key_must_be_string())
    }
    fn serialize_unit_struct(self, _n: &'static str) -> Result<(), CanonicalError> {
        Err(CanonicalError::key_must_be_string())
    }
    fn serialize_unit_variant(
        self,
        _n: &'static str,
        _i: u32,
        variant: &'static str,
    ) -> Result<(), CanonicalError> {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _n: &'static str,
        value: &T,
    ) -> Result<(), CanonicalError> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _n: &'static str,
        _i: u32,
        _v: &'static str,
        _value: &T,
    ) -> Result<(), CanonicalError> {
        Err(CanonicalError::key_must_be_string())
    }
    fn serialize_seq(self, _l: Option<usize>) -> Result<Self::SerializeSeq, CanonicalError> {
        Err(CanonicalError::key_must_be_string())
    }
    fn serialize_tuple(self, _l: usize) -> Result<Self::SerializeTuple, CanonicalError> {
        Err(CanonicalError::key_must_be_string())
    }
    fn serialize_tuple_struct(
        self,
        _n: &'static str,
        _l: usize,
    ) -> Result<Self::SerializeTupleStruct, CanonicalError> {
        Err(CanonicalError::key_must_be_string())
    }
    fn serialize_tuple_variant(
        self,
        _n: &'static str,
        _i: u32,
        _v: &'static str,
        _l: usize,
    ) -> Result<Self::SerializeTupleVariant, CanonicalError> {
        Err(CanonicalError::key_must_be_string())
    }
    fn serialize_map(self, _l: Option<usize>) -> Result<Self::SerializeMap, CanonicalError> {
        Err(CanonicalError::key_must_be_string())
    }
    fn serialize_struct(
        self,
        _n: &'static str,
        _l: usize,
    ) -> Result<Self::SerializeStruct, CanonicalError> {
        Err(CanonicalError::key_must_be_string())
    }
    fn serialize_struct_variant(
        self,
        _n: &'static str,
        _i: u32,
        _v: &'static str,
        _l: usize,
    ) -> Result<Self::SerializeStructVariant, CanonicalError> {
        Err(CanonicalError::key_must_be_string())
    }
}
