//! Full-text search under the one visibility policy: the grammar, the documents, ranked hits
//! with snippets, facet counts over the whole match set, and spelling suggestions. The match is
//! part of the same statement as the caller's visibility and filters.

use std::collections::HashMap;

use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, FromQueryResult, Order, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait, Select,
    Statement,
};
use uuid::Uuid;

use entity::{content_item, content_sector, search_document};

use crate::domain::ContentKind;
use crate::error::AppError;
use crate::listing::{ListQuery, Page, ResourceSpec};
use crate::policy::Principal;
use crate::services::content::{self, ContentRecord};
use crate::services::taxonomy;

pub mod grammar;
pub mod index;
mod snippet;

/// A parsed search, ready to join into a content query.
#[derive(Debug, Clone)]
pub struct Search {
    query: grammar::Query,
}

/// A score is the sum of the fields that hold a query word (title 8, lead 4, body 2, names 1),
/// so a title match outranks any number of body matches, plus a fraction below 1 from the
/// database's own ranking (BM25, `ts_rank`) that orders matches within those tiers.
const SQLITE_SCORE: &str = "(CASE WHEN bm25(\"search_index\", 1.0, 0.0, 0.0, 0.0) < 0 THEN 8 ELSE 0 END \
    + CASE WHEN bm25(\"search_index\", 0.0, 1.0, 0.0, 0.0) < 0 THEN 4 ELSE 0 END \
    + CASE WHEN bm25(\"search_index\", 0.0, 0.0, 1.0, 0.0) < 0 THEN 2 ELSE 0 END \
    + CASE WHEN bm25(\"search_index\", 0.0, 0.0, 0.0, 1.0) < 0 THEN 1 ELSE 0 END \
    + 1.0 - 1.0 / (1.0 - bm25(\"search_index\", 10.0, 5.0, 2.0, 1.0)))";
/// `$1` is the query, `$2` any of its wanted terms; weights A–D are title, lead, body, names.
const POSTGRES_SCORE: &str = "(CASE WHEN ts_filter(\"search_documents\".\"search_vector\", '{a}') @@ to_tsquery('simple', $2) THEN 8 ELSE 0 END \
    + CASE WHEN ts_filter(\"search_documents\".\"search_vector\", '{b}') @@ to_tsquery('simple', $2) THEN 4 ELSE 0 END \
    + CASE WHEN ts_filter(\"search_documents\".\"search_vector\", '{c}') @@ to_tsquery('simple', $2) THEN 2 ELSE 0 END \
    + CASE WHEN ts_filter(\"search_documents\".\"search_vector\", '{d}') @@ to_tsquery('simple', $2) THEN 1 ELSE 0 END \
    + 1.0 - 1.0 / (1.0 + ts_rank('{0.1, 0.2, 0.4, 1.0}', \"search_documents\".\"search_vector\", to_tsquery('simple', $1), 0)))::float8";

impl Search {
    /// Parses what the caller typed (see [`grammar`]).
    pub fn parse(text: &str) -> Result<Search, AppError> {
        Ok(Search { query: grammar::parse(text)? })
    }

    /// Keeps the rows of `select` that match, joining their documents (and on SQLite the index).
    pub(crate) fn constrain(&self, mut select: Select<content_item::Entity>, backend: DbBackend) -> Select<content_item::Entity> {
        let statement = QueryTrait::query(&mut select);
        statement.inner_join(
            search_document::Entity,
            Expr::col((search_document::Entity, search_document::Column::ContentId)).equals((content_item::Entity, content_item::Column::Id)),
        );
        match backend {
            DbBackend::Sqlite => {
                statement
                    .inner_join(Alias::new("search_index"), Expr::cust("\"search_index\".\"rowid\" = \"search_documents\".\"doc_id\""))
                    .and_where(Expr::cust_with_values("\"search_index\" MATCH ?", [self.query.to_fts5()]));
            }
            _ => {
                statement.and_where(Expr::cust_with_values(
                    "\"search_documents\".\"search_vector\" @@ to_tsquery('simple', $1)",
                    [self.query.to_tsquery()],
                ));
            }
        }
        select
    }

    /// How well a row matches (larger is better; comparable within one answer only).
    pub(crate) fn score(&self, backend: DbBackend) -> Expr {
        match backend {
            DbBackend::Sqlite => Expr::cust(SQLITE_SCORE),
            _ => Expr::cust_with_values(POSTGRES_SCORE, [self.query.to_tsquery(), self.query.to_tsquery_any()]),
        }
    }

    /// Orders by relevance, best first.
    pub(crate) fn by_relevance(&self, select: Select<content_item::Entity>, backend: DbBackend) -> Select<content_item::Entity> {
        select.order_by(self.score(backend), Order::Desc)
    }
}

/// What `/search` accepts besides `q`: the filters of `/content`, and a few sorts.
pub static SEARCH_SPEC: ResourceSpec = ResourceSpec {
    name: "search",
    filters: content::ALL_KIND_FILTERS,
    sorts: &["published_at", "updated_at", "title"],
    default_sort: &[],
    includes: &[],
    fields: &[],
    searchable: true,
    list_omits: &[],
};

