//! Message templates: renders a template against a fire's arguments, in a
//! sandbox.
//!
//! Templates are minijinja, restricted to what a message needs: `{{ … }}` with
//! filters, `{% if %}` and `{% for %}`. RedFlash's Django templates used only
//! `{{ var }}`, `{{ var|filter }}` and `{% if var %}`, and these render as
//! Django rendered them, including Django 1.4's HTML escaping.
//!
//! The rest of the language is refused before the template is compiled,
//! because minijinja cannot bound it: `*` repeats a string up to 100 MB per
//! use, `~` and `+` double a string per use, and `{% set %}`, macros,
//! recursive loops and list literals holding variables feed results back into
//! new operations, so a few hundred bytes of template could ask for gigabytes.
//! Compiling already folds constant expressions (`{{ "x" * 99999999 }}` is
//! built at compile time), so the check runs on the parsed tree. What remains
//! is bounded three ways: [`FUEL`] instructions, a budget on the input that
//! filters and tests work through (fuel counts a 16 000-item `sort` as one
//! instruction), and [`MAX_OUTPUT`] enforced while writing. Only a hand-picked
//! set of filters and tests exists, and `range()` stops at 1 000 items.

use std::borrow::Cow;
use std::fmt::{self, Write as _};
use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::LazyLock;

use minijinja::machinery::ast::{BinOpKind, CallArg, Expr, Stmt};
use minijinja::machinery::{self, WhitespaceConfig};
use minijinja::syntax::SyntaxConfig;
use minijinja::tests as is;
use minijinja::value::{Object, Rest, Value, ValueKind};
use minijinja::{filters, AutoEscape, Environment, Error, ErrorKind, Output, State, Template, UndefinedBehavior};
use serde_json::Map;

/// Limits that keep a hostile template from burning CPU or memory.
///
/// Instructions one render may execute.
pub const FUEL: u64 = 50_000;
/// Longest rendered output, in bytes.
pub const MAX_OUTPUT: usize = 64 * 1024;
/// Longest template source, in bytes.
pub const MAX_SOURCE: usize = 16 * 1024;

/// Deepest nesting the engine accepts.
const RECURSION_LIMIT: usize = 50;
/// Most items `range()` may produce: enough for any message, and small enough
/// that `x in range(…)` inside a loop stays cheap.
const MAX_RANGE: i128 = 1_000;
/// Bytes and items filters and tests may take as input, summed over a render.
const MAX_WORK: u64 = 2_000_000;
/// Names the sandbox defines as functions, which are not template variables.
const FUNCTIONS: [&str; 1] = ["range"];
/// What message templates may use, quoted in refusals.
const ALLOWED: &str = "message templates support {{ … }} with filters, {% if %} and {% for %}";

/// How values inserted by `{{ … }}` are escaped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Escaping {
    /// Values are inserted as they are (plain text: SMS, chat, email text part).
    #[default]
    None,
    /// Django 1.4's HTML escaping: `& < > " '` only, as RedFlash did.
    Html,
}

/// A template that could not be rendered: which template, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct RenderError {
    /// The template's field, e.g. `templates.body`.
    pub field: String,
    /// What went wrong, with the line where the engine knows it.
    pub message: String,
}

impl RenderError {
    fn new(field: &str, message: impl Into<String>) -> Self {
        Self { field: field.to_owned(), message: message.into() }
    }
}

/// Renders one template with the arguments as variables. `field` names it in errors ("templates.body").
pub fn render(
    field: &str,
    source: &str,
    args: &Map<String, serde_json::Value>,
    escaping: Escaping,
) -> Result<String, RenderError> {
    let template = compile(sandbox(escaping), field, source)?;
    let mut sink = CappedSink::default();
    let rendered = template.render_captured_to(Value::from_serialize(args), &mut sink).map(drop);
    // Checked first: the engine reports the refused write as a generic write failure.
    if sink.overflowed {
        return Err(RenderError::new(field, format!("output too large: more than {MAX_OUTPUT} bytes")));
    }
    rendered.map_err(|e| engine_error(field, &e))?;
    // Only whole `str` pieces reach the sink, so this cannot fail; map rather than panic anyway.
    String::from_utf8(sink.buf).map_err(|_| RenderError::new(field, "output is not valid UTF-8"))
}

/// The variables a template uses (top-level names, sorted, deduplicated), for forms: minijinja's `Template::undeclared_variables(false)`.
///
/// Functions the sandbox provides (`range`) are not variables and are left out.
/// A template that [`render`] would refuse is refused here too, so a form can
/// say so before the template is saved.
pub fn variables(source: &str) -> Result<Vec<String>, RenderError> {
    let template = compile(sandbox(Escaping::None), "template", source)?;
    let mut names: Vec<String> =
        template.undeclared_variables(false).into_iter().filter(|name| !FUNCTIONS.contains(&name.as_str())).collect();
    names.sort();
    Ok(names)
}

/// The environment for `escaping`, built once: setting one up registers every
/// filter and test, which cost more than rendering a short message. What one
/// render may spend (fuel, the work meter) is counted per render, not here.
fn sandbox(escaping: Escaping) -> &'static Environment<'static> {
    static PLAIN: LazyLock<Environment<'static>> = LazyLock::new(|| build_sandbox(Escaping::None));
    static HTML: LazyLock<Environment<'static>> = LazyLock::new(|| build_sandbox(Escaping::Html));
    match escaping {
        Escaping::None => &PLAIN,
        Escaping::Html => &HTML,
    }
}

