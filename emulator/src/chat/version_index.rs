//! A thread's messages in list order: by version, newest first (an edited
//! or deleted message moves to the top, as the service lists them).
//!
//! Versions only grow: a new message, an edit and a deletion each take the
//! thread clock's next value. So the index is a list sorted by version to
//! which new versions are appended; a message that moves to a new version
//! leaves a tombstone at its old place, and the list is rebuilt without
//! tombstones once they outnumber the live entries. That is 16 bytes per
//! message, where a `BTreeMap` filled in order took about 32.

use super::chunked::ChunkedVec;

/// Marks an entry whose message has moved to a newer version.
const MOVED: usize = usize::MAX;

/// Message indexes ordered by version (see the module docs).
#[derive(Debug, Default)]
pub(crate) struct VersionIndex {
    /// `(version, message index)`, ascending by version; [`MOVED`] in place
    /// of the index for a version no message has any more.
    entries: ChunkedVec<(u64, usize)>,
    moved: usize,
}

impl VersionIndex {
    /// An index of `(version, message index)` pairs given in any order.
    pub(crate) fn from_pairs(mut pairs: Vec<(u64, usize)>) -> Self {
        pairs.sort_unstable_by_key(|&(version, _)| version);
        Self {
            entries: pairs.into_iter().collect(),
            moved: 0,
        }
    }

    /// Adds the message at `index` with `version`.
    pub(crate) fn insert(&mut self, version: u64, index: usize) {
        match self.entries.last() {
            Some(&(last, _)) if last >= version => {
                // Not the newest (the thread clock never does this): the
                // order is restored the slow way rather than broken.
                let mut pairs = self.live().collect::<Vec<_>>();
                pairs.push((version, index));
                *self = Self::from_pairs(pairs);
            }
            _ => self.entries.push((version, index)),
        }
    }

    /// Moves the message at version `old` to version `new`.
    pub(crate) fn reversion(&mut self, old: u64, new: u64) {
        let Ok(position) = self.entries.binary_search_by_key(&old, |&(v, _)| v) else {
            return;
        };
        let Some(entry) = self.entries.get_mut(position) else {
            return;
        };
        let index = std::mem::replace(&mut entry.1, MOVED);
        if index == MOVED {
            return;
        }
        self.moved += 1;
        self.insert(new, index);
        if self.moved > self.entries.len() / 2 {
            *self = Self::from_pairs(self.live().collect());
        }
    }

    /// The indexes of the messages with a version below `before` (all of
    /// them when `None`), newest version first.
    pub(crate) fn newest_first(&self, before: Option<u64>) -> impl Iterator<Item = usize> + '_ {
        let end = match before {
            None => self.entries.len(),
            Some(version) => self
                .entries
                .binary_search_by_key(&version, |&(v, _)| v)
                .unwrap_or_else(|position| position),
        };
        (0..end)
            .rev()
            .filter_map(|position| self.entries.get(position))
            .filter(|&&(_, index)| index != MOVED)
            .map(|&(_, index)| index)
    }

    /// The live `(version, message index)` pairs, oldest version first.
    fn live(&self) -> impl Iterator<Item = (u64, usize)> + '_ {
        self.entries
            .iter()
            .copied()
            .filter(|&(_, index)| index != MOVED)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listed(index: &VersionIndex, before: Option<u64>) -> Vec<usize> {
        index.newest_first(before).collect()
    }

    #[test]
    fn lists_newest_first_below_a_version() {
        let mut index = VersionIndex::default();
        for (i, version) in [10, 20, 30, 40].into_iter().enumerate() {
            index.insert(version, i);
        }
        assert_eq!(listed(&index, None), [3, 2, 1, 0]);
        assert_eq!(listed(&index, Some(30)), [1, 0]);
        assert_eq!(listed(&index, Some(31)), [2, 1, 0]);
        assert_eq!(listed(&index, Some(10)), Vec::<usize>::new());
        assert_eq!(listed(&index, Some(1_000)), [3, 2, 1, 0]);
    }

    #[test]
    fn a_new_version_moves_a_message_to_the_top_once() {
        let mut index = VersionIndex::default();
        for (i, version) in [10, 20, 30].into_iter().enumerate() {
            index.insert(version, i);
        }
        index.reversion(10, 40);
        assert_eq!(listed(&index, None), [0, 2, 1]);
        // An old version is gone: moving it again changes nothing.
        index.reversion(10, 50);
        assert_eq!(listed(&index, None), [0, 2, 1]);
        index.reversion(40, 60);
        assert_eq!(listed(&index, None), [0, 2, 1]);
        assert_eq!(listed(&index, Some(60)), [2, 1]);
    }

    #[test]
    fn many_edits_keep_the_order_and_compact_the_tombstones() {
        let mut index = VersionIndex::default();
        for i in 0..100 {
            index.insert(i as u64 * 10, i);
        }
        let mut current: Vec<u64> = (0..100).map(|i| i * 10).collect();
        for (round, version) in (0..1_000).zip(10_000u64..) {
            let i = (round * 37) % 100;
            index.reversion(current[i], version);
            current[i] = version;
        }
        let mut expected: Vec<usize> = (0..100).collect();
        expected.sort_by_key(|&i| std::cmp::Reverse(current[i]));
        assert_eq!(listed(&index, None), expected);
        assert!(index.moved <= index.entries.len() / 2);
        assert!(index.entries.len() <= 200, "{}", index.entries.len());
    }

    #[test]
    fn pairs_in_any_order_and_an_out_of_order_insert_stay_sorted() {
        let mut index = VersionIndex::from_pairs(vec![(30, 2), (10, 0), (20, 1)]);
        assert_eq!(listed(&index, None), [2, 1, 0]);
        index.insert(15, 3);
        assert_eq!(listed(&index, None), [2, 1, 3, 0]);
    }
}
