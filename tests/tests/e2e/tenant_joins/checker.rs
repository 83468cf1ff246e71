//! The join check: every join between tenant tables equates their tenant_id, directly or
//! through one parameter or expression both sides are equated to.
//!
//! One statement is checked block by block (a SELECT, the FROM of an UPDATE or DELETE,
//! a VALUES list). In a block, every tenant-bearing relation (a tenant table, or a derived
//! table, CTE or subquery that reads one) has a tenant key; the top-level AND conjuncts of
//! the block's ON and WHERE conditions that are equalities (`=`, `is not distinct from`,
//! row equalities) join keys into classes; and all tenant-bearing relations and subqueries
//! of the block must end in one class. A block inherits its enclosing blocks' classes (a
//! correlated subquery may equate its table to the outer one), never the other way round,
//! so an equality under OR or NOT EXISTS never vouches for the outer block.
//!
//! What the checker cannot decide (an unknown table, an unsupported statement or FROM
//! item) is returned as [`Outcome::Undecided`], never as a pass.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::ControlFlow;

use sqlparser::ast::{
    AssignmentTarget, BinaryOperator, Delete, Expr, FromTable, GroupByExpr, Insert, JoinConstraint,
    JoinOperator, ObjectName, OnConflictAction, OnInsert, Query, Select, SelectItem,
    SelectItemQualifiedWildcardKind, SetExpr, Statement, TableAlias, TableFactor, TableObject,
    TableWithJoins, Update, UpdateTableFromKind, Value, Visit, Visitor,
};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;

/// The tables the checker knows, with their columns.
#[derive(Debug, Clone, Default)]
pub struct Schema {
    /// Every table of the schema and its columns.
    pub tables: BTreeMap<String, Vec<String>>,
}

impl Schema {
    fn is_tenant(&self, table: &str) -> bool {
        self.tables
            .get(table)
            .is_some_and(|c| c.iter().any(|c| c == "tenant_id"))
    }
}

/// What the check says about one statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Every join between tenant tables equates their tenant_id.
    Ok,
    /// Joins without tenant_id equality, one message each.
    Violations(Vec<String>),
    /// The checker could not parse or decide it, and why.
    Undecided(String),
}

/// Checks one SQL text (one or more statements).
pub fn check(schema: &Schema, sql: &str) -> Outcome {
    let statements = match Parser::parse_sql(&PostgreSqlDialect {}, sql) {
        Ok(s) => s,
        Err(e) => return Outcome::Undecided(format!("does not parse: {e}")),
    };
    let mut checker = Checker {
        schema,
        next_id: 0,
        violations: Vec::new(),
    };
    for statement in &statements {
        if let Err(why) = checker.statement(statement) {
            return Outcome::Undecided(why);
        }
    }
    if checker.violations.is_empty() {
        Outcome::Ok
    } else {
        checker.violations.sort();
        checker.violations.dedup();
        Outcome::Violations(checker.violations)
    }
}

type Res<T> = Result<T, String>;

/// A value the conditions can equate.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Term {
    /// A column of a relation instance.
    Col(usize, String),
    /// The tenant key of a derived relation or CTE reference.
    Key(usize),
    /// A parameter, literal or other expression without columns, by its text.
    Const(String),
}

/// Union-find over terms.
#[derive(Debug, Clone, Default)]
struct Classes {
    parent: BTreeMap<Term, Term>,
}

impl Classes {
    fn find(&mut self, t: &Term) -> Term {
        let mut cur = t.clone();
        let mut path = Vec::new();
        while let Some(p) = self.parent.get(&cur) {
            if *p == cur {
                break;
            }
            path.push(cur.clone());
            cur = p.clone();
        }
        for node in path {
            self.parent.insert(node, cur.clone());
        }
        self.parent
            .entry(cur.clone())
            .or_insert_with(|| cur.clone());
        cur
    }

    fn union(&mut self, a: &Term, b: &Term) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb {
            self.parent.insert(ra, rb);
        }
    }

    /// Every term known to be in `root`'s class.
    fn members(&mut self, root: &Term) -> Vec<Term> {
        let terms: Vec<Term> = self.parent.keys().cloned().collect();
        terms
            .into_iter()
            .filter(|t| self.find(t) == *root)
            .collect()
    }
}

/// One relation of a FROM clause.
#[derive(Debug, Clone)]
struct Rel {
    id: usize,
    /// The name the block refers to it by.
    alias: String,
    /// Its columns, when known.
    columns: Option<Vec<String>>,
    /// The term its tenant is, if it bears tenant data.
    key: Option<Term>,
    /// For messages.
    label: String,
}

