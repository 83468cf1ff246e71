//! The SQL a crate's sources send: string literals and `format!` expansions that start
//! like a statement, read with `syn` from the Rust files.
//!
//! `format!` placeholders are filled in from what the source says: string literals,
//! `const` items of any scanned file (so `{LEARNERS_UNIT}` from progress.rs resolves in
//! evidence.rs), `let` bindings of the same function, and both arms of an `if` or every
//! arm of a `match` (each giving its own variant of the statement). A placeholder the
//! source does not pin down is left as a marker, and the statement is reported as
//! unresolved rather than guessed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use quote::ToTokens;
use syn::punctuated::Punctuated;
use syn::visit::{self, Visit};
use syn::{Expr, Lit, Macro, Token};

/// Opens a placeholder the source does not pin down.
pub const UNRESOLVED: &str = "⟨unresolved ";

/// Variants beyond this many of one statement are not expanded.
const MAX_VARIANTS: usize = 64;

/// One statement found in the sources.
#[derive(Debug, Clone)]
pub struct Site {
    /// The file, relative to the workspace.
    pub file: String,
    /// The line the literal or macro starts on.
    pub line: usize,
    /// The statement (one variant of it).
    pub sql: String,
}

impl Site {
    /// The placeholders left unresolved in it.
    pub fn unresolved(&self) -> Vec<String> {
        self.sql
            .split(UNRESOLVED)
            .skip(1)
            .map(|s| s.split('⟩').next().unwrap_or_default().to_owned())
            .collect()
    }
}

/// The `.rs` files under `dirs` (relative to `root`), sorted.
pub fn rust_files(root: &Path, dirs: &[&str]) -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    for d in dirs {
        walk(&root.join(d), &mut out);
    }
    out.sort();
    out
}

