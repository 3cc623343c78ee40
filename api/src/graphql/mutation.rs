//! The mutation root: content writes and workflow, and signing in and out. Each mutation calls
//! the same service as its REST twin; `expectedVersion` plays the part of `If-Match`.

use async_graphql::{Context, ID, Object, Result};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::graphql::errors::ToGraphql;
use crate::domain::{ContentKind, IdOrSlug};
use crate::graphql::types::{Blog, Editor, KeyQuestion, Sector, Tag};
use crate::services::api_keys::{self, ApiKeyInput, ApiKeyRecord, CreatedApiKey};
use crate::services::blogs::{BlogInput, Blogs};
use crate::services::catalog::{self, CatalogEntry};
use crate::services::editors::{EditorInput, Editors};
use crate::services::taxonomy::{QuestionInput, Questions, SectorInput, Sectors, TagInput, Tags};
use crate::services::write;
use crate::services::roles::{self, RoleInput, RoleRecord};
use crate::services::users::{self, UserInput, UserRecord};
use crate::services::news::poll::PollReport;
use crate::services::news::{self, NewsSourceInput, NewsSourceRecord};
use crate::services::webhooks::{self, DeliveryRecord, Replayed, WebhookInput, WebhookRecord, WebhookWithSecret};
use crate::error::AppError;
use crate::graphql::types::{Content, parse_global_id};
use crate::policy::Principal;
use crate::services::content::{self, ContentInput, Transition};
use crate::services::write::Precondition;
use crate::services::sessions::{self, ClientInfo, LoginInput, RefreshInput, TokenPair};
use crate::state::AppState;

/// Catalog entries `deleteCatalogEntry` can delete.
#[derive(async_graphql::Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(name = "CatalogEntry")]
pub enum CatalogKind {
    Sector,
    Tag,
    Question,
    Blog,
    Editor,
}

/// The session family of the access token the request came with, if any.
#[derive(Clone, Copy)]
pub struct SessionFamily(pub Option<Uuid>);

fn item_id(id: &ID) -> Result<Uuid> {
    parse_global_id(id)
        .map(|(_, uuid)| uuid)
        .or_else(|| Uuid::try_parse(id).ok())
        .ok_or_else(|| AppError::NotFound { resource: "content item" }.to_graphql())
}

/// The kind of an existing item (the service's policy still decides access).
async fn kind_of(state: &AppState, id: Uuid) -> Result<ContentKind> {
    content::kind_of(&state.db, id).await.map_err(|e| e.to_graphql())
}

fn precondition(state: &AppState, expected_version: Option<i32>) -> Precondition {
    Precondition { version: expected_version, required: state.settings.require_preconditions, ..Precondition::default() }
}

fn key(id: &ID) -> Result<IdOrSlug> {
    parse_global_id(id)
        .map(|(_, uuid)| IdOrSlug::Id(uuid))
        .or_else(|| IdOrSlug::parse(id))
        .ok_or_else(|| AppError::NotFound { resource: "record" }.to_graphql())
}

fn uuid_of(id: &ID, resource: &'static str) -> Result<Uuid> {
    parse_global_id(id)
        .map(|(_, uuid)| uuid)
        .or_else(|| Uuid::try_parse(id).ok())
        .ok_or_else(|| AppError::NotFound { resource }.to_graphql())
}

/// Creates (`id` None) or replaces a catalog entry through its skeleton.
async fn save_entry<E: CatalogEntry>(ctx: &Context<'_>, id: Option<&ID>, input: E::Input, expected_version: Option<i32>) -> Result<E::Record> {
    let (state, who) = context(ctx)?;
    let key = id.map(key).transpose()?;
    let precondition = Precondition { version: expected_version, ..Precondition::default() };
    catalog::save::<E>(&state.db, who, key.as_ref(), write::Written::Input(input), precondition).await.map_err(|e| e.to_graphql())
}

fn context<'a>(ctx: &Context<'a>) -> Result<(&'a AppState, &'a Principal)> {
    Ok((ctx.data::<AppState>()?, ctx.data::<Principal>()?))
}

