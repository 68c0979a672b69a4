//! The notification store's rules in a map: for tests, and for measuring what a durable store
//! costs a receiver. Nothing survives the process: a notification handled before a restart is
//! handled again after it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use paybridge_core::{Error, Notification};

use super::{Claim, NotificationStore, event_key};

/// Where a notification's handling stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Handling { since: Instant },
    Handled,
    Failed,
}

#[derive(Debug)]
struct Entry {
    state: State,
    deliveries: u64,
}

/// A [`NotificationStore`] in memory. Handles made with [`MemoryNotificationStore::sharing`]
/// share one map, as processes share one database: the contract tests "restart" that way.
#[derive(Clone, Debug)]
pub struct MemoryNotificationStore {
    entries: Arc<Mutex<HashMap<String, Entry>>>,
    lease: Duration,
}

impl MemoryNotificationStore {
    /// An empty store; a claim older than `lease` is taken to belong to a handler that died.
    pub fn new(lease: Duration) -> MemoryNotificationStore {
        MemoryNotificationStore {
            entries: Arc::default(),
            lease,
        }
    }

    /// Another handle on the same notifications, with its own lease.
    #[must_use]
    pub fn sharing(&self, lease: Duration) -> MemoryNotificationStore {
        MemoryNotificationStore {
            entries: Arc::clone(&self.entries),
            lease,
        }
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn set(&self, account: &str, notification: &Notification, state: State) {
        let Some(key) = event_key(account, notification) else {
            return;
        };
        if let Some(entry) = self.entries().get_mut(&key)
            && entry.state != State::Handled
        {
            entry.state = state;
        }
    }
}

#[async_trait]
impl NotificationStore for MemoryNotificationStore {
    async fn begin(&self, account: &str, notification: &Notification) -> Result<Claim, Error> {
        // No identity: nothing to deduplicate against.
        let Some(key) = event_key(account, notification) else {
            return Ok(Claim::Handle);
        };
        let now = Instant::now();
        let mut entries = self.entries();
        let Some(entry) = entries.get_mut(&key) else {
            entries.insert(
                key,
                Entry {
                    state: State::Handling { since: now },
                    deliveries: 1,
                },
            );
            return Ok(Claim::Handle);
        };
        entry.deliveries += 1;
        let claim = match entry.state {
            State::Handled => Claim::AlreadyHandled,
            State::Handling { since } if now.duration_since(since) < self.lease => {
                Claim::InProgress
            }
            State::Handling { .. } | State::Failed => Claim::Handle,
        };
        if claim == Claim::Handle {
            entry.state = State::Handling { since: now };
        }
        Ok(claim)
    }

    async fn handled(&self, account: &str, notification: &Notification) -> Result<(), Error> {
        self.set(account, notification, State::Handled);
        Ok(())
    }

    async fn failed(&self, account: &str, notification: &Notification) -> Result<(), Error> {
        self.set(account, notification, State::Failed);
        Ok(())
    }

    async fn deliveries(&self, account: &str, notification: &Notification) -> Result<u64, Error> {
        let Some(key) = event_key(account, notification) else {
            return Ok(0);
        };
        Ok(self.entries().get(&key).map_or(0, |entry| entry.deliveries))
    }
}

#[cfg(test)]
mod tests {
    use super::super::contract;
    use super::*;

    fn opener() -> impl AsyncFn(Duration) -> MemoryNotificationStore {
        let shared = MemoryNotificationStore::new(Duration::ZERO);
        async move |lease| shared.sharing(lease)
    }

    #[tokio::test]
    async fn handled_once_across_restarts_and_again_after_a_failed_handler() {
        contract::handled_once_across_restarts_and_again_after_a_failed_handler(opener()).await;
    }

    #[tokio::test]
    async fn a_claim_left_by_a_dead_handler_expires() {
        contract::a_claim_left_by_a_dead_handler_expires(opener()).await;
    }

    #[tokio::test]
    async fn notifications_without_an_identity_share_no_key() {
        contract::notifications_without_an_identity_share_no_key(opener()).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn instances_racing_on_one_store_hand_each_notification_out_once() {
        contract::instances_racing_on_one_store_hand_each_notification_out_once(opener()).await;
    }
}
