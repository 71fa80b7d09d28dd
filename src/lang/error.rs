//! Errors: data with a byte span, rendered as expr renders them.

use crate::lang::ast::Span;
use std::fmt;

/// What went wrong, broadly. The message says exactly what.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The formula is not well formed: `a +`, `0b12`, `nil ?? 1 + 2`.
    Parse,
    /// An unknown input, variable or function, or a name declared twice: `unknwn + 1`,
    /// `let x = 1; let x = 2; x`.
    Name,
    /// Operand, argument or result types that do not fit: `1 + true`, `abs()`, `7.5 % 2`.
    Type,
    /// A configured limit was exceeded: source too long, nesting too deep, program too large.
    Limit,
    /// Evaluation failed: `x % y` with `y == 0`, `x + 1` with `x` nil, an index out of range.
    /// Reported at compile time too, where folding a constant expression fails (`1 % 0`).
    Runtime,
}

impl ErrorKind {
    /// The lower-case name used by the CLI's JSON output: `parse`, `name`, `type`, `limit`,
    /// `runtime`.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Parse => "parse",
            ErrorKind::Name => "name",
            ErrorKind::Type => "type",
            ErrorKind::Limit => "limit",
            ErrorKind::Runtime => "runtime",
        }
    }
}

/// An error from compiling or evaluating a formula.
///
/// `Display` renders it as expr does: the message, `(line:col)`, the source line and a caret
/// under the column:
///
/// ```
/// let err = scalemod::Formula::compile("1 + true", &scalemod::Schema::new()).unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     "invalid operation: + (mismatched types int and bool) (1:3)\n | 1 + true\n | ..^"
/// );
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Error(Box<Inner>);

/// The error's data, boxed so that `Result<f64, Error>` stays two words on the hot path.
#[derive(Clone, PartialEq, Eq)]
struct Inner {
    kind: ErrorKind,
    message: String,
    span: Option<Span>,
    location: Option<Location>,
    help: Option<String>,
}

/// Where an error is, resolved against the source: 1-based line, 0-based column in
/// characters, and that line's text.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Location {
    line: usize,
    column: usize,
    source_line: String,
}

impl Error {
    /// An error at `span` of no source yet; [`Error::with_source`] resolves its location.
    #[cold]
    pub(crate) fn new(kind: ErrorKind, span: Span, message: impl Into<String>) -> Error {
        Error(Box::new(Inner {
            kind,
            message: message.into(),
            span: Some(span),
            location: None,
            help: None,
        }))
    }

    /// An error about the formula as a whole, without a position (expr's result-cast errors).
    #[cold]
    pub(crate) fn unplaced(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error(Box::new(Inner {
            kind,
            message: message.into(),
            span: None,
            location: None,
            help: None,
        }))
    }

    /// Resolves the span against `source` so that the error renders with its snippet.
    #[cold]
    pub(crate) fn with_source(mut self, source: &str) -> Error {
        if let Some(span) = self.0.span {
            self.0.location = Some(Location::find(source, span.start as usize));
        }
        self
    }

    /// Adds a hint for people (`did you mean …?`), kept apart from expr's message.
    #[cold]
    pub(crate) fn with_help(mut self, help: String) -> Error {
        self.0.help = Some(help);
        self
    }

    /// A hint for people, such as `did you mean `pod_count`?` for a misspelt name. Not part of
    /// `Display`, which renders exactly what expr renders.
    pub fn help(&self) -> Option<&str> {
        self.0.help.as_deref()
    }

    /// The kind of error.
    pub fn kind(&self) -> ErrorKind {
        self.0.kind
    }

    /// The message alone, without position or snippet.
    pub fn message(&self) -> &str {
        &self.0.message
    }

    /// The byte span of the source the error is about, if it is about a place.
    pub fn span(&self) -> Option<Span> {
        self.0.span
    }

    /// The 1-based line and column (in characters) of the error, if it has a place.
    pub fn line_col(&self) -> Option<(usize, usize)> {
        self.0.location.as_ref().map(|l| (l.line, l.column + 1))
    }
}

impl Location {
    fn find(source: &str, offset: usize) -> Location {
        let mut line = 1;
        let mut column = 0;
        let mut line_start = 0;
        for (i, c) in source.char_indices() {
            if i >= offset {
                break;
            }
            if c == '\n' {
                line += 1;
                column = 0;
                line_start = i + 1;
            } else {
                column += 1;
            }
        }
        let rest = source.get(line_start..).unwrap_or("");
        let source_line = rest.split('\n').next().unwrap_or("").replace('\t', " ");
        Location {
            line,
            column,
            source_line,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.message)?;
        if let Some(loc) = &self.0.location {
            write!(
                f,
                " ({}:{})\n | {}\n | ",
                loc.line,
                loc.column + 1,
                loc.source_line
            )?;
            for _ in 0..loc.column {
                f.write_str(".")?;
            }
            f.write_str("^")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("kind", &self.0.kind)
            .field("message", &self.0.message)
            .field("span", &self.0.span)
            .finish()
    }
}

impl std::error::Error for Error {}

/// A result whose error is [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_is_one_pointer() {
        assert_eq!(std::mem::size_of::<Error>(), std::mem::size_of::<usize>());
        assert_eq!(std::mem::size_of::<Result<f64>>(), 16);
    }
}
