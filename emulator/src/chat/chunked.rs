//! A growable list stored in fixed-size chunks, for a thread's messages: a
//! `Vec` doubles its capacity as it grows (up to half of it unused, and the
//! whole list copied at each doubling), which for a thread of 100,000
//! messages costs more memory than the messages' content. Here at most one
//! chunk is partly empty and nothing is moved once the first chunk is full
//! (it grows like a `Vec` up to a chunk, so that small threads stay small).

/// Items per chunk.
const CHUNK: usize = 1024;

/// A list of `T` in chunks of [`CHUNK`] (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ChunkedVec<T> {
    chunks: Vec<Vec<T>>,
    len: usize,
}

impl<T> Default for ChunkedVec<T> {
    fn default() -> Self {
        Self {
            chunks: Vec::new(),
            len: 0,
        }
    }
}

impl<T> ChunkedVec<T> {
    /// How many items.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Appends `item`.
    pub(crate) fn push(&mut self, item: T) {
        match self.chunks.last_mut() {
            Some(chunk) if chunk.len() < CHUNK => {
                if chunk.len() == chunk.capacity() {
                    // Only the first chunk grows (most threads are small):
                    // doubling, up to exactly one chunk.
                    chunk.reserve_exact(chunk.len().max(4).min(CHUNK - chunk.len()));
                }
                chunk.push(item);
            }
            Some(_) => {
                let mut chunk = Vec::with_capacity(CHUNK);
                chunk.push(item);
                self.chunks.push(chunk);
            }
            None => self.chunks.push(vec![item]),
        }
        self.len += 1;
    }

    /// The item at `index`.
    pub(crate) fn get(&self, index: usize) -> Option<&T> {
        self.chunks.get(index / CHUNK)?.get(index % CHUNK)
    }

    /// The item at `index`, to change.
    pub(crate) fn get_mut(&mut self, index: usize) -> Option<&mut T> {
        self.chunks.get_mut(index / CHUNK)?.get_mut(index % CHUNK)
    }

    /// The last item.
    pub(crate) fn last(&self) -> Option<&T> {
        self.chunks.last()?.last()
    }

    /// The items in order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &T> {
        self.chunks.iter().flatten()
    }

    /// Like [`slice::binary_search_by_key`], for items sorted by `key`.
    pub(crate) fn binary_search_by_key<K: Ord>(
        &self,
        wanted: &K,
        key: impl Fn(&T) -> K,
    ) -> Result<usize, usize> {
        let (mut low, mut high) = (0, self.len);
        while low < high {
            let middle = low + (high - low) / 2;
            // `middle < high <= len`: the item exists.
            let Some(item) = self.get(middle) else {
                return Err(middle);
            };
            match key(item).cmp(wanted) {
                std::cmp::Ordering::Less => low = middle + 1,
                std::cmp::Ordering::Greater => high = middle,
                std::cmp::Ordering::Equal => return Ok(middle),
            }
        }
        Err(low)
    }
}

impl<T> FromIterator<T> for ChunkedVec<T> {
    fn from_iter<I: IntoIterator<Item = T>>(items: I) -> Self {
        let mut list = Self::default();
        for item in items {
            list.push(item);
        }
        list
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_keep_their_index_across_chunks() {
        let list: ChunkedVec<usize> = (0..3 * CHUNK + 5).collect();
        assert_eq!(list.len(), 3 * CHUNK + 5);
        for i in [0, 1, CHUNK - 1, CHUNK, 2 * CHUNK + 7, 3 * CHUNK + 4] {
            assert_eq!(list.get(i), Some(&i));
        }
        assert_eq!(list.get(3 * CHUNK + 5), None);
        assert_eq!(list.last(), Some(&(3 * CHUNK + 4)));
        assert!(list.iter().copied().eq(0..3 * CHUNK + 5));
        assert_eq!(list.chunks.len(), 4);
        assert!(list.chunks.iter().all(|c| c.capacity() == CHUNK));
    }

    #[test]
    fn a_small_list_takes_little_room() {
        let small: ChunkedVec<u64> = (0..2).collect();
        assert_eq!(small.chunks.len(), 1);
        assert!(
            small.chunks[0].capacity() < 8,
            "{}",
            small.chunks[0].capacity()
        );
        let grown: ChunkedVec<u64> = (0..CHUNK as u64 + 1).collect();
        assert_eq!(grown.chunks[0].capacity(), CHUNK);
        assert_eq!(grown.chunks[1].capacity(), CHUNK);
    }

    #[test]
    fn changes_in_place() {
        let mut list: ChunkedVec<u32> = (0..2000).collect();
        if let Some(item) = list.get_mut(1500) {
            *item = 7;
        }
        assert_eq!(list.get(1500), Some(&7));
        assert_eq!(list.get_mut(2000), None);
    }

    #[test]
    fn binary_search_like_a_slice() {
        let values: Vec<u64> = (0..2500).map(|i| i * 2).collect();
        let list: ChunkedVec<u64> = values.iter().copied().collect();
        for wanted in [0, 1, 2, 2047, 2048, 4998, 4999, 5000, 9999] {
            assert_eq!(
                list.binary_search_by_key(&wanted, |v| *v),
                values.binary_search(&wanted),
                "{wanted}"
            );
        }
        let empty = ChunkedVec::<u64>::default();
        assert_eq!(empty.binary_search_by_key(&3, |v| *v), Err(0));
        assert_eq!(empty.last(), None);
    }
}
