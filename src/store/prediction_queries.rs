//! Reads of the `predictions` table for drift and version skew: the models and their time
//! spans, one model's predictions as columns (features, prediction, confidence), the version
//! facts of every prediction, the versions trace resources announce (`service.version`,
//! `*.model.version`), the predictions linked to a trace, the reference imports and the
//! worst predictions of a window.

use std::collections::HashMap;

use rusqlite::types::ValueRef;

use super::{Store, StoreError};

/// Which predictions a read covers: all of them, those of reference imports
/// (`tracedeck import --reference`), or the others (production traffic).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum RowSource {
    #[default]
    All,
    Reference,
    Production,
}

impl RowSource {
    /// The SQL condition on `predictions` (a constant, no user input).
    fn condition(self) -> &'static str {
        match self {
            Self::All => "1",
            Self::Reference => {
                "import_id IN (SELECT import_id FROM import_roles WHERE role = 'reference')"
            }
            Self::Production => {
                "import_id NOT IN (SELECT import_id FROM import_roles WHERE role = 'reference')"
            }
        }
    }
}

/// An import marked as the reference, with its predictions per model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReferenceImport {
    pub import_id: i64,
    pub path: String,
    pub rows: u64,
}

/// One feature value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Cell {
    Missing,
    Number(f64),
    /// An index into the column's `categories`.
    Category(u32),
}

/// One feature (or the prediction, or the confidence) over every loaded row.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FeatureColumn {
    pub name: String,
    pub cells: Vec<Cell>,
    /// Category names by index (text and boolean values).
    pub categories: Vec<String>,
}

impl FeatureColumn {
    fn new(name: &str, rows: usize) -> Self {
        Self {
            name: name.to_owned(),
            cells: vec![Cell::Missing; rows],
            categories: Vec::new(),
        }
    }
}

/// One model's predictions in time order, as columns.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PredictionTable {
    pub model: String,
    pub timestamp_ns: Vec<i64>,
    /// Input features in name order.
    pub features: Vec<FeatureColumn>,
    /// The model output (`prediction`/`output`).
    pub prediction: FeatureColumn,
    /// The confidence (`confidence`/`score`).
    pub confidence: FeatureColumn,
}

/// A model with how many predictions it has and when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModelSpan {
    pub model: String,
    pub rows: u64,
    pub first_ns: i64,
    pub last_ns: i64,
}

/// The version facts of one prediction.
#[derive(Clone, Debug, PartialEq)]
pub struct VersionRow {
    pub model: String,
    pub model_version: String,
    pub pipeline_version: String,
    pub timestamp_ns: i64,
    pub confidence: Option<f64>,
    /// `Some(true)` when a label exists and differs from the prediction.
    pub error: Option<bool>,
}

/// The versions one trace resource announces, with when its spans ran.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResourceVersions {
    pub service: String,
    /// `service.version`, when set.
    pub service_version: Option<String>,
    /// Every `*.model.version` attribute as (key, value), by key.
    pub model_versions: Vec<(String, String)>,
    pub first_ns: i64,
    pub last_ns: i64,
    pub spans: u64,
}

/// One stored prediction, as a detail view shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct PredictionRow {
    pub id: i64,
    pub model: String,
    pub model_version: String,
    pub pipeline_version: String,
    pub request_id: Option<String>,
    pub timestamp_ns: i64,
    pub trace_id: Option<crate::model::TraceId>,
    /// The prediction and label as text (numbers formatted).
    pub prediction: Option<String>,
    pub confidence: Option<f64>,
    pub latency_ms: Option<f64>,
    pub label: Option<String>,
    pub features_json: String,
}

fn text_of(v: ValueRef<'_>) -> Option<String> {
    match v {
        ValueRef::Null => None,
        ValueRef::Integer(i) => Some(i.to_string()),
        ValueRef::Real(f) => Some(f.to_string()),
        ValueRef::Text(t) | ValueRef::Blob(t) => Some(String::from_utf8_lossy(t).into_owned()),
    }
}

const PREDICTION_COLUMNS: &str = "id, model, model_version, pipeline_version, request_id, timestamp_ns, trace_id, prediction, confidence, latency_ms, label, features";

fn prediction_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<PredictionRow> {
    let trace: Option<Vec<u8>> = r.get(6)?;
    Ok(PredictionRow {
        id: r.get(0)?,
        model: r.get(1)?,
        model_version: r.get(2)?,
        pipeline_version: r.get(3)?,
        request_id: r.get(4)?,
        timestamp_ns: r.get(5)?,
        trace_id: trace.and_then(|t| <[u8; 16]>::try_from(t.as_slice()).ok()),
        prediction: text_of(r.get_ref(7)?),
        confidence: r.get(8)?,
        latency_ms: r.get(9)?,
        label: text_of(r.get_ref(10)?),
        features_json: r.get(11)?,
    })
}

