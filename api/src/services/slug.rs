//! Choosing a slug, alike for every aggregate: the one requested if it is valid and free; on an
//! update without one, the current slug (links keep working); else one made from the title,
//! with `-2`, `-3`… until it is free.

use std::future::Future;

use crate::domain::Slug;
use crate::error::{AppError, FieldErrors};
use crate::services::validate::refuse;

/// Picks the slug, or records why none can be had under `slug` in `errors`.
/// `taken` tells whether another record holds (or held) a candidate.
pub async fn pick<F, Fut>(
    errors: &mut FieldErrors,
    requested: Option<&str>,
    title: &str,
    current: Option<&str>,
    taken: F,
) -> Result<Option<Slug>, AppError>
where
    F: Fn(String) -> Fut,
    Fut: Future<Output = Result<bool, AppError>>,
{
    if let Some(raw) = requested.map(str::trim).filter(|s| !s.is_empty()) {
        return match Slug::parse(raw) {
            None => {
                refuse(errors, "slug", format!("lower-case letters, digits and single hyphens, at most {} characters", Slug::MAX_LEN));
                Ok(None)
            }
            Some(slug) if taken(slug.as_str().to_owned()).await? => {
                refuse(errors, "slug", "is already taken");
                Ok(None)
            }
            Some(slug) => Ok(Some(slug)),
        };
    }
    if let Some(current) = current {
        return Ok(Slug::parse(current));
    }
    let Some(base) = Slug::from_title(title) else {
        refuse(errors, "slug", "cannot be made from the title; give one");
        return Ok(None);
    };
    // Room for a suffix of up to `-999` within the longest slug.
    let stem = base.as_str().chars().take(Slug::MAX_LEN - 4).collect::<String>().trim_end_matches('-').to_owned();
    for n in 1..1000 {
        let candidate = if n == 1 { base.as_str().to_owned() } else { format!("{stem}-{n}") };
        if !taken(candidate.clone()).await? {
            return Ok(Slug::parse(&candidate));
        }
    }
    refuse(errors, "slug", "every slug made from the title is taken; give one");
    Ok(None)
}
