//! JSON handed on byte for byte: a document a registry served that regclient does not read
//! (a Sigstore bundle, a PEP 740 attestation bundle) and that the verifier reads as it was.

use serde_json::value::RawValue;

/// A JSON value exactly as served (its text, not re-serialised). Deserialises from any JSON
/// value and serialises back to the same text.
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
#[serde(transparent)]
pub struct RawJson(Box<RawValue>);

impl RawJson {
    /// The JSON text as served.
    #[must_use]
    pub fn get(&self) -> &str {
        self.0.get()
    }

    /// The JSON text's bytes, for a parser that takes bytes.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        self.0.get().as_bytes()
    }
}

impl std::fmt::Display for RawJson {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.get())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_kept_byte_for_byte_and_serialises_back_unchanged() {
        let text = r#"{"b": 1,  "a" :[true]}"#;
        let raw: RawJson = serde_json::from_str(text).unwrap();
        assert_eq!(raw.get(), text);
        assert_eq!(raw.as_bytes(), text.as_bytes());
        assert_eq!(serde_json::to_string(&raw).unwrap(), text);
        let list: Vec<RawJson> = serde_json::from_str(r#"[ 1 , "x" ]"#).unwrap();
        assert_eq!(list[1].to_string(), r#""x""#);
    }
}
