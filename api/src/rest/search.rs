//! `GET /api/v1/search`: ranked hits across kinds, with snippets, facets and a suggestion.

use std::collections::BTreeMap;

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use crate::auth::principal::Caller;
use crate::domain::ContentKind;
use crate::error::{AppError, Problem};
use crate::rest::list_query::{ListParams, ParsedList, parse_list};
use crate::rest::read_only;
use crate::rest::response::{self, range_header, to_value};
use crate::services::search::{self, Facets, Hit, SEARCH_SPEC};
use crate::state::AppState;

/// One match.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SearchHit {
    pub kind: ContentKind,
    pub id: Uuid,
    pub slug: String,
    pub title: String,
    pub summary: String,
    /// HTML: a passage around the match, escaped, with the matching words in `<mark>`.
    pub snippet: String,
    /// Relevance; larger is better, comparable within one answer only.
    pub score: f64,
    pub status: crate::domain::ContentStatus,
    pub published_at: Option<DateTime<Utc>>,
    /// The item's own URL in this API.
    pub href: String,
}

impl From<Hit> for SearchHit {
    fn from(hit: Hit) -> SearchHit {
        let item = hit.item;
        SearchHit {
            href: format!("/api/v1/{}/{}", item.kind.collection(), item.slug),
            kind: item.kind,
            id: item.id,
            slug: item.slug,
            title: item.title,
            summary: item.summary,
            snippet: hit.snippet,
            score: hit.score,
            status: item.status,
            published_at: item.published_at,
        }
    }
}

/// Matches in one sector.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SectorCount {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub count: u64,
}

/// Matches over all pages, by kind and by sector.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SearchFacets {
    /// Kind → matches; kinds without matches are left out.
    pub kind: BTreeMap<String, u64>,
    /// Sectors with matches, most first.
    pub sector: Vec<SectorCount>,
}

impl From<Facets> for SearchFacets {
    fn from(facets: Facets) -> SearchFacets {
        SearchFacets {
            kind: facets.kinds.into_iter().map(|(k, n)| (k.as_str().to_owned(), n)).collect(),
            sector: facets.sectors.into_iter().map(|s| SectorCount { id: s.id, slug: s.slug, name: s.name, count: s.count }).collect(),
        }
    }
}

/// The answer with `facets=true`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SearchResults {
    pub hits: Vec<SearchHit>,
    /// Matches over all pages.
    pub total: u64,
    pub facets: SearchFacets,
    /// When nothing matched: the query with misspelt words corrected, if that finds something.
    pub did_you_mean: Option<String>,
}

/// The search parameters besides the list ones (the filters come from the search's spec).
#[derive(Debug, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
struct SearchParams {
    /// Words (all required), `"exact phrase"`, `-excluded`, `a OR b`, `prefix*`; at most 500 characters.
    #[param(min_length = 1, max_length = 500)]
    q: String,
    /// Answer an object with hits, total, facets by kind and sector, and `did_you_mean`.
    facets: Option<bool>,
}

/// What `/search` answers: a bare array of hits, or with `facets=true` the results object.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(untagged)]
#[allow(dead_code)]
enum SearchAnswer {
    Hits(Vec<SearchHit>),
    WithFacets(SearchResults),
}

/// Splits off `facets`, which only this endpoint takes, and parses the rest as a list.
fn parse(req: &HttpRequest) -> Result<(ParsedList, bool), AppError> {
    let mut params: Vec<(String, String)> = serde_urlencoded::from_str(req.query_string())
        .map_err(|_| AppError::bad_request("invalid_parameter", "the query string is not valid URL encoding"))?;
    let mut with_facets = false;
    let mut rest = Vec::with_capacity(params.len());
    for (key, value) in params.drain(..) {
        if key == "facets" {
            with_facets = match value.as_str() {
                "true" | "1" => true,
                "false" | "0" | "" => false,
                other => return Err(AppError::bad_request("invalid_parameter", format!("`facets` must be true or false, got `{other}`"))),
            };
        } else {
            rest.push((key, value));
        }
    }
    let query = serde_urlencoded::to_string(&rest).map_err(|e| AppError::Internal(e.into()))?;
    let mut parsed = parse_list(&query, range_header(req), &SEARCH_SPEC)?;
    if parsed.query.search.is_none() {
        return Err(AppError::bad_request("invalid_search", "give the words to look for in `q`"));
    }
    if with_facets {
        // Page links keep asking for the same shape.
        parsed.params.push(("facets".to_owned(), "true".to_owned()));
    }
    Ok((parsed, with_facets))
}

/// Searches every kind the caller may read, best match first: a bare array of hits with the
/// usual list headers, or with `facets=true` an object that adds facet counts and a suggestion.
#[utoipa::path(get, path = "/api/v1/search", tag = "search", params(SearchParams, ListParams), security((), ("bearer" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "Hits (bare array; total in X-Total-Count), or with `facets=true` a SearchResults object", body = SearchAnswer,
            headers(("X-Total-Count" = u64, description = "Matches over all pages"),
                    ("Content-Range" = String, description = "e.g. `search 0-19/42`"),
                    ("Link" = String, description = "RFC 8288 first/prev/next/last"))),
        (status = 304, description = "Not modified (If-None-Match)"),
        (status = 400, description = "No words, too long a query, or bad list parameters", body = Problem, content_type = "application/problem+json")))]
pub async fn search(req: HttpRequest, state: web::Data<AppState>, caller: Caller) -> Result<HttpResponse, AppError> {
    let (parsed, with_facets) = parse(&req)?;
    let results = search::search(&state.db, &caller.principal, &parsed.query, with_facets).await?;
    let total = results.hits.total;
    let hits: Vec<SearchHit> = results.hits.items.into_iter().map(SearchHit::from).collect();
    let items = hits.iter().map(to_value).collect::<Result<Vec<_>, _>>()?;
    match results.facets {
        Some(facets) => {
            let body = to_value(&SearchResults { hits, total, facets: facets.into(), did_you_mean: results.did_you_mean })?;
            response::list_with_body(&req, &state, &caller.principal, SEARCH_SPEC.name, &parsed, total, items.len() as u64, body)
        }
        None => response::list(&req, &state, &caller.principal, SEARCH_SPEC.name, &parsed, total, items),
    }
}

/// Registers the search route.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(read_only("/search", search));
}
