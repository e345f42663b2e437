//! [`Json`], the free-form JSON value of a gate's evidence: relgate's own type, so that no JSON
//! library's value type is part of relgate's API. It reads like the usual JSON value types
//! (`v["key"][0].as_str()`, `v == "text"`), serialises as the JSON it holds, and is built from
//! anything `serde::Serialize` with [`Json::of`].

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Index;

/// A JSON value: what a gate's evidence holds.
///
/// Indexing with a key or a position that is absent yields [`Json::Null`], never a panic.
#[non_exhaustive]
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Json {
    /// `null`.
    #[default]
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number.
    Number(JsonNumber),
    /// A string.
    String(String),
    /// An array.
    Array(Vec<Json>),
    /// An object, its keys in order.
    Object(BTreeMap<String, Json>),
}

/// A JSON number: an unsigned or signed integer, or a finite float.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct JsonNumber(N);

#[derive(Debug, Clone, Copy, PartialEq)]
enum N {
    Unsigned(u64),
    Signed(i64),
    Float(f64),
}

impl JsonNumber {
    /// The number as a `u64`, if it is a non-negative integer.
    #[must_use]
    pub fn as_u64(&self) -> Option<u64> {
        match self.0 {
            N::Unsigned(u) => Some(u),
            N::Signed(i) => u64::try_from(i).ok(),
            N::Float(_) => None,
        }
    }

    /// The number as an `i64`, if it is an integer in range.
    #[must_use]
    pub fn as_i64(&self) -> Option<i64> {
        match self.0 {
            N::Unsigned(u) => i64::try_from(u).ok(),
            N::Signed(i) => Some(i),
            N::Float(_) => None,
        }
    }

    /// The number as an `f64` (integers converted, possibly losing precision).
    #[must_use]
    #[allow(clippy::cast_precision_loss, reason = "documented: as f64")]
    pub fn as_f64(&self) -> f64 {
        match self.0 {
            N::Unsigned(u) => u as f64,
            N::Signed(i) => i as f64,
            N::Float(f) => f,
        }
    }
}

impl fmt::Display for JsonNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            N::Unsigned(u) => write!(f, "{u}"),
            N::Signed(i) => write!(f, "{i}"),
            N::Float(x) => f.write_str(
                &serde_json::Number::from_f64(x)
                    .map_or_else(|| String::from("null"), |n| n.to_string()),
            ),
        }
    }
}

impl From<u64> for JsonNumber {
    fn from(u: u64) -> Self {
        JsonNumber(N::Unsigned(u))
    }
}

impl From<i64> for JsonNumber {
    fn from(i: i64) -> Self {
        match u64::try_from(i) {
            Ok(u) => JsonNumber(N::Unsigned(u)),
            Err(_) => JsonNumber(N::Signed(i)),
        }
    }
}

static NULL: Json = Json::Null;

impl Json {
    /// Any serialisable value as JSON (a `serde_json::json!` document, a struct deriving
    /// `Serialize`). A value serde cannot write as JSON (a map with non-string keys) becomes
    /// the string `"<evidence not serialisable: …>"`, so the report says so rather than
    /// dropping it.
    pub fn of(value: &(impl serde::Serialize + ?Sized)) -> Json {
        match serde_json::to_value(value) {
            Ok(v) => Json::from_value(v),
            Err(e) => Json::String(format!("<evidence not serialisable: {e}>")),
        }
    }

    pub(crate) fn from_value(v: serde_json::Value) -> Json {
        match v {
            serde_json::Value::Null => Json::Null,
            serde_json::Value::Bool(b) => Json::Bool(b),
            serde_json::Value::Number(n) => Json::Number(if let Some(u) = n.as_u64() {
                JsonNumber(N::Unsigned(u))
            } else if let Some(i) = n.as_i64() {
                JsonNumber(N::Signed(i))
            } else {
                JsonNumber(N::Float(n.as_f64().unwrap_or(f64::NAN)))
            }),
            serde_json::Value::String(s) => Json::String(s),
            serde_json::Value::Array(a) => {
                Json::Array(a.into_iter().map(Json::from_value).collect())
            }
            serde_json::Value::Object(o) => Json::Object(
                o.into_iter()
                    .map(|(k, v)| (k, Json::from_value(v)))
                    .collect(),
            ),
        }
    }

