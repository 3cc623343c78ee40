//! Turns a [`ListQuery`] into SQL conditions, ordering and a counted page, for any entity.

use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func, LikeExpr, Query, SelectStatement, SimpleExpr};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, Order, QueryFilter,
    QueryOrder, QuerySelect, Select, Value,
};

use crate::domain::IdOrSlug;
use crate::error::AppError;
use crate::listing::{Filter, FilterOp, FilterValue, ListQuery, Page};
use crate::services::counts::CountCache;

/// The bound value of a filter value (never spliced into SQL text).
pub fn bind_value(value: &FilterValue) -> Value {
    match value {
        FilterValue::Uuid(id) => (*id).into(),
        FilterValue::Text(text) => text.clone().into(),
        FilterValue::Int(n) => (*n).into(),
        FilterValue::Bool(b) => (*b).into(),
        FilterValue::Timestamp(t) => (*t).into(),
        FilterValue::Ref(IdOrSlug::Id(id)) => (*id).into(),
        FilterValue::Ref(IdOrSlug::Slug(slug)) => slug.as_str().to_owned().into(),
    }
}

/// Escapes `%`, `_` and `\` so user text matches literally inside a LIKE pattern.
fn like_pattern(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('%');
    for c in text.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// The condition a filter puts on a plain column.
pub fn column_condition<C: ColumnTrait>(column: C, filter: &Filter) -> Condition {
    let values: Vec<Value> = filter.values.iter().map(bind_value).collect();
    let first = values.first().cloned().unwrap_or(Value::Bool(None));
    let expr: SimpleExpr = match filter.op {
        FilterOp::Eq if values.len() == 1 => column.eq(first),
        FilterOp::Eq => column.is_in(values),
        FilterOp::Ne if values.len() == 1 => column.ne(first),
        FilterOp::Ne => column.is_not_in(values),
        FilterOp::Gte => column.gte(first),
        FilterOp::Lte => column.lte(first),
        FilterOp::Gt => column.gt(first),
        FilterOp::Lt => column.lt(first),
        FilterOp::Like => {
            let text = match filter.values.first() {
                Some(FilterValue::Text(t)) => t.as_str(),
                _ => "",
            };
            Expr::expr(Func::lower(Expr::col(column.as_column_ref())))
                .like(LikeExpr::new(like_pattern(text)).escape('\\'))
        }
    };
    Condition::all().add(expr)
}

/// `SELECT id FROM target WHERE (id IN ids OR slug IN slugs) AND extra`: resolves references
/// given by id or slug inside the query, without a round trip.
pub fn reference_ids<E, C>(id: C, slug: C, values: &[FilterValue], extra: Condition) -> SelectStatement
where
    E: EntityTrait + Default,
    C: ColumnTrait,
{
    let mut ids = Vec::new();
    let mut slugs = Vec::new();
    for value in values {
        match value {
            FilterValue::Ref(IdOrSlug::Id(v)) | FilterValue::Uuid(v) => ids.push(*v),
            FilterValue::Ref(IdOrSlug::Slug(s)) => slugs.push(s.as_str().to_owned()),
            _ => {}
        }
    }
    Query::select()
        .column(id)
        .from(E::default())
        .cond_where(
            Condition::all()
                .add(Condition::any().add(id.is_in(ids)).add(slug.is_in(slugs)))
                .add(extra),
        )
        .take()
}

/// `column IN (subquery)` or, for a negated filter, `column NOT IN (subquery)`.
pub fn in_subquery<C: ColumnTrait>(column: C, op: FilterOp, subquery: SelectStatement) -> Condition {
    match op {
        FilterOp::Ne => Condition::all().add(column.not_in_subquery(subquery)),
        _ => Condition::all().add(column.in_subquery(subquery)),
    }
}

/// Which sort fields may be empty in the rows a list reads.
#[derive(Debug, Clone, Copy)]
pub enum Empty<'a> {
    /// Any of them.
    Any,
    /// Only these.
    Only(&'a [&'a str]),
}

