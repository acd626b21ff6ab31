//! The board's columns: each one's name in the URL (`?sort=`), its heading in the README's words,
//! the direction it sorts first, and the order it sorts Admin/Status's rows in (ties by branch).

use super::super::super::i18n::Lang;
use super::super::super::words;
use super::cells::templates_text;
use branchline_proto::v1::BranchStatus;
use std::cmp::Ordering;

/// One column of the board, in the table's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Column {
    Branch,
    Name,
    Org,
    Health,
    LastContact,
    Freshness,
    Backlog,
    Documents,
    Quarantined,
    Conflicts,
    Templates,
    Agent,
    LastClosedDay,
}

/// Which way a column sorts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Dir {
    Asc,
    Desc,
}

impl Dir {
    pub(super) fn parse(text: &str) -> Option<Dir> {
        match text {
            "asc" => Some(Dir::Asc),
            "desc" => Some(Dir::Desc),
            _ => None,
        }
    }

    pub(super) fn as_str(self) -> &'static str {
        match self {
            Dir::Asc => "asc",
            Dir::Desc => "desc",
        }
    }

    pub(super) fn flipped(self) -> Dir {
        match self {
            Dir::Asc => Dir::Desc,
            Dir::Desc => Dir::Asc,
        }
    }
}

impl Column {
    pub(super) const ALL: [Column; 13] = [
        Column::Branch,
        Column::Name,
        Column::Org,
        Column::Health,
        Column::LastContact,
        Column::Freshness,
        Column::Backlog,
        Column::Documents,
        Column::Quarantined,
        Column::Conflicts,
        Column::Templates,
        Column::Agent,
        Column::LastClosedDay,
    ];

    /// The column's name in `?sort=`.
    pub(super) fn key(self) -> &'static str {
        match self {
            Column::Branch => "branch",
            Column::Name => "name",
            Column::Org => "org",
            Column::Health => "health",
            Column::LastContact => "last_contact",
            Column::Freshness => "freshness",
            Column::Backlog => "backlog",
            Column::Documents => "documents",
            Column::Quarantined => "quarantined",
            Column::Conflicts => "conflicts",
            Column::Templates => "templates",
            Column::Agent => "agent",
            Column::LastClosedDay => "last_closed_day",
        }
    }

    pub(super) fn parse(key: &str) -> Option<Column> {
        Column::ALL.into_iter().find(|column| column.key() == key)
    }

    pub(super) fn heading(self, lang: Lang) -> &'static str {
        match self {
            Column::Branch => lang.w(words::BRANCH),
            Column::Name => lang.t("名称", "name"),
            Column::Org => lang.w(words::ORG),
            Column::Health => lang.t("状态", "health"),
            Column::LastContact => lang.t("最后联系", "last contact"),
            Column::Freshness => lang.t("数据新鲜度", "freshness"),
            Column::Backlog => lang.t("积压（条目）", "backlog"),
            Column::Documents => lang.t("积压（单据）", "documents"),
            Column::Quarantined => lang.w(words::QUARANTINE),
            Column::Conflicts => lang.t("冲突", "conflicts"),
            Column::Templates => lang.t("已应用模板", "templates"),
            Column::Agent => lang.t("传输代理版本", "agent"),
            Column::LastClosedDay => lang.t("最近日结", "Last closed day"),
        }
    }

    /// Counts and health sort worst (largest) first; names and times from the start.
    pub(super) fn first_dir(self) -> Dir {
        match self {
            Column::Health
            | Column::Freshness
            | Column::Backlog
            | Column::Documents
            | Column::Quarantined
            | Column::Conflicts => Dir::Desc,
            _ => Dir::Asc,
        }
    }

    /// Whether the column holds counts (right-aligned).
    pub(super) fn is_count(self) -> bool {
        matches!(
            self,
            Column::Backlog | Column::Documents | Column::Quarantined | Column::Conflicts
        )
    }

    /// Ascending order of two rows by this column.
    fn order(self, left: &BranchStatus, right: &BranchStatus) -> Ordering {
        match self {
            Column::Branch => Ordering::Equal,
            Column::Name => left.name.cmp(&right.name),
            Column::Org => left.org.cmp(&right.org),
            Column::Health => severity(&left.health).cmp(&severity(&right.health)),
            Column::LastContact => left.last_contact.cmp(&right.last_contact),
            // Older is larger; never received is the oldest of all. RFC 3339 UTC texts of one
            // format sort as their times do.
            Column::Freshness => match (left.received_at.is_empty(), right.received_at.is_empty()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => right.received_at.cmp(&left.received_at),
            },
            Column::Backlog => left.backlog.cmp(&right.backlog),
            Column::Documents => left.backlog_documents.cmp(&right.backlog_documents),
            Column::Quarantined => left.quarantined.cmp(&right.quarantined),
            Column::Conflicts => left.conflicts.cmp(&right.conflicts),
            Column::Templates => templates_text(left).cmp(&templates_text(right)),
            Column::Agent => left.agent_version.cmp(&right.agent_version),
            // Days as YYYY-MM-DD texts sort as the days do; none sorts first.
            Column::LastClosedDay => left.last_closed_day.cmp(&right.last_closed_day),
        }
    }
}

