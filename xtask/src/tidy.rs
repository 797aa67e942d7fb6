//! `cargo xtask tidy`: source rules that the compiler and clippy do not check.
//!
//! Each rule is a plain function from a file's text to its violations, and the test
//! `the_repository_follows_the_tidy_rules` runs them all on the real tree, so `cargo test` fails on
//! a violation anywhere (rust-analyzer `xtask/src/tidy.rs`). A violation prints as
//! `file:line: rule`.
//!
//! The rules, over the Rust files of `crates/`, `xtask/` and `tests/`:
//! 1. every `unsafe` block has a `// SAFETY:` comment just above it (STYLE rule 9);
//! 2. every `allow(unsafe_code` carries a `reason = "…"` (STYLE rule 8);
//! 3. no `todo!`, `unimplemented!` or `dbg!` calls (STYLE rule 27);
//! 4. no `#[ignore]` without `= "reason"` (STYLE rule 23);
//! 5. no file longer than [`MAX_LINES`] lines, with a warning past [`WARN_LINES`] (STYLE rule 3);
//! 6. every crate inherits the workspace lints, `[lints] workspace = true` (STYLE rule 27).
//!
//! The code rules look only at code: comments and the text of string and char literals are
//! blanked first (see `mask.rs`), so prose and test samples never trip them. Doc-comment examples
//! are code too, and rule 1 checks the `unsafe` blocks inside their fences.

mod mask;

use crate::step::{self, Result};
use mask::{Masker, is_ident_char, mask};
use std::fmt;
use std::path::Path;

/// The hard limit on a file's length.
const MAX_LINES: usize = 800;
/// Past this many lines a file draws a warning: STYLE rule 3 asks for about 600.
const WARN_LINES: usize = 600;
/// How many code or attribute lines may sit between an `unsafe` block and its `// SAFETY:`
/// comment (a statement that rustfmt wrapped); comment lines do not count.
const SAFETY_WINDOW: usize = 6;
/// The directories whose Rust files the code rules read.
const SOURCE_DIRS: [&str; 3] = ["crates", "xtask", "tests"];

/// One broken rule at one place.
#[derive(Debug)]
pub(crate) struct Violation {
    path: String,
    line: usize,
    rule: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.path, self.line, self.rule)
    }
}

/// What a check of the tree found.
#[derive(Debug, Default)]
pub(crate) struct Report {
    /// Rules broken: each fails tidy.
    pub(crate) violations: Vec<Violation>,
    /// Things to look at that do not fail tidy.
    pub(crate) warnings: Vec<Violation>,
    /// How many files were read.
    pub(crate) files: usize,
}

/// Runs every rule on the repository and fails if any is broken.
pub(crate) fn run() -> Result {
    let report = check(step::root());
    for warning in &report.warnings {
        println!("warning: {warning}");
    }
    for violation in &report.violations {
        println!("{violation}");
    }
    if report.violations.is_empty() {
        println!("tidy: {} files follow the rules", report.files);
        Ok(())
    } else {
        Err(format!(
            "{} tidy violation(s), listed above as `file:line: rule`",
            report.violations.len()
        ))
    }
}

/// Runs every rule on the tree at `root`.
pub(crate) fn check(root: &Path) -> Report {
    let mut report = Report::default();
    for dir in SOURCE_DIRS {
        for path in step::files_under(&root.join(dir), ".rs") {
            let shown = shown_path(root, &path);
            let Ok(source) = std::fs::read_to_string(&path) else {
                report.violations.push(Violation {
                    path: shown,
                    line: 1,
                    rule: "not readable as UTF-8".to_owned(),
                });
                continue;
            };
            report.files += 1;
            let rules = [
                safety_comments(&source),
                unsafe_code_allows(&source),
                unfinished_code(&source),
                ignore_reasons(&source),
                file_length(&source),
            ];
            for (line, rule) in rules.into_iter().flatten() {
                report.violations.push(Violation {
                    path: shown.clone(),
                    line,
                    rule,
                });
            }
            if let Some((line, rule)) = length_warning(&source) {
                report.warnings.push(Violation {
                    path: shown,
                    line,
                    rule,
                });
            }
        }
    }
    for dir in crate_dirs(root) {
        let manifest = dir.join("Cargo.toml");
        let shown = shown_path(root, &manifest);
        report.files += 1;
        let rule = match std::fs::read_to_string(&manifest) {
            Ok(text) if inherits_workspace_lints(&text) => continue,
            Ok(_) => {
                "the crate does not inherit the workspace lints: add `[lints] workspace = true`"
            }
            Err(_) => "a crate directory without a readable Cargo.toml",
        };
        report.violations.push(Violation {
            path: shown,
            line: 1,
            rule: rule.to_owned(),
        });
    }
    report
}

