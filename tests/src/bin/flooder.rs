//! `flooder --hq URL --rate CALLS_PER_S [--branch-token TOKEN]...`: the open-loop flood that
//! `bench fairness` runs as a separate process (see `branchline_tests::bench::flooder`).

fn main() -> anyhow::Result<()> {
    let plan = branchline_tests::bench::flooder::FloodPlan::from_args(std::env::args().skip(1))?;
    branchline_tests::bench::flooder::run(plan)
}