/// What a CTE offers its references.
#[derive(Debug, Clone)]
struct CteInfo {
    out: Output,
}

/// What a query block gives the block around it.
#[derive(Debug, Clone, Default)]
struct Output {
    /// Whether it reads tenant data.
    tenant: bool,
    /// The terms of its tenant class (empty when it reads none).
    class: Vec<Term>,
    /// Its output columns.
    columns: Vec<String>,
    /// The term of each output column, if it is one.
    column_terms: Vec<Option<Term>>,
    /// Output columns whose value is the block's tenant.
    exposed: BTreeSet<String>,
}

/// The scopes a block can see: its own relations last.
#[derive(Debug, Clone, Default)]
struct Env {
    scopes: Vec<Vec<Rel>>,
    ctes: Vec<BTreeMap<String, CteInfo>>,
}

impl Env {
    fn cte(&self, name: &str) -> Option<&CteInfo> {
        self.ctes.iter().rev().find_map(|m| m.get(name))
    }

    /// Whether `t` names something visible here (a constant, or a relation in scope).
    fn visible(&self, t: &Term) -> bool {
        match t {
            Term::Const(_) => true,
            Term::Col(id, _) | Term::Key(id) => self.scopes.iter().flatten().any(|r| r.id == *id),
        }
    }
}

struct Checker<'a> {
    schema: &'a Schema,
    next_id: usize,
    violations: Vec<String>,
}

/// The top-level subqueries of a node (not those nested in them), cloned.
fn subqueries<V: Visit>(node: &V) -> Vec<Query> {
    struct Collect {
        depth: usize,
        found: Vec<Query>,
    }
    impl Visitor for Collect {
        type Break = ();
        fn pre_visit_query(&mut self, q: &Query) -> ControlFlow<()> {
            if self.depth == 0 {
                self.found.push(q.clone());
            }
            self.depth += 1;
            ControlFlow::Continue(())
        }
        fn post_visit_query(&mut self, _: &Query) -> ControlFlow<()> {
            self.depth -= 1;
            ControlFlow::Continue(())
        }
    }
    let mut c = Collect {
        depth: 0,
        found: Vec::new(),
    };
    let _ = node.visit(&mut c);
    c.found
}

/// The AND-ed parts of a condition.
fn conjuncts<'e>(e: &'e Expr, out: &mut Vec<&'e Expr>) {
    match e {
        Expr::BinaryOp {
            left,
            op: BinaryOperator::And,
            right,
        } => {
            conjuncts(left, out);
            conjuncts(right, out);
        }
        Expr::Nested(inner) => conjuncts(inner, out),
        other => out.push(other),
    }
}

fn strip(e: &Expr) -> &Expr {
    match e {
        Expr::Nested(inner) => strip(inner),
        Expr::Cast { expr, .. } => strip(expr),
        other => other,
    }
}

/// Whether an expression mentions a column (or a subquery): then it is no constant.
fn has_columns(e: &Expr) -> bool {
    struct Cols(bool);
    impl Visitor for Cols {
        type Break = ();
        fn pre_visit_expr(&mut self, e: &Expr) -> ControlFlow<()> {
            if matches!(
                e,
                Expr::Identifier(_)
                    | Expr::CompoundIdentifier(_)
                    | Expr::Subquery(_)
                    | Expr::Exists { .. }
            ) {
                self.0 = true;
                return ControlFlow::Break(());
            }
            ControlFlow::Continue(())
        }
    }
    let mut v = Cols(false);
    let _ = e.visit(&mut v);
    v.0
}

fn name_of(name: &ObjectName) -> String {
    name.0
        .last()
        .and_then(|p| p.as_ident())
        .map(|i| i.value.clone())
        .unwrap_or_default()
}

fn schema_of(name: &ObjectName) -> Option<String> {
    if name.0.len() > 1 {
        name.0[0].as_ident().map(|i| i.value.clone())
    } else {
        None
    }
}

impl<'a> Checker<'a> {
    fn id(&mut self) -> usize {
        self.next_id += 1;
        self.next_id
    }