/// Entry point of every write.
pub struct MutationRoot;

#[Object]
impl MutationRoot {
    /// Creates a sector.
    async fn create_sector(&self, ctx: &Context<'_>, input: SectorInput) -> Result<Sector> {
        Ok(Sector(save_entry::<Sectors>(ctx, None, input, None).await?))
    }
    /// Replaces a sector; `expectedVersion` refuses the write if it changed since.
    async fn update_sector(&self, ctx: &Context<'_>, id: ID, input: SectorInput, expected_version: Option<i32>) -> Result<Sector> {
        Ok(Sector(save_entry::<Sectors>(ctx, Some(&id), input, expected_version).await?))
    }
    /// Creates a tag.
    async fn create_tag(&self, ctx: &Context<'_>, input: TagInput) -> Result<Tag> {
        Ok(Tag(save_entry::<Tags>(ctx, None, input, None).await?))
    }
    /// Replaces a tag; `expectedVersion` refuses the write if it changed since.
    async fn update_tag(&self, ctx: &Context<'_>, id: ID, input: TagInput, expected_version: Option<i32>) -> Result<Tag> {
        Ok(Tag(save_entry::<Tags>(ctx, Some(&id), input, expected_version).await?))
    }
    /// Creates a key question.
    async fn create_question(&self, ctx: &Context<'_>, input: QuestionInput) -> Result<KeyQuestion> {
        Ok(KeyQuestion(save_entry::<Questions>(ctx, None, input, None).await?))
    }
    /// Replaces a key question; `expectedVersion` refuses the write if it changed since.
    async fn update_question(&self, ctx: &Context<'_>, id: ID, input: QuestionInput, expected_version: Option<i32>) -> Result<KeyQuestion> {
        Ok(KeyQuestion(save_entry::<Questions>(ctx, Some(&id), input, expected_version).await?))
    }
    /// Creates a blog.
    async fn create_blog(&self, ctx: &Context<'_>, input: BlogInput) -> Result<Blog> {
        Ok(Blog(save_entry::<Blogs>(ctx, None, input, None).await?))
    }
    /// Replaces a blog; `expectedVersion` refuses the write if it changed since.
    async fn update_blog(&self, ctx: &Context<'_>, id: ID, input: BlogInput, expected_version: Option<i32>) -> Result<Blog> {
        Ok(Blog(save_entry::<Blogs>(ctx, Some(&id), input, expected_version).await?))
    }
    /// Creates an editor profile.
    async fn create_editor(&self, ctx: &Context<'_>, input: EditorInput) -> Result<Editor> {
        Ok(Editor(save_entry::<Editors>(ctx, None, input, None).await?))
    }
    /// Replaces an editor profile; `expectedVersion` refuses the write if it changed since.
    async fn update_editor(&self, ctx: &Context<'_>, id: ID, input: EditorInput, expected_version: Option<i32>) -> Result<Editor> {
        Ok(Editor(save_entry::<Editors>(ctx, Some(&id), input, expected_version).await?))
    }
    /// Deletes a sector, tag, key question, blog or editor profile (refused while content depends on it).
    async fn delete_catalog_entry(&self, ctx: &Context<'_>, kind: CatalogKind, id: ID) -> Result<bool> {
        let (state, who) = context(ctx)?;
        let (key, none) = (key(&id)?, Precondition::default());
        match kind {
            CatalogKind::Sector => catalog::delete::<Sectors>(&state.db, who, &key, none).await.map(drop),
            CatalogKind::Tag => catalog::delete::<Tags>(&state.db, who, &key, none).await.map(drop),
            CatalogKind::Question => catalog::delete::<Questions>(&state.db, who, &key, none).await.map(drop),
            CatalogKind::Blog => catalog::delete::<Blogs>(&state.db, who, &key, none).await.map(drop),
            CatalogKind::Editor => catalog::delete::<Editors>(&state.db, who, &key, none).await.map(drop),
        }
        .map_err(|e| e.to_graphql())?;
        Ok(true)
    }