/// Green, amber, red as 1, 2, 3 (anything else, 0, below green).
pub(super) fn severity(health: &str) -> u8 {
    match health {
        "red" => 3,
        "amber" => 2,
        "green" => 1,
        _ => 0,
    }
}

/// Sorts `rows` by `column` in `dir`, ties by branch code (ascending either way).
pub(super) fn sort_rows(rows: &mut [BranchStatus], column: Column, dir: Dir) {
    rows.sort_by(|left, right| {
        let by_column = match dir {
            Dir::Asc => column.order(left, right),
            Dir::Desc => column.order(right, left),
        };
        by_column.then_with(|| match (column, dir) {
            (Column::Branch, Dir::Desc) => right.branch.cmp(&left.branch),
            _ => left.branch.cmp(&right.branch),
        })
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(branch: &str, health: &str, backlog: u64, received_at: &str) -> BranchStatus {
        BranchStatus {
            branch: branch.into(),
            health: health.into(),
            backlog,
            received_at: received_at.into(),
            ..BranchStatus::default()
        }
    }

    fn codes(rows: &[BranchStatus]) -> Vec<&str> {
        rows.iter().map(|row| row.branch.as_str()).collect()
    }

    #[test]
    fn rows_sort_by_any_column_ties_by_branch() {
        let mut rows = vec![
            row("ZH", "green", 5, "2026-12-05T10:00:00Z"),
            row("GZ", "red", 0, ""),
            row("SZ", "amber", 5, "2026-12-05T09:00:00Z"),
            row("FS", "green", 7, "2026-12-05T10:00:00Z"),
        ];
        sort_rows(&mut rows, Column::Health, Dir::Desc);
        assert_eq!(codes(&rows), ["GZ", "SZ", "FS", "ZH"]);
        sort_rows(&mut rows, Column::Backlog, Dir::Desc);
        assert_eq!(codes(&rows), ["FS", "SZ", "ZH", "GZ"]);
        sort_rows(&mut rows, Column::Freshness, Dir::Asc);
        assert_eq!(
            codes(&rows),
            ["FS", "ZH", "SZ", "GZ"],
            "freshest first, never last"
        );
        sort_rows(&mut rows, Column::Freshness, Dir::Desc);
        assert_eq!(codes(&rows), ["GZ", "SZ", "FS", "ZH"], "stalest first");
        sort_rows(&mut rows, Column::Branch, Dir::Desc);
        assert_eq!(codes(&rows), ["ZH", "SZ", "GZ", "FS"]);
    }

    #[test]
    fn every_column_has_its_own_key() {
        for column in Column::ALL {
            assert_eq!(Column::parse(column.key()), Some(column));
        }
        assert_eq!(Column::parse("bogus"), None);
        assert_eq!((Dir::parse("asc"), Dir::parse("up")), (Some(Dir::Asc), None));
    }
}