/// An environment holding only what message templates may use.
fn build_sandbox(escaping: Escaping) -> Environment<'static> {
    // `empty` rather than `new`: every filter, test and function is listed
    // below on purpose, so an engine upgrade cannot add one unnoticed.
    let mut env = Environment::empty();
    env.set_fuel(Some(FUEL));
    env.set_recursion_limit(RECURSION_LIMIT);
    // Django renders unknown names, and attributes of unknown names, as "".
    env.set_undefined_behavior(UndefinedBehavior::Chainable);
    // Django keeps the template's final newline; minijinja drops it by default.
    env.set_keep_trailing_newline(true);
    // Escaping is the formatter's job alone: minijinja's own HTML escaping also
    // escapes `/`, which Django 1.4 did not.
    env.set_auto_escape_callback(|_| AutoEscape::None);
    env.set_debug(false);
    env.set_formatter(move |out, _state, value| write_value(out, value, escaping));

    add_filter(&mut env, "safe", Cost::Input, Value::from_function(filters::safe));
    add_filter(&mut env, "escape", Cost::Input, Value::from_function(escape));
    add_filter(&mut env, "e", Cost::Input, Value::from_function(escape));
    add_filter(&mut env, "join", Cost::Input, Value::from_function(join));
    add_filter(&mut env, "replace", Cost::Input, Value::from_function(replace));
    add_filter(&mut env, "lower", Cost::Input, Value::from_function(filters::lower));
    add_filter(&mut env, "upper", Cost::Input, Value::from_function(filters::upper));
    add_filter(&mut env, "title", Cost::Input, Value::from_function(filters::title));
    add_filter(&mut env, "capitalize", Cost::Input, Value::from_function(filters::capitalize));
    add_filter(&mut env, "trim", Cost::Input, Value::from_function(filters::trim));
    add_filter(&mut env, "length", Cost::Flat, Value::from_function(filters::length));
    add_filter(&mut env, "count", Cost::Flat, Value::from_function(filters::length));
    add_filter(&mut env, "default", Cost::Flat, Value::from_function(filters::default));
    add_filter(&mut env, "d", Cost::Flat, Value::from_function(filters::default));
    add_filter(&mut env, "first", Cost::Flat, Value::from_function(filters::first));
    add_filter(&mut env, "last", Cost::Flat, Value::from_function(filters::last));
    add_filter(&mut env, "min", Cost::Input, Value::from_function(filters::min));
    add_filter(&mut env, "max", Cost::Input, Value::from_function(filters::max));
    add_filter(&mut env, "sort", Cost::Input, Value::from_function(filters::sort));
    add_filter(&mut env, "unique", Cost::Input, Value::from_function(filters::unique));
    add_filter(&mut env, "reverse", Cost::Input, Value::from_function(filters::reverse));
    add_filter(&mut env, "list", Cost::Input, Value::from_function(filters::list));
    add_filter(&mut env, "string", Cost::Input, Value::from_function(filters::string));
    add_filter(&mut env, "bool", Cost::Flat, Value::from_function(filters::bool));
    add_filter(&mut env, "int", Cost::Flat, Value::from_function(filters::int));
    add_filter(&mut env, "float", Cost::Flat, Value::from_function(filters::float));
    add_filter(&mut env, "abs", Cost::Flat, Value::from_function(filters::abs));
    add_filter(&mut env, "round", Cost::Flat, Value::from_function(filters::round));
    add_filter(&mut env, "items", Cost::Input, Value::from_function(filters::items));
    add_filter(&mut env, "dictsort", Cost::Input, Value::from_function(filters::dictsort));
    add_filter(&mut env, "split", Cost::Input, Value::from_function(filters::split));
    add_filter(&mut env, "lines", Cost::Input, Value::from_function(filters::lines));
    add_filter(&mut env, "attr", Cost::Flat, Value::from_function(filters::attr));
    add_filter(&mut env, "select", Cost::Input, Value::from_function(filters::select));
    add_filter(&mut env, "reject", Cost::Input, Value::from_function(filters::reject));
    add_filter(&mut env, "selectattr", Cost::Input, Value::from_function(filters::selectattr));
    add_filter(&mut env, "rejectattr", Cost::Input, Value::from_function(filters::rejectattr));
    // Left out on purpose: `format`, `indent`, `center`-style padding and
    // `pprint` take a size from the template; `map`, `batch`, `slice`, `sum`,
    // `chain`, `zip` and `groupby` can build containers that repeat a value.

    add_test(&mut env, "defined", Cost::Flat, Value::from_function(is::is_defined));
    add_test(&mut env, "undefined", Cost::Flat, Value::from_function(is::is_undefined));
    add_test(&mut env, "none", Cost::Flat, Value::from_function(is::is_none));
    add_test(&mut env, "safe", Cost::Flat, Value::from_function(is::is_safe));
    add_test(&mut env, "escaped", Cost::Flat, Value::from_function(is::is_safe));
    add_test(&mut env, "boolean", Cost::Flat, Value::from_function(is::is_boolean));
    add_test(&mut env, "true", Cost::Flat, Value::from_function(is::is_true));
    add_test(&mut env, "false", Cost::Flat, Value::from_function(is::is_false));
    add_test(&mut env, "odd", Cost::Flat, Value::from_function(is::is_odd));
    add_test(&mut env, "even", Cost::Flat, Value::from_function(is::is_even));
    add_test(&mut env, "divisibleby", Cost::Flat, Value::from_function(is::is_divisibleby));
    add_test(&mut env, "number", Cost::Flat, Value::from_function(is::is_number));
    add_test(&mut env, "integer", Cost::Flat, Value::from_function(is::is_integer));
    add_test(&mut env, "int", Cost::Flat, Value::from_function(is::is_integer));
    add_test(&mut env, "float", Cost::Flat, Value::from_function(is::is_float));
    add_test(&mut env, "string", Cost::Flat, Value::from_function(is::is_string));
    add_test(&mut env, "sequence", Cost::Flat, Value::from_function(is::is_sequence));
    add_test(&mut env, "iterable", Cost::Flat, Value::from_function(is::is_iterable));
    add_test(&mut env, "mapping", Cost::Flat, Value::from_function(is::is_mapping));
    add_test(&mut env, "startingwith", Cost::Input, Value::from_function(is::is_startingwith));
    add_test(&mut env, "endingwith", Cost::Input, Value::from_function(is::is_endingwith));
    add_test(&mut env, "lower", Cost::Input, Value::from_function(is::is_lower));
    add_test(&mut env, "upper", Cost::Input, Value::from_function(is::is_upper));
    add_test(&mut env, "sameas", Cost::Flat, Value::from_function(is::is_sameas));
    add_test(&mut env, "in", Cost::Input, Value::from_function(is::is_in));
    for name in ["eq", "equalto", "=="] {
        add_test(&mut env, name, Cost::Input, Value::from_function(is::is_eq));
    }
    for name in ["ne", "!="] {
        add_test(&mut env, name, Cost::Input, Value::from_function(is::is_ne));
    }
    for name in ["lt", "lessthan", "<"] {
        add_test(&mut env, name, Cost::Input, Value::from_function(is::is_lt));
    }
    for name in ["le", "<="] {
        add_test(&mut env, name, Cost::Input, Value::from_function(is::is_le));
    }
    for name in ["gt", "greaterthan", ">"] {
        add_test(&mut env, name, Cost::Input, Value::from_function(is::is_gt));
    }
    for name in ["ge", ">="] {
        add_test(&mut env, name, Cost::Input, Value::from_function(is::is_ge));
    }

    env.add_function("range", range);
    env
}