/// One match: the item, a passage around the match and its score.
#[derive(Debug, Clone)]
pub struct Hit {
    pub item: ContentRecord,
    /// HTML: the passage escaped, matching words in `<mark>`.
    pub snippet: String,
    pub score: f64,
}

/// Matches per kind and per sector, over every page.
#[derive(Debug, Clone, Default)]
pub struct Facets {
    pub kinds: Vec<(ContentKind, u64)>,
    pub sectors: Vec<SectorFacet>,
}

/// Matches in one sector.
#[derive(Debug, Clone)]
pub struct SectorFacet {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub count: u64,
}

/// A page of hits, facets when asked for, and a suggestion when nothing matched.
#[derive(Debug, Clone)]
pub struct Results {
    pub hits: Page<Hit>,
    pub facets: Option<Facets>,
    /// The query with misspelt words replaced by indexed ones, when that finds something.
    pub did_you_mean: Option<String>,
}

#[derive(FromQueryResult)]
struct Ranked {
    id: Uuid,
    score: f64,
}

/// Searches across kinds: `query.search` is required, its filters and sort apply; the total is
/// always counted.
pub async fn search(db: &impl ConnectionTrait, principal: &Principal, query: &ListQuery, with_facets: bool) -> Result<Results, AppError> {
    let backend = db.get_database_backend();
    let (select, search) = content::matching(backend, principal, None, query)?;
    let search = search.ok_or_else(|| AppError::bad_request("invalid_search", "give the words to look for in `q`"))?;
    let total = select.clone().count(db).await?;
    let ordered = content::ordered(select.clone(), principal, Some(&search), query, backend)?;
    let ranked = ordered.select_only().column(content_item::Column::Id).expr_as(search.score(backend), "score");
    let rows = if query.limit == 0 || query.offset >= total {
        Vec::new()
    } else {
        ranked.offset(query.offset).limit(query.limit).into_model::<Ranked>().all(db).await?
    };
    let hits = hits(db, principal, &search, rows).await?;
    let facets = if with_facets { Some(facets(db, select).await?) } else { None };
    let did_you_mean = if total == 0 && query.offset == 0 { suggestion(db, principal, query, &search).await? } else { None };
    Ok(Results { hits: Page { items: hits, total }, facets, did_you_mean })
}

/// The records and snippets of ranked rows, in rank order: four statements whatever the page size.
async fn hits(db: &impl ConnectionTrait, principal: &Principal, search: &Search, rows: Vec<Ranked>) -> Result<Vec<Hit>, AppError> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let mut records: HashMap<Uuid, ContentRecord> = content::by_ids(db, principal, &ids).await?.into_iter().map(|r| (r.id, r)).collect();
    let documents: HashMap<Uuid, search_document::Model> = search_document::Entity::find()
        .filter(search_document::Column::ContentId.is_in(ids.iter().copied()))
        .all(db)
        .await?
        .into_iter()
        .map(|d| (d.content_id, d))
        .collect();
    let terms: Vec<&grammar::Term> = search.query.wanted().collect();
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            let item = records.remove(&row.id)?;
            let snippet = match documents.get(&row.id) {
                Some(d) => snippet::snippet(&[&d.lead, &d.body, &d.title], &terms),
                None => String::new(),
            };
            Some(Hit { item, snippet, score: row.score })
        })
        .collect())
}

/// Counts by kind and by sector over the whole match set.
async fn facets(db: &impl ConnectionTrait, matching: Select<content_item::Entity>) -> Result<Facets, AppError> {
    let by_kind: Vec<(String, i64)> = matching
        .clone()
        .select_only()
        .column(content_item::Column::Kind)
        .expr(Func::count(Expr::col((content_item::Entity, content_item::Column::Id))))
        .group_by(content_item::Column::Kind)
        .into_tuple()
        .all(db)
        .await?;
    let mut kinds = Vec::with_capacity(by_kind.len());
    for (kind, count) in by_kind {
        kinds.push((ContentKind::stored(&kind)?, u64::try_from(count).unwrap_or(0)));
    }
    kinds.sort_by_key(|(kind, _)| kind.as_str());
    let ids = matching.select_only().column(content_item::Column::Id).into_query();
    let by_sector: Vec<(Uuid, i64)> = content_sector::Entity::find()
        .select_only()
        .column(content_sector::Column::SectorId)
        .expr(Func::count(Expr::col(content_sector::Column::ContentId)))
        .filter(content_sector::Column::ContentId.in_subquery(ids))
        .group_by(content_sector::Column::SectorId)
        .into_tuple()
        .all(db)
        .await?;
    let names = taxonomy::sectors_by_ids(db, &by_sector.iter().map(|(id, _)| *id).collect::<Vec<_>>()).await?;
    let mut sectors: Vec<SectorFacet> = by_sector
        .into_iter()
        .filter_map(|(id, count)| {
            let sector = names.get(&id)?;
            Some(SectorFacet { id, slug: sector.slug.clone(), name: sector.name.clone(), count: u64::try_from(count).unwrap_or(0) })
        })
        .collect();
    sectors.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.name.cmp(&b.name)));
    Ok(Facets { kinds, sectors })
}

