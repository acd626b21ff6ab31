//! HQ's own alerts (README "Alerts"), for groups without Prometheus: every `[alerts]
//! check_seconds` each `[[alert]]` rule is judged on every branch; a condition that starts or
//! clears queues one message (the store makes it one across replicas), and the messages due are
//! sent to their webhooks, retried with backoff, each attempt audited.

pub mod evaluate;
pub mod event;
pub mod rule;
pub mod webhook;

use crate::store::alert::facts::{branch_facts, BranchFacts};
use crate::store::alert::firing::{firing, forget_rule, record, rules_in_use, Change};
use crate::store::alert::outbox::{claim, due, settle, Kind, Message, Outcome};
use crate::store::{Store, StoreError};
use chrono::{DateTime, SecondsFormat, Utc};
use event::Cleared;
use rule::{AlertTimings, Rule};
use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use webhook::Sender;

/// Most messages one check sends (the rest wait for the next).
const MESSAGES_PER_CHECK: u32 = 100;
/// How long a replica's claim on a message lasts: longer than an attempt may take.
const CLAIM: Duration = Duration::from_secs(60);

/// The rules of one server and what it sends with.
#[derive(Clone)]
pub struct Alerting {
    store: Store,
    rules: Arc<Vec<Rule>>,
    timings: AlertTimings,
    sender: Sender,
}

fn text(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

impl Alerting {
    pub fn new(
        store: Store,
        rules: Vec<Rule>,
        timings: AlertTimings,
    ) -> Result<Alerting, webhook::WebhookError> {
        Ok(Alerting {
            store,
            rules: Arc::new(rules),
            timings,
            sender: Sender::new()?,
        })
    }

    /// Checks every `check_seconds` until `stop` completes; a failed check is logged and the
    /// next one tries again.
    pub async fn run_until(self, stop: impl Future<Output = ()>) {
        let mut stop = std::pin::pin!(stop);
        let mut ticks = tokio::time::interval(Duration::from_secs(self.timings.check_seconds));
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = &mut stop => return,
                _ = ticks.tick() => {}
            }
            if let Err(error) = self.check(Utc::now()).await {
                tracing::error!(%error, "alert check failed");
            }
        }
    }

    /// One check at `now`: starts and clears recorded, then the messages due sent.
    pub async fn check(&self, now: DateTime<Utc>) -> Result<(), StoreError> {
        let branches = branch_facts(&self.store).await?;
        self.record_changes(&branches, now).await?;
        for rule in rules_in_use(&self.store).await? {
            if !self.rules.iter().any(|configured| configured.name == rule) {
                forget_rule(&self.store, &rule).await?;
            }
        }
        self.send_due(now).await
    }

    async fn record_changes(&self, branches: &[BranchFacts], now: DateTime<Utc>) -> Result<(), StoreError> {
        let firing: HashMap<(String, i64), String> = firing(&self.store)
            .await?
            .into_iter()
            .map(|firing| ((firing.rule, firing.branch_id), firing.started_at))
            .collect();
        let now_text = text(now);
        for rule in self.rules.iter() {
            for branch in branches {
                let finding = evaluate::judge(rule, branch, now);
                let started_at = firing.get(&(rule.name.clone(), branch.id));
                let (kind, event) = match (&finding, started_at) {
                    (Some(finding), None) => (Kind::Start, event::started(rule, branch, finding, &now_text)),
                    (None, Some(started_at)) => {
                        let times = Cleared {
                            started_at,
                            cleared_at: &now_text,
                        };
                        (Kind::Clear, event::cleared(rule, branch, &times))
                    }
                    _ => continue,
                };
                let facts = serde_json::to_string(&event).unwrap_or_default();
                let change = Change {
                    rule: &rule.name,
                    branch_id: branch.id,
                    kind,
                    started_at: &event.started_at,
                    facts: &facts,
                };
                if record(&self.store, change).await? {
                    tracing::warn!(rule = %rule.name, branch = %branch.code, kind = kind.name(), "{}", event.summary_en);
                }
            }
        }
        Ok(())
    }

    /// Claims and sends the messages due, several at once; waits for every attempt.
    async fn send_due(&self, now: DateTime<Utc>) -> Result<(), StoreError> {
        let now_text = text(now);
        let until = text(now + CLAIM);
        let mut attempts = tokio::task::JoinSet::new();
        for message in due(&self.store, &now_text, MESSAGES_PER_CHECK).await? {
            let Some(rule) = self.rules.iter().find(|rule| rule.name == message.rule) else {
                continue;
            };
            if !claim(&self.store, message.id, &now_text, &until).await? {
                continue;
            }
            let (alerting, rule) = (self.clone(), rule.clone());
            attempts.spawn(async move { alerting.attempt(&rule, &message).await });
        }
        let mut first_error = None;
        while let Some(done) = attempts.join_next().await {
            match done {
                Ok(Ok(())) => {}
                Ok(Err(error)) => first_error = first_error.or(Some(error)),
                Err(error) => tracing::error!(%error, "an alert delivery task failed"),
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    /// Sends one claimed message and records how it went.
    async fn attempt(&self, rule: &Rule, message: &Message) -> Result<(), StoreError> {
        let event: Result<event::Event, _> = serde_json::from_str(&message.facts);
        let sent = match &event {
            Ok(event) => self
                .sender
                .send(&rule.webhook, event)
                .await
                .map_err(|error| error.to_string()),
            Err(error) => Err(format!("the stored message is unreadable: {error}")),
        };
        let branch = event.as_ref().map_or("?", |event| event.branch.as_str());
        let detail = format!(
            "rule {}: {} {branch} to {} ({})",
            rule.name,
            message.kind.name(),
            rule.webhook.shown(),
            rule.webhook.format.name()
        );
        let outcome = match sent {
            Ok(()) => Outcome::Delivered,
            Err(error) => {
                tracing::warn!(rule = %rule.name, %branch, %error, "alert delivery failed");
                let now = Utc::now();
                let created = DateTime::parse_from_rfc3339(&message.created_at)
                    .map_or(now, |at| at.with_timezone(&Utc));
                let age = (now - created).to_std().unwrap_or_default();
                let give_up = Duration::from_secs(self.timings.give_up_hours.saturating_mul(3_600));
                if age >= give_up {
                    Outcome::Abandon { error }
                } else {
                    let wait = self.timings.retry_after(message.attempts + 1);
                    let wait = chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::days(1));
                    let retry_at = text(now + wait);
                    Outcome::Retry { error, retry_at }
                }
            }
        };
        settle(&self.store, message, &outcome, &detail).await
    }
}
