//! Resource limits: what a formula may cost to compile, checked before anything recurses.

use crate::lang::ast::Span;
use crate::lang::error::{Error, ErrorKind, Result};

/// Limits on the formulas [`Formula::compile_with`](crate::Formula::compile_with) accepts.
///
/// Formulas come from users' manifests (and in a shared cluster from tenants), so every
/// resource a formula can ask for is bounded. Exceeding a limit is an [`ErrorKind::Limit`]
/// error with a span, found before the parser or any other recursive pass could overflow
/// the stack.
///
/// ```
/// use scalemod::{Formula, Limits, Schema};
/// let tight = Limits { max_source_len: 16, ..Limits::default() };
/// let err = Formula::compile_with("1 + 2 + 3 + 4 + 5 + 6", &Schema::new(), &tight).unwrap_err();
/// assert_eq!(err.kind(), scalemod::ErrorKind::Limit);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// The longest source accepted, in bytes. Default 64 KiB.
    pub max_source_len: usize,
    /// The deepest syntax tree accepted: brackets, operators of a chain (`a + b + c` is 3
    /// deep), `let`s and ternaries all add to it. Default 64, far beyond real formulas.
    /// The parser and the compiler's passes are recursive: at 64 they stay well within a
    /// 2 MiB thread stack even in a debug build (about 100 levels fit there; 400 in a release
    /// build). Raise it only together with the stack of the compiling thread.
    pub max_depth: usize,
    /// The most instructions a compiled formula may hold. Default 65 536.
    pub max_instructions: usize,
    /// The most constants a compiled formula may hold. Default 65 536.
    pub max_constants: usize,
    /// The longest array a formula may build at run time, by a literal or a range `a..b`.
    /// Default 1 000 000 (expr's memory budget: `1..1000000` fails in expr too).
    pub max_array_len: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_source_len: 64 * 1024,
            max_depth: 64,
            max_instructions: 1 << 16,
            max_constants: 1 << 16,
            max_array_len: 1_000_000,
        }
    }
}

impl Limits {
    /// Checks the source's length and an upper bound of its syntax tree's depth, computed
    /// by one linear scan over the tokens.
    pub(crate) fn check_source(&self, source: &str) -> Result<()> {
        if source.len() > self.max_source_len {
            return Err(Error::new(
                ErrorKind::Limit,
                Span::at(self.max_source_len.min(source.len())),
                format!(
                    "formula too long ({} bytes, the limit is {})",
                    source.len(),
                    self.max_source_len
                ),
            ));
        }
        // Each open bracket starts a level; within a level every operator (and `let`) can
        // add one to the depth of the tree; commas and semicolons start a sibling.
        #[derive(Default)]
        struct Level {
            ops: usize,
            deepest_sibling: usize,
            deepest_child: usize,
        }
        impl Level {
            fn depth(&self) -> usize {
                self.ops.max(self.deepest_sibling) + self.deepest_child + 1
            }
        }
        // The outermost level, and the open brackets' (allocated only when a bracket opens).
        let mut root = Level::default();
        let mut levels: Vec<Level> = Vec::new();
        let bytes = source.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            let mut step = 1;
            // Whether the levels changed (only then can the depth have grown; the first byte is
            // checked whatever it is, for a limit of 0).
            let mut changed = true;
            match b {
                b'/' if bytes.get(i + 1) == Some(&b'/') => {
                    step = source[i..].find('\n').unwrap_or(source.len() - i);
                }
                b'/' if bytes.get(i + 1) == Some(&b'*') => {
                    step = source[i + 2..]
                        .find("*/")
                        .map_or(source.len() - i, |e| e + 4);
                }
                b'(' | b'[' | b'{' => levels.push(Level::default()),
                b')' | b']' | b'}' if !levels.is_empty() => {
                    if let Some(done) = levels.pop() {
                        let parent = levels.last_mut().unwrap_or(&mut root);
                        parent.deepest_child = parent.deepest_child.max(done.depth());
                    }
                }
                b',' => {
                    let level = levels.last_mut().unwrap_or(&mut root);
                    level.deepest_sibling = level.deepest_sibling.max(level.ops);
                    level.ops = 0;
                }
                b'+' | b'-' | b'*' | b'/' | b'%' | b'^' | b'<' | b'>' | b'=' | b'!' | b'&'
                | b'|' | b'?' | b'.' | b':' => {
                    levels.last_mut().unwrap_or(&mut root).ops += 1;
                }
                b'a'..=b'z' => {
                    // A word: ASCII letters, digits and `_` (a non-ASCII byte ends it, at a
                    // character boundary).
                    let end = bytes[i..]
                        .iter()
                        .position(|b| !b.is_ascii_alphanumeric() && *b != b'_')
                        .map_or(source.len(), |e| i + e);
                    if matches!(
                        &bytes[i..end],
                        b"not" | b"in" | b"and" | b"or" | b"let" | b"if" | b"else"
                    ) {
                        levels.last_mut().unwrap_or(&mut root).ops += 1;
                    } else {
                        changed = false;
                    }
                    step = end - i;
                }
                _ => changed = false,
            }
            if !changed && i > 0 {
                i += step.max(1);
                continue;
            }
            let open: usize = levels.len();
            let here: usize = root.depth() + levels.iter().map(Level::depth).sum::<usize>();
            if open > self.max_depth || here > self.max_depth {
                return Err(Error::new(
                    ErrorKind::Limit,
                    Span::at(i),
                    format!(
                        "formula nested too deeply (the limit is {}); split long operator chains with parentheses or let",
                        self.max_depth
                    ),
                ));
            }
            i += step.max(1);
        }
        Ok(())
    }
}