/// Registers a filter that charges its arguments' size to the render's work
/// budget before running.
fn add_filter(env: &mut Environment<'_>, name: &'static str, cost: Cost, filter: Value) {
    env.add_filter(name, move |state: &State<'_, '_>, args: Rest<Value>| -> Result<Value, Error> {
        charge(state, cost, &args)?;
        filter.call(state, &args)
    });
}

/// Registers a test that charges its arguments' size like [`add_filter`].
fn add_test(env: &mut Environment<'_>, name: &'static str, cost: Cost, test: Value) {
    env.add_test(name, move |state: &State<'_, '_>, args: Rest<Value>| -> Result<bool, Error> {
        charge(state, cost, &args)?;
        Ok(test.call(state, &args)?.is_true())
    });
}

/// The work a render's filters and tests have done so far. It lives in the
/// render's own state (a minijinja temp), so renders sharing an environment,
/// even at the same time on other threads, each get the whole budget.
#[derive(Debug, Default)]
struct WorkMeter(AtomicU64);

impl Object for WorkMeter {}

/// Fuel counts instructions, not the work one instruction does: `select` or
/// `sort` over a 16 KB string's characters is one instruction. Charging the
/// size of every filter's and test's input bounds that work per render.
fn charge(state: &State<'_, '_>, cost: Cost, args: &[Value]) -> Result<(), Error> {
    let cost = match cost {
        Cost::Flat => 1,
        Cost::Input => args.iter().map(weight).fold(1u64, u64::saturating_add),
    };
    let meter = state.get_or_set_temp_object("tocsin.work", WorkMeter::default);
    let spent = meter.0.fetch_add(cost, Ordering::Relaxed).saturating_add(cost);
    if spent > MAX_WORK {
        return Err(Error::new(
            ErrorKind::InvalidOperation,
            format!("the template's filters work on more than {MAX_WORK} bytes or items in total"),
        ));
    }
    Ok(())
}

/// What a filter or test is charged per call.
#[derive(Clone, Copy)]
enum Cost {
    /// One unit: the work does not grow with the input (`length`, `default`, type tests).
    Flat,
    /// The input's size: bytes of strings, items of containers, 1 for anything else.
    Input,
}

fn weight(value: &Value) -> u64 {
    let size = match value.as_str() {
        Some(s) => s.len(),
        None => value.len().unwrap_or(1),
    };
    u64::try_from(size).unwrap_or(u64::MAX)
}

/// Checks size and sandbox rules, then compiles.
fn compile<'env, 'source>(
    env: &'env Environment<'source>,
    field: &str,
    source: &'source str,
) -> Result<Template<'env, 'source>, RenderError> {
    if source.len() > MAX_SOURCE {
        return Err(RenderError::new(field, format!("must be at most {MAX_SOURCE} bytes")));
    }
    // Same syntax and whitespace settings as the environment, so the checked
    // tree is the one that gets compiled.
    let whitespace = WhitespaceConfig { keep_trailing_newline: true, ..WhitespaceConfig::default() };
    // `default()` rather than the unit-struct literal: with minijinja's
    // `custom_syntax` feature the type gains fields.
    #[allow(clippy::default_constructed_unit_structs)]
    let syntax = SyntaxConfig::default();
    let ast = machinery::parse(source, "<template>", syntax, whitespace).map_err(|e| engine_error(field, &e))?;
    check_stmt(&ast).map_err(|refusal| {
        RenderError::new(field, format!("template error (line {}): {}; {ALLOWED}", refusal.line, refusal.what))
    })?;
    env.template_from_str(source).map_err(|e| engine_error(field, &e))
}

/// A construct the sandbox refuses, and where.
struct Refusal {
    line: u16,
    what: String,
}

fn refuse(line: u16, what: impl Into<String>) -> Refusal {
    Refusal { line, what: what.into() }
}