/// Every statement in `files`.
pub fn statements(root: &Path, files: &[PathBuf]) -> Vec<Site> {
    let parsed: Vec<(String, syn::File)> = files
        .iter()
        .map(|f| {
            let text =
                std::fs::read_to_string(f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
            let ast = syn::parse_file(&text).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
            let rel = f.strip_prefix(root).unwrap_or(f).display().to_string();
            (rel, ast)
        })
        .collect();
    let mut consts = Consts::default();
    for (file, ast) in &parsed {
        consts.file = file.clone();
        consts.visit_file(ast);
    }
    let mut sites = Vec::new();
    for (file, ast) in &parsed {
        let mut records = Records::default();
        records.visit_file(ast);
        let mut finder = Finder {
            consts: &consts.map,
            records: &records.0,
            file: file.clone(),
            locals: BTreeMap::new(),
            tuple_locals: BTreeMap::new(),
            sites: &mut sites,
        };
        finder.visit_file(ast);
    }
    sites
}

/// `const NAME: &str = …` items of every file, by name.
#[derive(Default)]
struct Consts {
    file: String,
    map: BTreeMap<String, Vec<(String, Expr)>>,
}

impl<'ast> Visit<'ast> for Consts {
    fn visit_item_const(&mut self, c: &'ast syn::ItemConst) {
        self.map
            .entry(c.ident.to_string())
            .or_default()
            .push((self.file.clone(), (*c.expr).clone()));
    }
    fn visit_impl_item_const(&mut self, c: &'ast syn::ImplItemConst) {
        self.map
            .entry(c.ident.to_string())
            .or_default()
            .push((self.file.clone(), c.expr.clone()));
    }
}

/// The struct literals of one file, each as its fields' expressions: a `format!` whose
/// placeholders read fields of one value (`t.from`, `t.filter`) is expanded once per
/// literal that has those fields.
#[derive(Default)]
struct Records(Vec<Record>, BTreeMap<String, Template>);

/// A struct literal's fields.
type Record = BTreeMap<String, Expr>;

/// A closure's parameters and the struct literals in its body.
type Template = (Vec<String>, Vec<Record>);

impl<'ast> Visit<'ast> for Records {
    fn visit_expr_struct(&mut self, e: &'ast syn::ExprStruct) {
        let fields = e
            .fields
            .iter()
            .filter_map(|f| match &f.member {
                syn::Member::Named(name) => Some((name.to_string(), f.expr.clone())),
                syn::Member::Unnamed(_) => None,
            })
            .collect();
        self.0.push(fields);
        visit::visit_expr_struct(self, e);
    }

    // `let track = |status, order| TileSql { filter: status, order, … }`: the literals of a
    // closure become records at each call `track("…", "…")`, its parameters replaced by the
    // call's arguments.
    fn visit_local(&mut self, local: &'ast syn::Local) {
        if let (syn::Pat::Ident(name), Some(init)) = (&local.pat, &local.init)
            && let Expr::Closure(c) = &*init.expr
        {
            let params = c
                .inputs
                .iter()
                .map(|p| match p {
                    syn::Pat::Ident(i) => i.ident.to_string(),
                    syn::Pat::Type(t) => t.pat.to_token_stream().to_string(),
                    other => other.to_token_stream().to_string(),
                })
                .collect();
            let mut inner = Records::default();
            inner.visit_expr(&c.body);
            self.1.insert(name.ident.to_string(), (params, inner.0));
            return;
        }
        visit::visit_local(self, local);
    }

    fn visit_expr_call(&mut self, call: &'ast syn::ExprCall) {
        if let Expr::Path(p) = &*call.func
            && let Some((params, literals)) =
                p.path.get_ident().and_then(|i| self.1.get(&i.to_string()))
        {
            let args: BTreeMap<&String, &Expr> = params.iter().zip(call.args.iter()).collect();
            for lit in literals.clone() {
                let record = lit
                    .into_iter()
                    .map(|(field, e)| {
                        let replaced = match &e {
                            Expr::Path(ep) => ep
                                .path
                                .get_ident()
                                .and_then(|i| args.get(&i.to_string()))
                                .map(|a| (*a).clone()),
                            _ => None,
                        };
                        (field, replaced.unwrap_or(e))
                    })
                    .collect();
                self.0.push(record);
            }
        }
        visit::visit_expr_call(self, call);
    }
}

/// Whether a text starts like a SQL statement.
pub fn looks_like_sql(s: &str) -> bool {
    let t = s.trim_start();
    ["select", "insert", "update", "delete", "with"]
        .iter()
        .any(|k| {
            t.strip_prefix(k)
                .is_some_and(|rest| rest.starts_with(|c: char| c.is_whitespace() || c == '('))
        })
}

struct Finder<'a> {
    consts: &'a BTreeMap<String, Vec<(String, Expr)>>,
    records: &'a [BTreeMap<String, Expr>],
    file: String,
    /// `let` bindings of the function being visited.
    locals: BTreeMap<String, Expr>,
    /// `let (a, b) = …` bindings: the expression and the element's position.
    tuple_locals: BTreeMap<String, (Expr, usize)>,
    sites: &'a mut Vec<Site>,
}

fn marker(what: &str) -> String {
    format!("{UNRESOLVED}{what}⟩")
}

fn product(parts: Vec<Vec<String>>) -> Vec<String> {
    let mut out = vec![String::new()];
    for variants in parts {
        let mut next = Vec::new();
        for prefix in &out {
            for v in &variants {
                if next.len() >= MAX_VARIANTS {
                    break;
                }
                next.push(format!("{prefix}{v}"));
            }
        }
        out = next;
    }
    out
}

/// The struct literal whose fields `t.field` placeholders read, while expanding.
type Rec<'r> = Option<&'r BTreeMap<String, Expr>>;

fn tail(block: &syn::Block) -> Option<&Expr> {
    match block.stmts.last() {
        Some(syn::Stmt::Expr(e, None)) => Some(e),
        _ => None,
    }
}

