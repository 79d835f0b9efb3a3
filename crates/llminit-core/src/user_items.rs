//! Per-user item lists in CSR form: `items[indptr[u]..indptr[u+1]]` are user `u`'s items, sorted
//! ascending and without duplicates. Training positives, evaluation targets and masks all take
//! this shape.

use crate::{Error, Result};

#[derive(Clone, Debug, Default, PartialEq)]
pub struct UserItems {
    pub n_users: usize,
    pub n_items: usize,
    pub indptr: Vec<usize>,
    pub items: Vec<u32>,
}

impl UserItems {
    /// Builds the lists from parallel `(user, item)` arrays; duplicates collapse to one entry.
    pub fn from_pairs(
        n_users: usize,
        n_items: usize,
        users: &[u32],
        items: &[u32],
    ) -> Result<Self> {
        if users.len() != items.len() {
            return Err(Error::InvalidInput(format!(
                "user and item arrays differ in length: {} vs {}",
                users.len(),
                items.len()
            )));
        }
        let mut counts = vec![0usize; n_users + 1];
        for (k, (&u, &i)) in users.iter().zip(items).enumerate() {
            if u as usize >= n_users {
                return Err(Error::InvalidInput(format!(
                    "interaction {k}: user index {u} >= n_users {n_users}"
                )));
            }
            if i as usize >= n_items {
                return Err(Error::InvalidInput(format!(
                    "interaction {k}: item index {i} >= n_items {n_items}"
                )));
            }
            counts[u as usize + 1] += 1;
        }
        for u in 0..n_users {
            counts[u + 1] += counts[u];
        }
        let mut next = counts.clone();
        let mut raw = vec![0u32; users.len()];
        for (&u, &i) in users.iter().zip(items) {
            raw[next[u as usize]] = i;
            next[u as usize] += 1;
        }
        let mut indptr = Vec::with_capacity(n_users + 1);
        let mut out = Vec::with_capacity(raw.len());
        indptr.push(0);
        for u in 0..n_users {
            let row = &mut raw[counts[u]..counts[u + 1]];
            row.sort_unstable();
            let mut last = None;
            for &i in row.iter() {
                if last != Some(i) {
                    out.push(i);
                    last = Some(i);
                }
            }
            indptr.push(out.len());
        }
        Ok(UserItems {
            n_users,
            n_items,
            indptr,
            items: out,
        })
    }

    /// An empty set of lists (no user has any item).
    pub fn empty(n_users: usize, n_items: usize) -> Self {
        UserItems {
            n_users,
            n_items,
            indptr: vec![0; n_users + 1],
            items: Vec::new(),
        }
    }

    #[inline]
    pub fn of(&self, u: usize) -> &[u32] {
        &self.items[self.indptr[u]..self.indptr[u + 1]]
    }

    #[inline]
    pub fn degree(&self, u: usize) -> usize {
        self.indptr[u + 1] - self.indptr[u]
    }

    #[inline]
    pub fn contains(&self, u: usize, item: u32) -> bool {
        self.of(u).binary_search(&item).is_ok()
    }

    pub fn nnz(&self) -> usize {
        self.items.len()
    }

    /// Item degrees (number of users per item).
    pub fn item_degrees(&self) -> Vec<u32> {
        let mut deg = vec![0u32; self.n_items];
        for &i in &self.items {
            deg[i as usize] += 1;
        }
        deg
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_sorted_deduplicated_lists() {
        let ui = UserItems::from_pairs(3, 4, &[2, 0, 0, 2, 0], &[1, 3, 0, 1, 3]).unwrap();
        assert_eq!(ui.of(0), &[0, 3]);
        assert_eq!(ui.of(1), &[] as &[u32]);
        assert_eq!(ui.of(2), &[1]);
        assert_eq!(ui.item_degrees(), vec![1, 1, 0, 1]);
        assert!(ui.contains(0, 3) && !ui.contains(0, 1));
    }

    #[test]
    fn rejects_out_of_range_ids() {
        let err = UserItems::from_pairs(2, 2, &[0, 2], &[0, 1]).unwrap_err();
        assert!(
            err.to_string().contains("interaction 1: user index 2"),
            "{err}"
        );
    }
}
