//! v2 consumer instances: the registry of the consumers created through
//! `POST /consumers/{group}`, their per-instance settings, and their expiry.
//!
//! A consumer instance lives in this gateway process (its URLs carry this
//! gateway's address). An instance not used for
//! `consumer.instance.timeout.ms` is closed: it commits (when auto-commit is
//! on) and leaves its group. On shutdown every instance is closed the same
//! way.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::Mutex as AsyncMutex;
use wire::consumer::Consumer;

use crate::error::{ApiError, ApiResult};
use crate::negotiate::EmbeddedFormat;

/// One consumer instance.
#[derive(Debug)]
pub struct ConsumerInstance {
    /// Consumer group.
    pub group: String,
    /// Instance name (`instance_id`).
    pub name: String,
    /// Embedded format of its records.
    pub format: EmbeddedFormat,
    /// Longest time one `GET .../records` waits.
    pub request_timeout: Duration,
    /// The `wire` consumer; one request at a time uses it. `None` once the
    /// instance is closed.
    pub consumer: AsyncMutex<Option<Consumer>>,
    last_used: Mutex<Instant>,
}

impl ConsumerInstance {
    fn touch(&self) {
        *self.last_used.lock().unwrap_or_else(|e| e.into_inner()) = Instant::now();
    }

    fn idle_for(&self) -> Duration {
        self.last_used
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .elapsed()
    }
}

/// The consumer instances of this gateway.
#[derive(Debug, Default)]
pub struct ConsumerRegistry {
    instances: Mutex<HashMap<(String, String), Arc<ConsumerInstance>>>,
}

impl ConsumerRegistry {
    /// Registers a new instance; 409 / 40902 if the name is taken in the
    /// group.
    pub fn insert(&self, instance: ConsumerInstance) -> ApiResult<Arc<ConsumerInstance>> {
        let mut map = self.lock();
        let key = (instance.group.clone(), instance.name.clone());
        if map.contains_key(&key) {
            return Err(instance_exists(&instance.group, &instance.name));
        }
        let instance = Arc::new(instance);
        map.insert(key, instance.clone());
        Ok(instance)
    }

    /// 409 / 40902 if `name` is taken in `group`.
    pub fn check_free(&self, group: &str, name: &str) -> ApiResult<()> {
        if self
            .lock()
            .contains_key(&(group.to_owned(), name.to_owned()))
        {
            return Err(instance_exists(group, name));
        }
        Ok(())
    }

    /// The instance, marked as used; 404 / 40403 if there is none.
    pub fn get(&self, group: &str, name: &str) -> ApiResult<Arc<ConsumerInstance>> {
        let instance = self
            .lock()
            .get(&(group.to_owned(), name.to_owned()))
            .cloned()
            .ok_or_else(|| ApiError::consumer_instance_not_found(group, name))?;
        instance.touch();
        Ok(instance)
    }

    /// Removes the instance; 404 / 40403 if there is none.
    pub fn remove(&self, group: &str, name: &str) -> ApiResult<Arc<ConsumerInstance>> {
        self.lock()
            .remove(&(group.to_owned(), name.to_owned()))
            .ok_or_else(|| ApiError::consumer_instance_not_found(group, name))
    }

    /// Removes and returns the instances idle for longer than `timeout`.
    pub fn take_expired(&self, timeout: Duration) -> Vec<Arc<ConsumerInstance>> {
        let mut map = self.lock();
        let expired: Vec<_> = map
            .iter()
            .filter(|(_, i)| i.idle_for() > timeout)
            .map(|(k, _)| k.clone())
            .collect();
        expired.iter().filter_map(|k| map.remove(k)).collect()
    }

    /// Removes and returns every instance.
    pub fn take_all(&self) -> Vec<Arc<ConsumerInstance>> {
        self.lock().drain().map(|(_, i)| i).collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(String, String), Arc<ConsumerInstance>>> {
        self.instances.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl ConsumerInstance {
    /// A new instance.
    pub fn new(
        group: String,
        name: String,
        format: EmbeddedFormat,
        request_timeout: Duration,
        consumer: Consumer,
    ) -> ConsumerInstance {
        ConsumerInstance {
            group,
            name,
            format,
            request_timeout,
            consumer: AsyncMutex::new(Some(consumer)),
            last_used: Mutex::new(Instant::now()),
        }
    }

    /// Runs `f` on the consumer (404 / 40403 if the instance was closed
    /// meanwhile).
    pub async fn with<T>(
        &self,
        f: impl AsyncFnOnce(&mut Consumer) -> ApiResult<T>,
    ) -> ApiResult<T> {
        let mut guard = self.consumer.lock().await;
        let consumer = guard
            .as_mut()
            .ok_or_else(|| ApiError::consumer_instance_not_found(&self.group, &self.name))?;
        let result = f(consumer).await;
        self.touch();
        result
    }

    /// Closes the instance: commits (with auto-commit) and leaves the group.
    pub async fn close(&self) {
        let consumer = self.consumer.lock().await.take();
        if let Some(consumer) = consumer {
            if let Err(e) = consumer.close().await {
                tracing::warn!(
                    group = %self.group,
                    instance = %self.name,
                    "closing consumer instance: {e}"
                );
            }
        }
    }
}

/// Closes the instances idle for longer than `timeout`, every second, until
/// the registry is dropped.
pub async fn expire(registry: std::sync::Weak<ConsumerRegistry>, timeout: Duration) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        tick.tick().await;
        let Some(registry) = registry.upgrade() else {
            return;
        };
        for instance in registry.take_expired(timeout) {
            tracing::info!(
                group = %instance.group,
                instance = %instance.name,
                "consumer instance expired after {timeout:?} without requests"
            );
            instance.close().await;
        }
    }
}

/// 409 / 40902: a consumer instance of that name exists in the group.
fn instance_exists(group: &str, name: &str) -> ApiError {
    ApiError::new(
        http::StatusCode::CONFLICT,
        40902,
        format!("Consumer with specified consumer ID {name} already exists in group {group}."),
    )
}