/// Every directory in `crates/`, plus `xtask` and `tests` when they hold a crate.
fn crate_dirs(root: &Path) -> Vec<std::path::PathBuf> {
    let mut dirs: Vec<_> = std::fs::read_dir(root.join("crates"))
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.is_dir())
        .collect();
    dirs.sort();
    for extra in ["xtask", "tests"] {
        let dir = root.join(extra);
        if dir.join("Cargo.toml").is_file() {
            dirs.push(dir);
        }
    }
    dirs
}

fn shown_path(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .display()
        .to_string()
}

/// A violation inside one file: its 1-based line and the rule.
type Finding = (usize, String);

/// Rule 1: every `unsafe` block, in code and in doc-comment examples, has a `// SAFETY:` comment
/// just above it.
///
/// Walking up from the block: comment lines are read for `SAFETY:`; attribute lines and lines of
/// the same statement (a line that does not end in `;`, `{`, `}` or `,`) are stepped over, at most
/// [`SAFETY_WINDOW`] of them; anything else ends the search.
fn safety_comments(source: &str) -> Vec<Finding> {
    let raw: Vec<&str> = source.lines().collect();
    let masker = Masker::run(source);
    let masked: Vec<&str> = masker.text.lines().collect();
    let mut findings = unsafe_blocks_without_safety(&raw, &masked);

    // The code inside doc-comment fences, line for line; every other line becomes empty.
    let mut in_fence = false;
    let doc: Vec<&str> = raw
        .iter()
        .enumerate()
        .map(|(index, line)| {
            let in_literal = masker.continued.binary_search(&index).is_ok();
            let Some(text) = doc_comment_text(line).filter(|_| !in_literal) else {
                in_fence = false;
                return "";
            };
            if text.trim_start().starts_with("```") {
                in_fence = !in_fence;
                return "";
            }
            if !in_fence {
                return "";
            }
            // Rustdoc hides lines that start with `# `; they are compiled all the same.
            match text.strip_prefix("# ") {
                Some(hidden) => hidden,
                None if text == "#" => "",
                None => text,
            }
        })
        .collect();
    let masked_doc_source = mask(&doc.join("\n"));
    let masked_doc: Vec<&str> = masked_doc_source.lines().collect();
    findings.extend(unsafe_blocks_without_safety(&doc, &masked_doc));
    findings.sort();
    findings.dedup();
    findings
}

/// The text of a `///` or `//!` line, without the marker and its one space.
fn doc_comment_text(line: &str) -> Option<&str> {
    let trimmed = line.trim_start();
    let text = trimmed
        .strip_prefix("///")
        .filter(|rest| !rest.starts_with('/'))
        .or_else(|| trimmed.strip_prefix("//!"))?;
    Some(text.strip_prefix(' ').unwrap_or(text))
}

fn unsafe_blocks_without_safety(raw: &[&str], masked: &[&str]) -> Vec<Finding> {
    let mut findings = Vec::new();
    for (index, line) in masked.iter().enumerate() {
        if !has_unsafe_block(line) {
            continue;
        }
        let mut documented = false;
        let mut stepped_over = 0;
        for above in (0..index).rev() {
            let text = raw.get(above).map_or("", |line| line.trim());
            if text.starts_with("//") {
                if text.contains("SAFETY:") {
                    documented = true;
                    break;
                }
                continue;
            }
            stepped_over += 1;
            if stepped_over > SAFETY_WINDOW {
                break;
            }
            if text.starts_with("#[") {
                continue;
            }
            let code = masked.get(above).map_or("", |line| line.trim_end());
            if code.is_empty() || code.ends_with([';', '{', '}', ',']) {
                break;
            }
        }
        if !documented {
            findings.push((
                index + 1,
                "an `unsafe` block without a `// SAFETY:` comment just above it".to_owned(),
            ));
        }
    }
    findings
}