/// Applies the sort keys (mapped to columns by `column_for`, empty values last) and a final `id`
/// tiebreaker.
pub fn apply_sort<E, F>(mut select: Select<E>, query: &ListQuery, id: E::Column, column_for: F, empty: Empty<'_>) -> Result<Select<E>, AppError>
where
    E: EntityTrait,
    F: Fn(&str) -> Option<E::Column>,
{
    for key in &query.sort {
        let column = column_for(key.field).ok_or_else(|| {
            AppError::Internal(anyhow::anyhow!("sort field {} has no column", key.field))
        })?;
        let order = if key.descending { Order::Desc } else { Order::Asc };
        select = match empty {
            // Empty values (a draft's publication date) come last either way, on both
            // databases: SQLite would put them last when descending, PostgreSQL first.
            Empty::Any => select.order_by_with_nulls(column, order, sea_orm::sea_query::NullOrdering::Last),
            Empty::Only(fields) if fields.contains(&key.field) => select.order_by_with_nulls(column, order, sea_orm::sea_query::NullOrdering::Last),
            // Without the rule an index in the column's order serves the sort in either direction.
            Empty::Only(_) => select.order_by(column, order),
        };
    }
    if query.sort.iter().any(|key| key.field == "id") {
        // Already in a total order; a second `id` would only keep an index from serving it.
        return Ok(select);
    }
    Ok(select.order_by(id, if query.sort.first().is_some_and(|s| s.descending) { Order::Desc } else { Order::Asc }))
}

/// The select without its order: what a count reads (an order there could only cost a sort).
fn unordered<E: EntityTrait>(select: &Select<E>) -> Select<E> {
    let mut counted = select.clone();
    sea_orm::QueryTrait::query(&mut counted).clear_order_by();
    counted
}

/// The statements [`fetch_page`] runs for `select`: the count (when the query counts) and the
/// page, for reading their plans.
pub fn page_statements<E: EntityTrait>(backend: sea_orm::DbBackend, select: &Select<E>, query: &ListQuery) -> Vec<sea_orm::Statement> {
    use sea_orm::QueryTrait;
    let mut statements = Vec::new();
    if query.count_total {
        statements.push(count_statement(backend, select));
    }
    let limit = if query.count_total { query.limit } else { query.limit + 1 };
    statements.push(select.clone().offset(query.offset).limit(limit).build(backend));
    statements
}

/// The statement counting `select`'s rows, as `num_items`.
fn count_statement<E: EntityTrait>(backend: sea_orm::DbBackend, select: &Select<E>) -> sea_orm::Statement {
    use sea_orm::QueryTrait;
    let count = Query::select()
        .expr_as(Expr::cust("COUNT(*)"), Alias::new("num_items"))
        .from_subquery(unordered(select).into_query(), Alias::new("sub_query"))
        .to_owned();
    backend.build(&count)
}

/// Runs a statement made by [`count_statement`].
pub(crate) async fn run_count(db: &impl ConnectionTrait, statement: sea_orm::Statement) -> Result<u64, AppError> {
    let row = db.query_one_raw(statement).await?;
    let total: i64 = row.map(|r| r.try_get("", "num_items")).transpose()?.unwrap_or(0);
    Ok(u64::try_from(total).unwrap_or(0))
}

/// Counts all matching rows and fetches the requested window. `counts`, when given, answers the
/// count: only for rows every public reader sees alike (see [`CountCache`]).
pub async fn fetch_page<E, D>(db: &D, select: Select<E>, query: &ListQuery, counts: Option<&CountCache>) -> Result<Page<E::Model>, AppError>
where
    E: EntityTrait,
    E::Model: Sync,
    D: ConnectionTrait,
{
    if !query.count_total {
        // One row more than asked tells whether another page follows, without counting.
        let mut items = select.offset(query.offset).limit(query.limit + 1).all(db).await?;
        let more = items.len() as u64 > query.limit;
        items.truncate(usize::try_from(query.limit).unwrap_or(usize::MAX));
        let total = query.offset + items.len() as u64 + u64::from(more);
        return Ok(Page { items, total });
    }
    let count = count_statement(db.get_database_backend(), &select);
    let total = match counts {
        Some(counts) => counts.count(count).await?,
        None => run_count(db, count).await?,
    };
    let items = if query.offset >= total {
        Vec::new()
    } else {
        select.offset(query.offset).limit(query.limit).all(db).await?
    };
    Ok(Page { items, total })
}

/// Adds every filter's condition (built by `condition_for`) to the query.
pub fn apply_filters<E, F>(select: Select<E>, query: &ListQuery, condition_for: F) -> Result<Select<E>, AppError>
where
    E: EntityTrait,
    F: Fn(&Filter) -> Option<Condition>,
{
    let mut all = Condition::all();
    for filter in &query.filters {
        all = all.add(condition_for(filter).ok_or_else(|| {
            AppError::Internal(anyhow::anyhow!("filter field {} has no condition", filter.field))
        })?);
    }
    Ok(select.filter(all))
}

/// Finds one row by id or slug within `select` (which already carries visibility).
pub async fn find_one<E, D>(
    db: &D,
    select: Select<E>,
    id: E::Column,
    slug: E::Column,
    key: &IdOrSlug,
) -> Result<Option<E::Model>, AppError>
where
    E: EntityTrait,
    D: ConnectionTrait,
{
    let select = match key {
        IdOrSlug::Id(v) => select.filter(id.eq(*v)),
        IdOrSlug::Slug(s) => select.filter(slug.eq(s.as_str())),
    };
    Ok(select.one(db).await?)
}

/// Finds one row by primary key.
pub async fn find_one_by_id<E, D>(db: &D, id: E::Column, value: uuid::Uuid) -> Result<Option<E::Model>, AppError>
where
    E: EntityTrait,
    D: ConnectionTrait,
{
    Ok(E::find().filter(id.eq(value)).one(db).await?)
}

/// One page of `select`: `relation` turns the filters on related records into conditions, every
/// other filter and sort field is the column of the same name (the resource's spec has already
/// checked the names), and ties are broken by `id`.
pub async fn page_by_columns<E, D>(
    db: &D,
    select: Select<E>,
    query: &ListQuery,
    relation: impl Fn(&Filter) -> Option<Condition>,
) -> Result<Page<E::Model>, AppError>
where
    E: EntityTrait,
    E::Model: Sync,
    E::Column: std::str::FromStr,
    D: ConnectionTrait,
{
    let column = |field: &str| field.parse::<E::Column>().ok();
    let id = column("id").ok_or_else(|| AppError::Internal(anyhow::anyhow!("a listed table has no `id` column")))?;
    let select = apply_filters(select, query, |f| relation(f).or_else(|| column(f.field).map(|c| column_condition(c, f))))?;
    let select = apply_sort(select, query, id, column, Empty::Any)?;
    fetch_page(db, select, query, None).await
}

/// `owner IN (SELECT link_owner FROM link WHERE link_target IN …)`: the rows linked through the
/// join table `L` to the records of `R` a filter names by id or slug (`extra` narrows those).
pub fn linked_to<L, R>(
    owner: impl ColumnTrait,
    link_owner: L::Column,
    link_target: L::Column,
    target_id: R::Column,
    target_slug: R::Column,
    filter: &Filter,
    extra: Condition,
) -> Condition
where
    L: EntityTrait + Default,
    R: EntityTrait + Default,
{
    in_subquery(
        owner,
        filter.op,
        Query::select()
            .column(link_owner)
            .from(L::default())
            .and_where(link_target.in_subquery(reference_ids::<R, _>(target_id, target_slug, &filter.values, extra)))
            .take(),
    )
}