/// Suggestions tried before giving up.
const SUGGESTIONS: usize = 3;

/// A rewrite of a query that found nothing, with each unknown word replaced by a close indexed
/// word, offered only if it finds something the caller may read.
async fn suggestion(db: &impl ConnectionTrait, principal: &Principal, query: &ListQuery, search: &Search) -> Result<Option<String>, AppError> {
    let mut alternatives: HashMap<String, Vec<String>> = HashMap::new();
    for term in search.query.wanted().filter(|t| t.words.len() == 1 && !t.prefix) {
        let word = &term.words[0];
        if word.chars().count() < 3 || alternatives.contains_key(word) {
            continue;
        }
        let close = close_words(db, word).await?;
        if !close.is_empty() {
            alternatives.insert(word.clone(), close);
        }
    }
    let original = search.query.rewrite(|_| None);
    for choice in 0..SUGGESTIONS {
        let rewritten = search.query.rewrite(|w| alternatives.get(w).map(|close| close[choice.min(close.len() - 1)].clone()));
        if rewritten == original {
            return Ok(None);
        }
        let mut candidate = query.clone();
        candidate.search = Some(rewritten.clone());
        let (select, _) = content::matching(db.get_database_backend(), principal, None, &candidate)?;
        if select.count(db).await? > 0 {
            return Ok(Some(rewritten));
        }
    }
    Ok(None)
}

/// Indexed words within a small edit distance of `word`, best first; none when `word` is itself
/// indexed. Candidates share the first letter, which keeps the vocabulary read small.
async fn close_words(db: &impl ConnectionTrait, word: &str) -> Result<Vec<String>, AppError> {
    let Some(first) = word.chars().next() else {
        return Ok(Vec::new());
    };
    let after = char::from_u32(first as u32 + 1).unwrap_or(char::MAX).to_string();
    let length = word.chars().count() as i64;
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Sqlite => "SELECT term, doc FROM search_vocabulary WHERE term >= ? AND term < ? AND length(term) BETWEEN ? AND ?",
        _ => "SELECT word AS term, ndoc::bigint AS doc FROM ts_stat('SELECT search_vector FROM search_documents') WHERE word >= $1 AND word < $2 AND length(word) BETWEEN $3 AND $4",
    };
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(backend, sql, [first.to_string().into(), after.into(), (length - 2).into(), (length + 2).into()]))
        .await?;
    let limit = if length <= 4 { 1 } else { 2 };
    let mut close: Vec<(usize, i64, String)> = Vec::new();
    for row in rows {
        let term: String = row.try_get("", "term")?;
        if term == word {
            return Ok(Vec::new());
        }
        let distance = edit_distance(word, &term);
        if distance <= limit {
            close.push((distance, -row.try_get::<i64>("", "doc")?, term));
        }
    }
    close.sort();
    Ok(close.into_iter().take(SUGGESTIONS).map(|(_, _, term)| term).collect())
}

/// Edits (insert, delete, substitute, swap two neighbours) that turn `a` into `b`.
fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut rows = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in rows.iter_mut().enumerate() {
        row[0] = i;
    }
    for j in 0..=b.len() {
        rows[0][j] = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (rows[i - 1][j] + 1).min(rows[i][j - 1] + 1).min(rows[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(rows[i - 2][j - 2] + 1);
            }
            rows[i][j] = best;
        }
    }
    rows[a.len()][b.len()]
}

/// The plan the database picks for an anonymous search, for operators (and the test that an
/// index answers the match).
pub async fn plan(db: &impl ConnectionTrait, text: &str) -> Result<String, AppError> {
    let backend = db.get_database_backend();
    let query = ListQuery { search: Some(text.to_owned()), sort: Vec::new(), ..ListQuery::new(&SEARCH_SPEC) };
    let (select, search) = content::matching(backend, &Principal::Anonymous, None, &query)?;
    let search = search.ok_or_else(|| AppError::bad_request("invalid_search", "nothing to search for"))?;
    crate::db::plan(db, search.by_relevance(select, backend).limit(20).build(backend)).await
}

#[cfg(test)]
mod tests {
    use super::edit_distance;

    #[test]
    fn edit_distances() {
        assert_eq!(edit_distance("strike", "strike"), 0);
        assert_eq!(edit_distance("stirke", "strike"), 1);
        assert_eq!(edit_distance("strke", "strike"), 1);
        assert_eq!(edit_distance("organising", "organizing"), 1);
        assert_eq!(edit_distance("union", "onion"), 1);
        assert_eq!(edit_distance("tenant", "tenants"), 1);
        assert_eq!(edit_distance("abc", "xyz"), 3);
    }
}