/// Interns category names of one column.
#[derive(Default)]
struct Interner {
    index: HashMap<String, u32>,
}

impl Interner {
    fn cell(&mut self, column: &mut FeatureColumn, text: &str) -> Cell {
        if let Some(i) = self.index.get(text) {
            return Cell::Category(*i);
        }
        let i = column.categories.len() as u32;
        column.categories.push(text.to_owned());
        self.index.insert(text.to_owned(), i);
        Cell::Category(i)
    }
}

fn json_cell(value: &serde_json::Value, column: &mut FeatureColumn, names: &mut Interner) -> Cell {
    match value {
        serde_json::Value::Null => Cell::Missing,
        serde_json::Value::Number(n) => n.as_f64().map_or(Cell::Missing, Cell::Number),
        serde_json::Value::Bool(b) => names.cell(column, if *b { "true" } else { "false" }),
        serde_json::Value::String(s) => names.cell(column, s),
        other => names.cell(column, &other.to_string()),
    }
}

/// The column named `name` (created, padded with missing cells, when new) and its interner,
/// ready for row `n`'s cell.
fn column_slot<'a>(
    features: &'a mut Vec<FeatureColumn>,
    by_name: &'a mut HashMap<String, (usize, Interner)>,
    name: &str,
    n: usize,
) -> Option<(&'a mut FeatureColumn, &'a mut Interner)> {
    if !by_name.contains_key(name) {
        features.push(FeatureColumn::new(name, n));
        by_name.insert(name.to_owned(), (features.len() - 1, Interner::default()));
    }
    let (index, names) = by_name.get_mut(name)?;
    let column = features.get_mut(*index)?;
    column.cells.resize(n, Cell::Missing);
    Some((column, names))
}

/// One raw JSON value as a cell, like [`json_cell`] without building a `Value`.
fn raw_cell(raw: &str, column: &mut FeatureColumn, names: &mut Interner) -> Cell {
    match raw.as_bytes().first() {
        Some(b'n') => Cell::Missing,
        Some(b't') => names.cell(column, "true"),
        Some(b'f') => names.cell(column, "false"),
        Some(b'"') => match serde_json::from_str::<std::borrow::Cow<'_, str>>(raw) {
            Ok(text) => names.cell(column, &text),
            Err(_) => Cell::Missing,
        },
        Some(b'[' | b'{') => match serde_json::from_str::<serde_json::Value>(raw) {
            Ok(value) => json_cell(&value, column, names),
            Err(_) => Cell::Missing,
        },
        _ => raw.parse::<f64>().map_or(Cell::Missing, Cell::Number),
    }
}

impl Store {
    /// Every model with predictions, by name.
    pub fn prediction_models(&self) -> Result<Vec<ModelSpan>, StoreError> {
        self.prediction_models_of(RowSource::All)
    }

