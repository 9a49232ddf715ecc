//! The core's `Store` port, over the inherent methods.

use async_trait::async_trait;
use nis2_core::{AccountId, NewScan, PastScan, Store, StoreError, VendorId};

use crate::store::SqlStore;

#[async_trait]
impl Store for SqlStore {
    async fn previous_scans(
        &self,
        account: AccountId,
        vendor: VendorId,
        limit: usize,
    ) -> Result<Vec<PastScan>, StoreError> {
        Ok(self.past_scans(account, vendor, limit).await?)
    }

    async fn record_scan(&self, scan: NewScan<'_>) -> Result<(), StoreError> {
        Ok(self.store_scan(&scan).await?)
    }

    async fn record_scan_failure(
        &self,
        account: AccountId,
        vendor: VendorId,
        message: &str,
    ) -> Result<(), StoreError> {
        Ok(self.store_scan_failure(account, vendor, message).await?)
    }
}