impl Finder<'_> {
    fn record(&mut self, line: usize, variants: Vec<String>) {
        for sql in variants {
            if looks_like_sql(&sql) {
                self.sites.push(Site {
                    file: self.file.clone(),
                    line,
                    sql,
                });
            }
        }
    }

    /// The texts an expression may stand for.
    fn resolve(&self, e: &Expr, depth: usize, rec: Rec) -> Vec<String> {
        if depth > 12 {
            return vec![marker("too deep")];
        }
        let d = depth + 1;
        match e {
            Expr::Lit(l) => match &l.lit {
                Lit::Str(s) => vec![s.value()],
                other => vec![other.to_token_stream().to_string()],
            },
            Expr::Macro(m) => self.resolve_macro(&m.mac, d, rec),
            Expr::Reference(r) => self.resolve(&r.expr, d, rec),
            Expr::Paren(p) => self.resolve(&p.expr, d, rec),
            Expr::Group(g) => self.resolve(&g.expr, d, rec),
            Expr::Block(b) => {
                tail(&b.block).map_or_else(|| vec![marker("block")], |t| self.resolve(t, d, rec))
            }
            // `if x.is_empty() { A } else { B }` with `x` known: only the branch taken.
            Expr::If(i)
                if matches!(&*i.cond, Expr::MethodCall(mc) if mc.method == "is_empty" && mc.args.is_empty())
                    && i.else_branch.is_some() =>
            {
                let Expr::MethodCall(mc) = &*i.cond else {
                    return vec![marker("if")];
                };
                let tested = self.resolve(&mc.receiver, d, rec);
                let known = tested.iter().all(|t| !t.contains(UNRESOLVED));
                let then = || {
                    tail(&i.then_branch)
                        .map_or_else(|| vec![marker("if")], |t| self.resolve(t, d, rec))
                };
                let els = || {
                    i.else_branch
                        .as_ref()
                        .map_or_else(Vec::new, |(_, e)| self.resolve(e, d, rec))
                };
                if known && tested.iter().all(String::is_empty) {
                    then()
                } else if known && tested.iter().all(|t| !t.is_empty()) {
                    els()
                } else {
                    let mut out = then();
                    out.extend(els());
                    out
                }
            }
            Expr::If(i) => {
                let mut out = tail(&i.then_branch)
                    .map_or_else(|| vec![marker("if")], |t| self.resolve(t, d, rec));
                match &i.else_branch {
                    Some((_, els)) => out.extend(self.resolve(els, d, rec)),
                    None => out.push(marker("if without else")),
                }
                out
            }
            Expr::Match(m) => m
                .arms
                .iter()
                .flat_map(|a| self.resolve(&a.body, d, rec))
                .collect(),
            Expr::MethodCall(mc)
                if ["as_str", "to_string", "to_owned", "clone", "into", "as_ref"]
                    .contains(&mc.method.to_string().as_str())
                    && mc.args.is_empty() =>
            {
                self.resolve(&mc.receiver, d, rec)
            }
            Expr::Call(c) => {
                let path = c.func.to_token_stream().to_string().replace(' ', "");
                if path == "String::new" && c.args.is_empty() {
                    vec![String::new()]
                } else if (path.ends_with("AssertSqlSafe") || path == "String::from")
                    && c.args.len() == 1
                {
                    self.resolve(&c.args[0], d, rec)
                } else {
                    vec![marker(&e.to_token_stream().to_string())]
                }
            }
            Expr::Field(f) => match (&f.member, rec) {
                (syn::Member::Named(name), Some(fields))
                    if fields.contains_key(&name.to_string()) =>
                {
                    self.resolve(&fields[&name.to_string()], d, rec)
                }
                _ => vec![marker(&e.to_token_stream().to_string())],
            },
            // `xs.iter().map(|x| format!(…)).collect::<Vec<_>>().join(…)`: one element.
            Expr::MethodCall(mc) if mc.method == "map" && mc.args.len() == 1 => match &mc.args[0] {
                Expr::Closure(c) => self.resolve(&c.body, d, rec),
                other => vec![marker(&other.to_token_stream().to_string())],
            },
            Expr::MethodCall(mc)
                if ["join", "collect", "concat"].contains(&mc.method.to_string().as_str()) =>
            {
                self.resolve(&mc.receiver, d, rec)
            }
            Expr::Path(p) if p.qself.is_none() => {
                let Some(last) = p.path.segments.last() else {
                    return vec![marker("path")];
                };
                let name = last.ident.to_string();
                if p.path.segments.len() == 1 {
                    if let Some(local) = self.locals.get(&name) {
                        return self.resolve(local, d, rec);
                    }
                    if let Some((init, i)) = self.tuple_locals.get(&name) {
                        return self.element(init, *i, d, rec);
                    }
                }
                self.constant(&name, d, rec)
                    .unwrap_or_else(|| vec![marker(&p.to_token_stream().to_string())])
            }
            other => vec![marker(&other.to_token_stream().to_string())],
        }
    }

    /// Element `i` of what a tuple-valued expression may be.
    fn element(&self, e: &Expr, i: usize, depth: usize, rec: Rec) -> Vec<String> {
        match e {
            Expr::Tuple(t) => t.elems.iter().nth(i).map_or_else(
                || vec![marker("tuple")],
                |x| self.resolve(x, depth + 1, rec),
            ),
            Expr::Match(m) => m
                .arms
                .iter()
                .flat_map(|a| self.element(&a.body, i, depth + 1, rec))
                .collect(),
            Expr::Paren(p) => self.element(&p.expr, i, depth + 1, rec),
            other => vec![marker(&other.to_token_stream().to_string())],
        }
    }

    /// A const by name: the one of this file first, else the only one of that name.
    fn constant(&self, name: &str, depth: usize, rec: Rec) -> Option<Vec<String>> {
        let defs = self.consts.get(name)?;
        let def = defs
            .iter()
            .find(|(f, _)| *f == self.file)
            .or_else(|| (defs.len() == 1).then(|| &defs[0]))?;
        Some(self.resolve(&def.1, depth, rec))
    }

    /// `format!` and `concat!`: their expansions; other macros are not text.
    fn resolve_macro(&self, mac: &Macro, depth: usize, rec: Rec) -> Vec<String> {
        let name = mac
            .path
            .segments
            .last()
            .map(|s| s.ident.to_string())
            .unwrap_or_default();
        let Ok(args) = mac.parse_body_with(Punctuated::<Expr, Token![,]>::parse_terminated) else {
            return vec![marker(&format!("{name}!"))];
        };
        let args: Vec<Expr> = args.into_iter().collect();
        match name.as_str() {
            "concat" => product(args.iter().map(|a| self.resolve(a, depth, rec)).collect()),
            "format" => {
                let Some(Expr::Lit(syn::ExprLit {
                    lit: Lit::Str(template),
                    ..
                })) = args.first()
                else {
                    return vec![marker("format! without a literal")];
                };
                let mut positional = Vec::new();
                let mut named = BTreeMap::new();
                for a in &args[1..] {
                    match a {
                        Expr::Assign(assign) => {
                            named.insert(
                                assign.left.to_token_stream().to_string(),
                                (*assign.right).clone(),
                            );
                        }
                        other => positional.push(other.clone()),
                    }
                }
                self.format(&template.value(), &positional, &named, depth, rec)
            }
            other => vec![marker(&format!("{other}!"))],
        }
    }

    fn format(
        &self,
        template: &str,
        positional: &[Expr],
        named: &BTreeMap<String, Expr>,
        depth: usize,
        rec: Rec,
    ) -> Vec<String> {
        let mut parts: Vec<Vec<String>> = Vec::new();
        let mut literal = String::new();
        let mut chars = template.chars().peekable();
        let mut next_positional = 0;
        while let Some(c) = chars.next() {
            match c {
                '{' if chars.peek() == Some(&'{') => {
                    chars.next();
                    literal.push('{');
                }
                '}' if chars.peek() == Some(&'}') => {
                    chars.next();
                    literal.push('}');
                }
                '{' => {
                    let mut spec = String::new();
                    for c in chars.by_ref() {
                        if c == '}' {
                            break;
                        }
                        spec.push(c);
                    }
                    let arg = spec.split(':').next().unwrap_or_default().trim().to_owned();
                    parts.push(vec![std::mem::take(&mut literal)]);
                    let variants = if arg.is_empty() {
                        let v = positional
                            .get(next_positional)
                            .map(|e| self.resolve(e, depth, rec));
                        next_positional += 1;
                        v
                    } else if let Ok(i) = arg.parse::<usize>() {
                        positional.get(i).map(|e| self.resolve(e, depth, rec))
                    } else if let Some(e) = named.get(&arg) {
                        Some(self.resolve(e, depth, rec))
                    } else if let Some(local) = self.locals.get(&arg) {
                        Some(self.resolve(local, depth, rec))
                    } else if let Some((init, i)) = self.tuple_locals.get(&arg) {
                        Some(self.element(init, *i, depth, rec))
                    } else {
                        self.constant(&arg, depth, rec)
                    };
                    parts.push(variants.unwrap_or_else(|| vec![marker(&arg)]));
                }
                other => literal.push(other),
            }
        }
        parts.push(vec![literal]);
        product(parts)
    }
}