/// Whether a masked line opens an `unsafe` block (not an `unsafe fn`, `impl` or `trait`).
fn has_unsafe_block(masked_line: &str) -> bool {
    calls_of(masked_line, "unsafe").any(|rest| rest.trim_start().starts_with('{'))
}

/// Rule 2: `allow(unsafe_code` (or `expect(`) always carries `reason = "…"`.
fn unsafe_code_allows(source: &str) -> Vec<Finding> {
    let masked = mask(source);
    let mut findings = Vec::new();
    for attribute in ["allow", "expect"] {
        for (start, _) in masked.match_indices(attribute) {
            let before = masked[..start].chars().next_back();
            if before.is_some_and(is_ident_char) {
                continue;
            }
            let Some(arguments) = masked[start + attribute.len()..]
                .trim_start()
                .strip_prefix('(')
            else {
                continue;
            };
            let arguments = up_to_closing_paren(arguments);
            let names_unsafe_code = arguments
                .split(|c: char| !is_ident_char(c))
                .any(|word| word == "unsafe_code");
            if names_unsafe_code && !has_reason(arguments) {
                let line = masked[..start].matches('\n').count() + 1;
                findings.push((
                    line,
                    format!("`{attribute}(unsafe_code)` without `reason = \"…\"`"),
                ));
            }
        }
    }
    findings.sort();
    findings
}

/// The text before the parenthesis that closes the one already opened.
fn up_to_closing_paren(text: &str) -> &str {
    let mut depth = 0_usize;
    for (index, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' if depth == 0 => return &text[..index],
            ')' => depth -= 1,
            _ => {}
        }
    }
    text
}

fn has_reason(arguments: &str) -> bool {
    arguments.split("reason").skip(1).any(|after| {
        after
            .trim_start()
            .strip_prefix('=')
            .is_some_and(|value| value.trim_start().starts_with('"'))
    })
}

/// Rule 3: no unfinished-code or debugging macros.
fn unfinished_code(source: &str) -> Vec<Finding> {
    let masked = mask(source);
    let mut findings = Vec::new();
    for (index, line) in masked.lines().enumerate() {
        for name in ["todo", "unimplemented", "dbg"] {
            let called = calls_of(line, name).any(|rest| rest.starts_with("!("));
            if called {
                findings.push((index + 1, format!("a `{name}!` call left in")));
            }
        }
    }
    findings
}

/// Rule 4: an ignored test says why, `#[ignore = "reason"]`.
fn ignore_reasons(source: &str) -> Vec<Finding> {
    let masked = mask(source);
    let mut findings = Vec::new();
    for (index, line) in masked.lines().enumerate() {
        let bare = line
            .match_indices("#[ignore")
            .any(|(at, _)| line[at + "#[ignore".len()..].trim_start().starts_with(']'));
        if bare {
            findings.push((
                index + 1,
                "`#[ignore]` without a reason: write `#[ignore = \"why\"]`".to_owned(),
            ));
        }
    }
    findings
}

/// Rule 5: no file past [`MAX_LINES`] lines.
fn file_length(source: &str) -> Vec<Finding> {
    let lines = source.lines().count();
    if lines > MAX_LINES {
        vec![(
            MAX_LINES + 1,
            format!(
                "the file has {lines} lines, over the limit of {MAX_LINES}: split it by concept"
            ),
        )]
    } else {
        Vec::new()
    }
}

fn length_warning(source: &str) -> Option<Finding> {
    let lines = source.lines().count();
    (WARN_LINES < lines && lines <= MAX_LINES).then(|| {
        (
            WARN_LINES + 1,
            format!("the file has {lines} lines; STYLE rule 3 asks for about {WARN_LINES}"),
        )
    })
}

/// Rule 6: whether a manifest has `[lints] workspace = true` (or a spelling TOML treats alike).
fn inherits_workspace_lints(manifest: &str) -> bool {
    let mut table = String::new();
    for line in manifest.lines() {
        let line = line.split('#').next().unwrap_or_default();
        let compact: String = line.chars().filter(|c| !c.is_whitespace()).collect();
        if compact.starts_with('[') {
            table = compact;
            continue;
        }
        let inherits = match table.as_str() {
            "[lints]" => compact == "workspace=true",
            "" => compact == "lints.workspace=true" || compact == "lints={workspace=true}",
            _ => false,
        };
        if inherits {
            return true;
        }
    }
    false
}