    /// Creates an account (admins).
    async fn create_user(&self, ctx: &Context<'_>, input: UserInput) -> Result<UserRecord> {
        let (state, who) = context(ctx)?;
        users::create(&state.db, who, write::Written::Input(input)).await.map_err(|e| e.to_graphql())
    }
    /// Replaces an account (admins); `expectedVersion` refuses the write if it changed since.
    async fn update_user(&self, ctx: &Context<'_>, id: ID, input: UserInput, expected_version: Option<i32>) -> Result<UserRecord> {
        let (state, who) = context(ctx)?;
        let precondition = Precondition { version: expected_version, ..Precondition::default() };
        users::update(&state.db, who, uuid_of(&id, "user")?, write::Written::Input(input), precondition).await.map_err(|e| e.to_graphql())
    }
    /// Deletes an account (admins).
    async fn delete_user(&self, ctx: &Context<'_>, id: ID) -> Result<UserRecord> {
        let (state, who) = context(ctx)?;
        users::delete(&state.db, who, uuid_of(&id, "user")?).await.map_err(|e| e.to_graphql())
    }
    /// Creates a custom role (admins).
    async fn create_role(&self, ctx: &Context<'_>, input: RoleInput) -> Result<RoleRecord> {
        let (state, who) = context(ctx)?;
        roles::create(&state.db, who, write::Written::Input(input)).await.map_err(|e| e.to_graphql())
    }
    /// Replaces a role's name, description and permissions (admins); `expectedVersion` refuses
    /// the write if it changed since.
    async fn update_role(&self, ctx: &Context<'_>, id: ID, input: RoleInput, expected_version: Option<i32>) -> Result<RoleRecord> {
        let (state, who) = context(ctx)?;
        let precondition = Precondition { version: expected_version, ..Precondition::default() };
        roles::update(&state.db, who, &id, write::Written::Input(input), precondition).await.map_err(|e| e.to_graphql())
    }
    /// Deletes a custom role nobody holds (admins).
    async fn delete_role(&self, ctx: &Context<'_>, id: ID) -> Result<RoleRecord> {
        let (state, who) = context(ctx)?;
        roles::delete(&state.db, who, &id).await.map_err(|e| e.to_graphql())
    }
    /// Creates an API key; the answer holds its secret, shown this once (admins).
    async fn create_api_key(&self, ctx: &Context<'_>, input: ApiKeyInput) -> Result<CreatedApiKey> {
        let (state, who) = context(ctx)?;
        api_keys::create(&state.db, who, input).await.map_err(|e| e.to_graphql())
    }
    /// Revokes an API key (admins).
    async fn revoke_api_key(&self, ctx: &Context<'_>, id: ID) -> Result<ApiKeyRecord> {
        let (state, who) = context(ctx)?;
        api_keys::revoke(&state.db, who, uuid_of(&id, "API key")?).await.map_err(|e| e.to_graphql())
    }

    /// Adds a news source after checking that its URL answers a feed (collectors and editors
    /// of its sectors, admins).
    async fn create_news_source(&self, ctx: &Context<'_>, input: NewsSourceInput) -> Result<NewsSourceRecord> {
        let (state, who) = context(ctx)?;
        news::create(&state.db, who, write::Written::Input(input), &state.news.outbound).await.map_err(|e| e.to_graphql())
    }
    /// Replaces a news source's settings; `active: true` resumes a paused source.
    async fn update_news_source(&self, ctx: &Context<'_>, id: ID, input: NewsSourceInput, expected_version: Option<i32>) -> Result<NewsSourceRecord> {
        let (state, who) = context(ctx)?;
        let precondition = Precondition { version: expected_version, ..Precondition::default() };
        news::update(&state.db, who, uuid_of(&id, "news source")?, write::Written::Input(input), precondition, &state.news.outbound).await.map_err(|e| e.to_graphql())
    }
    /// Removes a news source; its news links stay.
    async fn delete_news_source(&self, ctx: &Context<'_>, id: ID, expected_version: Option<i32>) -> Result<NewsSourceRecord> {
        let (state, who) = context(ctx)?;
        let precondition = Precondition { version: expected_version, ..Precondition::default() };
        news::delete(&state.db, who, uuid_of(&id, "news source")?, precondition).await.map_err(|e| e.to_graphql())
    }
    /// Polls a news source now and tells what came of it.
    async fn poll_news_source(&self, ctx: &Context<'_>, id: ID) -> Result<PollReport> {
        let (state, who) = context(ctx)?;
        news::poll_now(&state.db, who, uuid_of(&id, "news source")?, &state.news).await.map_err(|e| e.to_graphql())
    }

