//! Each account's webhook endpoint.

use nis2_core::{AccountId, Timestamp};
use uuid::Uuid;

use crate::convert::{from_micros, micros};
use crate::error::Error;
use crate::model::WebhookEndpoint;
use crate::store::SqlStore;
use crate::validate::{self, limits};

#[derive(sqlx::FromRow)]
struct EndpointRow {
    account_id: Uuid,
    url: String,
    secret: String,
    created_at: i64,
    updated_at: i64,
}

impl TryFrom<EndpointRow> for WebhookEndpoint {
    type Error = Error;
    fn try_from(r: EndpointRow) -> Result<Self, Error> {
        Ok(WebhookEndpoint {
            account_id: AccountId(r.account_id),
            url: r.url,
            secret: r.secret,
            created_at: from_micros(r.created_at)?,
            updated_at: from_micros(r.updated_at)?,
        })
    }
}

impl SqlStore {
    /// Sets (or replaces) the account's webhook endpoint: an `http(s)://`
    /// URL and the secret its bodies are signed with.
    pub async fn set_webhook_endpoint(
        &self,
        account: AccountId,
        url: &str,
        secret: &str,
        now: Timestamp,
    ) -> Result<WebhookEndpoint, Error> {
        validate::url(url)?;
        validate::required("secret", secret, limits::SECRET)?;
        let row: Option<EndpointRow> = on_pool!(self, pool => {
            sqlx::query_as(
                "INSERT INTO webhook_endpoints (account_id, url, secret, created_at, updated_at) \
                 SELECT id, $2, $3, $4, $4 FROM accounts WHERE id = $1 \
                 ON CONFLICT (account_id) DO UPDATE SET url = excluded.url, secret = excluded.secret, \
                 updated_at = excluded.updated_at \
                 RETURNING account_id, url, secret, created_at, updated_at",
            )
            .bind(account.0)
            .bind(url)
            .bind(secret)
            .bind(micros(now))
            .fetch_optional(pool)
            .await?
        });
        row.ok_or(Error::NotFound { what: "account" })?.try_into()
    }

    /// The account's webhook endpoint, if it set one.
    pub async fn webhook_endpoint(
        &self,
        account: AccountId,
    ) -> Result<Option<WebhookEndpoint>, Error> {
        let row: Option<EndpointRow> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT account_id, url, secret, created_at, updated_at FROM webhook_endpoints WHERE account_id = $1",
            )
            .bind(account.0)
            .fetch_optional(pool)
            .await?
        });
        row.map(WebhookEndpoint::try_from).transpose()
    }

    /// Removes the account's webhook endpoint; `false` when it had none.
    pub async fn delete_webhook_endpoint(&self, account: AccountId) -> Result<bool, Error> {
        let n = on_pool!(self, pool => {
            sqlx::query("DELETE FROM webhook_endpoints WHERE account_id = $1")
                .bind(account.0)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(n > 0)
    }
}
