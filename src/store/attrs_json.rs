//! How attribute lists are stored: one JSON object per span, event, link, resource or scope
//! (`{"key": value}`), so SQLite's JSON functions and the views can read them. Bytes become
//! base64 strings, non-finite doubles become the strings `"NaN"`, `"Infinity"`, `"-Infinity"`.

use base64::Engine as _;
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

use crate::model::{AnyValue, KeyValue};

struct Attrs<'a>(&'a [KeyValue]);
struct Value<'a>(&'a AnyValue);

impl Serialize for Attrs<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for kv in self.0 {
            map.serialize_entry(&kv.key, &Value(&kv.value))?;
        }
        map.end()
    }
}

impl Serialize for Value<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            AnyValue::String(v) => s.serialize_str(v),
            AnyValue::Bool(v) => s.serialize_bool(*v),
            AnyValue::Int(v) => s.serialize_i64(*v),
            AnyValue::Double(v) if v.is_finite() => s.serialize_f64(*v),
            AnyValue::Double(v) if v.is_nan() => s.serialize_str("NaN"),
            AnyValue::Double(v) if *v > 0.0 => s.serialize_str("Infinity"),
            AnyValue::Double(_) => s.serialize_str("-Infinity"),
            AnyValue::Bytes(v) => {
                s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(v))
            }
            AnyValue::Array(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(&Value(item))?;
                }
                seq.end()
            }
            AnyValue::KvList(kvs) => Attrs(kvs).serialize(s),
            AnyValue::Empty => s.serialize_unit(),
        }
    }
}

/// Attributes as a JSON object text.
pub fn attributes_to_json(attrs: &[KeyValue]) -> String {
    // Serializing plain strings and numbers into memory cannot fail.
    serde_json::to_string(&Attrs(attrs)).unwrap_or_else(|_| "{}".to_owned())
}

/// One attribute value as JSON text.
pub fn value_to_json(value: &AnyValue) -> String {
    serde_json::to_string(&Value(value)).unwrap_or_else(|_| "null".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_kind_becomes_valid_json() -> Result<(), serde_json::Error> {
        let attrs = vec![
            KeyValue::new("s", AnyValue::String("a\"b".into())),
            KeyValue::new("i", AnyValue::Int(i64::MAX)),
            KeyValue::new("d", AnyValue::Double(1.5)),
            KeyValue::new("nan", AnyValue::Double(f64::NAN)),
            KeyValue::new("b", AnyValue::Bool(true)),
            KeyValue::new("bytes", AnyValue::Bytes(vec![1, 2, 3])),
            KeyValue::new(
                "arr",
                AnyValue::Array(vec![AnyValue::Int(1), AnyValue::Empty]),
            ),
            KeyValue::new(
                "kv",
                AnyValue::KvList(vec![KeyValue::new("x", AnyValue::String("y".into()))]),
            ),
        ];
        let text = attributes_to_json(&attrs);
        let v: serde_json::Value = serde_json::from_str(&text)?;
        assert_eq!(v["s"], "a\"b");
        assert_eq!(v["i"], i64::MAX);
        assert_eq!(v["nan"], "NaN");
        assert_eq!(v["bytes"], "AQID");
        assert_eq!(v["arr"][1], serde_json::Value::Null);
        assert_eq!(v["kv"]["x"], "y");
        Ok(())
    }
}