    /// Creates a webhook endpoint; the answer holds its `whsec_` secret, shown this once (admins).
    async fn create_webhook(&self, ctx: &Context<'_>, input: WebhookInput) -> Result<WebhookWithSecret> {
        let (state, who) = context(ctx)?;
        webhooks::create(&state.db, who, write::Written::Input(input), state.settings.outbound_allow_private).await.map_err(|e| e.to_graphql())
    }
    /// Replaces an endpoint's settings; `active: true` enables a disabled endpoint (admins).
    async fn update_webhook(&self, ctx: &Context<'_>, id: ID, input: WebhookInput, expected_version: Option<i32>) -> Result<WebhookRecord> {
        let (state, who) = context(ctx)?;
        let precondition = Precondition { version: expected_version, ..Precondition::default() };
        let allow_private = state.settings.outbound_allow_private;
        webhooks::update(&state.db, who, uuid_of(&id, "webhook")?, write::Written::Input(input), precondition, allow_private).await.map_err(|e| e.to_graphql())
    }
    /// Deletes an endpoint and its delivery log (admins).
    async fn delete_webhook(&self, ctx: &Context<'_>, id: ID) -> Result<WebhookRecord> {
        let (state, who) = context(ctx)?;
        webhooks::delete(&state.db, who, uuid_of(&id, "webhook")?).await.map_err(|e| e.to_graphql())
    }
    /// Gives an endpoint a new secret, shown this once; the old one signs beside it for a grace period (admins).
    async fn rotate_webhook_secret(&self, ctx: &Context<'_>, id: ID) -> Result<WebhookWithSecret> {
        let (state, who) = context(ctx)?;
        let grace = chrono::Duration::hours(i64::from(state.settings.webhook_secret_grace_hours));
        webhooks::rotate_secret(&state.db, who, uuid_of(&id, "webhook")?, grace).await.map_err(|e| e.to_graphql())
    }
    /// Queues a `ping` event for an endpoint (admins).
    async fn ping_webhook(&self, ctx: &Context<'_>, id: ID) -> Result<DeliveryRecord> {
        let (state, who) = context(ctx)?;
        webhooks::ping(&state.db, who, uuid_of(&id, "webhook")?).await.map_err(|e| e.to_graphql())
    }
    /// Sends one delivery again, now (admins).
    async fn redeliver_webhook_delivery(&self, ctx: &Context<'_>, webhook_id: ID, delivery_id: ID) -> Result<DeliveryRecord> {
        let (state, who) = context(ctx)?;
        let (webhook_id, delivery_id) = (uuid_of(&webhook_id, "webhook")?, uuid_of(&delivery_id, "webhook delivery")?);
        webhooks::redeliver(&state.db, who, webhook_id, delivery_id).await.map_err(|e| e.to_graphql())
    }
    /// Sends an endpoint every subscribed event since `since` again (admins).
    async fn replay_webhook(&self, ctx: &Context<'_>, id: ID, since: DateTime<Utc>) -> Result<Replayed> {
        let (state, who) = context(ctx)?;
        webhooks::replay(&state.db, who, uuid_of(&id, "webhook")?, since).await.map_err(|e| e.to_graphql())
    }

    /// Creates a draft of `kind`.
    async fn create_content(&self, ctx: &Context<'_>, kind: ContentKind, input: ContentInput) -> Result<Content> {
        let (state, who) = (ctx.data::<AppState>()?, ctx.data::<Principal>()?);
        Ok(content::create(&state.db, who, kind, write::Written::Input(input)).await.map_err(|e| e.to_graphql())?.into())
    }