    /// Every model with predictions from `source`, by name.
    pub fn prediction_models_of(&self, source: RowSource) -> Result<Vec<ModelSpan>, StoreError> {
        let mut stmt = self.conn().prepare(&format!(
            "SELECT model, COUNT(*), MIN(timestamp_ns), MAX(timestamp_ns)
             FROM predictions WHERE {} GROUP BY model ORDER BY model",
            source.condition()
        ))?;
        let rows = stmt.query_map([], |r| {
            Ok(ModelSpan {
                model: r.get(0)?,
                rows: r.get::<_, i64>(1)?.max(0) as u64,
                first_ns: r.get(2)?,
                last_ns: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Predictions stored, all models.
    pub fn prediction_count(&self) -> Result<u64, StoreError> {
        let n: i64 = self
            .conn()
            .query_row("SELECT COUNT(*) FROM predictions", [], |r| r.get(0))?;
        Ok(n.max(0) as u64)
    }

    /// One model's predictions with `from_ns <= timestamp < to_ns`, in time order, as columns.
    pub fn prediction_table(
        &self,
        model: &str,
        from_ns: i64,
        to_ns: i64,
    ) -> Result<PredictionTable, StoreError> {
        self.prediction_table_of(model, from_ns, to_ns, RowSource::All)
    }

    /// [`Store::prediction_table`] of the predictions from `source` only.
    pub fn prediction_table_of(
        &self,
        model: &str,
        from_ns: i64,
        to_ns: i64,
        source: RowSource,
    ) -> Result<PredictionTable, StoreError> {
        let mut stmt = self.conn().prepare(&format!(
            "SELECT timestamp_ns, features, prediction, confidence FROM predictions
             WHERE model = ?1 AND timestamp_ns >= ?2 AND timestamp_ns < ?3 AND {}
             ORDER BY timestamp_ns",
            source.condition()
        ))?;
        let mut rows = stmt.query(rusqlite::params![model, from_ns, to_ns])?;
        let mut table = PredictionTable {
            model: model.to_owned(),
            prediction: FeatureColumn::new("prediction", 0),
            confidence: FeatureColumn::new("confidence", 0),
            ..PredictionTable::default()
        };
        let mut by_name: HashMap<String, (usize, Interner)> = HashMap::new();
        let mut prediction_names = Interner::default();
        while let Some(row) = rows.next()? {
            let n = table.timestamp_ns.len();
            table.timestamp_ns.push(row.get(0)?);
            if let ValueRef::Text(text) = row.get_ref(1)? {
                // Borrowed keys and raw values parse fastest; a record with escaped keys takes
                // the general path.
                if let Ok(map) =
                    serde_json::from_slice::<HashMap<&str, &serde_json::value::RawValue>>(text)
                {
                    for (name, raw) in map {
                        if let Some((column, names)) =
                            column_slot(&mut table.features, &mut by_name, name, n)
                        {
                            let cell = raw_cell(raw.get(), column, names);
                            column.cells.push(cell);
                        }
                    }
                } else if let Ok(serde_json::Value::Object(map)) =
                    serde_json::from_slice::<serde_json::Value>(text)
                {
                    for (name, value) in &map {
                        if let Some((column, names)) =
                            column_slot(&mut table.features, &mut by_name, name, n)
                        {
                            let cell = json_cell(value, column, names);
                            column.cells.push(cell);
                        }
                    }
                }
            }
            let prediction = match row.get_ref(2)? {
                ValueRef::Null => Cell::Missing,
                ValueRef::Integer(i) => Cell::Number(i as f64),
                ValueRef::Real(f) => Cell::Number(f),
                ValueRef::Text(t) | ValueRef::Blob(t) => {
                    let text = String::from_utf8_lossy(t);
                    prediction_names.cell(&mut table.prediction, &text)
                }
            };
            table.prediction.cells.push(prediction);
            let confidence: Option<f64> = row.get(3)?;
            table
                .confidence
                .cells
                .push(confidence.map_or(Cell::Missing, Cell::Number));
        }
        let n = table.timestamp_ns.len();
        for column in &mut table.features {
            column.cells.resize(n, Cell::Missing);
        }
        table.features.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(table)
    }

    /// The versions, confidence and correctness of every served prediction (a reference
    /// import's are left out), by model and time.
    pub fn prediction_versions(&self) -> Result<Vec<VersionRow>, StoreError> {
        self.prediction_versions_of(None)
    }

    /// [`Store::prediction_versions`] of one model (or all of them).
    pub fn prediction_versions_of(
        &self,
        model: Option<&str>,
    ) -> Result<Vec<VersionRow>, StoreError> {
        let mut stmt = self.conn().prepare(&format!(
            "SELECT model, model_version, pipeline_version, timestamp_ns, confidence,
                    CASE WHEN label IS NULL OR prediction IS NULL THEN NULL
                         ELSE label IS NOT prediction END
             FROM predictions WHERE (?1 IS NULL OR model = ?1) AND {}
             ORDER BY model, timestamp_ns",
            RowSource::Production.condition()
        ))?;
        let rows = stmt.query_map([model], |r| {
            Ok(VersionRow {
                model: r.get(0)?,
                model_version: r.get(1)?,
                pipeline_version: r.get(2)?,
                timestamp_ns: r.get(3)?,
                confidence: r.get(4)?,
                error: r.get::<_, Option<i64>>(5)?.map(|v| v != 0),
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

impl Store {
    /// The predictions linked to a trace (for its waterfall), by time.
    pub fn predictions_of_trace(
        &self,
        trace_id: &crate::model::TraceId,
    ) -> Result<Vec<PredictionRow>, StoreError> {
        let mut stmt = self.conn().prepare(&format!(
            "SELECT {PREDICTION_COLUMNS} FROM predictions WHERE trace_id = ?1 ORDER BY timestamp_ns"
        ))?;
        let rows = stmt.query_map([&trace_id[..]], prediction_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The worst predictions of one model in a window: wrong ones (a label that differs from
    /// the prediction) first, then by confidence, lowest first.
    pub fn worst_predictions(
        &self,
        model: &str,
        from_ns: i64,
        to_ns: i64,
        source: RowSource,
        limit: usize,
    ) -> Result<Vec<PredictionRow>, StoreError> {
        let mut stmt = self.conn().prepare(&format!(
            "SELECT {PREDICTION_COLUMNS} FROM predictions
             WHERE model = ?1 AND timestamp_ns >= ?2 AND timestamp_ns < ?3 AND {}
             ORDER BY (label IS NOT NULL AND prediction IS NOT NULL AND label IS NOT prediction) DESC,
                      confidence IS NULL, confidence, timestamp_ns
             LIMIT ?4",
            source.condition()
        ))?;
        let rows = stmt.query_map(
            rusqlite::params![model, from_ns, to_ns, limit as i64],
            prediction_row,
        )?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// A cheap fingerprint of what drift and version skew read (prediction, role, resource
    /// and import counts): equal fingerprints mean equal answers, for caches.
    pub fn prediction_fingerprint(&self) -> Result<[i64; 4], StoreError> {
        Ok(self.conn().query_row(
            "SELECT (SELECT COUNT(*) FROM predictions), (SELECT COUNT(*) FROM import_roles),
                    (SELECT COUNT(*) FROM resources), (SELECT COALESCE(MAX(id), 0) FROM imports)",
            [],
            |r| Ok([r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?]),
        )?)
    }

    /// The imports marked as the reference, with how many predictions each holds.
    pub fn reference_imports(&self) -> Result<Vec<ReferenceImport>, StoreError> {
        let mut stmt = self.conn().prepare(
            "SELECT r.import_id, i.path, (SELECT COUNT(*) FROM predictions p WHERE p.import_id = r.import_id)
             FROM import_roles r JOIN imports i ON i.id = r.import_id
             WHERE r.role = 'reference' ORDER BY r.import_id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(ReferenceImport {
                import_id: r.get(0)?,
                path: r.get(1)?,
                rows: r.get::<_, i64>(2)?.max(0) as u64,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// One prediction by id (its `trace_id` opens the trace).
    pub fn prediction(&self, id: i64) -> Result<Option<PredictionRow>, StoreError> {
        use rusqlite::OptionalExtension;
        Ok(self
            .conn()
            .query_row(
                &format!("SELECT {PREDICTION_COLUMNS} FROM predictions WHERE id = ?1"),
                [id],
                prediction_row,
            )
            .optional()?)
    }

    /// The versions every trace resource announces (`service.version`, `*.model.version`),
    /// with the time range and count of its spans; resources announcing none are left out.
    pub fn resource_versions(&self) -> Result<Vec<ResourceVersions>, StoreError> {
        let mut stmt = self.conn().prepare(
            "SELECT r.service_name, r.attributes, MIN(s.start_ns), MAX(s.start_ns), COUNT(*)
             FROM resources r JOIN spans s ON s.resource_id = r.id
             WHERE instr(r.attributes, 'version') > 0
             GROUP BY r.id ORDER BY MIN(s.start_ns)",
        )?;
        let mut rows = stmt.query([])?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            let attributes: String = row.get(1)?;
            let Ok(serde_json::Value::Object(map)) = serde_json::from_str(&attributes) else {
                continue;
            };
            let as_text = |v: &serde_json::Value| match v {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            let service_version = map.get("service.version").map(as_text);
            let mut model_versions: Vec<(String, String)> = map
                .iter()
                .filter(|(k, _)| k.ends_with(".model.version") || k.as_str() == "model.version")
                .map(|(k, v)| (k.clone(), as_text(v)))
                .collect();
            model_versions.sort();
            if service_version.is_none() && model_versions.is_empty() {
                continue;
            }
            out.push(ResourceVersions {
                service: row.get(0)?,
                service_version,
                model_versions,
                first_ns: row.get(2)?,
                last_ns: row.get(3)?,
                spans: row.get::<_, i64>(4)?.max(0) as u64,
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_cells_read_like_json_values() {
        for raw in [
            "12.5",
            "-3",
            "1e3",
            "null",
            "true",
            "false",
            "\"US\"",
            "\"a\\\"b\"",
            "[1,2]",
            "{\"k\":1}",
        ] {
            let mut a = FeatureColumn::new("x", 0);
            let mut b = FeatureColumn::new("x", 0);
            let (mut na, mut nb) = (Interner::default(), Interner::default());
            let value: serde_json::Value = serde_json::from_str(raw).expect("json");
            let fast = raw_cell(raw, &mut a, &mut na);
            let slow = json_cell(&value, &mut b, &mut nb);
            assert_eq!(fast, slow, "{raw}");
            assert_eq!(a.categories, b.categories, "{raw}");
        }
    }
}