fn check_body(body: &[Stmt<'_>]) -> Result<(), Refusal> {
    body.iter().try_for_each(check_stmt)
}

fn check_stmt(stmt: &Stmt<'_>) -> Result<(), Refusal> {
    let statement = |line: u16, name: &str| Err(refuse(line, format!("{{% {name} %}} is not available")));
    match stmt {
        Stmt::Template(t) => check_body(&t.children),
        Stmt::EmitRaw(_) => Ok(()),
        Stmt::EmitExpr(e) => check_expr(&e.expr),
        Stmt::IfCond(c) => {
            check_expr(&c.expr)?;
            check_body(&c.true_body)?;
            check_body(&c.false_body)
        }
        Stmt::ForLoop(f) => {
            if f.recursive {
                return Err(refuse(f.span().start_line, "recursive loops are not available"));
            }
            // The target only names variables, so it needs no check.
            check_expr(&f.iter)?;
            if let Some(filter) = &f.filter_expr {
                check_expr(filter)?;
            }
            check_body(&f.body)?;
            check_body(&f.else_body)
        }
        Stmt::Set(s) => statement(s.span().start_line, "set"),
        Stmt::SetBlock(s) => statement(s.span().start_line, "set"),
        Stmt::WithBlock(s) => statement(s.span().start_line, "with"),
        Stmt::AutoEscape(s) => statement(s.span().start_line, "autoescape"),
        Stmt::FilterBlock(s) => statement(s.span().start_line, "filter"),
        Stmt::Macro(s) => statement(s.span().start_line, "macro"),
        Stmt::CallBlock(s) => statement(s.span().start_line, "call"),
        Stmt::Do(s) => statement(s.span().start_line, "do"),
        Stmt::Block(s) => statement(s.span().start_line, "block"),
        Stmt::Extends(s) => statement(s.span().start_line, "extends"),
        Stmt::Include(s) => statement(s.span().start_line, "include"),
        Stmt::Import(s) => statement(s.span().start_line, "import"),
        Stmt::FromImport(s) => statement(s.span().start_line, "from"),
        // Statements a later engine or feature adds are refused until reviewed.
        #[allow(unreachable_patterns)]
        _ => Err(refuse(0, "this statement is not available")),
    }
}

fn check_expr(expr: &Expr<'_>) -> Result<(), Refusal> {
    match expr {
        Expr::Var(_) | Expr::Const(_) => Ok(()),
        Expr::Slice(s) => {
            check_expr(&s.expr)?;
            [&s.start, &s.stop, &s.step].into_iter().flatten().try_for_each(check_expr)
        }
        Expr::UnaryOp(u) => check_expr(&u.expr),
        Expr::BinOp(b) => {
            let hint = " (to join values, write them side by side: {{ a }}{{ b }})";
            let refused = match b.op {
                BinOpKind::Mul => Some(("*", "")),
                BinOpKind::Add => Some(("+", hint)),
                BinOpKind::Concat => Some(("~", hint)),
                _ => None,
            };
            if let Some((op, hint)) = refused {
                return Err(refuse(b.span().start_line, format!("the {op} operator is not available{hint}")));
            }
            check_expr(&b.left)?;
            check_expr(&b.right)
        }
        Expr::Compare(c) => {
            check_expr(&c.expr)?;
            c.ops.iter().try_for_each(|op| check_expr(&op.expr))
        }
        Expr::IfExpr(i) => {
            check_expr(&i.test_expr)?;
            check_expr(&i.true_expr)?;
            i.false_expr.as_ref().map_or(Ok(()), check_expr)
        }
        Expr::Filter(f) => {
            f.expr.as_ref().map_or(Ok(()), check_expr)?;
            check_args(&f.args)
        }
        Expr::Test(t) => {
            check_expr(&t.expr)?;
            check_args(&t.args)
        }
        Expr::GetAttr(g) => check_expr(&g.expr),
        Expr::GetItem(g) => {
            check_expr(&g.expr)?;
            check_expr(&g.subscript_expr)
        }
        Expr::Call(c) => {
            check_expr(&c.expr)?;
            check_args(&c.args)
        }
        // A literal that holds variables can hold the loop variable that an
        // outer loop bound to another such literal, nesting without limit; one
        // that nests constant lists makes loop variables that are large lists,
        // compared element by element in a single instruction.
        Expr::List(_) | Expr::Map(_) if is_constant(expr) => Ok(()),
        Expr::List(l) => Err(refuse(l.span().start_line, "list literals may only contain plain constants")),
        Expr::Map(m) => Err(refuse(m.span().start_line, "map literals may only contain plain constants")),
    }
}

fn check_args(args: &[CallArg<'_>]) -> Result<(), Refusal> {
    args.iter().try_for_each(|arg| match arg {
        CallArg::Pos(e) | CallArg::Kwarg(_, e) | CallArg::PosSplat(e) | CallArg::KwargSplat(e) => check_expr(e),
    })
}

/// Whether a list or map literal holds only scalar constants (strings,
/// numbers, booleans, none): enough for `level in ['high', 'critical']`.
fn is_constant(expr: &Expr<'_>) -> bool {
    fn scalar(expr: &Expr<'_>) -> bool {
        match expr {
            Expr::Const(_) => true,
            Expr::UnaryOp(u) => scalar(&u.expr),
            _ => false,
        }
    }
    match expr {
        Expr::List(l) => l.items.iter().all(scalar),
        Expr::Map(m) => m.keys.iter().chain(m.values.iter()).all(scalar),
        _ => false,
    }
}

/// "template error (line 3): invalid operation: …", from an engine error.
fn engine_error(field: &str, err: &Error) -> RenderError {
    let line = err.line().map(|l| format!(" (line {l})")).unwrap_or_default();
    let what = match err.detail() {
        Some(detail) => format!("{}: {detail}", err.kind()),
        None => err.kind().to_string(),
    };
    RenderError::new(field, format!("template error{line}: {what}"))
}

/// Writes what `{{ … }}` produced: nothing for undefined and none, safe values
/// as they are, everything else escaped as asked.
fn write_value(out: &mut Output<'_>, value: &Value, escaping: Escaping) -> Result<(), Error> {
    // Django printed a missing name as ""; JSON null reads best the same way
    // rather than as minijinja's "none".
    if value.is_undefined() || value.is_none() {
        return Ok(());
    }
    // JSON spelling, as the arguments arrived; minijinja (like Django) would say "True".
    if value.kind() == ValueKind::Bool {
        return out.write_str(if value.is_true() { "true" } else { "false" }).map_err(Error::from);
    }
    let written = match escaping {
        Escaping::Html if !value.is_safe() => write!(HtmlEscaper(out), "{value}"),
        _ => write!(out, "{value}"),
    };
    written.map_err(|_| Error::new(ErrorKind::WriteFailure, "could not write the output"))
}

/// Escapes `s` the way Django 1.4's `escape` did: five characters, nothing else.
fn escape_html_into(out: &mut impl fmt::Write, s: &str) -> fmt::Result {
    let mut plain_from = 0;
    for (i, byte) in s.bytes().enumerate() {
        let entity = match byte {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            b'\'' => "&#39;",
            _ => continue,
        };
        // The five characters are ASCII, so `i` is always a char boundary.
        out.write_str(&s[plain_from..i])?;
        out.write_str(entity)?;
        plain_from = i + 1;
    }
    out.write_str(&s[plain_from..])
}

/// A `fmt::Write` that HTML-escapes everything passing through it.
struct HtmlEscaper<'a, W: fmt::Write>(&'a mut W);

impl<W: fmt::Write> fmt::Write for HtmlEscaper<'_, W> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        escape_html_into(self.0, s)
    }
}