    fn statement(&mut self, s: &Statement) -> Res<()> {
        let env = Env::default();
        let classes = Classes::default();
        match s {
            Statement::Query(q) => {
                self.query(q, &env, &classes)?;
            }
            Statement::Insert(i) => self.insert(i, &env, &classes)?,
            Statement::Update(u) => self.update(u, &env, &classes)?,
            Statement::Delete(d) => self.delete(d, &env, &classes)?,
            // Transaction control, SET, locks and the like read no tenant tables together.
            Statement::StartTransaction { .. }
            | Statement::Commit { .. }
            | Statement::Rollback { .. }
            | Statement::Set(_)
            | Statement::Savepoint { .. }
            | Statement::ReleaseSavepoint { .. } => {}
            other => {
                let text = other.to_string();
                let word = text.split_whitespace().next().unwrap_or("?");
                return Err(format!("statement kind `{word}` is not checked"));
            }
        }
        Ok(())
    }

    /// A query: its CTEs, then its body.
    fn query(&mut self, q: &Query, env: &Env, classes: &Classes) -> Res<Output> {
        let mut env = env.clone();
        if let Some(with) = &q.with {
            env.ctes.push(BTreeMap::new());
            for cte in &with.cte_tables {
                if with.recursive {
                    return Err("recursive CTEs are not checked".into());
                }
                let mut out = self.query(&cte.query, &env, classes)?;
                rename(&mut out, &cte.alias);
                if let Some(last) = env.ctes.last_mut() {
                    last.insert(cte.alias.name.value.clone(), CteInfo { out });
                }
            }
        }
        let out = self.set_expr(&q.body, &env, classes)?;
        // ORDER BY / LIMIT subqueries: checked against the body's tenant.
        let mut extra = Vec::new();
        if let Some(order) = &q.order_by {
            extra.extend(subqueries(order));
        }
        if let Some(limit) = &q.limit_clause {
            extra.extend(subqueries(limit));
        }
        for sub in extra {
            let o = self.query(&sub, &env, classes)?;
            if o.tenant && out.tenant && !o.class.iter().any(|t| out.class.contains(t)) {
                self.violations.push(
                    "a subquery of ORDER BY / LIMIT reads another tenant than its query".into(),
                );
            }
        }
        Ok(out)
    }

    fn set_expr(&mut self, body: &SetExpr, env: &Env, classes: &Classes) -> Res<Output> {
        match body {
            SetExpr::Select(s) => self.select(s, env, classes),
            SetExpr::Query(q) => self.query(q, env, classes),
            SetExpr::SetOperation { left, right, .. } => {
                let l = self.set_expr(left, env, classes)?;
                let r = self.set_expr(right, env, classes)?;
                Ok(union_outputs(l, r))
            }
            SetExpr::Values(values) => {
                let mut block = Block::new(env, classes);
                let mut column_terms: Vec<Option<Term>> = Vec::new();
                let mut columns = Vec::new();
                for (r, row) in values.rows.iter().enumerate() {
                    for (i, e) in row.content.iter().enumerate() {
                        for sub in subqueries(e) {
                            block.subquery(self, &sub, "a subquery in VALUES")?;
                        }
                        let t = block.term(e);
                        if r == 0 {
                            column_terms.push(t);
                            columns.push(format!("column{}", i + 1));
                        } else if column_terms.get(i).cloned().flatten() != t
                            && let Some(slot) = column_terms.get_mut(i)
                        {
                            *slot = None;
                        }
                    }
                }
                let mut out = block.finish(self, "VALUES")?;
                out.columns = columns;
                out.column_terms = column_terms;
                Ok(out)
            }
            // WITH … INSERT / UPDATE / DELETE: the statement sees the CTEs.
            SetExpr::Insert(Statement::Insert(i)) => {
                self.insert(i, env, classes)?;
                Ok(Output::default())
            }
            SetExpr::Update(Statement::Update(u)) => {
                self.update(u, env, classes)?;
                Ok(Output::default())
            }
            SetExpr::Delete(Statement::Delete(d)) => {
                self.delete(d, env, classes)?;
                Ok(Output::default())
            }
            other => Err(format!("query body `{other}` is not checked")),
        }
    }

    fn select(&mut self, s: &Select, env: &Env, classes: &Classes) -> Res<Output> {
        let mut block = Block::new(env, classes);
        let mut conditions: Vec<&Expr> = Vec::new();
        for twj in &s.from {
            block.add_from(self, twj, &mut conditions)?;
        }
        if let Some(w) = &s.selection {
            conditions.push(w);
        }
        block.equalities(&conditions);
        // Subqueries anywhere in the block's expressions (FROM items were handled above).
        let mut subs: Vec<Query> = Vec::new();
        for item in &s.projection {
            subs.extend(subqueries(item));
        }
        for c in &conditions {
            subs.extend(subqueries(*c));
        }
        if let GroupByExpr::Expressions(exprs, _) = &s.group_by {
            for e in exprs {
                subs.extend(subqueries(e));
            }
        }
        if let Some(h) = &s.having {
            subs.extend(subqueries(h));
        }
        for sub in &subs {
            block.subquery(self, sub, "a subquery")?;
        }
        let (columns, column_terms) = block.projection(&s.projection);
        let mut out = block.finish(self, "SELECT")?;
        out.exposed = exposed(&mut block.classes, &out.class, &columns, &column_terms);
        out.columns = columns;
        out.column_terms = column_terms;
        Ok(out)
    }

