//! Long-lived API tokens (`nis2_…`): only their SHA-256 hash is stored.

use nis2_core::{AccountId, Timestamp};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::convert::{from_micros, micros, opt_from_micros};
use crate::error::Error;
use crate::model::{ApiToken, IssuedToken, TokenId, TokenOwner};
use crate::store::SqlStore;
use crate::validate::{self, limits};

/// Every token starts with this.
const TOKEN_PREFIX: &str = "nis2_";
/// Characters of a token kept for display (`nis2_` + 8 hex digits).
const SHOWN: usize = TOKEN_PREFIX.len() + 8;

#[derive(sqlx::FromRow)]
struct TokenRow {
    id: Uuid,
    account_id: Uuid,
    name: String,
    prefix: String,
    created_at: i64,
    last_used_at: Option<i64>,
    revoked_at: Option<i64>,
}

impl TryFrom<TokenRow> for ApiToken {
    type Error = Error;
    fn try_from(r: TokenRow) -> Result<Self, Error> {
        Ok(ApiToken {
            id: TokenId(r.id),
            account_id: AccountId(r.account_id),
            name: r.name,
            prefix: r.prefix,
            created_at: from_micros(r.created_at)?,
            last_used_at: opt_from_micros(r.last_used_at)?,
            revoked_at: opt_from_micros(r.revoked_at)?,
        })
    }
}

/// The stored form of a raw token: hex SHA-256.
fn token_hash(raw: &str) -> String {
    hex::encode(Sha256::digest(raw.as_bytes()))
}

impl SqlStore {
    /// Issues a new API token for the account. The returned
    /// [`IssuedToken::secret`] is the only copy of the raw token.
    pub async fn create_api_token(
        &self,
        account: AccountId,
        name: &str,
        now: Timestamp,
    ) -> Result<IssuedToken, Error> {
        validate::required("token name", name, limits::TOKEN_NAME)?;
        let mut random = [0u8; 32];
        getrandom::fill(&mut random).map_err(|e| Error::Random {
            message: e.to_string(),
        })?;
        let secret = format!("{TOKEN_PREFIX}{}", hex::encode(random));
        let token = ApiToken {
            id: TokenId(Uuid::new_v4()),
            account_id: account,
            name: name.to_owned(),
            prefix: secret.chars().take(SHOWN).collect(),
            created_at: from_micros(micros(now))?,
            last_used_at: None,
            revoked_at: None,
        };
        on_pool!(self, pool => {
            let inserted = sqlx::query(
                "INSERT INTO api_tokens (id, account_id, name, token_hash, prefix, created_at) \
                 SELECT $1, id, $3, $4, $5, $6 FROM accounts WHERE id = $2",
            )
            .bind(token.id.0)
            .bind(account.0)
            .bind(&token.name)
            .bind(token_hash(&secret))
            .bind(&token.prefix)
            .bind(micros(now))
            .execute(pool)
            .await?;
            if inserted.rows_affected() == 0 {
                return Err(Error::NotFound { what: "account" });
            }
        });
        Ok(IssuedToken { token, secret })
    }

    /// The account's tokens (revoked ones included), oldest first.
    pub async fn list_api_tokens(&self, account: AccountId) -> Result<Vec<ApiToken>, Error> {
        let rows: Vec<TokenRow> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT id, account_id, name, prefix, created_at, last_used_at, revoked_at FROM api_tokens \
                 WHERE account_id = $1 ORDER BY created_at, id",
            )
            .bind(account.0)
            .fetch_all(pool)
            .await?
        });
        rows.into_iter().map(ApiToken::try_from).collect()
    }

    /// Revokes one of the account's tokens (revoking twice keeps the first
    /// time). A token of another account is [`Error::NotFound`].
    pub async fn revoke_api_token(
        &self,
        account: AccountId,
        token: TokenId,
        now: Timestamp,
    ) -> Result<(), Error> {
        let done = on_pool!(self, pool => {
            sqlx::query(
                "UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, $3) WHERE id = $1 AND account_id = $2",
            )
            .bind(token.0)
            .bind(account.0)
            .bind(micros(now))
            .execute(pool)
            .await?
            .rows_affected()
        });
        if done == 0 {
            return Err(Error::NotFound { what: "API token" });
        }
        Ok(())
    }

    /// The owner of a raw token, if it is a known, unrevoked token. Anything
    /// else (wrong prefix, unknown, revoked) is `Ok(None)`.
    ///
    /// Records `now` as the token's last use when the recorded one is older
    /// than [`LAST_USED_RESOLUTION`] (or missing): a client calling many
    /// times a second costs one read each, not one write each (on SQLite a
    /// write takes the database's single write lock).
    pub async fn authenticate_token(
        &self,
        raw: &str,
        now: Timestamp,
    ) -> Result<Option<TokenOwner>, Error> {
        // Cheap refusals first; the lookup is by hash, so the raw token is never compared.
        if !raw.starts_with(TOKEN_PREFIX) || raw.len() > 200 {
            return Ok(None);
        }
        let hash = token_hash(raw);
        let row: Option<(Uuid, Uuid, Option<i64>)> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT id, account_id, last_used_at FROM api_tokens \
                 WHERE token_hash = $1 AND revoked_at IS NULL",
            )
            .bind(&hash)
            .fetch_optional(pool)
            .await?
        });
        let Some((id, account, last_used)) = row else {
            return Ok(None);
        };
        let now_us = micros(now);
        let stale_before = now_us
            .saturating_sub(i64::try_from(LAST_USED_RESOLUTION.as_micros()).unwrap_or(i64::MAX));
        if last_used.is_none_or(|t| t <= stale_before) {
            // Conditional, so concurrent requests write it once and a clock
            // behind the stored value never moves it back.
            on_pool!(self, pool => {
                sqlx::query(
                    "UPDATE api_tokens SET last_used_at = $2 WHERE id = $1 \
                     AND (last_used_at IS NULL OR last_used_at <= $3)",
                )
                .bind(id)
                .bind(now_us)
                .bind(stale_before)
                .execute(pool)
                .await?
                .rows_affected()
            });
        }
        Ok(Some(TokenOwner {
            account_id: AccountId(account),
            token_id: TokenId(id),
        }))
    }
}

/// How fresh a token's recorded last use is kept: it is written again only
/// when the stored value is at least this old.
pub const LAST_USED_RESOLUTION: std::time::Duration = std::time::Duration::from_secs(60);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_is_sha256_hex() {
        assert_eq!(
            token_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
