//! Every CSV the console hands out is written here: cells a spreadsheet would read as a
//! formula are neutralised, and no export grows past [`ROW_LIMIT`] rows.

use crate::error::AppError;

/// Most rows one export holds; a larger view is refused with a message to narrow it.
pub const ROW_LIMIT: usize = 100_000;

/// Refuses an export of `rows` rows when it is over [`ROW_LIMIT`].
pub fn check_size(rows: usize) -> Result<(), AppError> {
    if rows > ROW_LIMIT {
        return Err(AppError::invalid(
            "filters",
            format!(
                "More than {ROW_LIMIT} rows match; narrow the filters (dates, kind, application) \
                 and export each part."
            ),
        ));
    }
    Ok(())
}

/// A cell as a spreadsheet should show it: text starting with `=`, `+`, `-`, `@`, a
/// tab or a carriage return would be run as a formula, so it gets a leading `'`.
pub fn neutralise(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}").into(),
        _ => cell.into(),
    }
}

/// A CSV file being written: a header, then rows.
pub struct CsvFile {
    writer: csv::Writer<Vec<u8>>,
}

impl CsvFile {
    pub fn new<'a>(header: impl IntoIterator<Item = &'a str>) -> Result<Self, AppError> {
        let mut file = CsvFile {
            writer: csv::Writer::from_writer(Vec::new()),
        };
        file.row(header)?;
        Ok(file)
    }

    pub fn row<I, S>(&mut self, cells: I) -> Result<(), AppError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let cells: Vec<String> = cells
            .into_iter()
            .map(|c| neutralise(c.as_ref()).into_owned())
            .collect();
        self.writer.write_record(&cells).map_err(AppError::internal)
    }

    pub fn finish(self) -> Result<String, AppError> {
        let bytes = self.writer.into_inner().map_err(AppError::internal)?;
        String::from_utf8(bytes).map_err(AppError::internal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_neutralised_and_others_left_alone() {
        for cell in [
            "=HYPERLINK(\"http://evil.example\",\"x\")",
            "+1",
            "-2+3",
            "@SUM(A1)",
            "\tx",
            "\rx",
        ] {
            assert_eq!(neutralise(cell), format!("'{cell}"));
        }
        for cell in ["", "Ada", "a=b", "2026-01-01", "'quoted"] {
            assert_eq!(neutralise(cell), cell);
        }
    }

    #[test]
    fn files_quote_and_neutralise_every_cell() {
        let mut file = CsvFile::new(["name", "agent"]).unwrap();
        file.row(["Ada, \"the\" admin", "=cmd|' /C calc'!A0"])
            .unwrap();
        assert_eq!(
            file.finish().unwrap(),
            "name,agent\n\"Ada, \"\"the\"\" admin\",'=cmd|' /C calc'!A0\n"
        );
    }

    #[test]
    fn exports_over_the_limit_are_refused_with_a_way_out() {
        assert!(check_size(ROW_LIMIT).is_ok());
        let error = check_size(ROW_LIMIT + 1).unwrap_err();
        assert!(error.field_message("filters").unwrap().contains("narrow"));
    }
}
