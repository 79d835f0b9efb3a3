//! Settings of the contrastive backbones (SGL, SGCL, SimGCL, XSimGCL) and their construction.
//! Unset weights, temperatures and noise take each model's published default, so one set of
//! options serves all four.

use std::sync::Arc;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::graph::normalized_adjacency;
use crate::models::{NoisyParams, Recommender, Sgcl, Sgl, SglParams, SimGcl, XSimGcl};
use crate::train::{ModelKind, TrainData, TrainParams};
use crate::{Error, Result};

pub use crate::views::ViewKind;

/// Settings of the contrastive models; `None` means the model's default (see [`resolved`](Self::resolved)).
#[derive(Clone, Debug, PartialEq)]
pub struct ContrastParams {
    /// λ, the contrastive term's weight (SGL 0.05, SimGCL 0.5, XSimGCL 0.2; SGCL has none).
    pub ssl_weight: Option<f32>,
    /// τ (SGL, SGCL, SimGCL 0.2; XSimGCL 0.15).
    pub temperature: Option<f32>,
    /// ε, the noise magnitude (SimGCL 0.1, XSimGCL 0.2).
    pub noise_eps: Option<f32>,
    /// SGL's dropout ratio ρ (0.1).
    pub drop_ratio: f32,
    /// SGL's augmentation (edge dropout by default).
    pub view: ViewKind,
    /// XSimGCL's contrastive layer l* (1).
    pub cl_layer: usize,
}

impl Default for ContrastParams {
    fn default() -> Self {
        ContrastParams {
            ssl_weight: None,
            temperature: None,
            noise_eps: None,
            drop_ratio: 0.1,
            view: ViewKind::Edge,
            cl_layer: 1,
        }
    }
}

/// (λ, τ, ε) with the model's defaults filled in.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Resolved {
    pub ssl_weight: f32,
    pub temperature: f32,
    pub noise_eps: f32,
}

impl ContrastParams {
    /// The papers' settings: SGL (Wu et al. 2021; the LLMInit/RecBole config) λ 0.05, τ 0.2;
    /// SGCL τ 0.2; SimGCL (SELFRec `SimGCL.yaml`) λ 0.5, ε 0.1, τ 0.2; XSimGCL (SELFRec
    /// `XSimGCL.yaml`) λ 0.2, ε 0.2, τ 0.15.
    pub fn resolved(&self, model: ModelKind) -> Resolved {
        let (w, t, e) = match model {
            ModelKind::Sgl => (0.05, 0.2, 0.0),
            ModelKind::SimGcl => (0.5, 0.2, 0.1),
            ModelKind::XSimGcl => (0.2, 0.15, 0.2),
            _ => (0.0, 0.2, 0.0),
        };
        Resolved {
            ssl_weight: self.ssl_weight.unwrap_or(w),
            temperature: self.temperature.unwrap_or(t),
            noise_eps: self.noise_eps.unwrap_or(e),
        }
    }

    /// One error per bad field.
    pub fn validate(&self, model: ModelKind, layers: usize) -> Result<()> {
        let r = self.resolved(model);
        if !(r.temperature.is_finite() && r.temperature > 0.0) {
            return Err(Error::param(
                "temperature",
                format!("must be a positive number, got {}", r.temperature),
            ));
        }
        if !(r.ssl_weight.is_finite() && r.ssl_weight >= 0.0) {
            return Err(Error::param(
                "sslWeight",
                format!("must be a non-negative number, got {}", r.ssl_weight),
            ));
        }
        if !(r.noise_eps.is_finite() && r.noise_eps >= 0.0) {
            return Err(Error::param(
                "noiseEps",
                format!("must be a non-negative number, got {}", r.noise_eps),
            ));
        }
        if !(self.drop_ratio.is_finite() && (0.0..1.0).contains(&self.drop_ratio)) {
            return Err(Error::param(
                "dropRatio",
                format!("must be in [0, 1), got {}", self.drop_ratio),
            ));
        }
        if matches!(model, ModelKind::SimGcl | ModelKind::XSimGcl) && layers == 0 {
            return Err(Error::param(
                "layers",
                "simgcl and xsimgcl average layers 1..L, so they need at least 1",
            ));
        }
        if model == ModelKind::XSimGcl && !(1..=layers).contains(&self.cl_layer) {
            return Err(Error::param(
                "clLayer",
                format!(
                    "must be in 1..={layers} (the layers), got {}",
                    self.cl_layer
                ),
            ));
        }
        Ok(())
    }
}

