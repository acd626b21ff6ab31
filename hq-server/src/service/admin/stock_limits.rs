//! `Admin/ImportStockLimits` (安全库存, group-wide like base data): each wire row checked as the
//! CSV's own rows are, by its file and line, then imported all or none.

use super::error::AdminError;
use super::AdminService;
use crate::service::principal::principal;
use crate::store::registry::stock_limit::{import_limits, LimitFields, LimitLine};
use branchline_proto::v1::{ImportStockLimitsRequest, ImportStockLimitsResponse};
use tonic::Request;

impl AdminService {
    pub(super) async fn import_stock_limit_rows(
        &self,
        request: Request<ImportStockLimitsRequest>,
    ) -> Result<ImportStockLimitsResponse, AdminError> {
        let caller = principal(&request)?;
        let call = "Admin/ImportStockLimits";
        self.scope(&caller, call, caller.check_group_wide("stock limits"))
            .await?;
        let asked = request.get_ref();
        let mut lines = Vec::with_capacity(asked.rows.len());
        for row in &asked.rows {
            let fields = LimitFields {
                product: &row.product,
                warehouse: &row.warehouse,
                org: &row.org,
                min: &row.min,
                max: &row.max,
            };
            lines.push(LimitLine::parse(&asked.file, row.line, fields)?);
        }
        let (created, updated) = import_limits(&self.store, &caller.name, &asked.file, &lines).await?;
        Ok(ImportStockLimitsResponse { created, updated })
    }
}