    /// The member `key` of an object (`None` for a missing key or a value that is no object).
    #[must_use]
    pub fn get(&self, key: &str) -> Option<&Json> {
        self.as_object().and_then(|o| o.get(key))
    }

    /// The string, if this is one.
    #[must_use]
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Json::String(s) => Some(s),
            _ => None,
        }
    }

    /// The boolean, if this is one.
    #[must_use]
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Json::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The number as a `u64`, if this is a non-negative integer.
    #[must_use]
    pub fn as_u64(&self) -> Option<u64> {
        self.as_number().and_then(JsonNumber::as_u64)
    }

    /// The number as an `i64`, if this is an integer in range.
    #[must_use]
    pub fn as_i64(&self) -> Option<i64> {
        self.as_number().and_then(JsonNumber::as_i64)
    }

    /// The number as an `f64`, if this is a number.
    #[must_use]
    pub fn as_f64(&self) -> Option<f64> {
        self.as_number().map(JsonNumber::as_f64)
    }

    /// The number, if this is one.
    #[must_use]
    pub fn as_number(&self) -> Option<&JsonNumber> {
        match self {
            Json::Number(n) => Some(n),
            _ => None,
        }
    }

    /// The items, if this is an array.
    #[must_use]
    pub fn as_array(&self) -> Option<&Vec<Json>> {
        match self {
            Json::Array(a) => Some(a),
            _ => None,
        }
    }

    /// The members, if this is an object.
    #[must_use]
    pub fn as_object(&self) -> Option<&BTreeMap<String, Json>> {
        match self {
            Json::Object(o) => Some(o),
            _ => None,
        }
    }

    /// Whether this is `null`.
    #[must_use]
    pub fn is_null(&self) -> bool {
        matches!(self, Json::Null)
    }

    /// Whether this is a string.
    #[must_use]
    pub fn is_string(&self) -> bool {
        matches!(self, Json::String(_))
    }

    /// Whether this is an array.
    #[must_use]
    pub fn is_array(&self) -> bool {
        matches!(self, Json::Array(_))
    }

    /// Whether this is an object.
    #[must_use]
    pub fn is_object(&self) -> bool {
        matches!(self, Json::Object(_))
    }

    /// Every string inside rewritten by `f` (object keys stay).
    pub(crate) fn rewrite_strings(&mut self, f: &dyn Fn(&str) -> String) {
        match self {
            Json::String(t) => *t = f(t),
            Json::Array(items) => items.iter_mut().for_each(|v| v.rewrite_strings(f)),
            Json::Object(map) => map.values_mut().for_each(|v| v.rewrite_strings(f)),
            Json::Null | Json::Bool(_) | Json::Number(_) => {}
        }
    }
}

impl Index<&str> for Json {
    type Output = Json;
    fn index(&self, key: &str) -> &Json {
        self.get(key).unwrap_or(&NULL)
    }
}

impl Index<usize> for Json {
    type Output = Json;
    fn index(&self, i: usize) -> &Json {
        self.as_array().and_then(|a| a.get(i)).unwrap_or(&NULL)
    }
}

/// Compact JSON text.
impl fmt::Display for Json {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match serde_json::to_string(self) {
            Ok(text) => f.write_str(&text),
            Err(_) => Err(fmt::Error),
        }
    }
}

impl serde::Serialize for Json {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Json::Null => s.serialize_unit(),
            Json::Bool(b) => s.serialize_bool(*b),
            Json::Number(n) => match n.0 {
                N::Unsigned(u) => s.serialize_u64(u),
                N::Signed(i) => s.serialize_i64(i),
                N::Float(x) => s.serialize_f64(x),
            },
            Json::String(t) => s.serialize_str(t),
            Json::Array(a) => s.collect_seq(a),
            Json::Object(o) => s.collect_map(o),
        }
    }
}