    fn insert(&mut self, i: &Insert, env: &Env, classes: &Classes) -> Res<()> {
        let TableObject::TableName(name) = &i.table else {
            return Err("INSERT into a table function is not checked".into());
        };
        let table = name_of(name);
        let table_columns = self
            .schema
            .tables
            .get(&table)
            .cloned()
            .ok_or_else(|| format!("unknown table {table}"))?;
        let tenant = self.schema.is_tenant(&table);
        if let Some(source) = &i.source {
            let out = self.query(source, env, classes)?;
            let columns: Vec<String> = if i.columns.is_empty() {
                table_columns.clone()
            } else {
                i.columns.iter().map(name_of).collect()
            };
            if tenant && out.tenant {
                let idx = columns.iter().position(|c| c == "tenant_id");
                let ok = idx
                    .and_then(|i| out.column_terms.get(i).cloned().flatten())
                    .is_some_and(|t| out.class.contains(&t));
                if !ok {
                    self.violations.push(format!(
                        "INSERT INTO {table} ... SELECT: the tenant_id inserted is not the tenant of the rows selected"
                    ));
                }
            }
        }
        // ON CONFLICT DO UPDATE and RETURNING see the target row (and EXCLUDED).
        let mut rest: Vec<Query> = Vec::new();
        let mut conditions: Vec<&Expr> = Vec::new();
        if let Some(OnInsert::OnConflict(oc)) = &i.on
            && let OnConflictAction::DoUpdate(du) = &oc.action
        {
            for a in &du.assignments {
                rest.extend(subqueries(&a.value));
            }
            if let Some(sel) = &du.selection {
                rest.extend(subqueries(sel));
                conditions.push(sel);
            }
        }
        if let Some(ret) = &i.returning {
            for item in ret {
                rest.extend(subqueries(item));
            }
        }
        if !rest.is_empty() {
            let mut block = Block::new(env, classes);
            let alias = i
                .table_alias
                .as_ref()
                .map(|a| a.alias.value.clone())
                .unwrap_or_else(|| table.clone());
            let target = block.table(self, &table, &alias, true)?;
            let excluded = block.table(self, &table, "excluded", true)?;
            if let (Some(a), Some(b)) = (target, excluded) {
                block.classes.union(&a, &b);
            }
            block.equalities(&conditions);
            for sub in &rest {
                block.subquery(self, sub, "a subquery of ON CONFLICT / RETURNING")?;
            }
            block.finish(self, "INSERT")?;
        }
        Ok(())
    }

    fn update(&mut self, u: &Update, env: &Env, classes: &Classes) -> Res<()> {
        let mut block = Block::new(env, classes);
        let mut conditions: Vec<&Expr> = Vec::new();
        block.add_from(self, &u.table, &mut conditions)?;
        if let Some(from) = &u.from {
            let (UpdateTableFromKind::BeforeSet(items) | UpdateTableFromKind::AfterSet(items)) =
                from;
            for twj in items {
                block.add_from(self, twj, &mut conditions)?;
            }
        }
        if let Some(w) = &u.selection {
            conditions.push(w);
        }
        block.equalities(&conditions);
        let mut subs: Vec<Query> = Vec::new();
        for a in &u.assignments {
            if let AssignmentTarget::Tuple(_) = a.target {
                // (a, b) = (select ...): the subquery is checked like any other.
            }
            subs.extend(subqueries(&a.value));
        }
        for c in &conditions {
            subs.extend(subqueries(*c));
        }
        if let Some(ret) = &u.returning {
            for item in ret {
                subs.extend(subqueries(item));
            }
        }
        for sub in &subs {
            block.subquery(self, sub, "a subquery")?;
        }
        block.finish(self, "UPDATE")?;
        Ok(())
    }

