//! llminit-core: the numerical core of llminit (no Node.js dependency).
//!
//! - [`user_items`]: per-user item lists (CSR), the shape every interaction set takes here.
//! - [`graph`]: the symmetric-normalized user–item adjacency of LightGCN (DESIGN.md §2).
//! - [`propagate`]: row-parallel SpMM with the layer mean fused into the pass.
//! - [`eval`] and [`metrics`]: blocked full-ranking scoring with a fused top-K, and the metrics.
//! - [`select`]: LLMInit's selective initialization (rand / uni / var / full, and the [`pca`]
//!   projections pca / whiten), the optional rescaling to a random init's norm, and the user-mean init.
//! - [`rank`]: the effective rank of an init table (a diagnostic).
//! - [`sampler`], [`optim`], [`models`], [`train`]: BPR batches, Adam, MF-BPR / LightGCN, the loop.

pub mod contrast;
pub mod contrastive;
pub mod embeddings;
pub mod error;
pub mod eval;
pub mod frontier;
pub mod graph;
pub mod init;
pub mod llm_init;
pub mod loss;
pub mod metrics;
pub mod models;
pub mod noise;
pub mod optim;
pub mod par;
pub mod pca;
pub mod propagate;
pub mod rank;
mod rowops;
pub mod sampler;
pub mod select;
pub mod topk;
pub mod train;
pub mod user_items;
pub mod views;

pub use embeddings::Embeddings;
pub use error::{Error, Result};
pub use par::Parallelism;
pub use user_items::UserItems;