impl<'ast> Visit<'ast> for Finder<'_> {
    // A const's text is checked where it is used, not as a statement of its own (it may
    // be the first half of one).
    fn visit_item_const(&mut self, _: &'ast syn::ItemConst) {}
    fn visit_impl_item_const(&mut self, _: &'ast syn::ImplItemConst) {}

    // Doc comments and other attributes are not SQL.
    fn visit_attribute(&mut self, _: &'ast syn::Attribute) {}

    fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
        let saved = (
            std::mem::take(&mut self.locals),
            std::mem::take(&mut self.tuple_locals),
        );
        visit::visit_item_fn(self, f);
        (self.locals, self.tuple_locals) = saved;
    }
    fn visit_impl_item_fn(&mut self, f: &'ast syn::ImplItemFn) {
        let saved = (
            std::mem::take(&mut self.locals),
            std::mem::take(&mut self.tuple_locals),
        );
        visit::visit_impl_item_fn(self, f);
        (self.locals, self.tuple_locals) = saved;
    }

    fn visit_local(&mut self, local: &'ast syn::Local) {
        match (&local.pat, &local.init) {
            (syn::Pat::Ident(p), Some(init)) => {
                self.locals
                    .insert(p.ident.to_string(), (*init.expr).clone());
            }
            (syn::Pat::Tuple(t), Some(init)) => {
                for (i, elem) in t.elems.iter().enumerate() {
                    if let syn::Pat::Ident(p) = elem {
                        self.tuple_locals
                            .insert(p.ident.to_string(), ((*init.expr).clone(), i));
                    }
                }
            }
            _ => {}
        }
        visit::visit_local(self, local);
    }

    fn visit_lit_str(&mut self, s: &'ast syn::LitStr) {
        let line = s.span().start().line;
        self.record(line, vec![s.value()]);
    }

    fn visit_expr_path(&mut self, p: &'ast syn::ExprPath) {
        // A const used as a whole statement: `sqlx::query(SELECT_ALL)`.
        if let Some(last) = p.path.segments.last() {
            let name = last.ident.to_string();
            if !self.locals.contains_key(&name)
                && name
                    .chars()
                    .all(|c| c.is_uppercase() || c == '_' || c.is_ascii_digit())
                && let Some(v) = self.constant(&name, 0, None)
            {
                let line = last.ident.span().start().line;
                self.record(line, v);
            }
        }
        visit::visit_expr_path(self, p);
    }

    fn visit_macro(&mut self, mac: &'ast Macro) {
        let name = mac
            .path
            .segments
            .last()
            .map(|s| s.ident.to_string())
            .unwrap_or_default();
        let line = mac
            .path
            .segments
            .last()
            .map_or(0, |s| s.ident.span().start().line);
        if name == "format" || name == "concat" {
            let mut variants = self.resolve_macro(mac, 0, None);
            // Placeholders that read fields of one value: expand once per struct literal of
            // the file that has all those fields.
            let fields: Vec<String> = variants
                .iter()
                .flat_map(|v| {
                    v.split(UNRESOLVED)
                        .skip(1)
                        .filter_map(|m| m.split('⟩').next())
                        .filter_map(|m| m.split_once(" . ").map(|(_, f)| f.trim().to_owned()))
                        .collect::<Vec<_>>()
                })
                .filter(|f| f.chars().all(|c| c.is_alphanumeric() || c == '_'))
                .collect();
            if !fields.is_empty() {
                let matching: Vec<_> = self
                    .records
                    .iter()
                    .filter(|r| fields.iter().all(|f| r.contains_key(f)))
                    .collect();
                if !matching.is_empty() {
                    variants = matching
                        .into_iter()
                        .flat_map(|r| self.resolve_macro(mac, 0, Some(r)))
                        .collect();
                }
            }
            self.record(line, variants);
            return;
        }
        // Other macros (vec!, assert!, tracing's): their arguments may hold SQL.
        if let Ok(args) = mac.parse_body_with(Punctuated::<Expr, Token![,]>::parse_terminated) {
            for a in &args {
                self.visit_expr(a);
            }
        }
    }
}