    fn delete(&mut self, d: &Delete, env: &Env, classes: &Classes) -> Res<()> {
        let mut block = Block::new(env, classes);
        let mut conditions: Vec<&Expr> = Vec::new();
        let (FromTable::WithFromKeyword(items) | FromTable::WithoutKeyword(items)) = &d.from;
        for twj in items {
            block.add_from(self, twj, &mut conditions)?;
        }
        if let Some(using) = &d.using {
            for twj in using {
                block.add_from(self, twj, &mut conditions)?;
            }
        }
        if let Some(w) = &d.selection {
            conditions.push(w);
        }
        block.equalities(&conditions);
        let mut subs: Vec<Query> = Vec::new();
        for c in &conditions {
            subs.extend(subqueries(*c));
        }
        if let Some(ret) = &d.returning {
            for item in ret {
                subs.extend(subqueries(item));
            }
        }
        for sub in &subs {
            block.subquery(self, sub, "a subquery")?;
        }
        block.finish(self, "DELETE")?;
        Ok(())
    }
}

/// A derived output seen through an alias `x(a, b)`.
fn rename(out: &mut Output, alias: &TableAlias) {
    for (i, c) in alias.columns.iter().enumerate() {
        if let Some(old) = out.columns.get_mut(i) {
            if out.exposed.remove(old.as_str()) {
                out.exposed.insert(c.name.value.clone());
            }
            *old = c.name.value.clone();
        }
    }
}

/// UNION / INTERSECT / EXCEPT: the tenant both sides agree on, if any.
fn union_outputs(l: Output, r: Output) -> Output {
    match (l.tenant, r.tenant) {
        (false, false) => l,
        (true, false) => l,
        (false, true) => Output {
            columns: l.columns,
            ..r
        },
        (true, true) => {
            let class: Vec<Term> = l
                .class
                .iter()
                .filter(|t| matches!(t, Term::Const(_)) && r.class.contains(t))
                .cloned()
                .collect();
            let exposed = l
                .columns
                .iter()
                .zip(&r.columns)
                .filter(|(a, b)| l.exposed.contains(*a) && r.exposed.contains(*b))
                .map(|(a, _)| a.clone())
                .collect();
            Output {
                tenant: true,
                class,
                column_terms: vec![None; l.columns.len()],
                columns: l.columns,
                exposed,
            }
        }
    }
}

/// The output columns whose term is in the block's tenant class.
fn exposed(
    classes: &mut Classes,
    class: &[Term],
    columns: &[String],
    terms: &[Option<Term>],
) -> BTreeSet<String> {
    let Some(first) = class.first() else {
        return BTreeSet::new();
    };
    let root = classes.find(first);
    columns
        .iter()
        .zip(terms)
        .filter(|(_, t)| t.as_ref().is_some_and(|t| classes.find(t) == root))
        .map(|(c, _)| c.clone())
        .collect()
}

/// One block being checked.
struct Block {
    env: Env,
    classes: Classes,
    /// Tenant-bearing subqueries: their visible class terms, and a label.
    subs: Vec<(Vec<Term>, String)>,
}

impl Block {
    fn new(env: &Env, classes: &Classes) -> Self {
        let mut env = env.clone();
        env.scopes.push(Vec::new());
        Self {
            env,
            classes: classes.clone(),
            subs: Vec::new(),
        }
    }

    fn rels(&self) -> &[Rel] {
        self.env.scopes.last().map(Vec::as_slice).unwrap_or(&[])
    }

    fn push(&mut self, rel: Rel) {
        if let Some(key) = &rel.key {
            self.classes.find(key);
        }
        if let Some(scope) = self.env.scopes.last_mut() {
            scope.push(rel);
        }
    }

    /// Adds a named table (or CTE) as `alias`; returns its tenant key.
    fn table(
        &mut self,
        ck: &mut Checker,
        name: &str,
        alias: &str,
        must_exist: bool,
    ) -> Res<Option<Term>> {
        let id = ck.id();
        if let Some(cte) = self.env.cte(name).cloned() {
            let key = cte.out.tenant.then_some(Term::Key(id));
            if let Some(k) = &key {
                for c in &cte.out.exposed {
                    self.classes.union(k, &Term::Col(id, c.clone()));
                }
                for t in cte.out.class.iter().filter(|t| matches!(t, Term::Const(_))) {
                    self.classes.union(k, t);
                }
            }
            self.push(Rel {
                id,
                alias: alias.to_owned(),
                columns: Some(cte.out.columns.clone()),
                key: key.clone(),
                label: format!("{name} (CTE)"),
            });
            return Ok(key);
        }
        let columns = match ck.schema.tables.get(name) {
            Some(c) => Some(c.clone()),
            None if !must_exist => None,
            None => return Err(format!("unknown table {name}")),
        };
        let key = ck
            .schema
            .is_tenant(name)
            .then(|| Term::Col(id, "tenant_id".into()));
        self.push(Rel {
            id,
            alias: alias.to_owned(),
            columns,
            key: key.clone(),
            label: name.to_owned(),
        });
        Ok(key)
    }