    /// Replaces an item's content (like REST `PUT`).
    async fn update_content(&self, ctx: &Context<'_>, id: ID, input: ContentInput, expected_version: Option<i32>) -> Result<Content> {
        let (state, who) = (ctx.data::<AppState>()?, ctx.data::<Principal>()?);
        let id = item_id(&id)?;
        let kind = kind_of(state, id).await?;
        Ok(content::update(&state.db, who, kind, id, write::Written::Input(input), precondition(state, expected_version)).await.map_err(|e| e.to_graphql())?.into())
    }

    /// Moves an item along the workflow; `at` is required for `SCHEDULE`.
    async fn transition_content(&self, ctx: &Context<'_>, id: ID, action: Transition, expected_version: Option<i32>, at: Option<DateTime<Utc>>) -> Result<Content> {
        let (state, who) = (ctx.data::<AppState>()?, ctx.data::<Principal>()?);
        let id = item_id(&id)?;
        let kind = kind_of(state, id).await?;
        Ok(content::transition(&state.db, who, kind, id, action, at, precondition(state, expected_version)).await.map_err(|e| e.to_graphql())?.into())
    }

    /// Moves an item to the trash.
    async fn delete_content(&self, ctx: &Context<'_>, id: ID) -> Result<Content> {
        let (state, who) = (ctx.data::<AppState>()?, ctx.data::<Principal>()?);
        let id = item_id(&id)?;
        let kind = kind_of(state, id).await?;
        let none = Precondition::default();
        Ok(content::trash(&state.db, who, kind, id, none).await.map_err(|e| e.to_graphql())?.into())
    }

    /// Brings an item back from the trash.
    async fn restore_content(&self, ctx: &Context<'_>, id: ID) -> Result<Content> {
        let (state, who) = (ctx.data::<AppState>()?, ctx.data::<Principal>()?);
        let id = item_id(&id)?;
        let kind = kind_of(state, id).await?;
        Ok(content::restore(&state.db, who, kind, id).await.map_err(|e| e.to_graphql())?.into())
    }

    /// Makes a new version of an item from one of its revisions.
    async fn restore_revision(&self, ctx: &Context<'_>, id: ID, revision_id: Uuid, expected_version: Option<i32>) -> Result<Content> {
        let (state, who) = (ctx.data::<AppState>()?, ctx.data::<Principal>()?);
        let id = item_id(&id)?;
        let kind = kind_of(state, id).await?;
        Ok(content::restore_revision(&state.db, who, kind, id, revision_id, precondition(state, expected_version)).await.map_err(|e| e.to_graphql())?.into())
    }

    /// Signs in with email and password.
    async fn login(&self, ctx: &Context<'_>, email: String, password: String) -> Result<TokenPair> {
        let state = ctx.data::<AppState>()?;
        let client = ctx.data::<ClientInfo>().map(|c| ClientInfo { ip: c.ip.clone(), user_agent: c.user_agent.clone() }).unwrap_or(ClientInfo { ip: String::new(), user_agent: None });
        sessions::login(&state.sessions(), &LoginInput { email, password }, &client).await.map_err(|e| e.to_graphql())
    }

    /// Exchanges a refresh token for new tokens.
    async fn refresh_token(&self, ctx: &Context<'_>, refresh_token: String) -> Result<TokenPair> {
        let state = ctx.data::<AppState>()?;
        sessions::refresh(&state.sessions(), &RefreshInput { refresh_token }).await.map_err(|e| e.to_graphql())
    }

    /// Ends the session of the access token the request came with.
    async fn logout(&self, ctx: &Context<'_>) -> Result<bool> {
        let state = ctx.data::<AppState>()?;
        let family = ctx.data::<SessionFamily>()?.0.ok_or_else(|| AppError::Unauthenticated.to_graphql())?;
        sessions::logout(&state.db, family).await.map_err(|e| e.to_graphql())?;
        Ok(true)
    }
}
