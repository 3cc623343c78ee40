//! GraphQL types of full-text search: a connection whose edges carry the content node, its
//! snippet and its score, with facet counts and a spelling suggestion.

use async_graphql::{ID, SimpleObject};

use crate::domain::ContentKind;
use crate::graphql::query::PageInfo;
use crate::graphql::types::Content;
use crate::listing::{Page, encode_cursor};
use crate::services::search::{Facets, Hit};

/// One match.
#[derive(SimpleObject, Clone)]
pub struct SearchEdge {
    pub cursor: String,
    pub node: Content,
    /// HTML: a passage around the match, escaped, with the matching words in `<mark>`.
    pub snippet: String,
    /// Relevance; larger is better, comparable within one answer only.
    pub score: f64,
}

/// Matches of one kind.
#[derive(SimpleObject, Clone)]
pub struct KindCount {
    pub kind: ContentKind,
    pub count: i64,
}

/// Matches in one sector.
#[derive(SimpleObject, Clone)]
pub struct SectorCount {
    /// The sector's UUID.
    pub id: ID,
    pub slug: String,
    pub name: String,
    pub count: i64,
}

/// Matches over all pages, by kind and by sector (most first).
#[derive(SimpleObject, Clone, Default)]
pub struct SearchFacets {
    pub kinds: Vec<KindCount>,
    pub sectors: Vec<SectorCount>,
}

impl From<Facets> for SearchFacets {
    fn from(facets: Facets) -> SearchFacets {
        let count = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        SearchFacets {
            kinds: facets
                .kinds
                .into_iter()
                .map(|(kind, n)| KindCount { kind, count: count(n) })
                .collect(),
            sectors: facets
                .sectors
                .into_iter()
                .map(|s| SectorCount { id: ID(s.id.to_string()), slug: s.slug, name: s.name, count: count(s.count) })
                .collect(),
        }
    }
}

/// A page of matches, best first unless ordered otherwise.
#[derive(SimpleObject, Clone)]
pub struct SearchConnection {
    pub edges: Vec<SearchEdge>,
    pub nodes: Vec<Content>,
    pub page_info: PageInfo,
    /// Matches over all pages.
    pub total_count: i64,
    /// Counts by kind and sector (computed only when selected).
    pub facets: Option<SearchFacets>,
    /// When nothing matched: the query with misspelt words corrected, if that finds something.
    pub did_you_mean: Option<String>,
}

impl SearchConnection {
    /// A connection over one page of hits that starts at `offset`.
    pub fn new(hits: Page<Hit>, offset: u64, facets: Option<Facets>, did_you_mean: Option<String>) -> SearchConnection {
        let count = hits.items.len() as u64;
        let edges: Vec<SearchEdge> = hits
            .items
            .into_iter()
            .enumerate()
            .map(|(i, hit)| SearchEdge { cursor: encode_cursor(offset + i as u64), node: Content::from(hit.item), snippet: hit.snippet, score: hit.score })
            .collect();
        SearchConnection {
            page_info: PageInfo {
                has_next_page: offset + count < hits.total,
                has_previous_page: offset > 0,
                start_cursor: edges.first().map(|e| e.cursor.clone()),
                end_cursor: edges.last().map(|e| e.cursor.clone()),
            },
            nodes: edges.iter().map(|e| e.node.clone()).collect(),
            edges,
            total_count: i64::try_from(hits.total).unwrap_or(i64::MAX),
            facets: facets.map(SearchFacets::from),
            did_you_mean,
        }
    }
}