/// Collects the output and refuses any write past [`MAX_OUTPUT`], so a runaway
/// template stops at the limit instead of after it has filled memory.
#[derive(Default)]
struct CappedSink {
    buf: Vec<u8>,
    overflowed: bool,
}

impl io::Write for CappedSink {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        // All or nothing, so the buffer only ever holds whole `str` pieces.
        if self.buf.len().saturating_add(data.len()) > MAX_OUTPUT {
            self.overflowed = true;
            return Err(io::Error::other("output too large"));
        }
        self.buf.extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Text of a value as `{{ }}` would show it, for filters: undefined and none are "".
fn text_of(value: &Value) -> String {
    if value.is_undefined() || value.is_none() {
        String::new()
    } else {
        value.to_string()
    }
}

/// `escape`/`e`: Django's escaping, whatever the template's own escaping;
/// already-safe values are left alone so nothing is escaped twice.
fn escape(value: &Value) -> Value {
    if value.is_safe() {
        return value.clone();
    }
    let mut escaped = String::new();
    // Writing into a String cannot fail.
    let _ = escape_html_into(&mut escaped, &text_of(value));
    Value::from_safe_string(escaped)
}

/// `join`: like minijinja's, but refuses results larger than [`MAX_OUTPUT`]
/// instead of building them.
fn join(value: &Value, separator: Option<Cow<'_, str>>) -> Result<String, Error> {
    let separator = separator.as_deref().unwrap_or("");
    let mut joined = String::new();
    if value.is_undefined() || value.is_none() {
        return Ok(joined);
    }
    for (i, item) in value.try_iter()?.enumerate() {
        if i > 0 {
            joined.push_str(separator);
        }
        match item.as_str() {
            Some(s) => joined.push_str(s),
            None => {
                let _ = write!(joined, "{item}");
            }
        }
        if joined.len() > MAX_OUTPUT {
            return Err(too_large("join"));
        }
    }
    Ok(joined)
}

/// `replace`: like minijinja's, but refuses to grow a value past [`MAX_OUTPUT`]
/// (one `replace` can otherwise multiply its input by the replacement's length).
fn replace(value: &Value, from: Cow<'_, str>, to: Cow<'_, str>) -> Result<String, Error> {
    let text = text_of(value);
    // `str::replace` with an empty pattern inserts at every char boundary.
    let matches = if from.is_empty() { text.chars().count() + 1 } else { text.matches(from.as_ref()).count() };
    let grown = matches.saturating_mul(to.len()).saturating_add(text.len());
    if grown.saturating_sub(matches.saturating_mul(from.len())) > MAX_OUTPUT.max(text.len()) {
        return Err(too_large("replace"));
    }
    Ok(text.replace(from.as_ref(), &to))
}

fn too_large(filter: &str) -> Error {
    Error::new(ErrorKind::InvalidOperation, format!("{filter} would produce more than {MAX_OUTPUT} bytes"))
}

/// `range()`: minijinja's, limited to [`MAX_RANGE`] items.
fn range(lower: i64, upper: Option<i64>, step: Option<i64>) -> Result<Value, Error> {
    let (start, stop) = match upper {
        Some(upper) => (i128::from(lower), i128::from(upper)),
        None => (0, i128::from(lower)),
    };
    let step = i128::from(step.unwrap_or(1));
    if step == 0 {
        return Err(Error::new(ErrorKind::InvalidOperation, "cannot create range with step of 0"));
    }
    let span = if step > 0 { stop - start } else { start - stop };
    let items = if span <= 0 { 0 } else { (span + step.abs() - 1) / step.abs() };
    if items > MAX_RANGE {
        return Err(Error::new(ErrorKind::InvalidOperation, format!("range() is limited to {MAX_RANGE} items")));
    }
    // In bounds now, so the conversions cannot fail; the engine checks again.
    let narrow =
        |n: i64| isize::try_from(n).map_err(|_| Error::new(ErrorKind::InvalidOperation, "range out of bounds"));
    minijinja::functions::range(narrow(lower)?, upper.map(narrow).transpose()?, step_arg(step)?)
}

fn step_arg(step: i128) -> Result<Option<isize>, Error> {
    isize::try_from(step).map(Some).map_err(|_| Error::new(ErrorKind::InvalidOperation, "range step out of bounds"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use serde_json::json;

    use super::*;

    fn args(value: serde_json::Value) -> Map<String, serde_json::Value> {
        value.as_object().cloned().expect("test args are an object")
    }

    fn html(source: &str, value: serde_json::Value) -> String {
        render("templates.body", source, &args(value), Escaping::Html).unwrap()
    }

    fn plain(source: &str, value: serde_json::Value) -> String {
        render("templates.body", source, &args(value), Escaping::None).unwrap()
    }

    fn refused(source: &str) -> RenderError {
        render("templates.body", source, &args(json!({"x": "a", "items": ["a", "b"]})), Escaping::None).unwrap_err()
    }

    #[test]
    fn variables_and_upper_render_as_django_did() {
        assert_eq!(plain("Disk {{ host }} is full", json!({"host": "web1"})), "Disk web1 is full");
        assert_eq!(plain("{{ host|upper }}", json!({"host": "web1"})), "WEB1");
        assert_eq!(plain("{{host}}:{{ host }}", json!({"host": "a"})), "a:a");
        assert_eq!(plain("{{ name|upper }}", json!({"name": "straße"})), "STRASSE");
    }

    #[test]
    fn if_renders_as_django_did() {
        let source = "{% if level %}[{{ level }}] {% endif %}down";
        assert_eq!(plain(source, json!({"level": "critical"})), "[critical] down");
        assert_eq!(plain(source, json!({"level": ""})), "down");
        assert_eq!(plain(source, json!({})), "down");
        assert_eq!(plain(source, json!({"level": 0})), "down");
        assert_eq!(plain(source, json!({"level": false})), "down");
        assert_eq!(plain("{% if a %}A{% else %}B{% endif %}", json!({"a": []})), "B");
    }

    #[test]
    fn unknown_variables_render_empty_and_never_fail() {
        assert_eq!(plain("[{{ missing }}]", json!({})), "[]");
        assert_eq!(plain("[{{ missing.deeper.still }}]", json!({})), "[]");
        assert_eq!(plain("[{{ missing|upper }}]", json!({})), "[]");
        assert_eq!(plain("[{% for x in missing %}{{ x }}{% endfor %}]", json!({})), "[]");
        assert_eq!(plain("[{{ host.missing }}]", json!({"host": "web1"})), "[]");
    }

    #[test]
    fn numbers_booleans_and_null_render_plainly() {
        let values = json!({"n": 5, "f": 1.5, "yes": true, "no": false, "nothing": null, "neg": -3});
        assert_eq!(
            plain("{{ n }} {{ f }} {{ yes }} {{ no }} [{{ nothing }}] {{ neg }}", values),
            "5 1.5 true false [] -3"
        );
    }

    #[test]
    fn html_escaping_is_exactly_django_1_4s_five_entities() {
        let table = [
            ("&", "&amp;"),
            ("<", "&lt;"),
            (">", "&gt;"),
            ("\"", "&quot;"),
            ("'", "&#39;"),
            ("/", "/"),
            ("`", "`"),
            ("=", "="),
            ("é €", "é €"),
            ("<web1> & \"db\"", "&lt;web1&gt; &amp; &quot;db&quot;"),
            ("a&amp;b", "a&amp;amp;b"),
        ];
        for (raw, escaped) in table {
            assert_eq!(html("{{ v }}", json!({"v": raw})), escaped, "{raw}");
        }
    }

    #[test]
    fn escaping_none_inserts_values_as_they_are() {
        assert_eq!(plain("{{ v }}", json!({"v": "<web1> & \"db\" 'x'"})), "<web1> & \"db\" 'x'");
    }

    #[test]
    fn literal_template_text_is_never_escaped() {
        assert_eq!(html("<b>{{ v }}</b> & 'co'", json!({"v": "<i>"})), "<b>&lt;i&gt;</b> & 'co'");
    }

    #[test]
    fn values_marked_safe_are_written_raw() {
        assert_eq!(html("{{ v|safe }}", json!({"v": "<b>&</b>"})), "<b>&</b>");
        assert_eq!(plain("{{ v|safe }}", json!({"v": "<b>&</b>"})), "<b>&</b>");
    }

    #[test]
    fn the_escape_filter_escapes_django_style_and_only_once() {
        assert_eq!(plain("{{ v|escape }}", json!({"v": "</a> 'x'"})), "&lt;/a&gt; &#39;x&#39;");
        assert_eq!(html("{{ v|e }}", json!({"v": "<a/>"})), "&lt;a/&gt;");
        assert_eq!(html("{{ v|safe|e }}", json!({"v": "<a/>"})), "<a/>");
    }

    #[test]
    fn filters_escape_their_output_under_html() {
        assert_eq!(html("{{ v|upper }}", json!({"v": "<b>"})), "&lt;B&gt;");
        assert_eq!(html("{{ items|join(' & ') }}", json!({"items": ["<a>", "b"]})), "&lt;a&gt; &amp; b");
    }

    #[test]
    fn the_redflash_fixture_template_renders_as_it_did() {
        let source = "Test server overload event {{y}}: {{x}}";
        assert_eq!(html(source, json!({"x": "<b>", "y": "1"})), "Test server overload event 1: &lt;b&gt;");
    }

    #[test]
    fn the_final_newline_is_kept_like_django() {
        assert_eq!(plain("Hello {{ n }}\n", json!({"n": "ana"})), "Hello ana\n");
    }

    #[test]
    fn loops_comparisons_and_constant_lists_work() {
        let values = json!({"hosts": ["web1", "db1"], "level": "high", "n": 7});
        let source = "{% for h in hosts %}{{ loop.index }}.{{ h }}{% if not loop.last %}, {% endif %}{% endfor %}";
        assert_eq!(plain(source, values.clone()), "1.web1, 2.db1");
        assert_eq!(plain("{% if level in ['high', 'critical'] %}!{% endif %}", values.clone()), "!");
        assert_eq!(
            plain("{{ n - 2 }} {{ n / 2 }} {{ n // 2 }} {{ n % 2 }} {{ n ** 2 }}", values.clone()),
            "5 3.5 3 1 49"
        );
        assert_eq!(plain("{{ hosts|length }} {{ hosts|first }} {{ hosts|sort|join(',') }}", values), "2 web1 db1,web1");
        assert_eq!(plain("{% for i in range(3) %}{{ i }}{% endfor %}", json!({})), "012");
        assert_eq!(plain("{{ m.a }} {{ m['b c'] }}", json!({"m": {"a": 1, "b c": 2}})), "1 2");
    }

    #[test]
    fn a_syntax_error_names_the_line_and_the_problem() {
        let err = render("templates.subject", "line one\n{% if x %}unclosed", &Map::new(), Escaping::None).unwrap_err();
        assert_eq!(err.field, "templates.subject");
        assert!(err.message.starts_with("template error (line 2): syntax error"), "{}", err.message);
    }

    #[test]
    fn a_runtime_error_names_the_line_and_the_problem() {
        let err = refused("ok\n{{ 1 // 0 }}");
        assert!(err.message.starts_with("template error (line 2): "), "{}", err.message);
        let err = refused("{{ x|nonexistent }}");
        assert!(err.message.contains("unknown filter"), "{}", err.message);
    }

    #[test]
    fn a_huge_range_is_refused() {
        let err = refused("{% for i in range(100000000) %}x{% endfor %}");
        assert!(err.message.contains("range() is limited to 1000 items"), "{}", err.message);
        assert!(refused("{{ range(0, 10, 0) }}").message.contains("step of 0"));
    }

    #[test]
    fn nested_loops_run_out_of_fuel() {
        let err = refused("{% for i in range(1000) %}{% for j in range(1000) %}{% endfor %}{% endfor %}");
        assert!(err.message.contains("fuel"), "{}", err.message);
    }

    #[test]
    fn output_past_the_limit_is_refused_while_rendering() {
        let source = format!("{{% for i in range(1000) %}}{}{{% endfor %}}", "x".repeat(100));
        assert_eq!(refused(&source).message, format!("output too large: more than {MAX_OUTPUT} bytes"));
        let big = "y".repeat(MAX_OUTPUT + 1);
        let err = render("t", "{{ v }}", &args(json!({"v": big})), Escaping::Html).unwrap_err();
        assert!(err.message.starts_with("output too large"), "{}", err.message);
        let exact = "z".repeat(MAX_OUTPUT);
        assert_eq!(render("t", "{{ v }}", &args(json!({"v": exact})), Escaping::None).unwrap().len(), MAX_OUTPUT);
    }

    #[test]
    fn an_oversized_source_is_refused() {
        let err = refused(&"x".repeat(MAX_SOURCE + 1));
        assert_eq!(err.message, format!("must be at most {MAX_SOURCE} bytes"));
        assert!(variables(&"x".repeat(MAX_SOURCE + 1)).is_err());
    }

    #[test]
    fn string_growing_operators_are_refused_before_anything_is_built() {
        // Each would allocate 100 MB and more, at compile time already (constant folding).
        for source in [
            "{{ 'x' * 10000000 }}",
            "{{ ('x' * 99999999) ~ ('x' * 99999999) }}",
            "{{ x ~ x }}",
            "{{ x + x }}",
            "{{ 1 + 1 }}",
            "{% if 2 * 3 %}{% endif %}",
            "{{ x|default(x ~ x) }}",
        ] {
            let err = refused(source);
            assert!(err.message.contains("operator is not available"), "{source}: {}", err.message);
            assert!(err.message.starts_with("template error (line 1): "), "{}", err.message);
        }
    }

    #[test]
    fn statements_that_feed_results_back_are_refused() {
        for (source, statement) in [
            ("{% set a = x %}{{ a }}", "{% set %}"),
            ("{% set a %}{{ x }}{% endset %}", "{% set %}"),
            ("{% with a = x %}{{ a }}{% endwith %}", "{% with %}"),
            ("{% macro m(a) %}{{ a }}{% endmacro %}{{ m(x) }}", "{% macro %}"),
            ("{% filter upper %}{{ x }}{% endfilter %}", "{% filter %}"),
            ("{% autoescape true %}{{ x }}{% endautoescape %}", "{% autoescape %}"),
            ("{% include 'other' %}", "{% include %}"),
            ("{% extends 'base' %}", "{% extends %}"),
            ("{% block b %}{% endblock %}", "{% block %}"),
            ("{% import 'm' as m %}", "{% import %}"),
            ("{% from 'm' import a %}", "{% from %}"),
        ] {
            let err = refused(source);
            assert!(err.message.contains(&format!("{statement} is not available")), "{source}: {}", err.message);
        }
        let err = refused("{% for a in items recursive %}{{ loop(a) }}{% endfor %}");
        assert!(err.message.contains("recursive loops are not available"), "{}", err.message);
    }

    #[test]
    fn literals_holding_variables_are_refused() {
        for source in ["{% for a in [x, x] %}{{ a }}{% endfor %}", "{{ (x, x)|length }}", "{{ {'k': x} }}"] {
            let err = refused(source);
            assert!(err.message.contains("literals may only contain plain constants"), "{source}: {}", err.message);
        }
        let err = refused("{% for l in [[1, 2]] %}{{ l }}{% endfor %}");
        assert!(err.message.contains("list literals may only contain plain constants"), "{}", err.message);
        assert_eq!(plain("{{ [1, -2, 'b', true, none]|length }} {{ {'k': -1, 2: 'v'}|length }}", json!({})), "5 2");
    }

    #[test]
    fn refusals_give_the_line_and_what_is_allowed() {
        let err = refused("ok\n\n{% set a = 1 %}");
        assert_eq!(
            err.message,
            "template error (line 3): {% set %} is not available; \
             message templates support {{ … }} with filters, {% if %} and {% for %}"
        );
    }

    #[test]
    fn amplifying_filters_are_bounded_or_absent() {
        let big = "a".repeat(1000);
        let values = args(json!({"x": big}));
        let err = render("t", "{{ x|replace('a', x)|length }}", &values, Escaping::None).unwrap_err();
        assert!(err.message.contains("replace would produce more than"), "{}", err.message);
        let err = render("t", "{{ range(1000)|join(x)|length }}", &values, Escaping::None).unwrap_err();
        assert!(err.message.contains("join would produce more than"), "{}", err.message);
        assert_eq!(render("t", "{{ x|replace('a', 'bb')|length }}", &values, Escaping::None).unwrap(), "2000");
        for filter in
            ["format", "indent", "pprint", "map", "batch", "slice", "sum", "chain", "zip", "groupby", "tojson"]
        {
            let err = refused(&format!("{{{{ x|{filter} }}}}"));
            assert!(err.message.contains("unknown filter"), "{filter}: {}", err.message);
        }
        for function in ["namespace()", "dict()", "debug()", "lipsum()", "cycler()"] {
            assert!(refused(&format!("{{{{ {function} }}}}")).message.contains("unknown function"), "{function}");
        }
    }

    #[test]
    fn filter_keyword_arguments_pass_through_the_sandbox() {
        let values = json!({
            "hosts": [{"name": "b", "up": true}, {"name": "a", "up": false}],
            "load": 2.567,
            "csv": "x,y,z"
        });
        let source = "{% for h in hosts|sort(attribute='name') %}{{ h.name }}{% endfor %} \
                      {{ hosts|selectattr('up')|list|length }} {{ load|round(1) }} {{ load|round }} \
                      {{ ''|default('none given', true) }} {{ csv|split(',', 1)|last }}";
        assert_eq!(plain(source, values), "ab 1 2.6 3.0 none given y,z");
    }

    #[test]
    fn each_render_gets_the_whole_work_budget() {
        // About 60 % of the budget: were the meter shared, the second render would fail.
        let source = format!("{{% for i in range(75) %}}{{{{ '{}'|list|length }}}} {{% endfor %}}", "z".repeat(16_000));
        let threads: Vec<_> = (0..2)
            .map(|_| {
                let source = source.clone();
                std::thread::spawn(move || (0..2).map(|_| plain(&source, json!({}))).collect::<Vec<_>>())
            })
            .collect();
        for thread in threads {
            for out in thread.join().unwrap() {
                assert!(out.starts_with("16000 16000 "), "{out}");
            }
        }
    }

    #[test]
    fn heavy_filters_in_loops_exhaust_the_work_budget() {
        // One instruction each, so fuel alone would allow thousands of 16 000-item sorts.
        let source = format!(
            "{{% for i in range(1000) %}}{{% for j in range(8) %}}{{{{ '{}'|list|sort|length }}}}{{% endfor %}}{{% endfor %}}",
            "z".repeat(16_000)
        );
        let err = refused(&source);
        assert!(err.message.contains(&format!("more than {MAX_WORK} bytes or items")), "{}", err.message);
        // Ordinary use stays far below it.
        let hosts: Vec<String> = (0..500).map(|i| format!("host-{i}.example.com")).collect();
        let source = "{% for h in hosts|sort %}{{ h|upper|replace('.', '_') }} {% endfor %}";
        assert!(plain(source, json!({ "hosts": hosts })).starts_with("HOST-0_EXAMPLE_COM HOST-1_EXAMPLE_COM "));
    }

    #[test]
    fn python_style_string_formatting_is_not_available() {
        assert!(render("t", "{{ '%99999999s' % x }}", &args(json!({"x": "a"})), Escaping::None).is_err());
    }

    #[test]
    fn raw_blocks_and_comments_are_text_not_code() {
        assert_eq!(plain("{% raw %}{{ x * 2 }}{% endraw %}{# {{ x ~ x }} #}", json!({"x": 1})), "{{ x * 2 }}");
    }

    #[test]
    fn variables_lists_top_level_names_sorted_and_deduplicated() {
        let source = "{{ host.name }} {{ level|upper }} {% for d in disks %}{{ d }}{{ loop.index }}{% endfor %}\
                      {% for i in range(2) %}{% endfor %}{% if host %}{{ zone }}{% endif %}";
        assert_eq!(variables(source).unwrap(), ["disks", "host", "level", "zone"]);
        assert_eq!(variables("no variables").unwrap(), Vec::<String>::new());
    }

    #[test]
    fn variables_refuses_what_render_refuses() {
        let err = variables("{% set a = 1 %}").unwrap_err();
        assert_eq!(err.field, "template");
        assert!(variables("{{ x ").unwrap_err().message.starts_with("template error"));
    }
}
