//! Locking without poisoning panics.

use std::sync::{Mutex, MutexGuard, PoisonError};

/// Locks a mutex, ignoring poisoning. Every mutex of this crate guards plain
/// values that its critical sections read or assign whole, so a panic inside
/// one cannot leave the data half-updated.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
