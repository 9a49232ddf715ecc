//! The seed's `/dashboard/summary`.

use nis2_core::{AccountId, Timestamp};
use time::Time;

use crate::convert::{self, micros};
use crate::error::Error;
use crate::model::{DashboardSummary, GradeDistribution};
use crate::store::SqlStore;

#[derive(sqlx::FromRow)]
struct SummaryRow {
    total_vendors: i64,
    scanned_this_month: i64,
    critical_risks: i64,
    average_score: Option<i64>,
    grade_a: i64,
    grade_b: i64,
    grade_c: i64,
    grade_d: i64,
    grade_f: i64,
}

impl SqlStore {
    /// The account's portfolio statistics (see [`DashboardSummary`] for each
    /// figure's definition). "This month" is the calendar month, in UTC, of
    /// `now`. One aggregate over the account's vendors, served by the
    /// `vendors_account_summary` covering index.
    pub async fn dashboard_summary(
        &self,
        account: AccountId,
        now: Timestamp,
    ) -> Result<DashboardSummary, Error> {
        let month_start = now
            .into_inner()
            .date()
            .replace_day(1)
            .map_err(|e| Error::Invalid {
                field: "now",
                reason: e.to_string(),
            })?
            .with_time(Time::MIDNIGHT)
            .assume_utc();
        let row: SummaryRow = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT COUNT(*) AS total_vendors, \
                 COUNT(*) FILTER (WHERE last_scanned_at >= $2) AS scanned_this_month, \
                 COUNT(*) FILTER (WHERE risk_level = 'Critical') AS critical_risks, \
                 CAST(ROUND(AVG(current_score)) AS BIGINT) AS average_score, \
                 COUNT(*) FILTER (WHERE current_grade = 'A') AS grade_a, \
                 COUNT(*) FILTER (WHERE current_grade = 'B') AS grade_b, \
                 COUNT(*) FILTER (WHERE current_grade = 'C') AS grade_c, \
                 COUNT(*) FILTER (WHERE current_grade = 'D') AS grade_d, \
                 COUNT(*) FILTER (WHERE current_grade = 'F') AS grade_f \
                 FROM vendors WHERE account_id = $1",
            )
            .bind(account.0)
            .bind(micros(month_start.into()))
            .fetch_one(pool)
            .await?
        });
        Ok(DashboardSummary {
            total_vendors: convert::count(row.total_vendors)?,
            scanned_this_month: convert::count(row.scanned_this_month)?,
            critical_risks: convert::count(row.critical_risks)?,
            average_score: row.average_score.map(convert::score).transpose()?,
            grade_distribution: GradeDistribution {
                A: convert::count(row.grade_a)?,
                B: convert::count(row.grade_b)?,
                C: convert::count(row.grade_c)?,
                D: convert::count(row.grade_d)?,
                F: convert::count(row.grade_f)?,
            },
        })
    }
}