/// For each place `word` stands as a whole word in `line`, the text after it.
fn calls_of<'a>(line: &'a str, word: &'a str) -> impl Iterator<Item = &'a str> + 'a {
    line.match_indices(word).filter_map(move |(at, _)| {
        let before = line[..at].chars().next_back();
        let rest = &line[at + word.len()..];
        let after = rest.chars().next();
        let whole = !before.is_some_and(is_ident_char) && !after.is_some_and(is_ident_char);
        whole.then_some(rest)
    })
}

#[cfg(test)]
mod tests {
    use super::{
        check, file_length, ignore_reasons, inherits_workspace_lints, safety_comments,
        unfinished_code, unsafe_code_allows,
    };

    fn lines(findings: Vec<(usize, String)>) -> Vec<usize> {
        findings.into_iter().map(|(line, _)| line).collect()
    }

    #[test]
    fn the_repository_follows_the_tidy_rules() {
        let report = check(crate::step::root());
        for warning in &report.warnings {
            eprintln!("warning: {warning}");
        }
        let violations: Vec<String> = report.violations.iter().map(ToString::to_string).collect();
        assert!(
            violations.is_empty(),
            "{} tidy violation(s):\n{}",
            violations.len(),
            violations.join("\n")
        );
    }

    #[test]
    fn an_unsafe_block_needs_a_safety_comment_just_above() {
        let source = r#"fn f() {
    // SAFETY: documented.
    unsafe { a() };
    unsafe { b() };
    // SAFETY: a long comment,
    // over several lines,
    // still counts.
    #[allow(clippy::x, reason = "y")]
    let x =
        unsafe { c() };
    // SAFETY: too far away.
    foo();
    unsafe { d() };
    let s = "unsafe { in a string }";
    // unsafe { in a comment }
    unsafe fn g() {}
}
"#;
        assert_eq!(lines(safety_comments(source)), [4, 13]);
    }

    #[test]
    fn unsafe_blocks_in_doc_examples_need_a_safety_comment_too() {
        let source = r#"/// Text that mentions no block.
///
/// ```
/// // SAFETY: documented.
/// let a = unsafe { a() };
/// let b = unsafe { b() };
/// ```
fn f() {}
"#;
        assert_eq!(lines(safety_comments(source)), [6]);
    }

    #[test]
    fn allowing_unsafe_code_needs_a_reason() {
        let source = r#"#![allow(unsafe_code, reason = "raw calls")]
#![allow(unsafe_code)]
#[allow(
    unsafe_code,
    clippy::x,
)]
#[expect(unsafe_code, reason="fine")]
// allow(unsafe_code) in a comment is prose.
#[allow(unused)]
"#;
        assert_eq!(lines(unsafe_code_allows(source)), [2, 3]);
    }

    #[test]
    fn unfinished_and_debugging_macros_are_flagged_outside_literals() {
        let source = r#"todo!();
let x = dbg!(y);
std::unimplemented!("later");
let s = "todo!(";
my_todo!(x);
"#;
        assert_eq!(lines(unfinished_code(source)), [1, 2, 3]);
    }

    #[test]
    fn an_ignored_test_needs_a_reason() {
        let source = r#"#[ignore]
#[ignore = "needs root"]
#[ignore ]
"#;
        assert_eq!(lines(ignore_reasons(source)), [1, 3]);
    }

    #[test]
    fn files_past_the_hard_limit_are_flagged() {
        assert!(file_length(&"x\n".repeat(800)).is_empty());
        assert_eq!(lines(file_length(&"x\n".repeat(801))), [801]);
    }

    #[test]
    fn a_crate_must_inherit_the_workspace_lints() {
        assert!(inherits_workspace_lints(
            "[package]\nname = \"a\"\n\n[lints]\nworkspace = true\n"
        ));
        assert!(inherits_workspace_lints(
            "lints.workspace = true\n[package]\n"
        ));
        assert!(!inherits_workspace_lints("[package]\nname = \"a\"\n"));
        assert!(!inherits_workspace_lints("[lints]\n# workspace = true\n"));
        assert!(!inherits_workspace_lints(
            "[dependencies]\nworkspace = true\n"
        ));
    }
}