/// The contrastive model `kind` over the training graph of `data`.
///
/// # Panics
/// If `kind` is not a contrastive model (MF and LightGCN are built by [`crate::train::build_model`]).
pub fn build(kind: ModelKind, data: &TrainData, params: &TrainParams) -> Box<dyn Recommender> {
    let graph = Arc::new(normalized_adjacency(&data.train));
    let r = params.contrast.resolved(kind);
    let noisy = NoisyParams {
        layers: params.layers,
        reg_weight: params.reg_weight,
        ssl_weight: r.ssl_weight,
        tau: r.temperature,
        eps: r.noise_eps,
        cl_layer: params.contrast.cl_layer,
        seed: params.seed,
    };
    match kind {
        ModelKind::Sgcl => Box::new(Sgcl::new(graph, params.layers, r.temperature)),
        ModelKind::SimGcl => Box::new(SimGcl::new(graph, noisy)),
        ModelKind::XSimGcl => Box::new(XSimGcl::new(graph, noisy)),
        ModelKind::Sgl => {
            let mut rng = ChaCha8Rng::seed_from_u64(params.seed);
            rng.set_stream(4);
            let p = SglParams {
                layers: params.layers,
                reg_weight: params.reg_weight,
                ssl_weight: r.ssl_weight,
                tau: r.temperature,
                view: params.contrast.view,
                drop_ratio: params.contrast.drop_ratio,
            };
            Box::new(Sgl::new(graph, Arc::new(data.train.clone()), p, rng))
        }
        ModelKind::Mf | ModelKind::LightGcn => unreachable!("not a contrastive model"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::{train, Silent};
    use crate::Parallelism;
    use rand::Rng;

    /// 700 users and 600 items, so SGL's all-user and all-item InfoNCE spans two column blocks.
    fn data() -> TrainData {
        let mut rng = ChaCha8Rng::seed_from_u64(8);
        let (mut tu, mut ti) = (Vec::new(), Vec::new());
        for u in 0..700u32 {
            for _ in 0..6 {
                tu.push(u);
                ti.push(rng.gen_range(0..600u32).min(rng.gen_range(0..600u32)));
            }
        }
        let (vu, vi): (Vec<u32>, Vec<u32>) = (0..700u32).map(|u| (u, (u * 7) % 600)).unzip();
        TrainData::new(700, 600, (&tu, &ti), (&vu, &vi), (&vu, &vi)).unwrap()
    }

    #[test]
    fn same_seed_same_bits_for_any_thread_count() {
        let data = data();
        for model in [
            ModelKind::Sgl,
            ModelKind::Sgcl,
            ModelKind::SimGcl,
            ModelKind::XSimGcl,
        ] {
            let params = TrainParams {
                model,
                dim: 8,
                epochs: 2,
                batch_size: 512,
                ..TrainParams::default()
            };
            let run = |threads: usize, par: Parallelism| {
                rayon::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .build()
                    .unwrap()
                    .install(|| train(&data, &params, None, par, &Silent).unwrap())
            };
            let one = run(1, Parallelism::Sequential);
            let three = run(3, Parallelism::Rayon);
            assert_eq!(one.params, three.params, "{model:?}");
            assert_eq!(one.history[1].loss, three.history[1].loss, "{model:?}");
            assert!(one.history[1].loss.is_finite());
        }
    }

    #[test]
    fn bad_settings_are_named() {
        let bad = |c: ContrastParams, model, layers| match c.validate(model, layers) {
            Err(Error::InvalidParam { name, .. }) => name,
            other => panic!("{other:?}"),
        };
        let d = ContrastParams::default;
        let t0 = ContrastParams {
            temperature: Some(0.0),
            ..d()
        };
        assert_eq!(bad(t0, ModelKind::Sgcl, 2), "temperature");
        let w = ContrastParams {
            ssl_weight: Some(-1.0),
            ..d()
        };
        assert_eq!(bad(w, ModelKind::Sgl, 2), "sslWeight");
        let r = ContrastParams {
            drop_ratio: 1.0,
            ..d()
        };
        assert_eq!(bad(r, ModelKind::Sgl, 2), "dropRatio");
        let l = ContrastParams { cl_layer: 3, ..d() };
        assert_eq!(bad(l, ModelKind::XSimGcl, 2), "clLayer");
        assert_eq!(bad(d(), ModelKind::SimGcl, 0), "layers");
        assert_eq!(d().resolved(ModelKind::XSimGcl).temperature, 0.15);
        assert_eq!(d().resolved(ModelKind::SimGcl).ssl_weight, 0.5);
    }
}
