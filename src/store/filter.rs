//! The global filters every view honours (time range, service, model, errors only, error
//! class, free text), and how they become a SQL condition over `spans`.

use rusqlite::types::Value as SqlValue;

use crate::model::error_class::ErrorClass;

/// What the user narrowed the data to. Empty fields mean "everything".
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct SpanFilter {
    /// Inclusive start, exclusive end, in Unix nanoseconds.
    pub time_range_ns: Option<(i64, i64)>,
    pub service: Option<String>,
    pub model: Option<String>,
    pub errors_only: bool,
    /// Only spans of this stored error class (`spans.error_class`). Not remembered between
    /// runs (an overview card sets it; a new session starts unfiltered).
    #[serde(skip)]
    pub error_class: Option<ErrorClass>,
    /// Matched against span names and attribute values (case-insensitive substring).
    pub search: String,
}

impl SpanFilter {
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// A condition on spans aliased `alias`, with its parameters.
    pub(crate) fn span_condition(&self, alias: &str) -> (String, Vec<SqlValue>) {
        let mut parts = Vec::new();
        let mut params = Vec::new();
        if let Some((from, to)) = self.time_range_ns {
            parts.push(format!("{alias}.start_ns >= ? AND {alias}.start_ns < ?"));
            params.push(SqlValue::Integer(from));
            params.push(SqlValue::Integer(to));
        }
        if let Some(service) = &self.service {
            parts.push(format!("{alias}.service = ?"));
            params.push(SqlValue::Text(service.clone()));
        }
        if let Some(model) = &self.model {
            parts.push(format!(
                "({alias}.request_model = ? OR {alias}.response_model = ?)"
            ));
            params.push(SqlValue::Text(model.clone()));
            params.push(SqlValue::Text(model.clone()));
        }
        if self.errors_only {
            parts.push(format!("{alias}.status_code = 2"));
        }
        if let Some(class) = self.error_class {
            parts.push(format!("{alias}.error_class = ?"));
            params.push(SqlValue::Text(class.as_str().to_owned()));
        }
        let search = self.search.trim();
        if !search.is_empty() {
            let pattern = format!("%{}%", escape_like(search));
            parts.push(format!(
                "({alias}.name LIKE ? ESCAPE '\\' OR {alias}.attributes LIKE ? ESCAPE '\\')"
            ));
            params.push(SqlValue::Text(pattern.clone()));
            params.push(SqlValue::Text(pattern));
        }
        if parts.is_empty() {
            ("1".to_owned(), params)
        } else {
            (parts.join(" AND "), params)
        }
    }

    /// Whether the filter narrows spans at all (a trace list can then skip the span join).
    pub(crate) fn narrows_spans(&self) -> bool {
        self.service.is_some()
            || self.model.is_some()
            || self.errors_only
            || self.error_class.is_some()
            || !self.search.trim().is_empty()
    }
}

fn escape_like(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_class_becomes_a_condition_and_is_not_persisted() {
        let filter = SpanFilter {
            error_class: Some(ErrorClass::Structural),
            ..SpanFilter::default()
        };
        let (cond, params) = filter.span_condition("s");
        assert_eq!(cond, "s.error_class = ?");
        assert_eq!(params, vec![SqlValue::Text("structural".to_owned())]);
        assert!(filter.narrows_spans());
        let json = serde_json::to_string(&filter).expect("serialises");
        assert!(!json.contains("structural"), "{json}");
        let back: SpanFilter = serde_json::from_str(&json).expect("deserialises");
        assert_eq!(back.error_class, None);
    }
}