    /// A FROM item with its joins; their ON conditions go to `conditions`.
    fn add_from<'q>(
        &mut self,
        ck: &mut Checker,
        twj: &'q TableWithJoins,
        conditions: &mut Vec<&'q Expr>,
    ) -> Res<()> {
        let first = self.rels().len();
        self.factor(ck, &twj.relation, conditions)?;
        for join in &twj.joins {
            let before = self.rels().len();
            self.factor(ck, &join.relation, conditions)?;
            let constraint = match &join.join_operator {
                JoinOperator::Join(c)
                | JoinOperator::Inner(c)
                | JoinOperator::Left(c)
                | JoinOperator::LeftOuter(c)
                | JoinOperator::Right(c)
                | JoinOperator::RightOuter(c)
                | JoinOperator::FullOuter(c)
                | JoinOperator::CrossJoin(c) => c,
                other => return Err(format!("join kind {other:?} is not checked")),
            };
            match constraint {
                JoinConstraint::On(e) => conditions.push(e),
                JoinConstraint::Using(cols) => {
                    let cols: Vec<String> = cols.iter().map(name_of).collect();
                    self.using(first, before, &cols);
                }
                JoinConstraint::Natural => {
                    let right: Vec<String> = self.rels()[before..]
                        .iter()
                        .flat_map(|r| r.columns.clone().unwrap_or_default())
                        .collect();
                    self.using(first, before, &right);
                }
                JoinConstraint::None => {}
                JoinConstraint::UsingAlias(..) => return Err("USING ... AS is not checked".into()),
            }
        }
        Ok(())
    }

    /// `USING (cols)`: each column of the new relations equals that of the earlier ones.
    fn using(&mut self, first: usize, before: usize, cols: &[String]) {
        let rels = self.rels().to_vec();
        for col in cols {
            let has = |r: &Rel| r.columns.as_ref().is_some_and(|c| c.contains(col));
            for right in rels[before..].iter().filter(|r| has(r)) {
                for left in rels[first..before].iter().filter(|r| has(r)) {
                    self.classes.union(
                        &Term::Col(left.id, col.clone()),
                        &Term::Col(right.id, col.clone()),
                    );
                }
            }
        }
    }

    fn factor<'q>(
        &mut self,
        ck: &mut Checker,
        factor: &'q TableFactor,
        conditions: &mut Vec<&'q Expr>,
    ) -> Res<()> {
        match factor {
            TableFactor::Table {
                name, alias, args, ..
            } => {
                let table = name_of(name);
                let alias_name = alias
                    .as_ref()
                    .map(|a| a.name.value.clone())
                    .unwrap_or_else(|| table.clone());
                if let Some(args) = args {
                    // A set-returning function such as unnest() or generate_series().
                    for a in &args.args {
                        for sub in subqueries(a) {
                            self.subquery(ck, &sub, "a subquery in a FROM function")?;
                        }
                    }
                    let id = ck.id();
                    let columns = alias.as_ref().map(|a| {
                        let cols: Vec<String> =
                            a.columns.iter().map(|c| c.name.value.clone()).collect();
                        if cols.is_empty() {
                            vec![a.name.value.clone()]
                        } else {
                            cols
                        }
                    });
                    self.push(Rel {
                        id,
                        alias: alias_name,
                        columns,
                        key: None,
                        label: format!("{table}()"),
                    });
                    return Ok(());
                }
                let system = schema_of(name)
                    .is_some_and(|s| s == "pg_catalog" || s == "information_schema")
                    || table.starts_with("pg_");
                self.table(ck, &table, &alias_name, !system)?;
                if alias.as_ref().is_some_and(|a| !a.columns.is_empty()) {
                    return Err("column aliases on a table are not checked".into());
                }
                Ok(())
            }
            TableFactor::Derived {
                lateral,
                subquery,
                alias,
                ..
            } => {
                // A LATERAL subquery sees the FROM items before it; any other only the
                // enclosing blocks.
                let mut env = self.env.clone();
                if !*lateral {
                    env.scopes.pop();
                }
                let mut out = ck.query(subquery, &env, &self.classes)?;
                let id = ck.id();
                let alias_name = match alias {
                    Some(a) => {
                        rename(&mut out, a);
                        a.name.value.clone()
                    }
                    None => format!("subquery{id}"),
                };
                let key = out.tenant.then_some(Term::Key(id));
                if let Some(k) = &key {
                    self.classes.find(k);
                    for c in &out.exposed {
                        self.classes.union(k, &Term::Col(id, c.clone()));
                    }
                    for t in out.class.iter().filter(|t| self.env.visible(t)) {
                        self.classes.union(k, t);
                    }
                }
                self.push(Rel {
                    id,
                    alias: alias_name.clone(),
                    columns: Some(out.columns.clone()),
                    key,
                    label: format!("subquery {alias_name}"),
                });
                Ok(())
            }
            TableFactor::NestedJoin {
                table_with_joins,
                alias,
            } => {
                if alias.is_some() {
                    return Err("an aliased parenthesised join is not checked".into());
                }
                self.add_from(ck, table_with_joins, conditions)
            }
            TableFactor::Function {
                name, args, alias, ..
            } => {
                for a in args {
                    for sub in subqueries(a) {
                        self.subquery(ck, &sub, "a subquery in a FROM function")?;
                    }
                }
                let id = ck.id();
                self.push(Rel {
                    id,
                    alias: alias
                        .as_ref()
                        .map(|a| a.name.value.clone())
                        .unwrap_or_else(|| name_of(name)),
                    columns: alias
                        .as_ref()
                        .map(|a| a.columns.iter().map(|c| c.name.value.clone()).collect()),
                    key: None,
                    label: format!("{}()", name_of(name)),
                });
                Ok(())
            }
            TableFactor::UNNEST {
                alias, array_exprs, ..
            } => {
                for e in array_exprs {
                    for sub in subqueries(e) {
                        self.subquery(ck, &sub, "a subquery in unnest()")?;
                    }
                }
                let id = ck.id();
                self.push(Rel {
                    id,
                    alias: alias
                        .as_ref()
                        .map(|a| a.name.value.clone())
                        .unwrap_or_else(|| "unnest".into()),
                    columns: alias
                        .as_ref()
                        .map(|a| a.columns.iter().map(|c| c.name.value.clone()).collect()),
                    key: None,
                    label: "unnest()".into(),
                });
                Ok(())
            }
            other => Err(format!("FROM item `{other}` is not checked")),
        }
    }

    /// The relation a column reference resolves to, innermost scope first.
    fn resolve(&self, parts: &[String]) -> Option<(usize, String)> {
        match parts {
            [col] => {
                for scope in self.env.scopes.iter().rev() {
                    let found: Vec<&Rel> = scope
                        .iter()
                        .filter(|r| r.columns.as_ref().is_some_and(|c| c.contains(col)))
                        .collect();
                    if let Some(r) = found.first() {
                        return Some((r.id, col.clone()));
                    }
                }
                None
            }
            [.., rel, col] => {
                for scope in self.env.scopes.iter().rev() {
                    if let Some(r) = scope.iter().rev().find(|r| r.alias == *rel) {
                        return Some((r.id, col.clone()));
                    }
                }
                None
            }
            [] => None,
        }
    }

    /// The term an expression is, if it is a column or a constant.
    fn term(&self, e: &Expr) -> Option<Term> {
        match strip(e) {
            Expr::Identifier(i) => self
                .resolve(std::slice::from_ref(&i.value))
                .map(|(id, c)| Term::Col(id, c)),
            Expr::CompoundIdentifier(parts) => {
                let parts: Vec<String> = parts.iter().map(|p| p.value.clone()).collect();
                self.resolve(&parts).map(|(id, c)| Term::Col(id, c))
            }
            Expr::Value(v) => Some(Term::Const(match &v.value {
                Value::Placeholder(p) => p.clone(),
                other => other.to_string(),
            })),
            other if !has_columns(other) => Some(Term::Const(other.to_string())),
            _ => None,
        }
    }

    /// Joins the terms of the equalities among `conditions`' top-level conjuncts.
    fn equalities(&mut self, conditions: &[&Expr]) {
        let mut parts = Vec::new();
        for c in conditions {
            conjuncts(c, &mut parts);
        }
        for p in parts {
            let (l, r) = match p {
                Expr::BinaryOp {
                    left,
                    op: BinaryOperator::Eq,
                    right,
                } => (left, right),
                Expr::IsNotDistinctFrom(left, right) => (left, right),
                _ => continue,
            };
            match (strip(l), strip(r)) {
                (Expr::Tuple(ls), Expr::Tuple(rs)) if ls.len() == rs.len() => {
                    for (a, b) in ls.iter().zip(rs) {
                        self.equate(a, b);
                    }
                }
                (a, b) => self.equate(a, b),
            }
        }
    }

    fn equate(&mut self, a: &Expr, b: &Expr) {
        if let (Some(ta), Some(tb)) = (self.term(a), self.term(b)) {
            self.classes.union(&ta, &tb);
        }
    }

    /// Checks a subquery of this block and keeps its tenant for [`Block::finish`].
    fn subquery(&mut self, ck: &mut Checker, q: &Query, label: &str) -> Res<()> {
        let out = ck.query(q, &self.env, &self.classes)?;
        if out.tenant {
            let visible: Vec<Term> = out
                .class
                .into_iter()
                .filter(|t| self.env.visible(t))
                .collect();
            let text = q.to_string();
            let short: String = text.chars().take(80).collect();
            self.subs.push((visible, format!("{label} ({short})")));
        }
        Ok(())
    }

    /// The output columns of a projection and their terms.
    fn projection(&self, items: &[SelectItem]) -> (Vec<String>, Vec<Option<Term>>) {
        let mut columns = Vec::new();
        let mut terms = Vec::new();
        let all = |rel: &Rel, columns: &mut Vec<String>, terms: &mut Vec<Option<Term>>| {
            for c in rel.columns.clone().unwrap_or_default() {
                terms.push(Some(Term::Col(rel.id, c.clone())));
                columns.push(c);
            }
        };
        for item in items {
            match item {
                SelectItem::UnnamedExpr(e) => {
                    let name = match strip(e) {
                        Expr::Identifier(i) => i.value.clone(),
                        Expr::CompoundIdentifier(p) => {
                            p.last().map(|i| i.value.clone()).unwrap_or_default()
                        }
                        _ => "?column?".into(),
                    };
                    columns.push(name);
                    terms.push(self.term(e));
                }
                SelectItem::ExprWithAlias { expr, alias } => {
                    columns.push(alias.value.clone());
                    terms.push(self.term(expr));
                }
                SelectItem::Wildcard(_) => {
                    for rel in self.rels() {
                        all(rel, &mut columns, &mut terms);
                    }
                }
                SelectItem::QualifiedWildcard(
                    SelectItemQualifiedWildcardKind::ObjectName(n),
                    _,
                ) => {
                    let alias = name_of(n);
                    if let Some(rel) = self.rels().iter().find(|r| r.alias == alias) {
                        all(rel, &mut columns, &mut terms);
                    }
                }
                _ => {
                    columns.push("?column?".into());
                    terms.push(None);
                }
            }
        }
        (columns, terms)
    }

    /// Requires every tenant-bearing relation and subquery of the block in one class.
    fn finish(&mut self, ck: &mut Checker, what: &str) -> Res<Output> {
        let mut items: Vec<(BTreeSet<Term>, String)> = Vec::new();
        let rels = self.rels().to_vec();
        for r in &rels {
            if let Some(k) = &r.key {
                let root = self.classes.find(k);
                items.push((BTreeSet::from([root]), r.label.clone()));
            }
        }
        let subs = std::mem::take(&mut self.subs);
        for (terms, label) in &subs {
            let roots: BTreeSet<Term> = terms.iter().map(|t| self.classes.find(t)).collect();
            items.push((roots, label.clone()));
        }
        if items.is_empty() {
            return Ok(Output::default());
        }
        // Items sharing a root are joined on tenant; more than one group is a violation.
        let mut groups: Vec<(BTreeSet<Term>, Vec<String>)> = Vec::new();
        for (roots, label) in items {
            let mut merged = (roots, vec![label]);
            let mut rest = Vec::new();
            for g in groups {
                if g.0.intersection(&merged.0).next().is_some() {
                    merged.0.extend(g.0);
                    merged.1.extend(g.1);
                } else {
                    rest.push(g);
                }
            }
            rest.insert(0, merged);
            groups = rest;
        }
        groups.reverse();
        if groups.len() > 1 {
            let names: Vec<String> = groups.iter().map(|g| g.1.join(" + ")).collect();
            ck.violations.push(format!(
                "{what} joins tenant data without tenant_id equality between: {}",
                names.join("  |  ")
            ));
        }
        let mut class = Vec::new();
        for root in &groups[0].0 {
            class.extend(self.classes.members(root));
        }
        Ok(Output {
            tenant: true,
            class,
            ..Output::default()
        })
    }
}
