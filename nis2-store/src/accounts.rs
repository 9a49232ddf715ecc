//! Accounts: the tenants.

use nis2_core::{AccountId, Timestamp};
use uuid::Uuid;

use crate::convert::{from_micros, micros};
use crate::error::Error;
use crate::model::Account;
use crate::store::SqlStore;
use crate::validate::{self, limits};

#[derive(sqlx::FromRow)]
struct AccountRow {
    id: Uuid,
    name: String,
    external_subject: Option<String>,
    created_at: i64,
}

impl TryFrom<AccountRow> for Account {
    type Error = Error;
    fn try_from(r: AccountRow) -> Result<Self, Error> {
        Ok(Account {
            id: AccountId(r.id),
            name: r.name,
            external_subject: r.external_subject,
            created_at: from_micros(r.created_at)?,
        })
    }
}

impl SqlStore {
    /// Creates an account, optionally tied to an identity provider's subject
    /// (a JWT `sub`). A subject already tied to an account is a
    /// [`Error::Conflict`].
    pub async fn create_account(
        &self,
        name: &str,
        external_subject: Option<&str>,
        now: Timestamp,
    ) -> Result<Account, Error> {
        validate::required("account name", name, limits::ACCOUNT_NAME)?;
        if let Some(s) = external_subject {
            validate::required("external subject", s, limits::SUBJECT)?;
        }
        let account = Account {
            id: AccountId(Uuid::new_v4()),
            name: name.to_owned(),
            external_subject: external_subject.map(str::to_owned),
            created_at: from_micros(micros(now))?,
        };
        on_pool!(self, pool => {
            sqlx::query("INSERT INTO accounts (id, name, external_subject, created_at) VALUES ($1, $2, $3, $4)")
                .bind(account.id.0)
                .bind(&account.name)
                .bind(&account.external_subject)
                .bind(micros(now))
                .execute(pool)
                .await
                .map_err(|e| Error::unique(e, || "the external subject already has an account".into()))?;
        });
        Ok(account)
    }

    /// The account with this id.
    pub async fn account(&self, id: AccountId) -> Result<Account, Error> {
        let row: Option<AccountRow> = on_pool!(self, pool => {
            sqlx::query_as("SELECT id, name, external_subject, created_at FROM accounts WHERE id = $1")
                .bind(id.0)
                .fetch_optional(pool)
                .await?
        });
        row.ok_or(Error::NotFound { what: "account" })?.try_into()
    }

    /// The account tied to an external subject, if any.
    pub async fn account_by_subject(&self, subject: &str) -> Result<Option<Account>, Error> {
        validate::text("external subject", subject, limits::SUBJECT)?;
        let row: Option<AccountRow> = on_pool!(self, pool => {
            sqlx::query_as("SELECT id, name, external_subject, created_at FROM accounts WHERE external_subject = $1")
                .bind(subject)
                .fetch_optional(pool)
                .await?
        });
        row.map(Account::try_from).transpose()
    }

    /// The account tied to `subject`, created (named `name`) on first use.
    /// Safe against two requests racing to create it: both get the same account.
    pub async fn account_for_subject(
        &self,
        subject: &str,
        name: &str,
        now: Timestamp,
    ) -> Result<Account, Error> {
        validate::required("external subject", subject, limits::SUBJECT)?;
        validate::required("account name", name, limits::ACCOUNT_NAME)?;
        let row: AccountRow = on_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO accounts (id, name, external_subject, created_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (external_subject) DO NOTHING",
            )
            .bind(Uuid::new_v4())
            .bind(name)
            .bind(subject)
            .bind(micros(now))
            .execute(pool)
            .await?;
            sqlx::query_as("SELECT id, name, external_subject, created_at FROM accounts WHERE external_subject = $1")
                .bind(subject)
                .fetch_one(pool)
                .await?
        });
        row.try_into()
    }
}