impl<'de> serde::Deserialize<'de> for Json {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        serde_json::Value::deserialize(d).map(Json::from_value)
    }
}

impl From<&str> for Json {
    fn from(s: &str) -> Self {
        Json::String(s.to_owned())
    }
}

impl From<String> for Json {
    fn from(s: String) -> Self {
        Json::String(s)
    }
}

impl From<bool> for Json {
    fn from(b: bool) -> Self {
        Json::Bool(b)
    }
}

impl From<u64> for Json {
    fn from(u: u64) -> Self {
        Json::Number(u.into())
    }
}

impl From<i64> for Json {
    fn from(i: i64) -> Self {
        Json::Number(i.into())
    }
}

impl From<Vec<Json>> for Json {
    fn from(items: Vec<Json>) -> Self {
        Json::Array(items)
    }
}

impl From<BTreeMap<String, Json>> for Json {
    fn from(members: BTreeMap<String, Json>) -> Self {
        Json::Object(members)
    }
}

impl PartialEq<str> for Json {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == Some(other)
    }
}

impl PartialEq<&str> for Json {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == Some(*other)
    }
}

impl PartialEq<String> for Json {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == Some(other.as_str())
    }
}

impl PartialEq<Json> for &str {
    fn eq(&self, other: &Json) -> bool {
        other.as_str() == Some(*self)
    }
}

impl PartialEq<bool> for Json {
    fn eq(&self, other: &bool) -> bool {
        self.as_bool() == Some(*other)
    }
}

macro_rules! eq_integer {
    ($($t:ty),*) => {$(
        impl PartialEq<$t> for Json {
            fn eq(&self, other: &$t) -> bool {
                let o = *other as i128;
                self.as_i64().map(i128::from) == Some(o) || self.as_u64().map(i128::from) == Some(o)
            }
        }
    )*};
}
eq_integer!(i32, i64, u32, u64, usize);

impl PartialEq<f64> for Json {
    fn eq(&self, other: &f64) -> bool {
        self.as_f64() == Some(*other)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_like_a_json_value_and_round_trips_its_text() {
        let text = r#"{"a":[1,-2,2.5,"x",true,null],"b":{"c":"d"},"big":18446744073709551615}"#;
        let v: Json = serde_json::from_str(text).unwrap();
        assert_eq!(v.to_string(), text);
        assert_eq!(v["a"][0], 1);
        assert_eq!(v["a"][1], -2);
        assert_eq!(v["a"][1].as_u64(), None);
        assert_eq!(v["a"][2].as_f64(), Some(2.5));
        assert_eq!(v["a"][3], "x");
        assert_eq!(v["a"][4], true);
        assert!(v["a"][5].is_null());
        assert_eq!(v["big"].as_u64(), Some(u64::MAX));
        assert_eq!(v["big"].as_i64(), None);
        assert_eq!(v["b"]["c"].as_str(), Some("d"));
        assert_eq!(v["a"].as_array().map(Vec::len), Some(6));
        assert!(v["missing"]["deeper"][3].is_null());
        assert_eq!(v.get("b").and_then(|b| b.get("c")), Some(&Json::from("d")));
        assert_ne!(v["b"]["c"], "e");
    }

    #[test]
    fn of_keeps_what_serde_writes_and_says_when_it_cannot() {
        let v = Json::of(&serde_json::json!({"n": 3, "s": ["t"]}));
        assert_eq!(v["n"], 3_usize);
        assert_eq!(v["s"][0], "t");
        let bad: BTreeMap<(u8, u8), u8> = [((1, 2), 3)].into_iter().collect();
        let v = Json::of(&bad);
        assert!(
            v.as_str()
                .is_some_and(|s| s.starts_with("<evidence not serialisable")),
            "{v}"
        );
    }

    #[test]
    fn strings_are_rewritten_and_keys_kept() {
        let mut v = Json::of(&serde_json::json!({"secret": ["a secret", 1], "b": {"c": "secret"}}));
        v.rewrite_strings(&|t| t.replace("secret", "***"));
        assert_eq!(v.to_string(), r#"{"b":{"c":"***"},"secret":["a ***",1]}"#);
    }
}
