//! The commission service's methods in the people-and-scopes walk (`people_scope`): adding a
//! plan is the admin's (plans are the group's), assigning one an operator's within scope, the
//! plans and a period's figures anyone's within scope, settling a period an admin's within scope.

use crate::people_cases::{case, Case, Need};
use branchline_proto::v1::{
    AddCommissionPlanRequest, AssignCommissionPlanRequest, CommissionFiguresRequest, CommissionPlan,
};
use branchline_tests::people::Probe;

pub(crate) fn commission_cases() -> Vec<Case> {
    let plan = CommissionPlan {
        name: "probe-plan".into(),
        mode: "marginal".into(),
        period: "month".into(),
        bands: vec!["80:3".into(), "100:5".into()],
        ..CommissionPlan::default()
    };
    let assign = |org: &str| AssignCommissionPlanRequest {
        org: org.into(),
        plan: "probe-plan".into(),
    };
    let figures = |org: &str| CommissionFiguresRequest {
        org: org.into(),
        period: "2026-11".into(),
    };
    vec![
        case(
            Need::Admin,
            None,
            Probe::AddPlan(AddCommissionPlanRequest { plan: Some(plan) }),
        ),
        case(
            Need::Operator,
            Some(Probe::AssignPlan(assign("001.003"))),
            Probe::AssignPlan(assign("001.002")),
        ),
        case(Need::Viewer, None, Probe::ListPlans),
        case(
            Need::Viewer,
            Some(Probe::Figures(figures("001.003"))),
            Probe::Figures(figures("")),
        ),
        case(
            Need::Admin,
            Some(Probe::Settle(figures("001.003"))),
            Probe::Settle(figures("")),
        ),
    ]
}
