//! The integration test binary: every module here drives real components through the harness.
/// Runs test case `$case(store)` twice, as `$sqlite` on a fresh SQLite file and as `$postgres`
/// on a fresh database of the test PostgreSQL cluster. Defined before the modules, which use it.
macro_rules! on_both_stores {
    ($case:ident, $sqlite:ident, $postgres:ident) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $sqlite() {
            $case(branchline_tests::hq::HqStoreKind::Sqlite).await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $postgres() {
            let Some(store) = branchline_tests::hq::HqStoreKind::postgres(stringify!($case)).await else {
                return;
            };
            $case(store).await;
        }
    };
}

mod agent_bundle_folder;
mod agent_cli;
mod agent_config;
mod agent_kill;
mod agent_outage;
mod agent_restore;
mod agent_schedule;
mod alerts;
mod branch_counterparts;
mod browser_harness;
mod bundle_large;
mod cli_inputs;
mod commission;
mod console_accounts;
mod console_board;
mod console_commission;
mod console_login;
mod console_low_stock;
mod console_ops;
mod console_orgs;
mod console_reports;
mod console_session;
mod console_templates;
mod date_range;
mod day_close;
mod deploy_scripts;
mod document_size;
mod history_partitions;
mod history_retire;
mod hq_cli;
mod hq_ingest;
mod hq_ingest_pg_bulk;
mod hq_orgs;
mod hq_python;
mod hq_quarantine_content;
mod hq_replicas;
mod hq_startup;
mod hq_status;
mod hq_support;
mod ledger_cli;
mod ledger_error_output;
mod ledger_import;
mod ledger_kill;
mod ledger_migrate;
mod ledger_props;
mod ledger_read_only;
mod ledger_red_rules;
mod ledger_rules;
mod ledger_sync;
mod logs_json;
mod low_stock;
mod metrics_prometheus;
mod people_audit;
mod people_audit_filters;
mod people_cases;
mod people_cli;
mod people_commission;
mod people_group;
mod people_login;
mod people_scope;
mod report_cli;
mod report_growth;
mod report_pending;
mod report_props;
mod report_standby;
mod report_streams;
mod report_subtotals;
mod restore_hq;
mod restore_hq_inbound;
mod restore_ledger;
mod security_corrupt_ledger;
mod security_credentials;
mod security_flood;
mod security_fuzz;
mod security_gate;
mod security_identity;
mod security_limits;
mod security_streams;
mod security_tls;
mod security_wrong_branch;
mod stock_moves;
mod template_distribution;
mod template_large;
mod template_rollout;
mod tidy;
mod trade_quarantine;
mod trade_routing;
mod workbench;
mod workbench_concurrency;
mod workbench_network;
mod workbench_stock_moves;
